/**
 * The DreamHost provider under injected faults: rate limiting, internal errors, HTTP 500s, slow
 * answers and dropped connections. Every sequence ends with exactly the expected records: no
 * record doubled by a retried add, none left behind by an interrupted change.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { RESET_ERROR, type DreamhostEmulator, type Fault } from "../fakes/dreamhost-emulator";
import { change, clearEnv, destroy, failure, KEY, otherClient, pointAt, startEmulator, up, ZONE, type Deployed } from "./dreamhost-driver";

let emu: DreamhostEmulator;
beforeAll(async () => {
    emu = await startEmulator();
});
afterAll(async () => {
    await emu.stop();
    clearEnv();
});
beforeEach(() => {
    emu.unseed((r) => r.editable === "1");
    emu.reset();
    pointAt(emu);
});

const DEV = { record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" };
const APEX = { record: "example.com", type: "A", value: "203.0.113.10" };

/** Create, update (CNAME target and A address), delete: the sequence each fault is thrown at. */
async function fullSequence(): Promise<void> {
    let dev: Deployed = await up(DEV);
    let apex: Deployed = await up(APEX);
    expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10", "CNAME dev.acme.example.com web1.platform.example.net."]);
    dev = await change(dev, { ...DEV, value: "web2.platform.example.net" });
    apex = await change(apex, { ...APEX, value: "203.0.113.20" });
    expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20", "CNAME dev.acme.example.com web2.platform.example.net."]);
    await destroy(dev);
    await destroy(apex);
    expect(emu.lines(ZONE)).toEqual([]);
}

/** Slow answers take SLOW_MS; the client then waits SLOW_TIMEOUT_MS (other answers are never that slow). */
const SLOW_MS = 2500;
const SLOW_TIMEOUT_MS = "1000";

const FAULTS: [string, Fault, string | undefined][] = [
    ["rate limiting (slow_down_bucko)", { kind: "error", code: "slow_down_bucko", details: "dns-add_record: 2 per minute" }, "dns-add_record"],
    ["an internal error while updating the zone", { kind: "error", code: "internal_error_updating_zone" }, "dns-add_record"],
    ["an internal error while removing", { kind: "error", code: "internal_error_could_not_destroy_record" }, "dns-remove_record"],
    ["HTTP 500 on any call", { kind: "http", status: 500 }, undefined],
    ["HTTP 502 on a listing", { kind: "http", status: 502 }, "dns-list_records"],
    ["an answer slower than the client waits (the add is applied anyway)", { kind: "slow", delayMs: SLOW_MS }, "dns-add_record"],
    ["an answer slower than the client waits (the remove is applied anyway)", { kind: "slow", delayMs: SLOW_MS }, "dns-remove_record"],
    ["a connection dropped before the add is applied", { kind: "drop-before" }, "dns-add_record"],
    ["a connection dropped after the add is applied", { kind: "drop-after" }, "dns-add_record"],
    ["a connection dropped after the remove is applied", { kind: "drop-after" }, "dns-remove_record"],
    ["a connection dropped on a listing", { kind: "drop-before" }, "dns-list_records"],
];

describe.each(FAULTS)("with %s", (_name, fault, cmd) => {
    test("create, update and delete still end with exactly the expected records", async () => {
        if (fault.kind === "slow") pointAt(emu, { DREAMHOST_TIMEOUT_MS: SLOW_TIMEOUT_MS });
        // Every logical call of the sequence (of that command) meets the fault once, then its retry.
        emu.inject(fault, { cmd, times: 100, everyOther: true });
        await fullSequence();
        const faulted = emu.requests.filter((r) => r.fault !== undefined).length;
        const matching = emu.requests.filter((r) => !cmd || r.cmd === cmd).length;
        expect(faulted, "each matching call met the fault once").toBe(Math.ceil(matching / 2));
        // The sequence makes 4 adds, 4 removes and 6 listings.
        const logicalCalls = { "dns-add_record": 4, "dns-remove_record": 4, "dns-list_records": 6 }[cmd ?? ""] ?? 14;
        expect(faulted).toBe(logicalCalls);
    });
});

describe("unique_id: a retried change is never applied twice", () => {
    test("an add whose answer was lost is retried with the same unique_id and not doubled", async () => {
        emu.inject({ kind: "drop-after" }, { cmd: "dns-add_record" });
        await up(APEX);
        const adds = emu.requests.filter((r) => r.cmd === "dns-add_record");
        expect(adds.length).toBe(2);
        expect(adds[0].uniqueId).toMatch(/^[0-9a-f-]{36}$/);
        expect(adds[1].uniqueId).toBe(adds[0].uniqueId);
        expect(adds[1].answer).toBe("error unique_id_already_used");
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10"]);
    });

    test("works as well when DreamHost answers a repeated unique_id with the first answer", async () => {
        emu.replay = "success";
        emu.inject({ kind: "drop-after" }, { cmd: "dns-add_record" });
        await up(APEX);
        expect(emu.requests.filter((r) => r.cmd === "dns-add_record").map((r) => r.answer)).toEqual([undefined, "success record_added"]);
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10"]);
    });

    test("and when the refusal of a repeated unique_id has some other wording (confirmed by a listing)", async () => {
        emu.replayError = "duplicate_request";
        emu.inject({ kind: "drop-after" }, { cmd: "dns-add_record" });
        await up(DEV);
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);
    });

    test("separate logical calls get separate unique_ids; listings get none", async () => {
        await fullSequence();
        const ids = emu.requests.filter((r) => r.cmd !== "dns-list_records").map((r) => r.uniqueId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(emu.requests.filter((r) => r.cmd === "dns-list_records").every((r) => r.uniqueId === undefined)).toBe(true);
        expect(emu.requests.every((r) => r.format === "json" && r.keyPresent)).toBe(true);
    });
});

describe("rate limiting", () => {
    test("a real limit (successful calls only) is outlasted by backoff", async () => {
        emu.rateLimit = { max: 3, windowMs: 150 };
        pointAt(emu, { DREAMHOST_MAX_ATTEMPTS: "8", DREAMHOST_BACKOFF_MS: "40" });
        await fullSequence();
        expect(emu.requests.some((r) => r.answer?.startsWith("error slow_down_bucko"))).toBe(true);
    });

    test("a limit that outlasts every retry fails clearly, and a later run converges", async () => {
        emu.inject({ kind: "error", code: "slow_down_bucko", details: "dns-add_record limited to 100 per hour" }, { cmd: "dns-add_record", times: 4 });
        const msg = await failure(() => up(APEX));
        expect(msg).toMatch(/rate limit was reached.*wait a few minutes/);
        expect(msg).toContain("100 per hour");
        expect(emu.lines(ZONE)).toEqual([]);
        await up(APEX);
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10"]);
    });
});

describe("failures that outlast the retries leave a state a re-run repairs", () => {
    test("an A update whose remove keeps failing: both addresses stay, the re-run removes the old one", async () => {
        const apex = await up(APEX);
        emu.inject({ kind: "error", code: "internal_error_could_not_destroy_record" }, { cmd: "dns-remove_record", times: 4 });
        const msg = await failure(() => change(apex, { ...APEX, value: "203.0.113.20" }));
        expect(msg).toMatch(/dns-remove_record failed for A example.com -> 203.0.113.10: DreamHost failed internally/);
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10", "A example.com 203.0.113.20"]);
        // The engine kept the old state (the update failed): the same update runs again.
        await change(apex, { ...APEX, value: "203.0.113.20" });
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20"]);
    });

    test("a CNAME update whose add keeps failing: the re-run adds the new target", async () => {
        const dev = await up(DEV);
        emu.inject({ kind: "http", status: 503 }, { cmd: "dns-add_record", times: 4 });
        const msg = await failure(() => change(dev, { ...DEV, value: "web2.platform.example.net" }));
        expect(msg).toMatch(/no usable answer after 4 attempt\(s\), last: HTTP 503/);
        expect(emu.lines(ZONE)).toEqual([]);
        await change(dev, { ...DEV, value: "web2.platform.example.net" });
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web2.platform.example.net."]);
    });

    test("a create whose answers never arrive, though applied: the re-run adopts instead of doubling", async () => {
        emu.inject({ kind: "drop-after" }, { cmd: "dns-add_record", times: 1 });
        emu.inject({ kind: "drop-before" }, { cmd: "dns-add_record", times: 3 });
        const msg = await failure(() => up(DEV));
        expect(msg).toMatch(/no usable answer after 4 attempt/);
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);
        await up(DEV);
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);
    });

    test("a delete interrupted after the remove applied: the re-run finds nothing left and succeeds", async () => {
        const apex = await up(APEX);
        emu.inject({ kind: "drop-after" }, { cmd: "dns-remove_record", times: 1 });
        emu.inject({ kind: "drop-before" }, { cmd: "dns-remove_record", times: 3 });
        await failure(() => destroy(apex));
        expect(emu.lines(ZONE)).toEqual([]);
        await destroy(apex);
        expect(emu.lines(ZONE)).toEqual([]);
    });
});

describe("the emulator keeps tests apart", () => {
    /** Starts an add the emulator holds for 300 ms, and waits until it is held. */
    async function heldAdd(): Promise<{ answer: Promise<{ result: string; data: unknown }> }> {
        emu.inject({ kind: "slow", delayMs: 300 }, { cmd: "dns-add_record" });
        const answer = otherClient(emu, { cmd: "dns-add_record", ...APEX });
        const deadline = Date.now() + 5000;
        while (!emu.requests.some((r) => r.cmd === "dns-add_record")) {
            if (Date.now() > deadline) throw new Error("the emulator never received the add");
            await new Promise((r) => setTimeout(r, 5));
        }
        return { answer };
    }

    test("a held add is applied when its delay ends (what the next test guards against)", async () => {
        const { answer } = await heldAdd();
        expect(emu.lines(ZONE)).toEqual([]);
        expect(await answer).toEqual({ result: "success", data: "record_added" });
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10"]);
    });

    test("an add held when reset() runs is refused and never lands, however late it is answered", async () => {
        const { answer } = await heldAdd();
        emu.reset();
        const late = await answer;
        expect(late.result).toBe("error");
        expect(String(late.data).split("\t")[0]).toBe(RESET_ERROR);
        await emu.idle();
        expect(emu.lines(ZONE)).toEqual([]);
        expect(emu.requests, "nor does it show in the new generation's log").toEqual([]);
    });

    test("a call refused with HTTP 400 (a format other than json) changes nothing", async () => {
        const url = new URL(emu.url);
        for (const [k, v] of Object.entries({ key: KEY, cmd: "dns-add_record", format: "xml", ...APEX })) url.searchParams.set(k, v);
        const res = await fetch(url);
        expect(res.status).toBe(400);
        expect(emu.lines(ZONE)).toEqual([]);
    });
});
