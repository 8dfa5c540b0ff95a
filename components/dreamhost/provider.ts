/**
 * The DreamHost DNS dynamic provider. Pulumi serializes this object (with every local function it
 * reaches) into each DnsRecord's state and runs it later in the provider host, so:
 *  - nothing here captures a credential: the key is read on every call (settingsFor);
 *  - @pulumi/pulumi is required inside the call, not captured;
 *  - every method can be called again after a failure half-way and converges.
 *
 * DreamHost has no update: a change is add + remove. The order keeps the name resolving throughout
 * (add the new value, then remove the old), except for a CNAME, which cannot share its name and
 * is removed first. A comment lives on the record itself, so changing only the comment re-adds the
 * record (a gap of one API call).
 *
 * Another client (the panel, a script, DreamHost itself) may change a name between our listing and
 * our add or remove. Such races surface as API errors, and each is resolved from a fresh listing:
 * an identical record is adopted, a blocking one is named in the error with the way out, a record
 * already removed counts as removed.
 */
import type * as pulumi from "@pulumi/pulumi";
import { zoneOf } from "../hosts";
import { addRecord, apiText, describe, listRecords, removeRecord, type ApiRecord } from "./client";
import { dnsRecordConflictError, isDreamhostApiError } from "./errors";
import {
    checkRecord,
    conflictsFor,
    diffRecords,
    findExact,
    normalizeValue,
    sameValue,
    zoneFor,
    type DnsRecordState,
    type RecordType,
} from "./records";
import { resolveSettings, type ConfigLookup, type DreamhostSettings } from "./settings";

/** Where configure() leaves the engine's dreamhost:* config on the provider object (host process only). */
const CONFIGURED = "__dreamhostConfigured";

export const dreamhostDnsProvider: pulumi.dynamic.ResourceProvider<Record<string, unknown>, DnsRecordState> = {
    /** Called once by the provider host with the stack's config; keeps only the dreamhost:* keys. */
    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        const picked: Record<string, string> = {};
        for (const k of ["apiKey", "apiUrl", "maxAttempts", "backoffMs", "maxBackoffMs", "timeoutMs"]) {
            const v = req.config.get(`dreamhost:${k}`);
            if (v !== undefined) picked[`dreamhost:${k}`] = v;
        }
        Object.defineProperty(this, CONFIGURED, { value: picked, enumerable: false, configurable: true, writable: true });
    },

    async check(_olds, news) {
        const { inputs, failures } = checkRecord(news);
        return { inputs, failures };
    },

    async diff(_id, olds, news) {
        return diffRecords(olds, news);
    },

    async create(inputs) {
        const want = stateOf(inputs);
        const s = await settingsFor(this);
        const live = await listRecords(s);
        const zone = requireZone(live, want, "create");
        if (want.type === "CNAME" && zone === want.record) {
            throw dnsRecordConflictError(`Cannot create ${describe(want)}: ${zone} is a zone apex, where a CNAME is illegal; nothing was changed`);
        }
        refuseConflicts(live, want, "create");
        await ensurePresent(s, live, want, zone);
        return { id: idOf(want), outs: want };
    },

    async read(id, props) {
        const known = props && props.record && props.type ? stateOf(props) : fromId(id);
        if (!known) return { id: "", props: {} as DnsRecordState };
        const live = await listRecords(await settingsFor(this));
        const exact = known.value ? findExact(live, known) : undefined;
        if (exact) return { id, props: { ...known, comment: exact.comment } };
        // Changed outside Pulumi: one record left at this name and type is ours with a new value;
        // none (or several, none of them ours) means ours is gone.
        const same = live.filter((r) => r.record === known.record && r.type === known.type);
        if (same.length === 1) {
            return { id, props: { ...known, value: normalizeValue(known.type, same[0].value), comment: same[0].comment } };
        }
        return { id: "", props: {} as DnsRecordState };
    },

    async update(_id, olds, news) {
        const from = stateOf(olds);
        const to = stateOf(news);
        const s = await settingsFor(this);
        const live = await listRecords(s);
        const zone = requireZone(live, to, "update");
        const old = findExact(live, from);
        if (old && !old.editable) throw notEditable(old, "update");
        const others = live.filter((r) => r !== old);
        refuseConflicts(others, to, "update");

        if (sameValue(to.type, from.value, to.value)) {
            await ensurePresent(s, live, to, zone); // comment only: re-adds the record
        } else if (to.type === "CNAME") {
            if (old) await remove(s, old); // a CNAME cannot share its name, even for a moment
            await ensurePresent(s, others, to, zone);
        } else {
            await ensurePresent(s, others, to, zone); // new value first: the name never stops resolving
            if (old) await remove(s, old);
        }
        return { outs: to };
    },

    async delete(_id, outs) {
        const gone = stateOf(outs);
        const s = await settingsFor(this);
        const cur = findExact(await listRecords(s), gone);
        if (!cur) return; // already gone: nothing to do
        if (!cur.editable) throw notEditable(cur, "delete");
        await remove(s, cur);
    },
};

/** Settings for this call: configure()'s values, then the stack config, then the environment. */
async function settingsFor(provider: object): Promise<DreamhostSettings> {
    // require, not import(): compilers differ on import() (tsc makes it require, esbuild keeps it)
    // and only require resolves the same way inside the provider host.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Config } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const stack = new Config("dreamhost");
    const lookups: ConfigLookup[] = [{ get: (k) => stack.get(k.slice("dreamhost:".length)) }];
    const configured = (provider as Record<string, unknown>)[CONFIGURED] as Record<string, string> | undefined;
    if (configured) lookups.unshift({ get: (k) => configured[k] });
    return resolveSettings(lookups, process.env);
}

function stateOf(raw: object): DnsRecordState {
    const x = raw as Record<string, unknown>;
    const type = String(x.type) as RecordType;
    return {
        record: String(x.record),
        type,
        value: normalizeValue(type, apiText(x.value)),
        comment: apiText(x.comment),
    };
}

function idOf(r: DnsRecordState): string {
    return `${r.record}/${r.type}`;
}

/** An id from idOf, as `pulumi import` passes it (the value is then read from the account). */
function fromId(id: string): DnsRecordState | undefined {
    const m = /^([a-z0-9.-]+)\/(A|AAAA|CNAME|TXT)$/.exec(id);
    return m ? { record: m[1], type: m[2] as RecordType, value: "", comment: "" } : undefined;
}

/** The account's zone holding `want` (from the listing), or an error naming the zone expected and the way out. */
function requireZone(live: ApiRecord[], want: DnsRecordState, verb: string): string {
    const zone = zoneFor(live, want.record);
    if (!zone) throw zoneMissing(want, expectedZone(want.record), verb, "nothing was changed");
    return zone;
}

function zoneMissing(want: DnsRecordState, zone: string, verb: string, outcome: string): Error {
    return dnsRecordConflictError(
        `Cannot ${verb} ${describe(want)}: its domain ${zone} is not a zone in this DreamHost account. ` +
            `Add ${zone} in the DreamHost panel (DNS only is enough) or set the tenant's dns.provider to external, then run again; ${outcome}`,
    );
}

/** The zone a record belongs in when the account has none for it: its registrable domain. */
function expectedZone(record: string): string {
    try {
        return zoneOf(record);
    } catch {
        return record;
    }
}

function refuseConflicts(live: ApiRecord[], want: DnsRecordState, verb: string): void {
    const conflicts = conflictsFor(live, want);
    if (conflicts.length > 0) throw conflictError(want, conflicts, verb, "nothing was changed");
}

/** Names the records in the way of `want`, why they are, and the way out. */
function conflictError(want: DnsRecordState, conflicts: ApiRecord[], verb: string, outcome: string): Error {
    const list = conflicts.map((r) => `${describe(r)}${r.editable ? "" : " (managed by DreamHost)"}`).join(", ");
    const why =
        want.type === "CNAME" || conflicts.some((r) => r.type === "CNAME")
            ? "a CNAME cannot share its name with any other record. "
            : (want.type === "A" || want.type === "AAAA") && conflicts.some((r) => r.type === want.type)
              ? "visitors would be split between two addresses. "
              : `DreamHost refuses another ${want.type} record next to one it manages. `;
    const fix = conflicts.some((r) => !r.editable)
        ? "DreamHost manages the other record: switch the domain to DNS-only hosting in the DreamHost panel, or change this tenant's DNS settings"
        : "Remove the other record in the DreamHost panel if it is stale, or change this tenant's DNS settings";
    return dnsRecordConflictError(`Cannot ${verb} ${describe(want)}: ${list} already at ${want.record}, and ${why}${fix}; ${outcome}`);
}

function notEditable(r: ApiRecord, verb: string): Error {
    return dnsRecordConflictError(
        `Cannot ${verb} ${describe(r)}: DreamHost manages this record (editable 0), so the API may not change it. ` +
            "Change it in the DreamHost panel (e.g. switch the domain to DNS-only hosting), or remove the resource from the stack with `pulumi state delete`; it was left alone",
    );
}

/** Makes `want` exist with its comment: adopts an identical editable record, re-adds it when only the comment differs. */
async function ensurePresent(s: DreamhostSettings, live: ApiRecord[], want: DnsRecordState, zone: string): Promise<void> {
    const exact = findExact(live, want);
    if (exact) {
        if (!exact.editable) throw notEditable(exact, "manage");
        if (exact.comment === want.comment) return;
        await remove(s, exact);
    }
    await add(s, want, zone);
}

/**
 * dns-add_record refusals that mean the name holds something our listing did not show: another
 * client, the panel or DreamHost itself changed it in between (or our own unanswered attempt did).
 */
const NAME_TAKEN = ["record_already_exists_remove_first", "record_already_exists_not_editable", "CNAME_already_on_record", "CNAME_must_be_only_record"];

/**
 * dns-add_record. An ambiguous or stale outcome (an attempt without an answer, or a refusal because
 * of what is at the name) is settled by a fresh listing: the identical record is adopted (its
 * comment rewritten once if another client wrote another), a blocking record is named in the error.
 */
async function add(s: DreamhostSettings, want: DnsRecordState, zone: string, commentRewritten = false): Promise<void> {
    try {
        await addRecord(s, want);
    } catch (err) {
        if (!isDreamhostApiError(err)) throw err;
        // The zone was in our listing: it left the account since.
        if (err.code === "no_such_zone") throw zoneMissing(want, zone, "add", "the record was not added");
        if (!err.afterUnansweredAttempt && !NAME_TAKEN.includes(err.code)) throw err;

        const live = await listRecords(s);
        const there = findExact(live, want);
        if (there && !there.editable) throw notEditable(there, "add");
        if (there && there.comment === want.comment) return;
        if (there && !commentRewritten) {
            await remove(s, there);
            return add(s, want, zone, true);
        }
        const blockers = [
            ...conflictsFor(live, want),
            // DreamHost refuses a record of a type it manages at the name (e.g. a TXT next to its own).
            ...live.filter((r) => r.record === want.record && r.type === want.type && !r.editable && !sameValue(r.type, r.value, want.value)),
        ];
        if (blockers.length > 0) throw conflictError(want, [...new Set(blockers)], "add", "the record was not added");
        throw err;
    }
}

/** dns-remove_record with the value exactly as listed; a record already gone is success. */
async function remove(s: DreamhostSettings, r: ApiRecord): Promise<void> {
    try {
        await removeRecord(s, r);
    } catch (err) {
        if (isDreamhostApiError(err) && ["no_such_record", "no_such_type", "no_such_value"].includes(err.code)) return;
        if (isDreamhostApiError(err) && err.code === "not_editable") throw notEditable(r, "remove");
        throw err;
    }
}
