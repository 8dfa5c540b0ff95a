/** Which host names a tenant (or a platform, or a DNS record) may use: only names in public DNS. */
import { describe, expect, it } from "vitest";
import { hostProblem, isApex, zoneOf } from "../../components/hosts";

describe("hostProblem: hosts must be under a public suffix from ICANN's section of the list", () => {
    it.each([
        ["acme.example.com", "example.com"],
        ["example.co.uk", "example.co.uk"],
        ["www.example.co.uk", "example.co.uk"],
        ["example.net", "example.net"],
        ["xn--bcher-kva.example.com", "example.com"],
        ["shop.xn--p1ai", "shop.xn--p1ai"], // an IDN top-level domain (.рф)
        ["foo.github.io", "github.io"], // a private suffix counts as a plain name under its ICANN one
    ])("accepts %s (zone %s)", (host, zone) => {
        expect(hostProblem(host)).toBeUndefined();
        expect(zoneOf(host)).toBe(zone);
    });

    it.each([
        ["foo.local", ".local"],
        ["x.y", ".y"],
        ["shop.notarealtld", ".notarealtld"],
        // .example is reserved for documentation (RFC 2606) and is not in the Public Suffix List.
        ["xn--bcher-kva.example", ".example"],
        ["shop.test", ".test"],
    ])("refuses %s, naming the suffix that is not real", (host, suffix) => {
        expect(hostProblem(host)).toBe(
            `"${host}" is not under a public suffix on ICANN's list ("${suffix}" is not a top-level domain in public DNS): use a registered domain such as example.com`,
        );
    });

    it("refuses a public suffix itself", () => {
        expect(hostProblem("co.uk")).toBe('"co.uk" is a public suffix itself: use a domain registered under it, such as example.co.uk');
    });

    it("tells the apex of a zone from a name under it", () => {
        expect([isApex("example.co.uk"), isApex("www.example.co.uk"), isApex("example.com"), isApex("dev.acme.example.com")]).toEqual([true, false, true, false]);
    });
});
