/**
 * DNS records in a DreamHost-hosted zone, as a Pulumi resource.
 *
 * Credentials: config `dreamhost:apiKey` (secret) or DREAMHOST_API_KEY; endpoint: `dreamhost:apiUrl`
 * or DREAMHOST_API_URL (default https://api.dreamhost.com/). Retry policy: dreamhost:maxAttempts,
 * backoffMs, maxBackoffMs, timeoutMs (or DREAMHOST_MAX_ATTEMPTS, ...). All are read by the
 * provider at call time, never stored in state.
 */
import * as pulumi from "@pulumi/pulumi";
import { dreamhostDnsProvider } from "./provider";

export { dreamhostDnsProvider };
export type { DnsRecordState, RecordType } from "./records";

export interface DnsRecordArgs {
    /** Full name, lowercase, no trailing dot, e.g. "dev.acme.example.com". */
    record: pulumi.Input<string>;
    /** A, AAAA or CNAME (the provider also accepts TXT). A CNAME is refused at a zone apex. */
    type: pulumi.Input<"A" | "AAAA" | "CNAME">;
    /** IPv4 for A, IPv6 for AAAA, a host name without trailing dot for CNAME. */
    value: pulumi.Input<string>;
    /** Free text stored with the record at DreamHost (default none). */
    comment?: pulumi.Input<string>;
}

/**
 * One DNS record at DreamHost. Changing record or type replaces it; changing value or comment
 * updates it in place (without a gap, except for a CNAME, which must be removed first).
 */
export class DnsRecord extends pulumi.dynamic.Resource {
    declare readonly record: pulumi.Output<string>;
    declare readonly type: pulumi.Output<string>;
    declare readonly value: pulumi.Output<string>;
    declare readonly comment: pulumi.Output<string>;

    constructor(name: string, args: DnsRecordArgs, opts?: pulumi.CustomResourceOptions) {
        const props = { record: args.record, type: args.type, value: args.value, comment: args.comment ?? "" };
        super(dreamhostDnsProvider, name, props, opts, "dreamhost", "DnsRecord");
    }
}
