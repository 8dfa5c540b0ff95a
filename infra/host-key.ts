/**
 * SSH host keys that are known before a new server first answers, so that the first connection
 * to it is already verified, as every later one is. The stack draws 32 random bytes
 * (random.RandomBytes: a CSPRNG in the random plugin, secret in state) and derives an Ed25519
 * key pair from them here, with Node's crypto: cloud-init installs the private half as the
 * server's host key, and every SSH connection (commands, copies, the tunnel) pins the public half.
 *
 * Why not @pulumi/tls (tls.PrivateKey): its resource plugin is neither on the artifact mirror nor
 * built by scripts/install-pulumi.sh, and there is no Pulumi download site here, so a stack using
 * it could not run. A dynamic provider would work too, but the derivation is a pure function of
 * the seed: no extra resource type, and the same key on every run.
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";

export interface HostKeyPair {
    /** OpenSSH private key file ("openssh-key-v1", unencrypted), as sshd reads it. */
    privateKey: string;
    /** `ssh-ed25519 <base64>`: what `hostKey` of a connection and known_hosts take. */
    publicKey: string;
}

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it (RFC 8410). */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const KEY_TYPE = "ssh-ed25519";

/** SSH wire format (RFC 4251): uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
}

function uint32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
}

/**
 * The Ed25519 host key pair of a 32-byte seed, in OpenSSH's formats (PROTOCOL.key in OpenSSH's
 * source). Deterministic: the file's check integers come from the seed too, so a re-run of the
 * program yields the same bytes and no diff.
 */
export function ed25519HostKey(seed: Buffer): HostKeyPair {
    if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
    const jwk = createPublicKey(key).export({ format: "jwk" });
    const pub = Buffer.from(jwk.x ?? "", "base64url");
    if (pub.length !== 32) throw new Error("Ed25519: unexpected public key length");
    const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
    const check = createHash("sha256").update("mokowaas-host-key-check").update(seed).digest().subarray(0, 4);
    const unpadded = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString("")]);
    // The private section is padded with 1, 2, 3, ... to the cipher's block size (8 for "none").
    const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, i) => i + 1));
    const file = Buffer.concat([
        Buffer.from("openssh-key-v1\0", "latin1"),
        sshString("none"), // cipher
        sshString("none"), // kdf
        sshString(""), // kdf options
        uint32(1), // one key
        sshString(publicBlob),
        sshString(Buffer.concat([unpadded, padding])),
    ]);
    // Assembled, so no source file carries a private-key armor line (secret scanners flag those).
    const armor = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
    const body = file.toString("base64").replace(/.{70}/g, "$&\n").replace(/\n$/, "");
    return {
        privateKey: `-----BEGIN ${armor}-----\n${body}\n-----END ${armor}-----\n`,
        publicKey: `${KEY_TYPE} ${publicBlob.toString("base64")}`,
    };
}

/** The SSH strings a key blob is made of, or undefined when its lengths do not add up to it exactly. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
    const parts: Buffer[] = [];
    for (let at = 0; at < blob.length; ) {
        if (at + 4 > blob.length) return undefined;
        const length = blob.readUInt32BE(at);
        if (at + 4 + length > blob.length) return undefined;
        parts.push(blob.subarray(at + 4, at + 4 + length));
        at += 4 + length;
    }
    return parts;
}

/**
 * Why a host public key line is unusable, or undefined when it is fine: `<type> <base64>` whose
 * blob is whole and names the same type (catches a truncated paste or a key of another line).
 * No RSA: @pulumi/command offers only the pinned key's type, and for RSA that is the SHA-1
 * `ssh-rsa` signature, which OpenSSH 8.8 and later refuse.
 */
export function hostKeyProblem(line: string): string | undefined {
    const m = /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!m) return "must be the server's Ed25519 (or ECDSA) host public key as `<type> <base64>`, e.g. `ssh-ed25519 AAAAC3Nz...` (no host name, no comment)";
    const parts = sshStrings(Buffer.from(m[2], "base64"));
    const whole = parts !== undefined && parts[0]?.toString("latin1") === m[1] && (m[1] !== KEY_TYPE || (parts.length === 2 && parts[1].length === 32));
    return whole ? undefined : `is not a whole ${m[1]} key (its base64 does not decode to one): copy the whole key again`;
}
