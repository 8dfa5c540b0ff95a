/**
 * Drives the DreamHost provider's methods the way the Pulumi engine does (check, diff, then
 * create / update / replace / delete / read), against the emulator, without an engine.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { expect } from "vitest";
import { dreamhostDnsProvider as provider } from "../../components/dreamhost";
import type { DnsRecordState } from "../../components/dreamhost";
import { DreamhostEmulator } from "../fakes/dreamhost-emulator";

/** A key nobody could guess, so finding it anywhere is proof of a leak. */
export const KEY = `DHKEY${randomBytes(12).toString("hex").toUpperCase()}`;

export const ZONE = "example.com";
export const OTHER_ZONE = "example.org";

const ENV = ["DREAMHOST_API_KEY", "DREAMHOST_API_URL", "DREAMHOST_MAX_ATTEMPTS", "DREAMHOST_BACKOFF_MS", "DREAMHOST_TIMEOUT_MS"];

/** Starts an emulator with two zones and points the provider at it with fast retries. */
export async function startEmulator(): Promise<DreamhostEmulator> {
    const emu = new DreamhostEmulator(KEY);
    await emu.start();
    emu.addZone(ZONE);
    emu.addZone(OTHER_ZONE);
    pointAt(emu);
    return emu;
}

export function pointAt(emu: DreamhostEmulator, overrides: Record<string, string> = {}): void {
    Object.assign(process.env, {
        DREAMHOST_API_KEY: KEY,
        DREAMHOST_API_URL: emu.url,
        DREAMHOST_MAX_ATTEMPTS: "4",
        DREAMHOST_BACKOFF_MS: "5",
        // Generous: a loopback answer on a loaded CI machine must never time out by accident
        // (tests of slow answers set their own, shorter timeout).
        DREAMHOST_TIMEOUT_MS: "5000",
        ...overrides,
    });
}

export function clearEnv(): void {
    for (const k of ENV) delete process.env[k];
}

export interface Deployed {
    id: string;
    outs: DnsRecordState;
    /** How change() got there: same, update, create-then-delete or delete-then-create. */
    how?: string;
}

export type Inputs = { record: string; type: string; value: string; comment?: string };

/** check + create, as `pulumi up` does for a new resource. */
export async function up(inputs: Inputs): Promise<Deployed> {
    const checked = await checked0(inputs);
    const res = await provider.create(checked);
    return { id: res.id, outs: res.outs as DnsRecordState };
}

/** check + diff + update or replace (honouring deleteBeforeReplace), as `pulumi up` does for a change. */
export async function change(from: Deployed, inputs: Inputs): Promise<Deployed> {
    const news = await checked0(inputs);
    const diff = await provider.diff!(from.id, from.outs, news);
    if (!diff.changes) return { ...from, how: "same" };
    if (diff.replaces && diff.replaces.length > 0) {
        if (diff.deleteBeforeReplace) {
            await provider.delete!(from.id, from.outs);
            return { ...(await up(inputs)), how: "delete-then-create" };
        }
        const created = await up(inputs);
        await provider.delete!(from.id, from.outs);
        return { ...created, how: "create-then-delete" };
    }
    const res = await provider.update!(from.id, from.outs, news);
    return { id: from.id, outs: res.outs as DnsRecordState, how: "update" };
}

export async function destroy(d: Deployed): Promise<void> {
    await provider.delete!(d.id, d.outs);
}

/** `pulumi refresh` of one resource: the live state, or undefined when it is gone. */
export async function refresh(d: Deployed): Promise<Deployed | undefined> {
    const res = await provider.read!(d.id, d.outs);
    return res.id ? { id: res.id, outs: res.props as DnsRecordState } : undefined;
}

async function checked0(inputs: Inputs): Promise<Record<string, unknown>> {
    const res = await provider.check!({}, { ...inputs });
    expect(res.failures ?? [], `check failures for ${JSON.stringify(inputs)}`).toEqual([]);
    return res.inputs as Record<string, unknown>;
}

/** Runs `fn`, expects it to throw, checks the key is nowhere in the error, and returns its message. */
export async function failure(fn: () => Promise<unknown>): Promise<string> {
    let caught: unknown;
    try {
        await fn();
    } catch (err) {
        caught = err;
    }
    expect(caught, "the call was expected to fail").toBeInstanceOf(Error);
    const e = caught as Error;
    const everything = `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e)}`;
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(encodeURIComponent(KEY));
    return e.message;
}

/**
 * A call by another API client (a colleague's script, another stack's provider) with its own
 * unique_id, answered by the emulator's rules like any other.
 */
export async function otherClient(emu: DreamhostEmulator, params: Record<string, string>): Promise<{ result: string; data: unknown }> {
    const id = randomUUID();
    otherIds.add(id);
    const url = new URL(emu.url);
    for (const [k, v] of Object.entries({ key: KEY, format: "json", unique_id: id, ...params })) url.searchParams.set(k, v);
    const res = await fetch(url);
    return (await res.json()) as { result: string; data: unknown };
}

const otherIds = new Set<string>();

/** What the emulator answered the provider's own `cmd` calls (other clients' left out), in order. */
export function providerAnswers(emu: DreamhostEmulator, cmd: string): (string | undefined)[] {
    return emu.requests.filter((r) => r.cmd === cmd && !(r.uniqueId && otherIds.has(r.uniqueId))).map((r) => r.answer);
}

/** The add/remove calls seen by the emulator, as `cmd value`, in order. */
export function mutations(emu: DreamhostEmulator): string[] {
    return emu.requests
        .filter((r) => r.cmd !== "dns-list_records")
        .map((r) => `${r.cmd.replace("dns-", "").replace("_record", "")} ${r.params.type} ${r.params.record} ${r.params.value}`);
}
