/**
 * The fleet's report in three forms: a text table for terminals, JSON for machines (`--json`), and
 * Markdown for the PR comment. All three come from the same `FleetReport`.
 */
import type { Outcome } from "./runner";

export interface FleetReport {
    /** Bumped when a field changes meaning; the PR comment script checks it. */
    version: 1;
    command: string;
    /** `BASE..HEAD` when the stacks came from `--changed`. */
    range?: { text: string; base: string; head: string };
    startedAt: string;
    outcomes: Outcome[];
    totals: { succeeded: number; failed: number; skipped: number };
}

export function makeReport(command: string, startedAt: Date, outcomes: Outcome[], range?: FleetReport["range"]): FleetReport {
    const count = (r: Outcome["result"]) => outcomes.filter((o) => o.result === r).length;
    return {
        version: 1,
        command,
        range,
        startedAt: startedAt.toISOString(),
        outcomes,
        totals: { succeeded: count("succeeded"), failed: count("failed"), skipped: count("skipped") },
    };
}

export function formatDuration(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)}ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(1)}s`;
    return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

const HEADER = ["STACK", "OPERATION", "CREATE", "UPDATE", "REPLACE", "DELETE", "RESULT", "DURATION"];

function row(o: Outcome): string[] {
    const n = (k: "create" | "update" | "replace" | "delete") => (o.counts ? String(o.counts[k]) : "-");
    const stack = o.role === "platform" ? `${o.stack} (platform)` : o.stack;
    return [stack, o.operation, n("create"), n("update"), n("replace"), n("delete"), o.result, formatDuration(o.durationMs)];
}

const totalsLine = (r: FleetReport) =>
    `${r.outcomes.length} stack(s): ${r.totals.succeeded} succeeded, ${r.totals.failed} failed, ${r.totals.skipped} skipped`;

/** The terminal table, then one paragraph per failed or noted stack. */
export function formatTable(report: FleetReport): string {
    if (report.outcomes.length === 0) return `fleet ${report.command}: no stacks to run${report.range ? ` (nothing in ${report.range.text} changes a stack)` : ""}\n`;
    const rows = [HEADER, ...report.outcomes.map(row)];
    const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const numeric = new Set([2, 3, 4, 5, 7]);
    const line = (r: string[]) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
    const out = rows.map(line);
    out.push("", totalsLine(report));
    for (const o of report.outcomes) {
        if (o.error) out.push("", `${o.stack}: ${o.operation} failed:`, ...o.error.split("\n").map((l) => `  ${l}`));
        else if (o.note) out.push(`${o.stack}: ${o.note}`);
    }
    return out.join("\n") + "\n";
}

export function formatJson(report: FleetReport): string {
    return JSON.stringify(report, null, 2) + "\n";
}

const ICON: Record<Outcome["result"], string> = { succeeded: "✅", failed: "❌", skipped: "⏭️" };

/** Markdown cell text: pipes and newlines would break the table. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** A fenced block that no backtick run inside the text can close early. */
export function fence(text: string): string {
    const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
    const f = "`".repeat(longest + 1);
    return `${f}text\n${text.replace(/\s+$/, "")}\n${f}`;
}

/**
 * The PR comment's fleet section: the table, then each stack's engine output in a collapsed block.
 * Outputs are cut (with a note saying so) to keep the whole section within `budget` characters,
 * because forges cap comment size (GitHub: 65,536); the table itself is never cut.
 */
export function formatMarkdown(report: FleetReport, budget = 50_000): string {
    const head: string[] = [];
    if (report.outcomes.length === 0) {
        head.push(`No stack changes${report.range ? ` in \`${report.range.text}\`` : ""}.`);
        return head.join("\n") + "\n";
    }
    head.push("| stack | operation | create | update | replace | delete | result | duration | why |", "|---|---|--:|--:|--:|--:|---|--:|---|");
    for (const o of report.outcomes) {
        const r = row(o);
        head.push(`| ${[cell(r[0]), `\`${r[1]}\``, r[2], r[3], r[4], r[5], `${ICON[o.result]} ${o.result}`, r[7], cell(o.reason)].join(" | ")} |`);
    }
    head.push("", `**${totalsLine(report)}**`);
    const bodies: string[] = [];
    for (const o of report.outcomes) {
        const text = o.error ?? o.output ?? o.note;
        if (!text) continue;
        bodies.push(`<details${o.result === "failed" ? " open" : ""}><summary>${o.stack}: ${o.operation} ${o.result}${o.note ? ` (${o.note})` : ""}</summary>\n\n${fence(text)}\n\n</details>`);
    }
    let out = head.join("\n") + "\n";
    for (let i = 0; i < bodies.length; i++) {
        const left = budget - out.length;
        if (bodies[i].length + 1 <= left) {
            out += "\n" + bodies[i] + "\n";
        } else {
            out += `\n_${bodies.length - i} stack output(s) left out to fit the comment size limit: see the workflow run's log._\n`;
            break;
        }
    }
    return out;
}
