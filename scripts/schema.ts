/** `npm run schema`: writes tenants/schema.json from the tenant spec (a unit test fails when it is stale). */
import * as fs from "node:fs";
import * as path from "node:path";
import { tenantJsonSchema } from "../components/tenant-spec";

const out = path.join(__dirname, "..", "tenants", "schema.json");
fs.writeFileSync(out, JSON.stringify(tenantJsonSchema(), null, 2) + "\n");
console.log(`wrote ${path.relative(process.cwd(), out)}`);
