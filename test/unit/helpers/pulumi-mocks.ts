/**
 * Pulumi mocks for the unit tests: records every resource the program registers, with its raw
 * inputs (secrets still marked), its parent and its dependencies, as the engine would see them.
 * Call `installMocks` before importing the program (pulumi.md: mocks first, one import per file).
 */
import { phpBin } from "../../../devenv/toolchain";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
    type: string;
    name: string;
    urn: string;
    parentUrn: string;
    /** Every resource this one depends on (explicit dependsOn and through its inputs), as URNs. */
    dependencies: string[];
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    /** Dotted paths of inputs that are secret. */
    secretInputs: string[];
    /** Option `additionalSecretOutputs`. */
    additionalSecretOutputs: string[];
    ignoreChanges: string[];
    protect: boolean;
}

export interface MockSetup {
    project?: string;
    stack: string;
    preview?: boolean;
    /** Config as `pulumi config` holds it: "mokowaas:server" -> JSON text or plain string. */
    config?: Record<string, string>;
    secretKeys?: string[];
    /** Outputs of referenced stacks by full stack name; secretOutputs names those that are secret. */
    stacks?: Record<string, { outputs: Record<string, unknown>; secretOutputs?: string[] }>;
}

/** The value a mocked RandomPassword yields: letters and digits, unique per resource. */
export function mockPassword(name: string): string {
    return "Pw" + createHash("sha256").update(name).digest("hex").slice(0, 30);
}

/** The bytes a mocked RandomBytes yields: 32 per resource, derived from its name. */
export function mockBytes(name: string, length = 32): Buffer {
    return createHash("sha256").update(`bytes:${name}`).digest().subarray(0, length);
}

const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const bcryptHashes = new Map<string, string>();

/**
 * The `bcryptHash` a mocked RandomPassword yields: a real bcrypt hash of `mockPassword(name)` in
 * the provider's `$2a$` form, made by PHP's crypt() with a salt derived from the name, so the
 * same name always gives the same hash. Cost 04 (the provider uses 10) keeps the tests fast.
 */
export function mockBcryptHash(name: string): string {
    let hash = bcryptHashes.get(name);
    if (hash === undefined) {
        const salt = [...createHash("sha256").update(`salt:${name}`).digest()].slice(0, 22).map((b) => BCRYPT_ALPHABET[b % 64]).join("");
        hash = execFileSync(phpBin(), ["-r", `echo crypt(stream_get_contents(STDIN), '$2a$04$${salt}');`], { input: mockPassword(name), encoding: "utf8" });
        if (!/^\$2a\$04\$[./A-Za-z0-9]{53}$/.test(hash)) throw new Error(`test: PHP crypt() gave no bcrypt hash for ${name}: ${hash}`);
        bcryptHashes.set(name, hash);
    }
    return hash;
}

function unwrap(value: any, path: string, secrets: string[]): any {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        if (value[SECRET_SIG] === SECRET_VALUE) {
            secrets.push(path);
            return unwrap(value.value, path, []);
        }
        if (SECRET_SIG in value) return value; // asset, archive or resource reference
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v, path ? `${path}.${k}` : k, secrets)]));
    }
    if (Array.isArray(value)) return value.map((v, i) => unwrap(v, `${path}.${i}`, secrets));
    return value;
}

/** State a mocked provider returns for a new resource: its inputs plus what the real one computes. */
function stateFor(type: string, name: string, inputs: any, stacks: MockSetup["stacks"]): { id: string; state: any } {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { id: name, state: { ...inputs, result: mockPassword(name), bcryptHash: mockBcryptHash(name) } };
        case "random:index/randomBytes:RandomBytes": {
            const bytes = mockBytes(name, inputs.length);
            return { id: name, state: { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") } };
        }
        case "hcloud:index/server:Server":
            return { id: "4711", state: { ...inputs, ipv4Address: "203.0.113.10", ipv6Address: "2001:db8::1" } };
        case "hcloud:index/firewall:Firewall":
            return { id: "815", state: inputs };
        case "digitalocean:index/droplet:Droplet":
            return { id: "9001", state: { ...inputs, ipv4Address: "198.51.100.20", ipv6Address: "2001:db8:d0::20" } };
        case "digitalocean:index/sshKey:SshKey":
            return { id: "77", state: { ...inputs, fingerprint: "aa:bb:cc" } };
        case "pulumi:pulumi:StackReference": {
            const ref = stacks?.[inputs.name];
            if (!ref) throw new Error(`test: no mocked stack "${inputs.name}"`);
            return { id: inputs.name, state: { name: inputs.name, outputs: ref.outputs, secretOutputNames: ref.secretOutputs ?? [] } };
        }
        case "command:remote:Command":
            return { id: `${name}-id`, state: { ...inputs, stdout: "", stderr: "" } };
        default:
            return { id: `${name}-id`, state: inputs };
    }
}

/** Installs the mocks and returns the list that fills as resources register. */
export function installMocks(setup: MockSetup): Registered[] {
    const registered: Registered[] = [];
    pulumi.runtime.setAllConfig(setup.config ?? {}, setup.secretKeys ?? []);
    void pulumi.runtime.setMocks(
        {
            newResource: (args) => stateFor(args.type, args.name, args.inputs, setup.stacks),
            call: (args) => {
                throw new Error(`test: unexpected call ${args.token}`);
            },
        },
        setup.project ?? "mokowaas",
        setup.stack,
        setup.preview ?? false,
    );
    const monitor: any = pulumi.runtime.getMonitor();
    const record = (req: any, custom: boolean) => {
        const secretInputs: string[] = [];
        const inputs = unwrap(req.getObject?.()?.toJavaScript() ?? req.getProperties?.()?.toJavaScript() ?? {}, "", secretInputs);
        registered.push({
            type: req.getType(),
            name: req.getName(),
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            parentUrn: req.getParent(),
            dependencies: req.getDependenciesList?.() ?? [],
            inputs,
            secretInputs,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
            ignoreChanges: req.getIgnorechangesList?.() ?? [],
            protect: custom && (req.getProtect?.() ?? false),
        });
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        record(req, req.getCustom());
        return register(req, cb);
    };
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req: any, cb: any) => {
        record(req, true);
        return read(req, cb);
    };
    return registered;
}

/** Resolves an output (with preview=false every mocked value is known). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Waits until every registration the program started has reached the mock monitor. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
        await (pulumi.runtime as any).waitForRPCs();
        await new Promise((r) => setTimeout(r, 10));
    }
}

/** Finds exactly one resource by type and name, with a failure that names it. */
export function one(list: Registered[], type: string, name: string): Registered {
    const found = list.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one ${type} named ${name}, found ${found.length}; registered: ${list.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    }
    return found[0];
}

/** Every command string (create/update/delete) of every remote or local command. */
export function commandStrings(list: Registered[]): { resource: string; field: string; text: string }[] {
    return list
        .filter((r) => r.type.startsWith("command:"))
        .flatMap((r) => (["create", "update", "delete"] as const).filter((f) => typeof r.inputs[f] === "string").map((f) => ({ resource: r.name, field: f, text: r.inputs[f] as string })));
}
