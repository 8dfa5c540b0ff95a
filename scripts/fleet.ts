/** `npm run fleet -- <preview|up|destroy|status> ...`: see fleet/cli.ts for the options and exit codes. */
import * as path from "node:path";
import { AutomationRunner } from "../fleet/automation";
import { runCli } from "../fleet/cli";
import { engineEnv, findEngine, findLanguageHost } from "../fleet/engine";
import { tunnelOpener } from "../fleet/tunnels";

const repo = path.join(__dirname, "..");
/** Set by makeRunner, which runCli calls before any tunnel is opened. */
let runner: AutomationRunner | undefined;

runCli(process.argv.slice(2), {
    repo,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    // The tunnel reads the platform's outputs through fleet's own engine, backend and passphrase.
    openTunnel: tunnelOpener(repo, (platform) => runner!.outputsOf(platform)),
    makeRunner: async (command) => {
        const { engine, reason } = findEngine(repo);
        if (!engine) throw new Error(`${reason}: nothing ran`);
        // status reads the backend only; every other command runs index.ts through the language host.
        if (command !== "status" && !findLanguageHost(engine)) throw new Error(`${engine.command} runs, but pulumi-language-nodejs (which runs index.ts) is missing: run bash scripts/install-pulumi.sh; nothing ran`);
        runner = await AutomationRunner.create(repo, engine, engineEnv(repo, engine));
        return runner;
    },
}).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
        console.error(`fleet: bug: ${e instanceof Error ? e.stack : String(e)}`);
        process.exitCode = 70;
    },
);
