/**
 * An HTTP emulator of DreamHost's DNS API (dns-list_records, dns-add_record, dns-remove_record) on
 * 127.0.0.1 and a random port, for the provider tier.
 *
 * Semantics kept from the API documentation (see ../../../shared/reference/dns-tls.md):
 *  - GET or POST, parameters in the query string or a form body; `format=json` answers
 *    `{"result":"success"|"error","data":...}`, errors as "<code>" or "<code>\t<details>";
 *  - a record can only be added to a zone of the account (no_such_zone); DreamHost-managed
 *    records (`editable: "0"`, e.g. the apex NS records seeded with each zone) cannot be changed;
 *  - an identical record answers record_already_exists_remove_first (editable) or
 *    record_already_exists_not_editable; a CNAME must be alone at its name
 *    (CNAME_must_be_only_record, CNAME_already_on_record);
 *  - removal needs an exact (record, type, value) match, answering no_such_record, no_such_type,
 *    no_such_value or not_editable;
 *  - the listing writes CNAME targets with a trailing dot, as DreamHost's does;
 *  - a unique_id is used up by a successful call only; a repeated one is refused (the answer's
 *    wording is undocumented: `replay = "error"` answers `replayError`) or answered
 *    with the first call's answer without applying it again (`replay = "success"`);
 *  - rate limiting counts successful calls only (`rateLimit`), answering slow_down_bucko;
 *  - a key may run only the commands it was created with (`addKey`, the panel's per-key command
 *    list): any other command is answered this_key_cannot_access_this_cmd, before anything runs.
 *    That code is not in DreamHost's DNS page; it is what the API answers such a key, as public
 *    API clients record it (e.g. python-dreamhostapi's README).
 * A call answered with an error (HTTP 400, or `"result":"error"`) never changes the zone.
 * Fault switches (`inject`): API error answers (slow_down_bucko, internal_error_*), HTTP errors,
 * slow answers (applied after the delay, whether or not the client still waits), and dropped
 * connections before or after the change is applied.
 * Races (`interleave`): another client's change lands between a call being applied and its answer
 * reaching the caller, so the caller acts on a stale listing; the API's own rules then answer.
 * Isolation between tests: `reset()` starts a new generation; a call that arrived in an earlier
 * one is answered `emulator_reset` without being applied, however late it gets there.
 */
import * as http from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import type { AddressInfo } from "node:net";

export interface EmulatedRecord {
    account_id: string;
    zone: string;
    record: string;
    type: string;
    value: string;
    comment: string;
    editable: "0" | "1";
}

export type Fault =
    /** Answer this API error without applying anything (e.g. slow_down_bucko, internal_error_updating_zone). */
    | { kind: "error"; code: string; details?: string }
    /** Answer an HTTP error page without applying anything. */
    | { kind: "http"; status: number }
    /** Wait, then apply and answer normally. */
    | { kind: "slow"; delayMs: number }
    /** Close the connection without applying anything. */
    | { kind: "drop-before" }
    /** Apply the call, then close the connection without answering. */
    | { kind: "drop-after" };

export interface LoggedRequest {
    method: string;
    cmd: string;
    uniqueId?: string;
    format?: string;
    /** Parameters except the key. */
    params: Record<string, string>;
    keyPresent: boolean;
    /** Which registered key was sent (its label, never the key), undefined for an unknown or missing one. */
    keyLabel?: string;
    fault?: Fault["kind"];
    /** What was answered (undefined when the connection was dropped). */
    answer?: string;
}

const API_TYPES = ["A", "AAAA", "CNAME", "NS", "PTR", "NAPTR", "SRV", "TXT"];
const HOST = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)+$/;

type Answer = { result: "success" | "error"; data: unknown };

/** What a call that arrived before the last reset() is answered (undocumented on purpose: clients do not retry it). */
export const RESET_ERROR = "emulator_reset";

/** What the API answers a key that was not created with the command it sends. */
export const KEY_SCOPE_ERROR = "this_key_cannot_access_this_cmd";

/** The commands a key may run: a list, or every command ("*", the panel's "All functions"). */
export type KeyScope = readonly string[] | "*";

export class DreamhostEmulator {
    /** Every request received, in order. */
    readonly requests: LoggedRequest[] = [];
    /** Errors thrown by `interleave` actions (the raced call is answered regardless). */
    readonly raceErrors: unknown[] = [];
    /** What a repeated unique_id gets: the error below, or the first call's answer. */
    replay: "error" | "success" = "error";
    /** The error code for a repeated unique_id (DreamHost's wording is undocumented). */
    replayError = "unique_id_already_used";
    /** At most `max` successful calls per `windowMs`, else slow_down_bucko. */
    rateLimit: { max: number; windowMs: number } | undefined;

    private server: http.Server | undefined;
    private base = "";
    private readonly store: EmulatedRecord[] = [];
    private readonly zones = new Set<string>();
    private readonly usedIds = new Map<string, Answer>();
    private readonly successes: number[] = [];
    private faults: { fault: Fault; cmd?: string; times: number; everyOther: boolean; spare: boolean }[] = [];
    private races: { cmd: string; action: () => void | Promise<void> }[] = [];
    /** Bumped by reset(): a call remembers the generation it arrived in and may only write in it. */
    private generation = 0;
    private readonly inFlight = new Set<Promise<void>>();
    /** Every key of the account: its label (for the request log) and the commands it may run. */
    private readonly keys = new Map<string, { label: string; scope: KeyScope }>();

    /** `key` may run every command (label "full"); addKey() adds narrower ones. */
    constructor(
        readonly key: string,
        readonly accountId = "424242",
    ) {
        this.keys.set(key, { label: "full", scope: "*" });
    }

    /**
     * Another key of the same account, allowed only `scope`, e.g. ["dns-list_records"] for the
     * read-only key pull-request previews use. Keys survive reset(), as the account's keys do.
     */
    addKey(key: string, label: string, scope: KeyScope): void {
        if (label === "full" || [...this.keys.values()].some((k) => k.label === label)) throw new Error(`emulator: key label ${label} is taken`);
        this.keys.set(key, { label, scope: scope === "*" ? "*" : [...scope] });
    }

    /** Base URL, e.g. http://127.0.0.1:40123/ (after start). */
    get url(): string {
        return this.base;
    }

    async start(): Promise<void> {
        this.server = http.createServer((req, res) => {
            const done: Promise<void> = this.handle(req, res, this.generation)
                .catch((err) => {
                    if (res.headersSent) return void res.destroy();
                    res.statusCode = 500;
                    res.end(`emulator bug: ${String(err)}`);
                })
                .finally(() => this.inFlight.delete(done));
            this.inFlight.add(done);
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    }

    async stop(): Promise<void> {
        if (!this.server) return;
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server!.close(() => resolve()));
        this.server = undefined;
    }

    /** Removes a zone and its records from the account, as deleting the domain in the panel does. */
    removeZone(zone: string): void {
        this.zones.delete(zone);
        this.unseed((r) => r.zone === zone);
    }

    /** Adds a zone to the account with DreamHost's own apex NS records (not editable). */
    addZone(zone: string): void {
        this.zones.add(zone);
        for (const ns of ["ns1.dreamhost.com.", "ns2.dreamhost.com.", "ns3.dreamhost.com."]) {
            this.store.push({ account_id: this.accountId, zone, record: zone, type: "NS", value: ns, comment: "", editable: "0" });
        }
    }

    /** Puts a record straight into the zone, as the panel (or DreamHost itself, editable "0") would. */
    seed(r: { record: string; type: string; value: string; comment?: string; editable?: boolean }): void {
        const zone = this.zoneOf(r.record);
        if (!zone) throw new Error(`emulator: no zone for ${r.record}`);
        this.store.push({
            account_id: this.accountId,
            zone,
            record: r.record,
            type: r.type,
            value: r.type === "CNAME" ? withDot(r.value) : r.value,
            comment: r.comment ?? "",
            editable: r.editable === false ? "0" : "1",
        });
    }

    /** Removes records straight from the zone (an out-of-band change); returns how many went. */
    unseed(match: (r: EmulatedRecord) => boolean): number {
        let n = 0;
        for (let i = this.store.length - 1; i >= 0; i--) {
            if (match(this.store[i])) {
                this.store.splice(i, 1);
                n++;
            }
        }
        return n;
    }

    /**
     * The zone's records as sorted lines `TYPE record value ["comment"]`; editable ones only unless
     * `all`, where DreamHost's own are marked `(managed)`.
     */
    lines(zone: string, all = false): string[] {
        return this.store
            .filter((r) => r.zone === zone && (all || r.editable === "1"))
            .map((r) => `${r.type} ${r.record} ${r.value}${r.comment ? ` "${r.comment}"` : ""}${r.editable === "0" ? " (managed)" : ""}`)
            .sort();
    }

    /**
     * The next `times` calls (of `cmd`, or any) meet `fault`. With `everyOther`, matching calls
     * alternate faulty and fine, so each retried logical call meets the fault exactly once.
     */
    inject(fault: Fault, opts: { cmd?: string; times?: number; everyOther?: boolean } = {}): void {
        this.faults.push({ fault, cmd: opts.cmd, times: opts.times ?? 1, everyOther: opts.everyOther ?? false, spare: false });
    }

    /**
     * Another client's change racing a call: `action` runs once, after the next `cmd` call has been
     * applied (for a listing: its snapshot taken) and before that call's answer is sent. The action
     * may call the API itself (it is answered meanwhile) or change the zone as the panel does. If it
     * throws, the error goes to `raceErrors` and the raced call is answered as if nothing happened.
     */
    interleave(cmd: string, action: () => void | Promise<void>): void {
        this.races.push({ cmd, action });
    }

    /**
     * Forgets faults, races, rate limit, logged requests and used unique_ids (the zones stay), and
     * starts a new generation: a call still in flight (a slow answer the client gave up on) is then
     * answered `emulator_reset` and never writes, so it cannot leak into the next test.
     */
    reset(): void {
        this.generation++;
        this.faults = [];
        this.races = [];
        this.rateLimit = undefined;
        this.replay = "error";
        this.replayError = "unique_id_already_used";
        this.requests.length = 0;
        this.raceErrors.length = 0;
        this.usedIds.clear();
        this.successes.length = 0;
    }

    /** Resolves when every call received so far has been answered (or dropped). */
    async idle(): Promise<void> {
        while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    }

    /** Faults injected but not met yet. */
    pendingFaults(): number {
        return this.faults.reduce((n, f) => n + f.times, 0);
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse, generation: number): Promise<void> {
        const params = new URL(req.url ?? "/", "http://x").searchParams;
        if (req.method === "POST") {
            let body = "";
            for await (const chunk of req) body += chunk;
            for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
        }
        const p = Object.fromEntries(params);
        const current = () => generation === this.generation;
        const json = (answer: Answer) => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(answer));
        };
        const stale: Answer = { result: "error", data: `${RESET_ERROR}\tthe emulator was reset while this call was in flight; nothing was applied` };
        // A call from before a reset() touches neither this generation's log nor its faults.
        if (!current()) return json(stale);

        const { key, ...rest } = p;
        const log: LoggedRequest = {
            method: req.method ?? "",
            cmd: p.cmd ?? "",
            uniqueId: p.unique_id,
            format: p.format,
            params: rest,
            keyPresent: key !== undefined,
            keyLabel: key === undefined ? undefined : this.keys.get(key)?.label,
        };
        this.requests.push(log);

        const fault = this.takeFault(log.cmd);
        log.fault = fault?.kind;
        if (fault?.kind === "drop-before") return void req.socket.destroy();
        if (fault?.kind === "http") {
            res.writeHead(fault.status, { "content-type": "text/html" });
            return void res.end(`<html><body>${fault.status} from the emulator</body></html>`);
        }
        if (fault?.kind === "slow") await new Promise((r) => setTimeout(r, fault.delayMs));

        // Refused before anything is applied: a call answered with an error leaves the zone alone.
        if (p.format !== "json") {
            res.writeHead(400, { "content-type": "text/plain" });
            return void res.end("this emulator answers format=json only");
        }
        // The generation check and answer()'s write run in one synchronous stretch: a reset()
        // cannot slip between them, so a slow call the client gave up on never writes after it.
        const answer = current() ? this.answer(p, fault) : stale;
        if (fault?.kind === "drop-after") return void req.socket.destroy();

        const race = current() ? this.takeRace(log.cmd) : undefined;
        if (race) {
            try {
                await race();
            } catch (err) {
                this.raceErrors.push(err);
            }
        }

        log.answer = typeof answer.data === "string" ? `${answer.result} ${answer.data}` : answer.result;
        json(answer);
    }

    private takeRace(cmd: string): (() => void | Promise<void>) | undefined {
        const i = this.races.findIndex((r) => r.cmd === cmd);
        return i < 0 ? undefined : this.races.splice(i, 1)[0].action;
    }

    private takeFault(cmd: string): Fault | undefined {
        const rule = this.faults.find((f) => f.times > 0 && (!f.cmd || f.cmd === cmd));
        if (!rule) return undefined;
        if (rule.spare) {
            rule.spare = false;
            return undefined;
        }
        rule.spare = rule.everyOther;
        rule.times--;
        this.faults = this.faults.filter((f) => f.times > 0);
        return rule.fault;
    }

    /** Authenticates, de-duplicates, rate-limits and runs one call; records a success. */
    private answer(p: Record<string, string>, fault: Fault | undefined): Answer {
        const error = (data: string): Answer => ({ result: "error", data });
        if (!p.key) return error("no_key");
        const key = this.keys.get(p.key);
        if (!key) return error("invalid_api_key");
        if (!p.cmd) return error("no_cmd");
        // Checked before unique_id, rate limit and the command itself: a refused call runs nothing.
        if (key.scope !== "*" && !key.scope.includes(p.cmd)) return error(KEY_SCOPE_ERROR);
        if (p.unique_id !== undefined) {
            if (p.unique_id.length > 64) return error("invalid_unique_id\tat most 64 characters");
            const first = this.usedIds.get(p.unique_id);
            if (first) return this.replay === "success" ? first : error(this.replayError);
        }
        const now = Date.now();
        if (this.rateLimit) {
            const recent = this.successes.filter((t) => now - t < this.rateLimit!.windowMs).length;
            if (recent >= this.rateLimit.max) {
                return error(`slow_down_bucko\t${this.rateLimit.max} calls per ${this.rateLimit.windowMs} ms`);
            }
        }
        if (fault?.kind === "error") return error(fault.details ? `${fault.code}\t${fault.details}` : fault.code);

        const result = this.run(p);
        if (result.result === "success") {
            this.successes.push(now);
            if (p.unique_id !== undefined) this.usedIds.set(p.unique_id, result);
        }
        return result;
    }

    private run(p: Record<string, string>): Answer {
        switch (p.cmd) {
            case "dns-list_records":
                return { result: "success", data: this.store.map((r) => ({ ...r })) };
            case "dns-add_record":
                return this.add(p);
            case "dns-remove_record":
                return this.remove(p);
            default:
                return { result: "error", data: "invalid_cmd" };
        }
    }

    private add(p: Record<string, string>): Answer {
        const error = (data: string): Answer => ({ result: "error", data });
        if (!p.record) return error("no_record");
        if (!p.type) return error("no_type");
        if (!p.value) return error("no_value");
        const record = p.record.toLowerCase();
        const type = p.type.toUpperCase();
        if (!API_TYPES.includes(type)) return error(`invalid_type\t${p.type} cannot be added through the API`);
        if (!HOST.test(record)) return error(`invalid_record\t${p.record} is not a valid record name`);
        const valueProblem = checkValue(type, p.value);
        if (valueProblem) return error(`invalid_value\t${valueProblem}`);
        const zone = this.zoneOf(record);
        if (!zone) return error("no_such_zone");

        const value = type === "CNAME" ? withDot(p.value.toLowerCase()) : p.value;
        const atName = this.store.filter((r) => r.record === record);
        const identical = atName.find((r) => r.type === type && r.value === value);
        if (identical) return error(identical.editable === "1" ? "record_already_exists_remove_first" : "record_already_exists_not_editable");
        if (type === "CNAME" && atName.length > 0) return error("CNAME_must_be_only_record");
        if (atName.some((r) => r.type === "CNAME")) return error("CNAME_already_on_record");
        if (atName.some((r) => r.type === type && r.editable === "0")) return error("record_already_exists_not_editable");

        this.store.push({ account_id: this.accountId, zone, record, type, value, comment: p.comment ?? "", editable: "1" });
        return { result: "success", data: "record_added" };
    }

    private remove(p: Record<string, string>): Answer {
        const error = (data: string): Answer => ({ result: "error", data });
        if (!p.record) return error("no_record");
        if (!p.type) return error("no_type");
        if (!p.value) return error("no_value");
        const atName = this.store.filter((r) => r.record === p.record.toLowerCase());
        if (atName.length === 0) return error("no_such_record");
        const ofType = atName.filter((r) => r.type === p.type.toUpperCase());
        if (ofType.length === 0) return error("no_such_type");
        const match = ofType.find((r) => r.value === p.value);
        if (!match) return error("no_such_value");
        if (match.editable === "0") return error("not_editable");
        this.store.splice(this.store.indexOf(match), 1);
        return { result: "success", data: "record_removed" };
    }

    private zoneOf(record: string): string | undefined {
        return [...this.zones].filter((z) => record === z || record.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
    }
}

function withDot(host: string): string {
    return host.endsWith(".") ? host : `${host}.`;
}

function checkValue(type: string, value: string): string | undefined {
    switch (type) {
        case "A":
            return isIPv4(value) ? undefined : `${value} is not an IPv4 address`;
        case "AAAA":
            return isIPv6(value) ? undefined : `${value} is not an IPv6 address`;
        case "CNAME":
        case "NS":
        case "PTR":
            return HOST.test(value.toLowerCase().replace(/\.$/, "")) ? undefined : `${value} is not a host name`;
        default:
            return undefined;
    }
}
