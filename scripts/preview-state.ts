/**
 * The state pull-request previews run against (docs/fleet.md, "Pull request previews").
 *
 *   npm run --silent preview-state -- publish
 *     The deploy job, after `fleet up`: copies every stack of the production backend
 *     (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE[_FILE]) into PREVIEW_BACKEND_URL with every
 *     secret replaced by a placeholder. Without PREVIEW_BACKEND_URL it says so and does nothing.
 *
 *   npm run --silent preview-state -- fetch [--dir DIR] [--rewrite-stack-config]
 *     The preview job, with a key that can only read PREVIEW_BACKEND_URL: copies it into a local
 *     file backend (default .cache/preview-state/backend), rewrites the Pulumi.<stack>.yaml files
 *     to match, and prints the variables a preview then needs as NAME=value lines (for
 *     $GITHUB_ENV). Needs no production secret. Outside CI (CI=true) it wants
 *     --rewrite-stack-config, as it rewrites this checkout's stack config files.
 *
 * Exit 0 done; 2 usage; 3 missing engine or settings; 1 anything else (the message says what).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pulumiCommandOf } from "../fleet/automation";
import { baseEngineEnv, findEngine } from "../fleet/engine";
import { fetchPreviewState, publishPreviewState } from "../fleet/preview-mirror";
import { PREVIEW_PASSPHRASE } from "../fleet/preview-state";

const repo = path.join(__dirname, "..");
const USAGE = "usage: npm run --silent preview-state -- publish | fetch [--dir DIR] [--rewrite-stack-config]";
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The same backend written two ways (a trailing slash, a file:// path with "..") is still the same. */
function sameBackend(a: string, b: string): boolean {
    const norm = (u: string) => (u.startsWith("file://") ? `file://${path.resolve(u.slice("file://".length))}` : u).replace(/\/+(\?|$)/, "$1");
    return norm(a) === norm(b);
}

function productionPassphrase(env: NodeJS.ProcessEnv): string | undefined {
    if (env.PULUMI_CONFIG_PASSPHRASE) return env.PULUMI_CONFIG_PASSPHRASE;
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return fs.readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").trim();
    return undefined;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
    const [command, ...rest] = argv;
    let dir = path.join(repo, ".cache", "preview-state", "backend");
    let rewriteHere = false;
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--dir" && command === "fetch" && rest[i + 1]) dir = path.resolve(rest[++i]);
        else if (rest[i] === "--rewrite-stack-config" && command === "fetch") rewriteHere = true;
        else {
            log(`preview-state: unknown option "${rest[i]}"\n${USAGE}`);
            return 2;
        }
    }
    if (command !== "publish" && command !== "fetch") {
        log(USAGE);
        return 2;
    }
    const previewBackend = env.PREVIEW_BACKEND_URL;
    if (!previewBackend) {
        log(
            command === "publish"
                ? "preview-state: PREVIEW_BACKEND_URL is not set: no preview state published, so pull-request previews cannot show stack changes (docs/fleet.md)"
                : "preview-state: PREVIEW_BACKEND_URL is not set: there is no preview state to run a preview against (docs/fleet.md, Pull request previews)",
        );
        return command === "publish" ? 0 : 3;
    }
    const productionBackend = env.PULUMI_BACKEND_URL || `file://${path.join(repo, ".pulumi")}`;
    const passphrase = productionPassphrase(env);
    if (command === "publish") {
        if (!passphrase) {
            log("preview-state: PULUMI_CONFIG_PASSPHRASE (or _FILE) is not set: publishing reads the production state, which it encrypts");
            return 3;
        }
        if (passphrase === PREVIEW_PASSPHRASE) {
            log("preview-state: the passphrase is the preview one: publish runs against the production state only");
            return 2;
        }
        // Placeholders written over the production state would destroy it.
        if (sameBackend(productionBackend, previewBackend)) {
            log("preview-state: PREVIEW_BACKEND_URL is the production backend: refusing to write placeholders over the production state");
            return 2;
        }
    } else if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
        log(`preview-state: ${dir} is not empty: remove it first (each fetch starts from a fresh copy)`);
        return 2;
    } else if (env.CI !== "true" && !rewriteHere) {
        // A developer's checkout would lose its stack config's secrets to placeholders (git restores them, but a commit would not).
        log("preview-state: fetch rewrites this checkout's Pulumi.<stack>.yaml files (placeholders for their secrets): it runs in CI (CI=true), or with --rewrite-stack-config in a throwaway checkout");
        return 2;
    }
    const { engine, reason } = findEngine(repo, env);
    if (!engine) {
        log(`preview-state: ${reason}`);
        return 3;
    }
    const common = { repo, pulumiCommand: await pulumiCommandOf(engine), baseEnv: baseEngineEnv(engine, env), log };
    if (command === "publish") {
        const stacks = await publishPreviewState({ ...common, productionBackend, productionPassphrase: passphrase!, previewBackend });
        log(`preview-state: published ${stacks.length} stack(s) to the preview state`);
        return 0;
    }
    const out = await fetchPreviewState({ ...common, previewBackend, localDir: dir });
    for (const [k, v] of Object.entries(out)) process.stdout.write(`${k}=${v}\n`);
    return 0;
}

/**
 * An error as it may be logged. An engine error quotes the failed command's stdout, and publish
 * reads secrets through stdout (export --show-secrets, config --show-secrets): only the exit code
 * and stderr are kept.
 */
export function printable(e: unknown): string {
    const text = e instanceof Error ? e.message : String(e);
    const m = /^code: (-?\d+)\n stdout: [\s\S]*?\n stderr: ([\s\S]*?)\n err\?: /.exec(text);
    return m ? `the pulumi CLI failed (exit ${m[1]}): ${m[2].trim()}` : text;
}

if (require.main === module) {
    main(process.argv.slice(2), process.env).then(
        (code) => (process.exitCode = code),
        (e: unknown) => {
            log(`preview-state: ${printable(e)}`);
            process.exitCode = 1;
        },
    );
}
