/**
 * Where the DreamHost provider finds its key, endpoint and retry policy. Resolved on every provider
 * call, inside the provider host, never at module scope: a value captured at module scope would be
 * serialized into Pulumi state with the provider and go stale after a key rotation.
 */
import { dreamhostSettingsError } from "./errors";

export const DEFAULT_API_URL = "https://api.dreamhost.com/";

export interface DreamhostSettings {
    apiKey: string;
    /** Base URL of the API (the real one, an emulator on loopback, or a staging proxy). */
    apiUrl: string;
    /** Attempts per logical call, the first included (default 5). */
    maxAttempts: number;
    /** First backoff delay; it doubles per attempt, with jitter (default 1000 ms). */
    backoffMs: number;
    /** Ceiling of one backoff delay (default 30 s). */
    maxBackoffMs: number;
    /** Time allowed for one HTTP attempt (default 30 s). */
    timeoutMs: number;
}

/** Something that answers full config keys such as `dreamhost:apiKey` (stack config, configure()). */
export interface ConfigLookup {
    get(key: string): string | undefined;
}

/** Config key (namespace dreamhost) and environment variable of each setting. */
const SOURCES = {
    apiKey: ["dreamhost:apiKey", "DREAMHOST_API_KEY"],
    apiUrl: ["dreamhost:apiUrl", "DREAMHOST_API_URL"],
    maxAttempts: ["dreamhost:maxAttempts", "DREAMHOST_MAX_ATTEMPTS"],
    backoffMs: ["dreamhost:backoffMs", "DREAMHOST_BACKOFF_MS"],
    maxBackoffMs: ["dreamhost:maxBackoffMs", "DREAMHOST_MAX_BACKOFF_MS"],
    timeoutMs: ["dreamhost:timeoutMs", "DREAMHOST_TIMEOUT_MS"],
} as const;

/**
 * Reads each setting from the first config lookup that has it, then the environment, then the
 * default. Throws a DreamhostSettingsError naming the setting and the fix; never echoes the key.
 */
export function resolveSettings(configs: ConfigLookup[], env: Record<string, string | undefined>): DreamhostSettings {
    const pick = (name: keyof typeof SOURCES): { value: string; from: string } | undefined => {
        const [configKey, envKey] = SOURCES[name];
        for (const c of configs) {
            const v = c.get(configKey);
            if (v !== undefined && v !== "") return { value: v, from: `config ${configKey}` };
        }
        const v = env[envKey];
        return v !== undefined && v !== "" ? { value: v, from: `environment variable ${envKey}` } : undefined;
    };

    const key = pick("apiKey");
    if (!key) {
        throw dreamhostSettingsError(
            "No DreamHost API key: run `pulumi config set --secret dreamhost:apiKey <key>` " +
                "or set DREAMHOST_API_KEY (the key needs the dns-list_records, dns-add_record and dns-remove_record commands)",
        );
    }
    if (/[\s]/.test(key.value)) throw dreamhostSettingsError(`The DreamHost API key from ${key.from} contains white space`);

    const url = pick("apiUrl");
    const apiUrl = url ? checkedUrl(url.value, url.from) : DEFAULT_API_URL;

    const number = (name: keyof typeof SOURCES, dflt: number, min: number, max: number): number => {
        const p = pick(name);
        if (!p) return dflt;
        const n = Number(p.value);
        if (!Number.isInteger(n) || n < min || n > max) {
            throw dreamhostSettingsError(`${p.from} must be a whole number from ${min} to ${max}, got "${p.value}"`);
        }
        return n;
    };

    return {
        apiKey: key.value,
        apiUrl,
        maxAttempts: number("maxAttempts", 5, 1, 20),
        backoffMs: number("backoffMs", 1000, 0, 60_000),
        maxBackoffMs: number("maxBackoffMs", 30_000, 0, 600_000),
        timeoutMs: number("timeoutMs", 30_000, 10, 600_000),
    };
}

/**
 * The key travels in the query string, so it may only go over TLS, except to this machine's
 * loopback (an emulator or a local TLS-terminating proxy).
 */
function checkedUrl(raw: string, from: string): string {
    let u: URL;
    try {
        u = new URL(raw);
    } catch {
        throw dreamhostSettingsError(`${from} is not a URL: write it like ${DEFAULT_API_URL}`);
    }
    if (u.username || u.password || u.search || u.hash) {
        throw dreamhostSettingsError(`${from} must be a bare base URL without credentials, query or fragment, like ${DEFAULT_API_URL}`);
    }
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
    if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
        throw dreamhostSettingsError(
            `${from} must use https (the API key travels in the query string); plain http is allowed only to 127.0.0.1, localhost or [::1]`,
        );
    }
    return u.href;
}
