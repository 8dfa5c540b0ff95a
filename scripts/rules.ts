/** `npm run rules`: writes runtime/src/Rules.php from runtime/rules.json (a unit test fails when it is stale). */
import * as fs from "node:fs";
import * as path from "node:path";
import { rulesPhp } from "../components/rules";

const out = path.join(__dirname, "..", "runtime", "src", "Rules.php");
fs.writeFileSync(out, rulesPhp());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
