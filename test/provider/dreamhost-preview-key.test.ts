/**
 * Pull-request previews run with a DreamHost key allowed `dns-list_records` only
 * (PREVIEW_DREAMHOST_API_KEY, docs/fleet.md "Pull request previews"). This proves the provider's
 * preview path works with such a key and calls nothing else: check and diff (what `pulumi preview`
 * runs) make no API call at all, read (`preview --refresh`, `refresh`) only lists; and that every
 * change attempted with it fails at once with a message naming the key's limit and the way out,
 * leaving the zone as it was.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { dreamhostDnsProvider as provider } from "../../components/dreamhost";
import { KEY_SCOPE_ERROR, type DreamhostEmulator } from "../fakes/dreamhost-emulator";
import { change, clearEnv, destroy, failure, KEY, pointAt, refresh, startEmulator, up, ZONE, type Deployed } from "./dreamhost-driver";

/** A second key of the same account, created in the panel with the one command dns-list_records. */
const PREVIEW_KEY = `DHPREVIEW${randomBytes(12).toString("hex").toUpperCase()}`;

let emu: DreamhostEmulator;
beforeAll(async () => {
    emu = await startEmulator();
    emu.addKey(PREVIEW_KEY, "preview", ["dns-list_records"]);
});
afterAll(async () => {
    await emu.stop();
    clearEnv();
});

const DEV = { record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" };
const APEX = { record: "example.com", type: "A", value: "203.0.113.10" };
let dev: Deployed;
let apex: Deployed;

beforeEach(async () => {
    emu.unseed((r) => r.editable === "1");
    emu.reset();
    pointAt(emu); // the deploy key puts the records there, as `pulumi up` after a merge did
    dev = await up(DEV);
    apex = await up(APEX);
    emu.reset();
    pointAt(emu, { DREAMHOST_API_KEY: PREVIEW_KEY });
});

const before = ["A example.com 203.0.113.10", "CNAME dev.acme.example.com web1.platform.example.net."];
/** The commands the preview key sent, each with what it was answered. */
const previewCalls = () => emu.requests.filter((r) => r.keyLabel === "preview").map((r) => `${r.cmd}: ${r.answer}`);

describe("with the preview key (dns-list_records only)", () => {
    test("the emulator answers it as DreamHost does: listing works, any other command is refused", async () => {
        const call = async (cmd: string, extra: Record<string, string> = {}) => {
            const url = new URL(emu.url);
            for (const [k, v] of Object.entries({ key: PREVIEW_KEY, cmd, format: "json", ...extra })) url.searchParams.set(k, v);
            return (await (await fetch(url)).json()) as { result: string; data: unknown };
        };
        expect((await call("dns-list_records")).result).toBe("success");
        expect(await call("dns-add_record", { record: "x.example.com", type: "A", value: "203.0.113.9", unique_id: "u1" })).toEqual({ result: "error", data: KEY_SCOPE_ERROR });
        expect(await call("dns-remove_record", { ...APEX, unique_id: "u2" })).toEqual({ result: "error", data: KEY_SCOPE_ERROR });
        // The permission check comes first, even for a command that does not exist.
        expect(await call("account-list_accounts")).toEqual({ result: "error", data: KEY_SCOPE_ERROR });
        expect(emu.lines(ZONE)).toEqual(before);
    });

    test("a preview (check + diff) of unchanged, changed and new records calls no API at all", async () => {
        const plan = async (from: Deployed | undefined, inputs: Record<string, string>) => {
            const checked = await provider.check!({ ...from?.outs }, { ...inputs });
            expect(checked.failures ?? []).toEqual([]);
            return from ? provider.diff!(from.id, from.outs, checked.inputs!) : { changes: true };
        };
        expect((await plan(dev, DEV)).changes).toBe(false);
        expect(await plan(dev, { ...DEV, value: "web2.platform.example.net" })).toMatchObject({ changes: true });
        expect(await plan(apex, { ...APEX, record: "www.example.com" })).toMatchObject({ changes: true, replaces: ["record"] });
        expect(await plan(undefined, { record: "shop.example.com", type: "A", value: "203.0.113.11" })).toMatchObject({ changes: true });
        expect(emu.requests).toEqual([]);
    });

    test("a refresh reads the live records with dns-list_records and nothing else", async () => {
        emu.unseed((r) => r.record === "example.com" && r.type === "A"); // changed by hand in the panel
        expect(await refresh(dev)).toEqual({ id: dev.id, outs: dev.outs });
        expect(await refresh(apex)).toBeUndefined();
        expect(previewCalls()).toEqual(["dns-list_records: success", "dns-list_records: success"]);
        expect(emu.requests.every((r) => r.keyLabel === "preview")).toBe(true);
    });

    test("every change fails at once, names the key's limit and the deploy key, and leaves the zone alone", async () => {
        const attempts: [string, () => Promise<unknown>, string][] = [
            ["create", () => up({ record: "shop.example.com", type: "A", value: "203.0.113.11" }), "dns-add_record"],
            ["update (A: add first)", () => change(apex, { ...APEX, value: "203.0.113.20" }), "dns-add_record"],
            ["update (CNAME: remove first)", () => change(dev, { ...DEV, value: "web2.platform.example.net" }), "dns-remove_record"],
            ["delete", () => destroy(apex), "dns-remove_record"],
        ];
        for (const [what, attempt, cmd] of attempts) {
            emu.reset();
            const message = await failure(attempt);
            expect(message, what).toContain(`DreamHost ${cmd} failed`);
            expect(message, what).toContain("this API key may not run this command");
            expect(message, what).toContain("PREVIEW_DREAMHOST_API_KEY");
            expect(message, what).toMatch(/needs the deploy key, allowed dns-list_records, dns-add_record and dns-remove_record/);
            expect(message, what).toContain(`[${KEY_SCOPE_ERROR}]`);
            expect(message, what).not.toContain(PREVIEW_KEY);
            // Not retried (a refusal is final) and nothing but the listing before it.
            expect(previewCalls(), what).toEqual(["dns-list_records: success", `${cmd}: error ${KEY_SCOPE_ERROR}`]);
            expect(emu.lines(ZONE), what).toEqual(before);
        }
    });

    test("the deploy key still changes what the preview key may not", async () => {
        pointAt(emu, { DREAMHOST_API_KEY: KEY });
        await change(apex, { ...APEX, value: "203.0.113.20" });
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20", "CNAME dev.acme.example.com web1.platform.example.net."]);
        expect(emu.requests.every((r) => r.keyLabel === "full")).toBe(true);
    });
});
