/**
 * Runtime tier: one real MariaDB for all runtime test files (each file uses its own databases),
 * started here and stopped after the run. Test files read it with `inject("mariadb")`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { startMariaDb, type MariaDbInfo } from "../../devenv/mariadb";

declare module "vitest" {
    export interface ProvidedContext {
        mariadb: MariaDbInfo;
    }
}

export default async function setup(project: TestProject) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-mariadb-"));
    const db = await startMariaDb(dir);
    const { stop, ...info } = db;
    project.provide("mariadb", info);
    return async () => {
        await stop();
        fs.rmSync(dir, { recursive: true, force: true });
    };
}
