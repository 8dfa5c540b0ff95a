/**
 * Errors the emulated API answers from its own zone state, by DreamHost's documented rules (no
 * injected faults): mostly races, where another client, the panel or DreamHost itself changes a
 * name between the provider's listing and its add or remove. The provider either ends with the
 * right records (the change it wanted is already there or already gone) or fails with an error
 * naming the record, what stands in the way and the fix.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { DreamhostEmulator } from "../fakes/dreamhost-emulator";
import {
    change,
    clearEnv,
    destroy,
    failure,
    OTHER_ZONE,
    otherClient,
    pointAt,
    providerAnswers,
    refresh,
    startEmulator,
    up,
    ZONE,
} from "./dreamhost-driver";

let emu: DreamhostEmulator;
beforeAll(async () => {
    emu = await startEmulator();
});
afterAll(async () => {
    await emu.stop();
    clearEnv();
});
beforeEach(() => {
    emu.unseed((r) => r.type !== "NS"); // ours, other clients' and DreamHost's; its apex NS records stay
    for (const zone of [ZONE, OTHER_ZONE]) if (emu.lines(zone, true).length === 0) emu.addZone(zone);
    emu.reset();
    pointAt(emu);
});
afterEach(() => {
    expect(emu.raceErrors, "every other client's call went as planned").toEqual([]);
});

const APEX = { record: "example.com", type: "A", value: "203.0.113.10" };
const WWW = { record: "www.example.com", type: "A", value: "203.0.113.10" };
const DEV = { record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" };

/**
 * Another client's calls, made right after the provider's next listing, so the provider works from
 * a stale one. Each must succeed (checked after each test, through emu.raceErrors).
 */
function afterListing(...calls: Record<string, string>[]): void {
    emu.interleave("dns-list_records", async () => {
        for (const call of calls) {
            const answer = await otherClient(emu, call);
            if (answer.result !== "success") throw new Error(`the other client's ${JSON.stringify(call)} was answered ${JSON.stringify(answer)}`);
        }
    });
}

const addAfterListing = (r: Record<string, string>) => afterListing({ cmd: "dns-add_record", ...r });
const removeAfterListing = (r: Record<string, string>) => afterListing({ cmd: "dns-remove_record", ...r });

describe("no_such_zone", () => {
    test("the domain leaves the account after the listing: the add is refused, the error names the zone and the fix", async () => {
        emu.interleave("dns-list_records", () => emu.removeZone(OTHER_ZONE));
        const msg = await failure(() => up({ record: "shop.example.org", type: "A", value: "203.0.113.10" }));
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error no_such_zone"]);
        expect(msg).toContain("Cannot add A shop.example.org -> 203.0.113.10: its domain example.org is not a zone in this DreamHost account");
        expect(msg).toMatch(/Add example\.org in the DreamHost panel \(DNS only is enough\) or set the tenant's dns\.provider to external/);
        expect(msg).toMatch(/the record was not added/);
    });

    test("an update after the domain left the account is refused before any change, naming the zone", async () => {
        const apex = await up({ ...APEX, record: "example.org" });
        emu.removeZone(OTHER_ZONE);
        emu.requests.length = 0;
        const msg = await failure(() => change(apex, { ...APEX, record: "example.org", value: "203.0.113.20" }));
        expect(msg).toMatch(/Cannot update A example\.org -> 203\.0\.113\.20: its domain example\.org is not a zone in this DreamHost account.*nothing was changed/);
        expect(emu.requests.map((r) => r.cmd)).toEqual(["dns-list_records"]);
    });
});

describe("CNAME_already_on_record and CNAME_must_be_only_record", () => {
    test("a CNAME added by someone else before the provider's A: the error names the CNAME and the way out", async () => {
        addAfterListing({ record: "www.example.com", type: "CNAME", value: "shop.elsewhere.example.net" });
        const msg = await failure(() => up(WWW));
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error CNAME_already_on_record"]);
        expect(msg).toContain("Cannot add A www.example.com -> 203.0.113.10: CNAME www.example.com -> shop.elsewhere.example.net. already at www.example.com");
        expect(msg).toMatch(/a CNAME cannot share its name with any other record\. Remove the other record in the DreamHost panel if it is stale/);
        expect(msg).toMatch(/the record was not added$/);
        expect(emu.lines(ZONE)).toEqual(["CNAME www.example.com shop.elsewhere.example.net."]);
    });

    test("a TXT added by someone else before the provider's CNAME: the error names the TXT", async () => {
        addAfterListing({ record: "dev.acme.example.com", type: "TXT", value: "verification=123" });
        const msg = await failure(() => up(DEV));
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error CNAME_must_be_only_record"]);
        expect(msg).toContain("TXT dev.acme.example.com -> verification=123 already at dev.acme.example.com, and a CNAME cannot share its name");
        expect(emu.lines(ZONE)).toEqual(["TXT dev.acme.example.com verification=123"]);
    });
});

describe("record_already_exists_not_editable", () => {
    test("a TXT next to DreamHost's own TXT at the name: the error names the managed record and says to switch to DNS-only hosting", async () => {
        emu.seed({ record: "example.com", type: "TXT", value: "v=spf1 include:netblocks.dreamhost.com -all", editable: false });
        const msg = await failure(() => up({ record: "example.com", type: "TXT", value: "site-verification=abc" }));
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error record_already_exists_not_editable"]);
        expect(msg).toContain("Cannot add TXT example.com -> site-verification=abc: TXT example.com -> v=spf1 include:netblocks.dreamhost.com -all (managed by DreamHost) already at example.com");
        expect(msg).toMatch(/switch the domain to DNS-only hosting in the DreamHost panel/);
        expect(emu.lines(ZONE)).toEqual([]);
    });

    test("DreamHost itself adds the wanted record after the listing (the domain went to full hosting): not adopted, a clear error", async () => {
        emu.interleave("dns-list_records", () => emu.seed({ ...WWW, editable: false }));
        const msg = await failure(() => up(WWW));
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error record_already_exists_not_editable"]);
        expect(msg).toMatch(/Cannot add A www\.example\.com -> 203\.0\.113\.10: DreamHost manages this record \(editable 0\).*DNS-only hosting/);
        expect(emu.lines(ZONE, true)).toContain("A www.example.com 203.0.113.10 (managed)");
    });
});

describe("the wanted record added by someone else between the listing and the add (record_already_exists_remove_first)", () => {
    test("identical: adopted, one record, and a refresh sees no drift", async () => {
        addAfterListing(WWW);
        const www = await up(WWW);
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error record_already_exists_remove_first"]);
        expect(emu.lines(ZONE)).toEqual(["A www.example.com 203.0.113.10"]);
        expect(await refresh(www)).toEqual(www);
    });

    test("a CNAME written with the trailing dot is the same record: adopted", async () => {
        addAfterListing({ ...DEV, value: `${DEV.value}.` });
        await up(DEV);
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error record_already_exists_remove_first"]);
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);
    });

    test("identical but with another comment: the provider's comment replaces it, still one record", async () => {
        addAfterListing({ ...WWW, comment: "added by hand" });
        const www = await up({ ...WWW, comment: "tenant acme" });
        expect(providerAnswers(emu, "dns-add_record")).toEqual(["error record_already_exists_remove_first", "success record_added"]);
        expect(emu.lines(ZONE)).toEqual(['A www.example.com 203.0.113.10 "tenant acme"']);
        expect(await refresh(www)).toEqual(www);
    });
});

describe("no_such_record and no_such_value: the record is already gone, which is what was wanted", () => {
    test("delete after someone else removed the record (no_such_record): succeeds, DreamHost's records untouched", async () => {
        const www = await up(WWW);
        removeAfterListing(WWW);
        await destroy(www);
        expect(providerAnswers(emu, "dns-remove_record")).toEqual(["error no_such_record"]);
        expect(emu.lines(ZONE)).toEqual([]);
        expect(emu.lines(ZONE, true)).toHaveLength(3); // the apex NS records
    });

    test("an A update whose old address someone else removed meanwhile (no_such_value): ends with the new address only", async () => {
        const apex = await up(APEX);
        removeAfterListing(APEX);
        const moved = await change(apex, { ...APEX, value: "203.0.113.20" });
        expect(moved.how).toBe("update");
        expect(providerAnswers(emu, "dns-add_record").slice(-1)).toEqual(["success record_added"]);
        expect(providerAnswers(emu, "dns-remove_record")).toEqual(["error no_such_value"]);
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20"]);
    });

    test("a delete leaves a record someone else put at the name alone (no_such_value)", async () => {
        const apex = await up(APEX);
        afterListing({ cmd: "dns-add_record", ...APEX, value: "198.51.100.7" }, { cmd: "dns-remove_record", ...APEX });
        await destroy(apex);
        expect(providerAnswers(emu, "dns-remove_record")).toEqual(["error no_such_value"]);
        expect(emu.lines(ZONE)).toEqual(["A example.com 198.51.100.7"]);
    });
});
