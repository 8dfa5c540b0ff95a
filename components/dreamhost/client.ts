/**
 * The DreamHost DNS API client: dns-list_records, dns-add_record, dns-remove_record, with bounded
 * retries and exponential backoff for rate limiting (slow_down_bucko), internal errors, HTTP 5xx,
 * timeouts and network failures.
 *
 * Idempotence: each logical add or remove gets one unique_id, reused by every retry of it. DreamHost
 * uses up a unique_id only on success, so a retry after a lost answer cannot apply a change twice.
 * list_records is sent without one: a used-up id would make its retry fail for nothing.
 *
 * Secrecy: the key goes into the query string (as the API wants) and nowhere else. Errors are built
 * from our own words, the API's error code and its details with the key scrubbed; never from a URL
 * or a library's error text. Nothing here logs.
 */
import { dreamhostApiError, dreamhostTransportError, isRetryableCode, redact } from "./errors";
import type { DreamhostSettings } from "./settings";

/** One row of dns-list_records. */
export interface ApiRecord {
    zone: string;
    record: string;
    type: string;
    value: string;
    comment: string;
    editable: boolean;
}

/** What add/remove need. */
export interface RecordSpec {
    record: string;
    type: string;
    value: string;
    comment?: string;
}

export function describe(r: RecordSpec): string {
    return `${r.type} ${r.record} -> ${r.value}`;
}

/** All records of all zones in the account (DreamHost has no filter). */
/** A field of DreamHost's JSON as text: "" when absent (an object would be JSON, never "[object Object]"). */
export function apiText(v: unknown): string {
    return typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v);
}

export async function listRecords(s: DreamhostSettings): Promise<ApiRecord[]> {
    const data = await callApi(s, "dns-list_records", {}, "the account's records", false);
    if (!Array.isArray(data)) {
        throw dreamhostTransportError("dns-list_records", "the account's records", "the answer holds no record list", 1);
    }
    return data.map((row: Record<string, unknown>) => ({
        zone: apiText(row.zone).toLowerCase(),
        record: apiText(row.record).toLowerCase(),
        type: apiText(row.type).toUpperCase(),
        value: apiText(row.value),
        comment: apiText(row.comment),
        editable: String(row.editable) === "1",
    }));
}

export async function addRecord(s: DreamhostSettings, r: RecordSpec): Promise<void> {
    const params: Record<string, string> = { record: r.record, type: r.type, value: r.value };
    if (r.comment) params.comment = r.comment;
    await callApi(s, "dns-add_record", params, describe(r), true);
}

/** Removes exactly the record given: pass the value as dns-list_records wrote it. */
export async function removeRecord(s: DreamhostSettings, r: RecordSpec): Promise<void> {
    await callApi(s, "dns-remove_record", { record: r.record, type: r.type, value: r.value }, describe(r), true);
}

/**
 * One logical API call: up to maxAttempts HTTP attempts. Resolves with the answer's `data` on
 * success; throws DreamhostApiError for an error answer, DreamhostTransportError when no attempt
 * produced a usable answer.
 */
export async function callApi(
    s: DreamhostSettings,
    cmd: string,
    params: Record<string, string>,
    subject: string,
    withUniqueId: boolean,
): Promise<unknown> {
    const url = new URL(s.apiUrl);
    url.searchParams.set("key", s.apiKey);
    url.searchParams.set("cmd", cmd);
    url.searchParams.set("format", "json");
    if (withUniqueId) url.searchParams.set("unique_id", crypto.randomUUID()); // the global Web Crypto: no import to serialize
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);

    let unanswered = false; // an earlier attempt may have been applied without us hearing it
    let lastReason = "";
    for (let attempt = 1; attempt <= s.maxAttempts; attempt++) {
        if (attempt > 1) await sleep(backoff(s, attempt - 1));

        let status: number;
        let body: string;
        try {
            const res = await fetch(url, { signal: AbortSignal.timeout(s.timeoutMs), redirect: "error" });
            status = res.status;
            body = await res.text();
        } catch (err) {
            unanswered = true;
            lastReason = networkReason(err, s.timeoutMs);
            continue;
        }

        if (status >= 500 || status === 429) {
            unanswered ||= status !== 429; // a 5xx from a gateway may follow an applied change
            lastReason = `HTTP ${status}`;
            continue;
        }
        if (status !== 200) throw dreamhostTransportError(cmd, subject, `HTTP ${status}`, attempt);

        const answer = parseAnswer(body);
        if (!answer) {
            unanswered = true;
            lastReason = "the answer is not DreamHost's JSON";
            continue;
        }
        if (answer.result === "success") return answer.data;

        const [rawCode, ...rest] = apiText(answer.data).split("\t");
        const code = redact(rawCode.trim(), s.apiKey);
        const details = redact(rest.join(" ").trim(), s.apiKey);
        // Only a successful call uses up a unique_id: a complaint about it after an unanswered
        // attempt means that attempt was applied.
        if (withUniqueId && unanswered && /unique_id/i.test(code)) return undefined;
        if (isRetryableCode(code) && attempt < s.maxAttempts) {
            lastReason = code;
            continue;
        }
        throw dreamhostApiError(cmd, code, details, subject, unanswered);
    }
    throw dreamhostTransportError(cmd, subject, lastReason, s.maxAttempts);
}

function parseAnswer(body: string): { result: string; data: unknown } | undefined {
    try {
        const v = JSON.parse(body) as { result?: unknown; data?: unknown };
        if (v && (v.result === "success" || v.result === "error")) return { result: v.result, data: v.data };
    } catch {
        // not JSON: fall through
    }
    return undefined;
}

/** Names the failure by kind only; a library's message may quote the URL, and the URL holds the key. */
function networkReason(err: unknown, timeoutMs: number): string {
    const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
    if (e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
    const code = e?.cause?.code ?? e?.code;
    return typeof code === "string" && /^[A-Z_]+$/.test(code) ? `network error ${code}` : "network error";
}

/** Exponential backoff with jitter: attempt n waits between half and all of base * 2^(n-1), capped. */
function backoff(s: DreamhostSettings, retry: number): number {
    const full = Math.min(s.maxBackoffMs, s.backoffMs * 2 ** (retry - 1));
    return full / 2 + Math.random() * (full / 2);
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
