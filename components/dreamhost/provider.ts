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
 */
import type * as pulumi from "@pulumi/pulumi";
import { addRecord, describe, listRecords, removeRecord, type ApiRecord } from "./client";
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
        return diffRecords(olds, news as Partial<DnsRecordState>);
    },

    async create(inputs) {
        const want = stateOf(inputs);
        const s = await settingsFor(this);
        const live = await listRecords(s);
        const zone = zoneFor(live, want.record);
        if (!zone) {
            throw dnsRecordConflictError(
                `Cannot create ${describe(want)}: its domain is not a zone in this DreamHost account. ` +
                    "Add the domain in the DreamHost panel (DNS only is enough) or set the tenant's dns.provider to external; nothing was changed",
            );
        }
        if (want.type === "CNAME" && zone === want.record) {
            throw dnsRecordConflictError(`Cannot create ${describe(want)}: ${zone} is a zone apex, where a CNAME is illegal; nothing was changed`);
        }
        refuseConflicts(live, want, "create");
        await ensurePresent(s, live, want);
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
        const old = findExact(live, from);
        if (old && !old.editable) throw notEditable(old, "update");
        const others = live.filter((r) => r !== old);
        refuseConflicts(others, to, "update");

        if (sameValue(to.type, from.value, to.value)) {
            await ensurePresent(s, live, to); // comment only: re-adds the record
        } else if (to.type === "CNAME") {
            if (old) await remove(s, old); // a CNAME cannot share its name, even for a moment
            await ensurePresent(s, others, to);
        } else {
            await ensurePresent(s, others, to); // new value first: the name never stops resolving
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
        value: normalizeValue(type, String(x.value ?? "")),
        comment: String(x.comment ?? ""),
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

function refuseConflicts(live: ApiRecord[], want: DnsRecordState, verb: string): void {
    const conflicts = conflictsFor(live, want);
    if (conflicts.length === 0) return;
    const list = conflicts.map((r) => `${describe(r)}${r.editable ? "" : " (managed by DreamHost)"}`).join(", ");
    throw dnsRecordConflictError(
        `Cannot ${verb} ${describe(want)}: ${list} already at ${want.record}, and ` +
            (want.type === "CNAME" || conflicts.some((r) => r.type === "CNAME")
                ? "a CNAME cannot share its name with any other record. "
                : "visitors would be split between two addresses. ") +
            "Remove the other record in the DreamHost panel if it is stale, or change this tenant's DNS settings; nothing was changed",
    );
}

function notEditable(r: ApiRecord, verb: string): Error {
    return dnsRecordConflictError(
        `Cannot ${verb} ${describe(r)}: DreamHost manages this record (editable 0), so the API may not change it. ` +
            "Change it in the DreamHost panel (e.g. switch the domain to DNS-only hosting), or remove the resource from the stack with `pulumi state delete`; it was left alone",
    );
}

/** Makes `want` exist with its comment: adopts an identical editable record, re-adds it when only the comment differs. */
async function ensurePresent(s: DreamhostSettings, live: ApiRecord[], want: DnsRecordState): Promise<void> {
    const exact = findExact(live, want);
    if (exact) {
        if (!exact.editable) throw notEditable(exact, "manage");
        if (exact.comment === want.comment) return;
        await remove(s, exact);
    }
    await add(s, want);
}

/**
 * dns-add_record, confirming by a listing when the answer is ambiguous: an attempt that got no
 * answer may have been applied, and "record_already_exists_remove_first" means it is already there.
 */
async function add(s: DreamhostSettings, want: DnsRecordState): Promise<void> {
    try {
        await addRecord(s, want);
    } catch (err) {
        const ambiguous =
            isDreamhostApiError(err) && (err.afterUnansweredAttempt || err.code === "record_already_exists_remove_first");
        if (ambiguous) {
            const there = findExact(await listRecords(s), want);
            if (there?.editable) return;
        }
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
