/**
 * A stand-in "Joomla full package": the stand-in docroot plus the real SQL of one Joomla version
 * (installation SQL, core update files, manifest), as a .tar.zst like the published packages.
 * Built reproducibly (sorted names, fixed times and owners), so the same inputs give the same
 * checksum on every run and the platform's release step does not rerun for nothing.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { layOutRelease } from "./joomla-release";
import { writeStandinRelease } from "./standin-docroot";

export interface StandinPackage {
    file: string;
    sha512: string;
}

export function buildStandinPackage(version: string, dir: string): StandinPackage {
    const file = path.join(dir, `Joomla_${version}-Standin_Package.tar.zst`);
    const build = path.join(dir, `build-${version}`);
    fs.rmSync(build, { recursive: true, force: true });
    writeStandinRelease(build);
    layOutRelease(version, build);
    const r = spawnSync("tar", [
        "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--mode=u+rwX,go+rX,go-w",
        "--zstd", "-cf", `${file}.tmp`, "-C", build, ".",
    ], { encoding: "utf8" });
    fs.rmSync(build, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`tar of the stand-in package failed: ${r.stderr}`);
    fs.renameSync(`${file}.tmp`, file);
    return { file, sha512: createHash("sha512").update(fs.readFileSync(file)).digest("hex") };
}
