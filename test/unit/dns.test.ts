/** The records a tenant needs (components/dns.ts), for every kind of host. */
import { describe, expect, it } from "vitest";
import { dnsRecordsFor, dnsResourceName } from "../../components/dns";

const platform = { hostname: "prod.mokowaas.example.net", ipv4: "203.0.113.10", ipv6: "2001:db8::1" };
const domains = (production: string, dev: string, aliases: string[] = []) => ({ domains: { production, dev, aliases } });

describe("dnsRecordsFor", () => {
    it("points a production subdomain and its dev host at the platform by CNAME", () => {
        expect(dnsRecordsFor(domains("shop.example.com", "dev.shop.example.com"), platform)).toEqual([
            { record: "shop.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "production" },
            { record: "dev.shop.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "dev" },
        ]);
    });

    it("gives an apex A and AAAA records (a CNAME is illegal there), aliases as CNAMEs", () => {
        expect(dnsRecordsFor(domains("example.com", "dev.example.com", ["www.example.com"]), platform)).toEqual([
            { record: "example.com", type: "A", value: "203.0.113.10", role: "production" },
            { record: "example.com", type: "AAAA", value: "2001:db8::1", role: "production" },
            { record: "dev.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "dev" },
            { record: "www.example.com", type: "CNAME", value: "prod.mokowaas.example.net", role: "alias" },
        ]);
    });

    it("gives no AAAA when the platform has no IPv6", () => {
        expect(dnsRecordsFor(domains("example.com", "dev.example.com"), { ...platform, ipv6: "" }).map((r) => r.type)).toEqual(["A", "CNAME"]);
    });

    it("knows an apex under a multi-label public suffix, and an alias that is an apex", () => {
        const records = dnsRecordsFor(domains("shop.example.co.uk", "dev.shop.example.co.uk", ["example.co.uk"]), platform);
        expect(records.map((r) => `${r.record} ${r.type}`)).toEqual([
            "shop.example.co.uk CNAME",
            "dev.shop.example.co.uk CNAME",
            "example.co.uk A",
            "example.co.uk AAAA",
        ]);
    });

    it("names record resources uniquely per tenant, host and type", () => {
        expect(dnsResourceName("beta", { record: "example.org", type: "AAAA" })).toBe("beta-dns-example.org-AAAA");
    });
});
