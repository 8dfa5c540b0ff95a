/**
 * Runtime tier: one real MySQL for all runtime test files (each file uses its own databases),
 * started here and stopped after the run. Test files read it with `inject("mysql")`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { startMySql, type MySqlInfo } from "../../devenv/mysql";

declare module "vitest" {
    export interface ProvidedContext {
        mysql: MySqlInfo;
    }
}

export default async function setup(project: TestProject) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-mysql-"));
    const db = await startMySql(dir);
    const { stop, ...info } = db;
    project.provide("mysql", info);
    return async () => {
        await stop();
        fs.rmSync(dir, { recursive: true, force: true });
    };
}
