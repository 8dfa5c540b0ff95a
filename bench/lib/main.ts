/**
 * The frame of a benchmark on the real data plane: a scratch folder and a private MySQL 9.7, the
 * body's services stopped in reverse order afterwards (`defer`), the folder removed, and a failure
 * printed with exit 1.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type MySqlInfo, startMySql } from "../../devenv/mysql";

export function benchMain(name: string, body: (dir: string, db: MySqlInfo, defer: (stop: () => Promise<void>) => void) => Promise<void>): void {
    const run = async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mokowaas-bench-${name}-`));
        const stops: (() => Promise<void>)[] = [];
        try {
            const { stop, ...db } = await startMySql(path.join(dir, "mysql"));
            stops.unshift(stop);
            await body(dir, db, (s) => stops.unshift(s));
        } finally {
            for (const stop of stops) await stop().catch(() => undefined);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    run().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
