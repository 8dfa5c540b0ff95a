/**
 * DNS record rules of the DreamHost provider, as pure functions: what a valid record is (check),
 * when two values are the same record, what a change means (diff), and which live records stand in
 * the way of a new one.
 */
import { hostProblem, isApex } from "../hosts";
import type { ApiRecord } from "./client";

/** Types this provider manages (the API also knows NS, PTR, NAPTR, SRV; no MX, CAA or ALIAS). */
export const RECORD_TYPES = ["A", "AAAA", "CNAME", "TXT"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** The resource's inputs after check, and its outputs (state). */
export interface DnsRecordState {
    /** Full name, lowercase, no trailing dot. */
    record: string;
    type: RecordType;
    value: string;
    /** "" when none. */
    comment: string;
}

// No Node built-in imports in this file or the others the provider reaches: under vitest a
// built-in is not recognized as a module and closure serialization fails on its native code.

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(v: string): boolean {
    return IPV4.test(v);
}

/** True for an IPv6 address (WHATWG URL parsing decides; zone ids are refused). */
export function isIPv6(v: string): boolean {
    if (!/^[0-9a-fA-F:.]+$/.test(v) || !v.includes(":")) return false;
    try {
        new URL(`http://[${v}]/`);
        return true;
    } catch {
        return false;
    }
}

/** The engine's placeholder for a value not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Failure {
    property: string;
    reason: string;
}

/**
 * Validates inputs and returns them normalized (comment defaults to "", AAAA in canonical form)
 * with every problem found. Unknown values are passed through unchecked.
 */
export function checkRecord(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: Failure[] } {
    const failures: Failure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    const known = (v: unknown) => v !== UNKNOWN;
    const { record, type, value } = news;
    const comment = news.comment ?? "";

    let recordOk = false;
    if (known(record)) {
        if (typeof record !== "string") fail("record", "must be a host name such as dev.example.com");
        else {
            // TXT names may hold underscore labels (_acme-challenge, _dmarc); hosts may not.
            const p = hostProblem(type === "TXT" ? record.replace(/(^|\.)_(?=[a-z0-9])/g, "$1") : record);
            if (p) fail("record", p);
            else recordOk = true;
        }
    }

    let typeOk = false;
    if (known(type)) {
        if (typeof type !== "string" || !(RECORD_TYPES as readonly string[]).includes(type)) {
            fail("type", `${JSON.stringify(type)} is not a type this provider manages: use ${RECORD_TYPES.join(", ")}`);
        } else typeOk = true;
    }

    let normalized = value;
    if (known(value) && typeOk) {
        const p = typeof value !== "string" || value === "" ? "must not be empty" : valueProblem(type as RecordType, value);
        if (p) fail("value", p);
        else {
            normalized = normalizeValue(type as RecordType, value as string);
            if (type === "CNAME" && recordOk && normalized === record) fail("value", "a CNAME cannot point to itself");
        }
    }

    if (type === "CNAME" && recordOk && isApex(record as string)) {
        fail("type", `${String(record)} is a zone apex, where a CNAME is illegal: use A and AAAA records there`);
    }

    if (known(comment)) {
        if (typeof comment !== "string") fail("comment", "must be text");
        // eslint-disable-next-line no-control-regex
        else if (/[\x00-\x1f\x7f]/.test(comment)) fail("comment", "must not contain tabs, line breaks or other control characters");
        else if (comment.length > 255) fail("comment", `is ${comment.length} characters long: at most 255`);
    }

    return { inputs: { ...news, value: normalized, comment }, failures };
}

function valueProblem(type: RecordType, value: string): string | undefined {
    switch (type) {
        case "A":
            return isIPv4(value) ? undefined : `"${value}" is not an IPv4 address (an A record holds one, e.g. 203.0.113.10)`;
        case "AAAA":
            return isIPv6(value) ? undefined : `"${value}" is not an IPv6 address (an AAAA record holds one, e.g. 2001:db8::10)`;
        case "CNAME": {
            const p = hostProblem(value);
            return p ? `a CNAME points to a host name: ${p}` : undefined;
        }
        case "TXT":
            // eslint-disable-next-line no-control-regex
            return /[\t\r\n\x00]/.test(value) ? "must not contain tabs or line breaks" : undefined;
    }
}

/**
 * The comparable form of a value: IPv6 compressed and lowercase, a CNAME target lowercase without
 * the trailing dot DreamHost's listing adds. Unknown and non-string values come back unchanged.
 */
export function normalizeValue(type: string, value: string): string {
    if (typeof value !== "string" || value === UNKNOWN) return value;
    switch (type) {
        case "AAAA":
            return isIPv6(value) ? new URL(`http://[${value}]/`).hostname.slice(1, -1) : value.toLowerCase();
        case "CNAME":
            return value.toLowerCase().replace(/\.$/, "");
        case "A":
            return value.trim();
        default:
            return value;
    }
}

export function sameValue(type: string, a: string, b: string): boolean {
    return normalizeValue(type, a) === normalizeValue(type, b);
}

/** The live record that is exactly `want` (name, type, value), if any. */
export function findExact(live: ApiRecord[], want: Pick<DnsRecordState, "record" | "type" | "value">): ApiRecord | undefined {
    return live.find((r) => r.record === want.record && r.type === want.type && sameValue(want.type, r.value, want.value));
}

/**
 * Live records that forbid creating `want` or that this platform would have to share the name
 * with: anything next to a CNAME, a CNAME next to anything, and an A/AAAA at the name with another
 * address (visitors would be split between two servers).
 */
export function conflictsFor(live: ApiRecord[], want: DnsRecordState): ApiRecord[] {
    return live.filter((r) => {
        if (r.record !== want.record) return false;
        if (r.type === want.type && sameValue(want.type, r.value, want.value)) return false;
        if (want.type === "CNAME" || r.type === "CNAME") return true;
        return r.type === want.type && (want.type === "A" || want.type === "AAAA");
    });
}

/** The zone holding `record` among the account's zones, if any (the longest match wins). */
export function zoneFor(live: ApiRecord[], record: string): string | undefined {
    const zones = [...new Set(live.map((r) => r.zone))].filter((z) => record === z || record.endsWith(`.${z}`));
    return zones.sort((a, b) => b.length - a.length)[0];
}

export interface RecordDiff {
    changes: boolean;
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/**
 * A new name or type is another record (replace); a new value or comment is an update. When the
 * type changes at the same name and either side is a CNAME, the old record must go first: a CNAME
 * cannot share its name.
 */
export function diffRecords(olds: Partial<DnsRecordState>, news: Partial<DnsRecordState>): RecordDiff {
    const replaces: string[] = [];
    if (news.record === UNKNOWN || olds.record !== news.record) replaces.push("record");
    if ((news.type as string) === UNKNOWN || olds.type !== news.type) replaces.push("type");
    const valueChanged =
        news.value === UNKNOWN || !sameValue(String(news.type), String(olds.value ?? ""), String(news.value ?? ""));
    const commentChanged = (olds.comment ?? "") !== (news.comment ?? "");
    const deleteBeforeReplace =
        replaces.includes("type") && olds.record === news.record && (olds.type === "CNAME" || news.type === "CNAME");
    return { changes: replaces.length > 0 || valueChanged || commentChanged, replaces, deleteBeforeReplace };
}
