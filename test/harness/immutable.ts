import { spawnSync } from "node:child_process";

/** Makes a folder tree immutable (chattr +i) or mutable again: even root cannot write to it then. */
export function setImmutable(dir: string, on: boolean): void {
    const r = spawnSync("chattr", ["-R", on ? "+i" : "-i", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`chattr ${on ? "+i" : "-i"} ${dir} failed (needs root and a filesystem with attributes): ${r.stderr}`);
}
