import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commentBody, MARKER, upsertComment } from "../../fleet/pr-comment";
import { makeReport } from "../../fleet/summary";

interface Req {
    method: string;
    url: string;
    auth?: string;
    body?: { body: string };
}

/** A forge API over loopback HTTP with the issue-comment endpoints GitHub and Gitea share. `pageSize` 0 = no paging (Gitea). */
class FakeForge {
    comments: { id: number; body: string }[] = [];
    requests: Req[] = [];
    private nextId = 10_000;
    server = http.createServer((req, res) => {
        let data = "";
        req.on("data", (c) => (data += c));
        req.on("end", () => {
            const r: Req = { method: req.method!, url: req.url!, auth: req.headers.authorization, body: data ? JSON.parse(data) : undefined };
            this.requests.push(r);
            const url = new URL(req.url!, "http://x");
            const json = (status: number, v: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(v));
            };
            if (r.auth !== "token sekrit") return json(401, { message: "bad credentials" });
            if (req.method === "GET" && url.pathname === "/api/repos/o/r/issues/7/comments") {
                if (this.pageSize === 0) return json(200, this.comments);
                const page = Number(url.searchParams.get("page"));
                return json(200, this.comments.slice((page - 1) * this.pageSize, page * this.pageSize));
            }
            if (req.method === "POST" && url.pathname === "/api/repos/o/r/issues/7/comments") {
                const c = { id: this.nextId++, body: r.body!.body };
                this.comments.push(c);
                return json(201, c);
            }
            const m = /^\/api\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
            if (req.method === "PATCH" && m) {
                const c = this.comments.find((x) => x.id === Number(m[1]));
                if (!c) return json(404, { message: "not found" });
                c.body = r.body!.body;
                return json(200, c);
            }
            json(404, { message: "no route" });
        });
    });
    constructor(public pageSize = 100) {}
    async start(): Promise<string> {
        await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
    }
}

let forge: FakeForge;
afterEach(() => forge.server.close());

describe("PR comment", () => {
    let api: string;
    beforeEach(async () => {
        forge = new FakeForge();
        api = await forge.start();
    });

    it("creates the comment once, then edits that same comment on the next push", async () => {
        for (let i = 0; i < 150; i++) forge.comments.push({ id: i + 1, body: `review comment ${i}` });
        const t = { api, repo: "o/r", pr: 7, token: "sekrit" };
        const first = await upsertComment(t, `${MARKER}\nfirst push`);
        expect(first.action).toBe("created");
        const second = await upsertComment(t, `${MARKER}\nsecond push`);
        expect(second).toEqual({ action: "updated", id: first.id });
        const mine = forge.comments.filter((c) => c.body.includes(MARKER));
        expect(mine).toEqual([{ id: first.id, body: `${MARKER}\nsecond push` }]);
        // The marked comment sat on page 2: the search paged through.
        expect(forge.requests.some((r) => r.method === "GET" && r.url.includes("page=2"))).toBe(true);
        expect(forge.requests.every((r) => !r.url.includes("sekrit") && !JSON.stringify(r.body ?? "").includes("sekrit"))).toBe(true);
    });

    it("works against an API that ignores paging (Gitea) without looping", async () => {
        forge.pageSize = 0;
        for (let i = 0; i < 120; i++) forge.comments.push({ id: i + 1, body: `c${i}` });
        const t = { api, repo: "o/r", pr: 7, token: "sekrit" };
        await upsertComment(t, `${MARKER}\na`);
        const r = await upsertComment(t, `${MARKER}\nb`);
        expect(r.action).toBe("updated");
        expect(forge.comments.filter((c) => c.body.includes(MARKER))).toHaveLength(1);
        expect(forge.requests.filter((x) => x.method === "GET").length).toBeLessThanOrEqual(4);
    });

    it("fails with the forge's status when the token is refused", async () => {
        await expect(upsertComment({ api, repo: "o/r", pr: 7, token: "wrong" }, `${MARKER}\nx`)).rejects.toThrow(/HTTP 401: .*bad credentials/);
        expect(forge.comments).toEqual([]);
    });
});

describe("PR comment body", () => {
    const report = makeReport("preview", new Date(), [
        { stack: "acme", role: "tenant", platform: "prod", operation: "preview", reason: "tenants/acme.yaml modified", result: "succeeded", durationMs: 2500, counts: { create: 0, update: 1, replace: 0, delete: 0, same: 9 }, output: "~ mokowaas:index:Tenant acme update" },
    ]);

    it("holds the marker, the tenant diff and each stack's preview", () => {
        const body = commentBody({ tenantDiff: "### Tenant changes\n- `acme`: `online`: `false` -> `true`", fleetJson: JSON.stringify(report), sha: "0123456789abcdef" });
        expect(body.startsWith(MARKER)).toBe(true);
        expect(body).toContain("commit `0123456789ab`");
        expect(body).toContain("- `acme`: `online`: `false` -> `true`");
        expect(body).toContain("| acme | `preview` | 0 | 1 | 0 | 0 | ✅ succeeded | 2.5s | tenants/acme.yaml modified |");
        expect(body).toContain("~ mokowaas:index:Tenant acme update");
    });

    it("says plainly when the fleet preview did not finish, with the end of its log, and shows validation problems", () => {
        const body = commentBody({ tenantDiff: "### Tenant changes", fleetJson: "", fleetLog: "fleet: no Pulumi CLI", validateLog: "tenants/x.yaml: onlin: unknown key" });
        expect(body).toContain("**fleet preview did not run to the end**");
        expect(body).toContain("fleet: no Pulumi CLI");
        expect(body).toContain("### ❌ Tenant files do not validate");
        expect(body).toContain("tenants/x.yaml: onlin: unknown key");
    });

    it("stays under GitHub's comment size limit with huge previews", () => {
        const many = makeReport("preview", new Date(), Array.from({ length: 60 }, (_, i) => ({ ...report.outcomes[0], stack: `t${i}`, output: "y".repeat(5000) })));
        const body = commentBody({ tenantDiff: "x", fleetJson: JSON.stringify(many) });
        expect(body.length).toBeLessThanOrEqual(65_536);
        expect(body).toContain("| t59 |");
        expect(body).toContain("left out to fit the comment size limit");
    });
});
