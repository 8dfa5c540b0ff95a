/**
 * `npm run --silent validate -- [DIR]`: checks every tenant YAML in DIR (default tenants/).
 * Prints every problem as `<file>: <field.path>: <message>`, exit 1 on any; else one summary line.
 * Exit 2: DIR is not a folder. A relative DIR is taken from where npm was run (INIT_CWD).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, loadTenants } from "../components/tenant-spec";

const base = process.env.INIT_CWD ?? process.cwd();
process.chdir(base);
const dir = process.argv[2] ?? (path.relative(base, path.join(__dirname, "..", "tenants")) || ".");
if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    console.error(`${dir}: not a folder: pass the folder that holds the tenant YAML files`);
    process.exit(2);
}
const { specs, problems, files } = loadTenants(dir);
if (problems.length > 0) {
    for (const p of problems) console.log(formatProblem(p));
    console.error(`${problems.length} problem(s) in ${new Set(problems.map((p) => p.file)).size} of ${files.length} tenant file(s)`);
    process.exit(1);
}
console.log(`${specs.length} tenant file(s) valid in ${dir}`);
