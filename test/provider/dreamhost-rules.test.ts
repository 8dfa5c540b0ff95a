/**
 * check and diff of the DreamHost provider: what a valid record is and what a change means.
 * Pure functions, no emulator.
 */
import { describe, expect, test } from "vitest";
import { dreamhostDnsProvider as provider } from "../../components/dreamhost";
import { isIPv4, isIPv6, UNKNOWN } from "../../components/dreamhost/records";

async function check(news: Record<string, unknown>) {
    return provider.check!({}, news);
}

describe("check", () => {
    test.each([
        [{ record: "dev.acme.example.com", type: "CNAME", value: "web1.platform.example.net" }],
        [{ record: "example.com", type: "A", value: "203.0.113.10", comment: "acme production" }],
        [{ record: "example.com", type: "AAAA", value: "2001:db8::10" }],
        [{ record: "_acme-challenge.example.com", type: "TXT", value: "token-value" }],
    ])("accepts %j", async (news) => {
        expect((await check(news)).failures).toEqual([]);
    });

    test.each([
        ["an upper-case name", { record: "Dev.example.com", type: "CNAME", value: "web.example.net" }, "record", /must be lowercase: write "dev.example.com"/],
        ["a trailing dot", { record: "dev.example.com.", type: "CNAME", value: "web.example.net" }, "record", /must not end with a dot/],
        ["an MX record", { record: "example.com", type: "MX", value: "10 mx.example.net" }, "type", /"MX" is not a type this provider manages: use A, AAAA, CNAME, TXT/],
        ["an A record holding IPv6", { record: "example.com", type: "A", value: "2001:db8::1" }, "value", /not an IPv4 address/],
        ["an A record with a leading zero", { record: "example.com", type: "A", value: "203.0.113.010" }, "value", /not an IPv4 address/],
        ["an AAAA record holding IPv4", { record: "example.com", type: "AAAA", value: "203.0.113.10" }, "value", /not an IPv6 address/],
        ["a CNAME target with a trailing dot", { record: "dev.example.com", type: "CNAME", value: "web.example.net." }, "value", /must not end with a dot/],
        ["a CNAME at the zone apex", { record: "example.co.uk", type: "CNAME", value: "web.example.net" }, "type", /zone apex, where a CNAME is illegal: use A and AAAA/],
        ["a CNAME to itself", { record: "dev.example.com", type: "CNAME", value: "dev.example.com" }, "value", /cannot point to itself/],
        ["a comment with a tab", { record: "example.com", type: "A", value: "203.0.113.10", comment: "a\tb" }, "comment", /control characters/],
        ["an empty value", { record: "example.com", type: "A", value: "" }, "value", /must not be empty/],
    ])("refuses %s, naming the property", async (_what, news, property, reason) => {
        const { failures } = await check(news);
        expect(failures).toHaveLength(1);
        expect(failures![0].property).toBe(property);
        expect(failures![0].reason).toMatch(reason);
    });

    test("reports every problem at once", async () => {
        const { failures } = await check({ record: "Bad..Name", type: "SRV", value: "x", comment: "\n" });
        expect(failures!.map((f) => f.property).sort()).toEqual(["comment", "record", "type"]);
    });

    test("normalizes: AAAA compressed and lowercase, comment defaults to empty", async () => {
        const { inputs } = await check({ record: "example.com", type: "AAAA", value: "2001:0DB8:0000:0000:0000:0000:0000:0010" });
        expect(inputs).toEqual({ record: "example.com", type: "AAAA", value: "2001:db8::10", comment: "" });
    });

    test("lets values unknown during preview through", async () => {
        const { failures } = await check({ record: "dev.example.com", type: "CNAME", value: UNKNOWN });
        expect(failures).toEqual([]);
    });

    test("address validators agree with Node's", async () => {
        const net = await import("node:net");
        for (const v of ["1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "::1", "2001:db8::10", "::ffff:1.2.3.4", "2001:db8::g", "1:2:3:4:5:6:7:8:9", ""]) {
            expect([v, isIPv4(v), isIPv6(v)]).toEqual([v, net.isIPv4(v), net.isIPv6(v)]);
        }
        expect(isIPv6("fe80::1%eth0"), "a zone id means nothing in DNS").toBe(false);
    });
});

describe("diff", () => {
    const base = { record: "dev.acme.example.com", type: "CNAME" as const, value: "web1.platform.example.net", comment: "" };
    const diff = (news: Record<string, unknown>, olds: Record<string, unknown> = base) =>
        provider.diff!("dev.acme.example.com/CNAME", olds as typeof base, news);

    test("nothing changed: no changes (case and trailing dot of a CNAME target do not count)", async () => {
        expect((await diff({ ...base })).changes).toBe(false);
        expect((await diff({ ...base }, { ...base, value: "WEB1.platform.example.net." })).changes).toBe(false);
    });

    test("a new name replaces, creating the new record first", async () => {
        expect(await diff({ ...base, record: "build.acme.example.com" })).toEqual({ changes: true, replaces: ["record"], deleteBeforeReplace: false });
    });

    test("a new type at the same name replaces, deleting first when a CNAME is involved", async () => {
        expect(await diff({ ...base, type: "A", value: "203.0.113.10" })).toEqual({ changes: true, replaces: ["type"], deleteBeforeReplace: true });
        const a = { record: "example.com", type: "A", value: "203.0.113.10", comment: "" };
        expect(await diff({ ...a, type: "AAAA", value: "2001:db8::10" }, a)).toEqual({ changes: true, replaces: ["type"], deleteBeforeReplace: false });
    });

    test("a new value or comment updates in place", async () => {
        expect(await diff({ ...base, value: "web2.platform.example.net" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
        expect(await diff({ ...base, comment: "acme" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    });

    test("an AAAA written another way is the same address", async () => {
        const v6 = { record: "example.com", type: "AAAA", value: "2001:db8::10", comment: "" };
        expect((await diff({ ...v6, value: "2001:DB8:0::10" }, v6)).changes).toBe(false);
    });
});
