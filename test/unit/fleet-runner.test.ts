import { describe, expect, it } from "vitest";
import type { Target } from "../../fleet/plan";
import { runFleet, type StackRunner, type StackRunResult, type Tunnel } from "../../fleet/runner";
import { formatJson, formatMarkdown, formatTable, makeReport } from "../../fleet/summary";

const counts = (create = 0, update = 0, del = 0): StackRunResult["counts"] => ({ create, update, replace: 0, delete: del, same: 0 });

const tenant = (stack: string, operation: Target["operation"] = "preview", platform = "prod"): Target => ({ stack, role: "tenant", platform, operation, reason: "test" });
const platform = (stack: string, operation: Target["operation"] = "preview"): Target => ({ stack, role: "platform", platform: stack, operation, reason: "test" });

/** A fake engine: each run takes `ms`, records how many ran at once and the order of starts; `fail` names stacks that throw. */
class FakeRunner implements StackRunner {
    running = 0;
    maxRunning = 0;
    started: string[] = [];
    constructor(private readonly opts: { ms?: number; fail?: Set<string>; log?: string[] } = {}) {}
    async run(t: Target): Promise<StackRunResult> {
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        this.started.push(t.stack);
        this.opts.log?.push(`run ${t.stack}`);
        try {
            await new Promise((r) => setTimeout(r, this.opts.ms ?? 20));
            if (this.opts.fail?.has(t.stack)) throw new Error(`${t.stack}: error: mysql: connection refused`);
            return { counts: counts(3, 1), output: `preview of ${t.stack}` };
        } finally {
            this.running--;
        }
    }
}

describe("fleet runner", () => {
    it("never runs more than --concurrency stacks at once, and does use that many", async () => {
        const runner = new FakeRunner({ ms: 30 });
        const targets = Array.from({ length: 10 }, (_, i) => tenant(`t${i}`, "preview", "local"));
        const out = await runFleet(targets, runner, { concurrency: 3 });
        expect(runner.maxRunning).toBe(3);
        expect(out.map((o) => o.result)).toEqual(Array(10).fill("succeeded"));
        expect(out.map((o) => o.stack)).toEqual(targets.map((t) => t.stack));
    });

    it("with concurrency 1 runs one stack at a time", async () => {
        const runner = new FakeRunner({ ms: 5 });
        await runFleet([tenant("a", "up", "local"), tenant("b", "up", "local"), tenant("c", "up", "local")], runner, { concurrency: 1 });
        expect(runner.maxRunning).toBe(1);
    });

    it("isolates a failing stack: the others run and succeed, the failure keeps the engine's message", async () => {
        const runner = new FakeRunner({ fail: new Set(["b"]) });
        const out = await runFleet(["a", "b", "c", "d"].map((s) => tenant(s, "up", "local")), runner, { concurrency: 2 });
        expect(runner.started.sort()).toEqual(["a", "b", "c", "d"]);
        expect(out.map((o) => `${o.stack}:${o.result}`)).toEqual(["a:succeeded", "b:failed", "c:succeeded", "d:succeeded"]);
        expect(out[1].error).toBe("b: error: mysql: connection refused");
        expect(out[0].counts).toEqual(counts(3, 1));
    });

    it("runs platforms first, then offboardings, then the other tenants", async () => {
        const runner = new FakeRunner({ ms: 5 });
        await runFleet([tenant("new", "up"), tenant("gone", "destroy"), platform("prod", "up")], runner, { concurrency: 4, openTunnel: async () => ({ close: async () => {} }) });
        expect(runner.started).toEqual(["prod", "gone", "new"]);
    });

    it("on up, skips the tenants of a platform whose up failed, and still runs other platforms' tenants", async () => {
        const runner = new FakeRunner({ fail: new Set(["prod"]) });
        const out = await runFleet([platform("prod", "up"), tenant("acme", "up", "prod"), tenant("zeta", "up", "local")], runner, {
            concurrency: 2,
            openTunnel: async () => ({ close: async () => {} }),
        });
        expect(out.map((o) => `${o.stack}:${o.result}`)).toEqual(["prod:failed", "acme:skipped", "zeta:succeeded"]);
        expect(out[1].note).toBe("platform prod failed in this run: not run against it");
        expect(runner.started).not.toContain("acme");
    });

    it("opens one tunnel per platform before its first tenant, none for local or platform stacks, and closes each after the last stack", async () => {
        const log: string[] = [];
        const runner = new FakeRunner({ ms: 10, log });
        const opened: string[] = [];
        const openTunnel = async (p: string): Promise<Tunnel> => {
            opened.push(p);
            log.push(`open ${p}`);
            return { close: async () => void log.push(`close ${p}`) };
        };
        await runFleet([platform("prod"), tenant("a", "preview", "prod"), tenant("b", "preview", "prod"), tenant("c", "preview", "eu"), tenant("d", "preview", "local")], runner, {
            concurrency: 3,
            openTunnel,
        });
        expect(opened.sort()).toEqual(["eu", "prod"]);
        expect(log.indexOf("open prod")).toBeLessThan(log.indexOf("run a"));
        expect(log.indexOf("open eu")).toBeLessThan(log.indexOf("run c"));
        const lastRun = Math.max(...log.map((l, i) => (l.startsWith("run") ? i : -1)));
        expect(log.indexOf("close prod")).toBeGreaterThan(lastRun);
        expect(log.indexOf("close eu")).toBeGreaterThan(lastRun);
    });

    it("fails every stack of a platform whose tunnel cannot open, and only those", async () => {
        const runner = new FakeRunner();
        const out = await runFleet([tenant("a", "up", "prod"), tenant("b", "up", "prod"), tenant("c", "up", "local")], runner, {
            concurrency: 2,
            openTunnel: async () => {
                throw new Error("ssh: connect to host 203.0.113.7 port 22: Connection refused");
            },
        });
        expect(out.map((o) => `${o.stack}:${o.result}`)).toEqual(["a:failed", "b:failed", "c:succeeded"]);
        expect(out[0].error).toBe("SSH tunnel to platform prod: ssh: connect to host 203.0.113.7 port 22: Connection refused");
        expect(runner.started).toEqual(["c"]);
    });

    it("refuses a concurrency below 1", async () => {
        await expect(runFleet([], new FakeRunner(), { concurrency: 0 })).rejects.toThrow(/concurrency must be a whole number >= 1, got 0/);
    });
});

describe("fleet summary", () => {
    it("prints one table row per stack with counts, result and duration, then the failures", async () => {
        const out = await runFleet([tenant("acme", "up", "local"), tenant("beta", "up", "local")], new FakeRunner({ fail: new Set(["beta"]) }), { concurrency: 2 });
        const report = makeReport("up", new Date("2025-01-01T00:00:00Z"), out);
        const text = formatTable(report);
        const lines = text.split("\n");
        expect(lines[0]).toMatch(/^STACK\s+OPERATION\s+CREATE\s+UPDATE\s+REPLACE\s+DELETE\s+RESULT\s+DURATION$/);
        expect(lines[1]).toMatch(/^acme\s+up\s+3\s+1\s+0\s+0\s+succeeded\s+\d+ms$/);
        expect(lines[2]).toMatch(/^beta\s+up\s+-\s+-\s+-\s+-\s+failed\s+\d+ms$/);
        expect(text).toContain("2 stack(s): 1 succeeded, 1 failed, 0 skipped");
        expect(text).toContain("beta: up failed:\n  beta: error: mysql: connection refused");
        const json = JSON.parse(formatJson(report));
        expect(json.totals).toEqual({ succeeded: 1, failed: 1, skipped: 0 });
        expect(json.outcomes[0]).toMatchObject({ stack: "acme", operation: "up", result: "succeeded", counts: { create: 3, update: 1 } });
    });

    it("renders Markdown whose table survives pipes and whose outputs are cut to the size budget", () => {
        const big = "x".repeat(3000);
        const outcomes = ["a", "b", "c"].map((s) => ({ stack: s, role: "tenant" as const, platform: "prod", operation: "preview" as const, reason: "tenants/a|b.yaml modified", result: "succeeded" as const, counts: counts(1), durationMs: 1500, output: big }));
        const md = formatMarkdown(makeReport("preview", new Date(), outcomes), 7000);
        expect(md).toContain("| a | `preview` | 1 | 0 | 0 | 0 | ✅ succeeded | 1.5s | tenants/a\\|b.yaml modified |");
        expect(md.length).toBeLessThanOrEqual(7000 + 200);
        expect(md).toContain("<summary>a: preview succeeded</summary>");
        expect(md).toContain("_1 stack output(s) left out to fit the comment size limit");
    });

    it("keeps a fenced output from being closed by backticks inside it", () => {
        const outcomes = [{ stack: "a", role: "tenant" as const, platform: "prod", operation: "preview" as const, reason: "r", result: "failed" as const, durationMs: 1, error: "bad ``` fence" }];
        const md = formatMarkdown(makeReport("preview", new Date(), outcomes));
        expect(md).toContain("````text\nbad ``` fence\n````");
        expect(md).toContain("<details open>");
    });
});
