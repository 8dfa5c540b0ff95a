/** A content hash of a folder (paths and bytes, sorted), so commands rerun exactly when it changes. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export function hashFolder(dir: string): string {
    const hash = createHash("sha256");
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const p = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) walk(p);
            else if (entry.isFile()) hash.update(`${p}\0`).update(fs.readFileSync(path.join(dir, p))).update("\0");
        }
    };
    walk("");
    return hash.digest("hex");
}
