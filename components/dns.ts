/**
 * The DNS records a tenant needs, and where they are declared. `dnsRecordsFor` is pure (tests and
 * the fleet tools call it directly); `declareDnsRecords` turns the list into DreamHost records or,
 * for zones the platform does not manage, into an output telling the client what to create.
 *
 * Rules (DESIGN.md "DNS"): a non-apex host is a CNAME to the platform's hostname; an apex, where a
 * CNAME is illegal, is an A record (plus AAAA when the platform has IPv6). This holds for the dev
 * host, the production host and every alias alike.
 */
import * as pulumi from "@pulumi/pulumi";
import { DnsRecord } from "./dreamhost";
import { isApex } from "./hosts";
import type { TenantSpec } from "./tenant-spec";

export type DnsRecordType = "A" | "AAAA" | "CNAME";

export interface DnsRecordSpec {
    /** Fully qualified host, lowercase, no trailing dot. */
    record: string;
    type: DnsRecordType;
    value: string;
    /** Which of the tenant's hosts this record serves. */
    role: "dev" | "production" | "alias";
}

/** Where a platform answers: its own hostname and addresses (from the platform stack). */
export interface PlatformAddress {
    hostname: string;
    ipv4: string;
    /** Empty or undefined when the platform has no IPv6. */
    ipv6?: string;
}

/** Every record the tenant's hosts need, production first, then dev, then aliases. */
export function dnsRecordsFor(spec: Pick<TenantSpec, "domains">, platform: PlatformAddress): DnsRecordSpec[] {
    const hosts: [string, DnsRecordSpec["role"]][] = [
        [spec.domains.production, "production"],
        [spec.domains.dev, "dev"],
        ...spec.domains.aliases.map((a): [string, DnsRecordSpec["role"]] => [a, "alias"]),
    ];
    const records: DnsRecordSpec[] = [];
    for (const [record, role] of hosts) {
        if (isApex(record)) {
            records.push({ record, type: "A", value: platform.ipv4, role });
            if (platform.ipv6) records.push({ record, type: "AAAA", value: platform.ipv6, role });
        } else {
            records.push({ record, type: "CNAME", value: platform.hostname, role });
        }
    }
    return records;
}

/** The Pulumi name of one record resource: unique per tenant, stable across runs. */
export function dnsResourceName(tenant: string, r: Pick<DnsRecordSpec, "record" | "type">): string {
    return `${tenant}-dns-${r.record}-${r.type}`;
}

export interface DeclaredDns {
    /** The DreamHost record resources (empty for `external`). */
    resources: pulumi.Resource[];
    /** The records, and who must create them: `pulumi` (managed here) or `client` (external zone). */
    records: (Omit<DnsRecordSpec, "role"> & { role: DnsRecordSpec["role"]; managedBy: "pulumi" | "client" })[];
}

/**
 * Declares the records. They come last on create and go first on delete: pass the resource the
 * tenant's hosts start serving with as `after`.
 */
export function declareDnsRecords(
    tenant: string,
    provider: TenantSpec["dns"]["provider"],
    records: DnsRecordSpec[],
    opts: { parent: pulumi.Resource; after: pulumi.Resource[] },
): DeclaredDns {
    if (provider === "external") {
        return { resources: [], records: records.map((r) => ({ ...r, managedBy: "client" })) };
    }
    const resources = records.map(
        (r) =>
            new DnsRecord(
                dnsResourceName(tenant, r),
                { record: r.record, type: r.type, value: r.value, comment: `mokowaas ${tenant} ${r.role}` },
                { parent: opts.parent, dependsOn: opts.after },
            ),
    );
    return { resources, records: records.map((r) => ({ ...r, managedBy: "pulumi" })) };
}
