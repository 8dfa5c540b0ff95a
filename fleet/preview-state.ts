/**
 * The preview state: a copy of every stack's state in which each secret is replaced by a
 * placeholder, so that a pull request's code can run `pulumi preview` without any production
 * secret (docs/fleet.md, "Pull request previews"). Pure functions here; fleet/preview-mirror.ts
 * moves the states with the engine.
 *
 * Why placeholders and not just a read-only copy: the state's secrets (the platform's SSH key,
 * the MySQL admin password, every tenant's passwords) are encrypted with one passphrase, and
 * whoever holds it and can read the state can decrypt them all. A PR's code runs in its preview,
 * so a preview that holds the passphrase holds root on every server. With placeholders the
 * preview's passphrase (PREVIEW_PASSPHRASE, public on purpose) protects nothing.
 *
 * A preview compares the program's new inputs with the state, so placeholders must be the values
 * the program computes from the placeholders it is given:
 *  - a value the program passes on (a random password, a platform output) gets the same
 *    placeholder wherever it appears, in every stack: a keyed, deterministic map that keeps the
 *    length and the kind of each character (a base64 seed still decodes to 32 bytes, a hex string
 *    stays hex), so the program's parsing of it still works;
 *  - a config secret gets a placeholder derived from its ciphertext in Pulumi.<stack>.yaml, which
 *    the preview side computes from the PR's file as well: unchanged in the PR, no diff; changed,
 *    a diff, as it should;
 *  - a secret the program builds from those (a JSON entry holding two passwords) keeps its
 *    structure with the placeholders substituted, unless what is left still holds another secret
 *    or looks like key material (a private key derived from a seed): then it is replaced whole,
 *    which may show a spurious change but never leaks;
 *  - the SHA-256 hex of a secret (what the mysql provider keeps of a password) follows its
 *    placeholder.
 */
import { createHash, createHmac } from "node:crypto";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";

/**
 * The passphrase of the preview state and of the stacks a preview creates. Not a secret: what it
 * encrypts are placeholders. A fixed value, so previews need no passphrase from the secret store;
 * shell-safe, so the NAME=value lines of `preview-state fetch` can be sourced.
 */
export const PREVIEW_PASSPHRASE = "mokowaas-preview-state.placeholders-only.not-a-secret";

/**
 * Provider credentials in stack config. A preview drops them so that each provider reads the
 * read-only preview credential from its environment variable (HCLOUD_TOKEN, DIGITALOCEAN_TOKEN,
 * DREAMHOST_API_KEY) instead of a placeholder it could not log in with.
 */
export const PROVIDER_CREDENTIAL_KEYS = ["hcloud:token", "digitalocean:token", "dreamhost:apiKey"] as const;

/** How Pulumi marks a secret in an exported deployment: `{ [SIG]: SECRET, plaintext | ciphertext }`. */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

/** Shortest secret that is also replaced inside longer strings (shorter ones only as a whole value: "root" is in many paths). */
const MIN_EMBEDDED = 8;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);
const isSecretEnvelope = (v: unknown): v is Record<string, Json> => isObject(v) && v[SIG] === SECRET;
const sha256hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/**
 * Many strings (each at least MIN_EMBEDDED long) found in a text in one pass, indexed by their
 * first characters: a state holds thousands of secrets and megabytes of text (every DNS record
 * carries its provider's code), too many for one regular expression of alternatives.
 */
class Needles {
    private readonly byPrefix = new Map<string, string[]>();

    constructor(needles: Iterable<string>) {
        for (const n of new Set(needles)) {
            if (n.length < MIN_EMBEDDED) continue;
            const key = n.slice(0, MIN_EMBEDDED);
            this.byPrefix.set(key, [...(this.byPrefix.get(key) ?? []), n]);
        }
        for (const list of this.byPrefix.values()) list.sort((a, b) => b.length - a.length);
    }

    /** The needle starting at `i` of `text`, the longest if several. */
    private at(text: string, i: number): string | undefined {
        return this.byPrefix.get(text.slice(i, i + MIN_EMBEDDED))?.find((n) => text.startsWith(n, i));
    }

    /** `text` with each occurrence (leftmost, longest, not overlapping) replaced by `replace(needle)`. */
    replaceAll(text: string, replace: (needle: string) => string): string {
        if (this.byPrefix.size === 0 || text.length < MIN_EMBEDDED) return text;
        let out = "";
        let last = 0;
        for (let i = 0; i + MIN_EMBEDDED <= text.length; ) {
            const hit = this.at(text, i);
            if (!hit) {
                i++;
                continue;
            }
            out += text.slice(last, i) + replace(hit);
            i += hit.length;
            last = i;
        }
        return last === 0 ? text : out + text.slice(last);
    }

    /** Whether `text` holds any needle. */
    foundIn(text: string): boolean {
        if (this.byPrefix.size === 0) return false;
        for (let i = 0; i + MIN_EMBEDDED <= text.length; i++) if (this.at(text, i)) return true;
        return false;
    }
}

/** The placeholder key: derived from the production passphrase, so placeholders are stable across publishes and cannot be recomputed by a preview. */
export function placeholderKey(productionPassphrase: string): Buffer {
    return createHmac("sha256", "mokowaas preview placeholders v1").update(productionPassphrase, "utf8").digest();
}

/** Character classes kept by the placeholder map: hex stays hex, base64 stays base64, alphanumerics stay alphanumeric. */
const CLASSES = ["0123456789", "abcdef", "ghijklmnopqrstuvwxyz", "ABCDEF", "GHIJKLMNOPQRSTUVWXYZ"];

/** A keyed, deterministic stand-in for `value` with its length and the class of each character; other characters are kept. */
export function placeholderFor(key: Buffer, value: string): string {
    const seed = createHmac("sha256", key).update(value, "utf8").digest();
    let stream = Buffer.alloc(0);
    for (let block = 0; stream.length < value.length; block++) {
        stream = Buffer.concat([stream, createHmac("sha256", key).update(seed).update(String(block)).digest()]);
    }
    let out = "";
    for (let i = 0; i < value.length; i++) {
        const c = value[i];
        const cls = CLASSES.find((k) => k.includes(c));
        out += cls ? cls[stream[i] % cls.length] : c;
    }
    return out;
}

/** The placeholder of a config secret, from its ciphertext in Pulumi.<stack>.yaml (what both sides can see). */
export function configPlaceholder(ciphertext: string): string {
    return `preview-placeholder-${sha256hex(ciphertext).slice(0, 24)}`;
}

/** Long runs that look like key material: mixed-case base64, or hex with digits and letters, or a PEM armor line. */
export function looksLikeKeyMaterial(text: string): boolean {
    if (/-----BEGIN [A-Z ]+-----/.test(text)) return true;
    for (const run of text.match(/[A-Za-z0-9+/=_-]{20,}/g) ?? []) {
        if (/[0-9]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run)) return true;
    }
    for (const run of text.match(/[0-9a-fA-F]{32,}/g) ?? []) {
        if (/[0-9]/.test(run) && /[a-fA-F]/.test(run)) return true;
    }
    return false;
}

/** A config secret: its ciphertext in the stack's file and its value. */
export interface ConfigSecret {
    ciphertext: string;
    value: string;
}

/** A secret envelope's value; throws on one still encrypted (the export must be made with --show-secrets). */
function envelopeValue(env: Record<string, Json>): Json {
    if (typeof env.plaintext !== "string") throw new Error("a secret in the exported state is still encrypted: export it with --show-secrets");
    return JSON.parse(env.plaintext) as Json;
}

/** Every secret string in a deployment, in the clear (for the checks that none survives). */
export function secretStrings(deployment: unknown): string[] {
    const out: string[] = [];
    const walk = (v: unknown, inSecret: boolean) => {
        if (isSecretEnvelope(v)) return walk(envelopeValue(v), true);
        if (typeof v === "string") {
            if (inSecret) out.push(v);
        } else if (Array.isArray(v)) for (const x of v) walk(x, inSecret);
        else if (isObject(v)) for (const x of Object.values(v)) walk(x, inSecret);
    };
    walk(deployment, false);
    return out;
}

/**
 * Secrets generated by the random provider (passwords, bytes, their bcrypt hashes): the values a
 * program passes on and builds other secrets from.
 */
export function generatedSecrets(deployment: unknown): string[] {
    const resources = isObject(deployment) && Array.isArray(deployment.resources) ? deployment.resources : [];
    return resources.flatMap((r) => (isObject(r) && typeof r.type === "string" && r.type.startsWith("random:") && isObject(r.outputs) ? secretStrings(r.outputs) : []));
}

/** Replaces secrets in deployments, the same way in every stack of one publish. */
export class Redactor {
    /** Secret value -> placeholder. */
    private readonly exact: Map<string, string>;
    /** The same secrets, found inside longer strings too. */
    private readonly embedded: Needles;

    constructor(
        private readonly key: Buffer,
        configSecrets: ConfigSecret[],
        generated: string[],
    ) {
        const map = new Map<string, string>();
        for (const v of generated) if (v) map.set(v, placeholderFor(key, v));
        // A config secret's placeholder is the one the preview derives from the PR's file.
        for (const c of configSecrets) if (c.value) map.set(c.value, configPlaceholder(c.ciphertext));
        for (const [v, p] of [...map]) map.set(sha256hex(v), sha256hex(p));
        this.exact = map;
        this.embedded = new Needles(map.keys());
    }

    /** `text` with every known secret it contains replaced by its placeholder. */
    private substitute(text: string): string {
        return this.exact.get(text) ?? this.embedded.replaceAll(text, (m) => this.exact.get(m)!);
    }

    /**
     * One string of a secret value. `others`: the stack's other secrets (outputs passed on,
     * connection fields...), which a built secret may not keep in the clear.
     */
    redactSecret(text: string, others: string[] = []): string {
        return this.redact(text, new Needles(others));
    }

    private redact(text: string, others: Needles): string {
        const known = this.exact.get(text);
        if (known !== undefined) return known;
        const substituted = this.substitute(text);
        if (substituted !== text) {
            const rest = this.embedded.replaceAll(text, () => " ");
            if (!looksLikeKeyMaterial(rest) && !others.foundIn(rest)) return substituted;
        }
        return placeholderFor(this.key, text);
    }

    /**
     * A copy of an exported deployment (the `deployment` member of `pulumi stack export
     * --show-secrets`) with every secret replaced and any known secret that leaked into a plain
     * value replaced too; without pending operations and secrets provider (the target stack's own
     * goes in on import).
     */
    redactDeployment(deployment: Record<string, unknown>): Record<string, unknown> {
        const others = new Needles(privateSecrets(deployment).filter((v) => !this.exact.has(v)));
        const walk = (v: unknown, inSecret: boolean): Json => {
            if (isSecretEnvelope(v)) {
                const { plaintext: _plaintext, ciphertext: _ciphertext, ...rest } = v;
                return { ...rest, plaintext: JSON.stringify(walk(envelopeValue(v), true)) };
            }
            if (typeof v === "string") return inSecret ? this.redact(v, others) : this.substitute(v);
            if (Array.isArray(v)) return v.map((x) => walk(x, inSecret));
            if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, inSecret)]));
            return v as Json;
        };
        const { secrets_providers: _sp, pending_operations: _po, ...rest } = deployment;
        return walk(rest, false) as Record<string, unknown>;
    }
}

/** Every string of a JSON value that is not inside a secret: what anyone who can read the state sees anyway. */
export function plainStrings(v: unknown, out: string[] = []): string[] {
    if (isSecretEnvelope(v)) return out;
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) plainStrings(x, out);
    else if (isObject(v)) for (const x of Object.values(v)) plainStrings(x, out);
    return out;
}

/** Where `needle` occurs in a deployment, as property paths (secrets opened): names the leak without quoting it. */
export function pathsOf(v: unknown, needle: string, at = "", out: string[] = []): string[] {
    if (isSecretEnvelope(v) && typeof v.plaintext === "string") return pathsOf(JSON.parse(v.plaintext), needle, `${at}(secret)`, out);
    if (typeof v === "string" && v.includes(needle)) out.push(at || "(root)");
    else if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, needle, `${at}[${i}]`, out));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) pathsOf(x, needle, at ? `${at}.${k}` : k, out);
    return out;
}

/** Every string of a JSON value, secrets opened. */
function allStrings(v: unknown, out: string[] = []): string[] {
    if (isSecretEnvelope(v) && typeof v.plaintext === "string") return allStrings(JSON.parse(v.plaintext), out);
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) allStrings(x, out);
    else if (isObject(v)) for (const x of Object.values(v)) allStrings(x, out);
    return out;
}

/**
 * The secrets of `original` (and `extra`, e.g. config secrets) found in `copy`: what the copy would
 * leak. The last check before a copy is kept; a copy is made from its original only, so the
 * original's secrets are the ones to look for.
 */
export function leaksOf(original: unknown, copy: unknown, extra: string[] = []): string[] {
    const copied = allStrings(copy).join("\n");
    return privateSecrets(original, extra).filter((s) => copied.includes(s));
}

/**
 * The secrets of a deployment (and `extra`) worth hiding: long enough to be more than a word, and
 * not also in its plain values (an address that is a secret connection's host and a plain output
 * is public anyway).
 */
function privateSecrets(deployment: unknown, extra: string[] = []): string[] {
    const plain = plainStrings(deployment).join("\n");
    return [...new Set([...secretStrings(deployment), ...extra])].filter((s) => s.length >= MIN_EMBEDDED && !plain.includes(s));
}

// ---- stack config files (Pulumi.<stack>.yaml) ----

/** A `secure:` value in a stack config file: its key (fully qualified), the path inside an object value, and its ciphertext. */
export interface SecureValue {
    key: string;
    path: (string | number)[];
    ciphertext: string;
}

/** The project's name (config keys without a namespace belong to it). */
export function projectName(pulumiYaml: string): string {
    const name = (parseDocument(pulumiYaml).toJS() as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || !name) throw new Error("Pulumi.yaml has no project name");
    return name;
}

const qualified = (key: string, project: string) => (key.includes(":") ? key : `${project}:${key}`);

/** Every secure value of a stack config file, in file order. */
export function secureValues(text: string, project: string): SecureValue[] {
    const out: SecureValue[] = [];
    const visit = (v: unknown, key: string, path: (string | number)[]) => {
        if (isObject(v) && Object.keys(v).length === 1 && typeof v.secure === "string") out.push({ key, path, ciphertext: v.secure });
        else if (Array.isArray(v)) v.forEach((x, i) => visit(x, key, [...path, i]));
        else if (isObject(v)) for (const [k, x] of Object.entries(v)) visit(x, key, [...path, k]);
    };
    const config = (parseDocument(text).toJS() as { config?: unknown } | null)?.config;
    if (isObject(config)) for (const [k, v] of Object.entries(config)) visit(v, qualified(k, project), []);
    return out;
}

/**
 * The value at `path` of a decrypted config entry (`pulumi config --json --show-secrets`): the
 * string itself, or a member of the object it holds as JSON.
 */
export function decryptedAt(entry: { value?: string; objectValue?: unknown } | undefined, path: (string | number)[]): string | undefined {
    if (!entry) return undefined;
    if (path.length === 0) return entry.value;
    let v: unknown = entry.objectValue ?? (entry.value !== undefined ? JSON.parse(entry.value) : undefined);
    for (const p of path) v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[p] : undefined;
    return typeof v === "string" ? v : undefined;
}

/** First line of a stack config file rewritten for a preview: such a file must never be committed. */
export const REWRITTEN_MARK = " Rewritten for a pull-request preview (scripts/preview-state.ts fetch): placeholders, not the stack's config. Do not commit.";

export function isRewritten(text: string): boolean {
    return text.includes(REWRITTEN_MARK.trim());
}

/**
 * A stack config file as a preview runs it: the preview stack's salt, every secure value replaced
 * by the ciphertext of its placeholder (`encrypted`: ciphertext in the PR's file -> ciphertext of
 * its placeholder under the preview passphrase), and the provider credentials dropped. Comments
 * and everything else stay as they are.
 */
export function previewStackConfig(text: string, project: string, salt: string, encrypted: Map<string, string>): string {
    const doc = parseDocument(text);
    // Its secure values are placeholders now, and the placeholder of a placeholder is another one.
    if (isRewritten(text)) throw new Error("this file was already rewritten for a preview: run the preview from a fresh checkout");
    doc.commentBefore = [REWRITTEN_MARK, doc.commentBefore].filter(Boolean).join("\n");
    doc.set("encryptionsalt", salt);
    const config = doc.get("config");
    if (isMap(config)) {
        for (const pair of [...config.items]) {
            const key = qualified(String(isScalar(pair.key) ? pair.key.value : pair.key), project);
            if ((PROVIDER_CREDENTIAL_KEYS as readonly string[]).includes(key)) config.delete(pair.key);
        }
    }
    const rewrite = (node: unknown): void => {
        if (isMap(node)) {
            const only = node.items.length === 1 ? node.items[0] : undefined;
            if (only && isScalar(only.key) && only.key.value === "secure" && isScalar(only.value) && typeof only.value.value === "string") {
                const replacement = encrypted.get(only.value.value);
                if (replacement === undefined) throw new Error("a secure value has no placeholder ciphertext");
                only.value.value = replacement;
                return;
            }
            for (const p of node.items) rewrite(p.value);
        } else if (isSeq(node)) {
            for (const x of node.items) rewrite(x);
        }
    };
    rewrite(doc.get("config"));
    return doc.toString();
}
