/**
 * The DreamHost provider's lifecycle against the API emulator: after every sequence the zone holds
 * exactly the expected records, nothing doubled and nothing left behind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { dreamhostDnsProvider as provider } from "../../components/dreamhost";
import type { DreamhostEmulator } from "../fakes/dreamhost-emulator";
import { change, clearEnv, destroy, failure, mutations, OTHER_ZONE, refresh, startEmulator, up, ZONE } from "./dreamhost-driver";

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
});

const NS = ["NS example.com ns1.dreamhost.com. (managed)", "NS example.com ns2.dreamhost.com. (managed)", "NS example.com ns3.dreamhost.com. (managed)"];

describe("a dev host's CNAME", () => {
    test("is created, retargeted (removed first), re-commented and deleted, leaving exactly the expected records", async () => {
        let dev = await up({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        expect(dev.id).toBe("dev.acme.example.com/CNAME");
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);

        emu.requests.length = 0;
        dev = await change(dev, { record: "dev.acme.example.com", type: "CNAME", value: "web2.platform.example.net" });
        expect(dev.how).toBe("update");
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web2.platform.example.net."]);
        // A CNAME cannot share its name: the old one must go before the new one comes.
        expect(mutations(emu)).toEqual([
            "remove CNAME dev.acme.example.com web1.platform.example.net.",
            "add CNAME dev.acme.example.com web2.platform.example.net",
        ]);

        dev = await change(dev, { record: "dev.acme.example.com", type: "CNAME", value: "web2.platform.example.net", comment: "tenant acme" });
        expect(dev.how).toBe("update");
        expect(emu.lines(ZONE)).toEqual(['CNAME dev.acme.example.com web2.platform.example.net. "tenant acme"']);

        await destroy(dev);
        expect(emu.lines(ZONE, true)).toEqual(NS); // DreamHost's own records untouched
    });

    test("a re-run with the same inputs changes nothing", async () => {
        const dev = await up({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        emu.requests.length = 0;
        const again = await change(dev, { record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        expect(again.how).toBe("same");
        expect(emu.requests).toEqual([]);
    });
});

describe("apex A and AAAA records", () => {
    test("are created, readdressed without a gap (add, then remove), and deleted", async () => {
        let a = await up({ record: "example.com", type: "A", value: "203.0.113.10" });
        let aaaa = await up({ record: "example.com", type: "AAAA", value: "2001:DB8:0:0::10" });
        expect(aaaa.outs.value).toBe("2001:db8::10");
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10", "AAAA example.com 2001:db8::10"]);

        emu.requests.length = 0;
        a = await change(a, { record: "example.com", type: "A", value: "203.0.113.20" });
        aaaa = await change(aaaa, { record: "example.com", type: "AAAA", value: "2001:db8::20" });
        expect([a.how, aaaa.how]).toEqual(["update", "update"]);
        expect(mutations(emu)).toEqual([
            "add A example.com 203.0.113.20",
            "remove A example.com 203.0.113.10",
            "add AAAA example.com 2001:db8::20",
            "remove AAAA example.com 2001:db8::10",
        ]);
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.20", "AAAA example.com 2001:db8::20"]);

        a = await change(a, { record: "example.com", type: "A", value: "203.0.113.20", comment: "acme production" });
        expect(emu.lines(ZONE)).toEqual(['A example.com 203.0.113.20 "acme production"', "AAAA example.com 2001:db8::20"]);

        await destroy(a);
        await destroy(aaaa);
        expect(emu.lines(ZONE, true)).toEqual(NS);
    });
});

describe("replacement", () => {
    test("a new name creates the new record before deleting the old one", async () => {
        let r = await up({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        r = await change(r, { record: "build.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        expect(r.how).toBe("create-then-delete");
        expect(r.id).toBe("build.acme.example.com/CNAME");
        expect(emu.lines(ZONE)).toEqual(["CNAME build.acme.example.com web1.platform.example.net."]);
    });

    test("CNAME to A at the same name deletes first, and back again", async () => {
        let r = await up({ record: "www.example.com", type: "CNAME", value: "web1.platform.example.net" });
        r = await change(r, { record: "www.example.com", type: "A", value: "203.0.113.10" });
        expect(r.how).toBe("delete-then-create");
        expect(emu.lines(ZONE)).toEqual(["A www.example.com 203.0.113.10"]);
        r = await change(r, { record: "www.example.com", type: "CNAME", value: "web1.platform.example.net" });
        expect(r.how).toBe("delete-then-create");
        expect(emu.lines(ZONE)).toEqual(["CNAME www.example.com web1.platform.example.net."]);
    });

    test("A to AAAA at the same name keeps the name resolving (create first)", async () => {
        let r = await up({ record: "v6.example.com", type: "A", value: "203.0.113.10" });
        r = await change(r, { record: "v6.example.com", type: "AAAA", value: "2001:db8::10" });
        expect(r.how).toBe("create-then-delete");
        expect(emu.lines(ZONE)).toEqual(["AAAA v6.example.com 2001:db8::10"]);
    });
});

describe("read (refresh)", () => {
    test("follows a value changed outside Pulumi, and the next up puts it back", async () => {
        const r = await up({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        emu.unseed((x) => x.record === "dev.acme.example.com");
        emu.seed({ record: "dev.acme.example.com", type: "CNAME", value: "elsewhere.example.net", comment: "by hand" });

        const live = await refresh(r);
        expect(live?.outs).toEqual({ record: "dev.acme.example.com", type: "CNAME", value: "elsewhere.example.net", comment: "by hand" });

        const fixed = await change(live!, { record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        expect(fixed.how).toBe("update");
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);
    });

    test("reports a record deleted outside Pulumi as gone, and create brings it back", async () => {
        const r = await up({ record: "example.com", type: "A", value: "203.0.113.10" });
        emu.unseed((x) => x.record === "example.com" && x.type === "A");
        expect(await refresh(r)).toBeUndefined();
        await up({ record: "example.com", type: "A", value: "203.0.113.10" });
        expect(emu.lines(ZONE)).toEqual(["A example.com 203.0.113.10"]);
    });

    test("keeps an unchanged record as it is, comment included", async () => {
        const r = await up({ record: "example.com", type: "AAAA", value: "2001:db8::10", comment: "acme" });
        expect(await refresh(r)).toEqual(r);
    });

    test("imports by id when one record has that name and type", async () => {
        emu.seed({ record: "dev.shop.example.com", type: "CNAME", value: "web1.platform.example.net" });
        const res = await provider.read!("dev.shop.example.com/CNAME", {} as never);
        expect(res.props).toEqual({ record: "dev.shop.example.com", type: "CNAME", value: "web1.platform.example.net", comment: "" });
    });
});

describe("create", () => {
    test("adopts an identical editable record instead of failing (a re-run after a partial failure)", async () => {
        emu.seed({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        emu.requests.length = 0;
        await up({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        expect(mutations(emu)).toEqual([]);
        expect(emu.lines(ZONE)).toEqual(["CNAME dev.acme.example.com web1.platform.example.net."]);
    });

    test("adopting a record with another comment rewrites the comment", async () => {
        emu.seed({ record: "example.com", type: "A", value: "203.0.113.10", comment: "old" });
        await up({ record: "example.com", type: "A", value: "203.0.113.10", comment: "acme" });
        expect(emu.lines(ZONE)).toEqual(['A example.com 203.0.113.10 "acme"']);
    });

    test.each([
        ["a CNAME where an A exists", { record: "www.example.com", type: "A", value: "198.51.100.1" }, { record: "www.example.com", type: "CNAME", value: "web1.platform.example.net" }, /CNAME cannot share its name/],
        ["an A where a CNAME exists", { record: "www.example.com", type: "CNAME", value: "old.example.net" }, { record: "www.example.com", type: "A", value: "203.0.113.10" }, /CNAME cannot share its name/],
        ["an A where another address exists", { record: "example.com", type: "A", value: "198.51.100.1" }, { record: "example.com", type: "A", value: "203.0.113.10" }, /split between two addresses/],
    ])("refuses %s with a clear error and changes nothing", async (_what, existing, wanted, message) => {
        emu.seed(existing);
        const before = emu.lines(ZONE, true);
        emu.requests.length = 0;
        const msg = await failure(() => up(wanted));
        expect(msg).toMatch(message);
        expect(msg).toContain(`${existing.type} ${existing.record}`);
        expect(msg).toMatch(/nothing was changed/);
        expect(mutations(emu)).toEqual([]);
        expect(emu.lines(ZONE, true)).toEqual(before);
    });

    test("refuses a name outside the account's zones", async () => {
        const msg = await failure(() => up({ record: "dev.acme.example.net", type: "CNAME", value: "web1.platform.example.net" }));
        expect(msg).toMatch(/not a zone in this DreamHost account/);
        expect(mutations(emu)).toEqual([]);
    });

    test("refuses a CNAME at an apex even past check", async () => {
        const msg = await failure(() =>
            provider.create({ record: "example.com", type: "CNAME", value: "web1.platform.example.net", comment: "" }),
        );
        expect(msg).toMatch(/zone apex/);
        expect(emu.lines(ZONE)).toEqual([]);
    });
});

describe("DreamHost-managed records (editable 0)", () => {
    test("are never changed: create, update and delete fail clearly and leave them alone", async () => {
        emu.seed({ record: "example.org", type: "A", value: "192.0.2.50", editable: false });
        const before = emu.lines(OTHER_ZONE, true);
        const managed = { record: "example.org", type: "A", value: "192.0.2.50" };

        expect(await failure(() => up(managed))).toMatch(/DreamHost manages this record \(editable 0\)/);
        const state = { id: "example.org/A", outs: { ...managed, type: "A" as const, comment: "" } };
        expect(await failure(() => change(state, { ...managed, value: "192.0.2.60" }))).toMatch(/editable 0.*left alone/);
        expect(await failure(() => destroy(state))).toMatch(/editable 0.*left alone/);

        expect(mutations(emu)).toEqual([]);
        expect(emu.lines(OTHER_ZONE, true)).toEqual(before);
    });
});

describe("delete", () => {
    test("of a record already gone succeeds without touching anything", async () => {
        const r = await up({ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" });
        emu.unseed((x) => x.record === "dev.acme.example.com");
        emu.requests.length = 0;
        await destroy(r);
        expect(mutations(emu)).toEqual([]);
        expect(emu.lines(ZONE)).toEqual([]);
    });

    test("removes only its own record among several at the name", async () => {
        emu.seed({ record: "example.com", type: "TXT", value: "v=spf1 -all" });
        const a = await up({ record: "example.com", type: "A", value: "203.0.113.10" });
        await destroy(a);
        expect(emu.lines(ZONE)).toEqual(["TXT example.com v=spf1 -all"]);
    });
});
