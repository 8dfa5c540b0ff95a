/**
 * The server CLI contract, checked against the real CLI (runtime/bin/mokowaas, run with PHP here):
 * every `mokowaas` invocation a stack declares is found in its command strings, split into
 * words as the server's shell (or systemd) would, and
 *   1. names a verb whose usage (`mokowaas help VERB`) lists its subcommand (where the verb has
 *      some) and every --option it passes, and
 *   2. gets past the CLI's own argument parsing (no exit 2 "usage") in an empty server root,
 *      while the same words plus an unknown option do exit 2 there: proof that the parser, not
 *      an earlier "platform not initialized", judged the words.
 * An empty root per run: every verb stops at the missing platform config, nothing outside it is
 * touched (`platform init` writes its config into that root).
 */
import { phpBin } from "../../../devenv/toolchain";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { commandStrings, type Registered } from "./pulumi-mocks";

export const CLI = path.join(__dirname, "..", "..", "..", "runtime", "bin", "mokowaas");

export interface Invocation {
    /** resource.field where it was found. */
    where: string;
    /** Words after the CLI path: verb, subcommand, arguments. */
    args: string[];
}

/** Shell words from `text` up to the end of the simple command (unquoted ; & | < > ) or newline). */
export function shellWords(text: string): string[] {
    const words: string[] = [];
    let word: string | null = null;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === "'") {
            const end = text.indexOf("'", i + 1);
            if (end < 0) throw new Error(`unterminated quote in: ${text}`);
            word = (word ?? "") + text.slice(i + 1, end);
            i = end;
        } else if (ch === '"') {
            let j = i + 1;
            let out = "";
            for (; j < text.length && text[j] !== '"'; j++) out += text[j] === "\\" ? text[++j] : text[j];
            word = (word ?? "") + out;
            i = j;
        } else if (ch === "\\") {
            word = (word ?? "") + text[++i];
        } else if (ch === " " || ch === "\t") {
            if (word !== null) words.push(word);
            word = null;
        } else if (";&|<>)\n".includes(ch)) {
            break;
        } else {
            word = (word ?? "") + ch;
        }
    }
    if (word !== null) words.push(word);
    return words;
}

/** Every invocation of the CLI at `cliPath` in the registered commands' create/update/delete strings. */
export function invocations(list: Registered[], cliPath: string): Invocation[] {
    const found: Invocation[] = [];
    for (const { resource, field, text } of commandStrings(list)) {
        for (let at = text.indexOf(cliPath); at >= 0; at = text.indexOf(cliPath, at + 1)) {
            const before = at === 0 ? " " : text[at - 1];
            const next = text[at + cliPath.length];
            if (!/[\s'"=]/.test(before) || (next !== undefined && !/[\s'"]/.test(next))) continue;
            const rest = text.slice(at + cliPath.length).replace(/^['"]/, "");
            found.push({ where: `${resource}.${field}`, args: shellWords(rest) });
        }
    }
    return found;
}

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mokowaas-contract-"));
    try {
        const r = spawnSync(phpBin(), [CLI, ...args], { input: "", encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", MOKOWAAS_ROOT: root } });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

const usageCache = new Map<string, string>();
export function usageOf(verb: string): string {
    if (!usageCache.has(verb)) usageCache.set(verb, runCli(["help", verb]).stdout);
    return usageCache.get(verb)!;
}

/** Checks one invocation against the real CLI (see the module comment). */
export function expectAccepted(inv: Invocation): void {
    const label = `${inv.where}: mokowaas ${inv.args.join(" ")}`;
    const [verb] = inv.args;
    expect(verb, label).toMatch(/^[a-z][a-z-]*$/);
    const usage = usageOf(verb);
    expect(usage, `${label}: \`mokowaas help ${verb}\` shows no usage (unknown verb?)`).toMatch(/^usage: mokowaas /);
    // Some verbs check their subcommand only after loading the platform config: judge it by the usage.
    const subcommands = new Set([...usage.matchAll(new RegExp(`mokowaas ${verb} ([a-z][a-z-]*)(?=\\s|$)`, "gm"))].map((m) => m[1]));
    if (subcommands.size > 0) expect([...subcommands], `${label}: subcommand "${inv.args[1]}" is not in \`mokowaas help ${verb}\``).toContain(inv.args[1]);
    for (const option of inv.args.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0])) {
        expect(new RegExp(`${option}(?![a-z-])`).test(usage), `${label}: ${option} is not in \`mokowaas help ${verb}\``).toBe(true);
    }
    const run = runCli(inv.args);
    expect({ label, status: run.status, stderr: run.stderr }).not.toMatchObject({ status: 2 });
    expect(run.stderr, label).not.toMatch(/unknown (option|verb|subcommand)/);
    const control = runCli([...inv.args, "--no-such-option"]);
    expect({ label: `${label} --no-such-option`, status: control.status }).toEqual({ label: `${label} --no-such-option`, status: 2 });
}
