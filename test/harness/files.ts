/** Reading whole folders in tests: what someone holding a state backend or a log folder would read. */
import * as fs from "node:fs";
import * as path from "node:path";

/** Every regular file under `dir` (none when it does not exist). */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
    });
}

/** The text of every file under `dir`, concatenated. */
export function textOfFiles(dir: string, filter: (file: string) => boolean = () => true): string {
    return filesUnder(dir).filter(filter).map((f) => fs.readFileSync(f, "latin1")).join("\n");
}
