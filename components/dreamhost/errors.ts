/**
 * DreamHost API errors. The API answers `{"result":"error","data":"<code>[\t<details>]"}`; every
 * documented code maps to a sentence a person can act on. The API key travels in the query string,
 * so no message here is ever built from a URL, a request or a library error's text.
 */

/**
 * Error codes documented for dns-add_record, dns-remove_record and every command, plus the answer
 * to a key that was not created with the command it sends (`this_key_cannot_access_this_cmd`: not
 * on DreamHost's DNS page, but what the API answers, as public API clients record it).
 */
export const DOCUMENTED_CODES = [
    // any command
    "no_key", "invalid_api_key", "slow_down_bucko", "this_key_cannot_access_this_cmd",
    // dns-add_record
    "no_record", "no_type", "no_value", "invalid_record", "invalid_type", "invalid_value", "no_such_zone",
    "CNAME_must_be_only_record", "CNAME_already_on_record", "record_already_exists_not_editable",
    "record_already_exists_remove_first", "internal_error_updating_zone", "internal_error_could_not_load_zone",
    "internal_error_could_not_add_record",
    // dns-remove_record
    "no_such_record", "no_such_type", "no_such_value", "not_editable",
    "internal_error_could_not_destroy_record", "internal_error_could_not_update_zone",
] as const;

export type DreamhostErrorCode = (typeof DOCUMENTED_CODES)[number];

const MESSAGES: Record<DreamhostErrorCode, string> = {
    no_key: "no API key was sent: set it with `pulumi config set --secret dreamhost:apiKey <key>` or DREAMHOST_API_KEY",
    invalid_api_key:
        "DreamHost rejected the API key (wrong, revoked, or without the dns-* permissions): create a key with the DNS commands in the DreamHost panel and set dreamhost:apiKey",
    slow_down_bucko: "DreamHost's rate limit was reached and retries did not outlast it: wait a few minutes and run again",
    // A read-only key (pull-request previews get one allowed dns-list_records only) meets this on
    // any change: say so, so nobody retries with it or widens the preview key.
    this_key_cannot_access_this_cmd:
        "this API key may not run this command: a read-only key (such as PREVIEW_DREAMHOST_API_KEY, allowed dns-list_records only) can preview but not change records. " +
        "Changing them (pulumi up, destroy) needs the deploy key, allowed dns-list_records, dns-add_record and dns-remove_record (dreamhost:apiKey or DREAMHOST_API_KEY); DreamHost refuses such a call before running it",
    no_record: "the request named no record",
    no_type: "the request named no record type",
    no_value: "the request named no record value",
    invalid_record: "DreamHost rejected the record name",
    invalid_type: "DreamHost rejected the record type",
    invalid_value: "DreamHost rejected the record value",
    no_such_zone:
        "the record's domain is not a zone in this DreamHost account: add the domain in the DreamHost panel (DNS only is enough) or use dns.provider external",
    CNAME_must_be_only_record: "a CNAME must be the only record at its name, and other records exist there",
    CNAME_already_on_record: "a CNAME already exists at this name, so no other record can be added there",
    record_already_exists_not_editable: "this record already exists and is managed by DreamHost (not editable)",
    record_already_exists_remove_first: "an identical record already exists",
    internal_error_updating_zone: "DreamHost failed internally while updating the zone",
    internal_error_could_not_load_zone: "DreamHost failed internally while loading the zone",
    internal_error_could_not_add_record: "DreamHost failed internally while adding the record",
    no_such_record: "no record with this name exists",
    no_such_type: "no record of this type exists at this name",
    no_such_value: "no record with this value exists at this name and type",
    not_editable: "this record is managed by DreamHost (not editable) and cannot be removed through the API",
    internal_error_could_not_destroy_record: "DreamHost failed internally while removing the record",
    internal_error_could_not_update_zone: "DreamHost failed internally while updating the zone",
};

/** Codes worth another attempt with the same unique_id: failed calls do not use it up. */
export function isRetryableCode(code: string): boolean {
    return code === "slow_down_bucko" || code.startsWith("internal_error");
}

export function isDocumentedCode(code: string): code is DreamhostErrorCode {
    return (DOCUMENTED_CODES as readonly string[]).includes(code);
}

// Errors are plain Error objects with a name and fields, made by factories rather than Error
// subclasses: Pulumi's closure serialization turns a class into a function whose super() call
// loses the message, and the provider runs serialized. Test them with the is* guards.

/** An error answer from the API, after retries where they apply. */
export interface DreamhostApiError extends Error {
    name: "DreamhostApiError";
    /** The command that failed, e.g. dns-add_record. */
    cmd: string;
    /** The documented code, or an undocumented one exactly as DreamHost sent it. */
    // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the union names the documented codes
    code: DreamhostErrorCode | string;
    /** What DreamHost wrote after the tab, if anything (key scrubbed). */
    details: string;
    /** What the call was about, e.g. `CNAME dev.example.com -> web.example.net`. */
    subject: string;
    /** True when an earlier attempt of the same call ended without an answer (it may have been applied). */
    afterUnansweredAttempt: boolean;
}

export function dreamhostApiError(
    cmd: string,
    code: string,
    details: string,
    subject: string,
    afterUnansweredAttempt: boolean,
): DreamhostApiError {
    const text = isDocumentedCode(code) ? MESSAGES[code] : `DreamHost answered an undocumented error "${code}"`;
    const message = `DreamHost ${cmd} failed for ${subject}: ${text}${details ? ` (${details})` : ""} [${code}]`;
    return named(message, { name: "DreamhostApiError" as const, cmd, code, details, subject, afterUnansweredAttempt });
}

/** No usable answer after every attempt: network failure, timeout, HTTP error or a body that is not the API's. */
export interface DreamhostTransportError extends Error {
    name: "DreamhostTransportError";
    cmd: string;
    subject: string;
    /** The last failure, described without any URL. */
    reason: string;
    attempts: number;
}

export function dreamhostTransportError(cmd: string, subject: string, reason: string, attempts: number): DreamhostTransportError {
    const message =
        `DreamHost ${cmd} failed for ${subject}: no usable answer after ${attempts} attempt(s), last: ${reason}. ` +
        "Check the network and https://www.dreamhoststatus.com, then run again (a re-run converges)";
    return named(message, { name: "DreamhostTransportError" as const, cmd, subject, reason, attempts });
}

/** A record the provider must not touch or cannot place; the message says what to do. */
export function dnsRecordConflictError(message: string): Error {
    return named(message, { name: "DnsRecordConflictError" });
}

/** Settings are missing or wrong (no key, bad URL, bad number). */
export function dreamhostSettingsError(message: string): Error {
    return named(message, { name: "DreamhostSettingsError" });
}

export function isDreamhostApiError(e: unknown): e is DreamhostApiError {
    return e instanceof Error && e.name === "DreamhostApiError";
}

function named<T extends { name: string }>(message: string, fields: T): Error & T {
    return Object.assign(new Error(message), fields);
}

/**
 * Last line of defence: replaces every occurrence of the key (raw and URL-encoded) in a text.
 * Messages are built without the key in the first place; this guards against a future mistake.
 */
export function redact(text: string, key: string | undefined): string {
    if (!key) return text;
    let out = text;
    for (const form of new Set([key, encodeURIComponent(key)])) out = out.split(form).join("[redacted]");
    return out;
}
