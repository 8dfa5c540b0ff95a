/**
 * wrk against one HTTPS host of a local Caddy, run in a private mount namespace whose /etc/hosts
 * maps the host to 127.0.0.1 (so the URL's host is the SNI and the Host header). Needs root
 * (`unshare -m`). Keep-alive, 2 threads, 16 connections. Any non-2xx/3xx answer or socket error
 * fails the run: a benchmark of error pages measures nothing.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** A hosts file mapping every name to 127.0.0.1. */
export function writeHostsFile(file: string, hosts: string[]): string {
    fs.writeFileSync(file, ["127.0.0.1 localhost", ...hosts.map((h) => `127.0.0.1 ${h}`), ""].join("\n"));
    return file;
}

/** Requests/s of `https://<host>:<port><urlPath>` for `seconds`. */
export function wrk(host: string, port: number, hostsFile: string, seconds: number, urlPath = "/"): number {
    const cmd = `mount --bind ${hostsFile} /etc/hosts && exec wrk -t2 -c16 -d${seconds}s -H 'Host: ${host}' https://${host}:${port}${urlPath}`;
    const r = spawnSync("unshare", ["-m", "sh", "-c", cmd], { encoding: "utf8" });
    const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
    const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout);
    if (!m || errors) throw new Error(`wrk on ${host} failed (needs root for unshare -m): ${r.stdout}${r.stderr}`);
    return Number(m[1]);
}

/** Mean of each side, ratio of sums and the median round ratio of a / b. */
export function compare(a: number[], b: number[]): { meanA: number; meanB: number; ratioOfSums: number; medianRatio: number } {
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const ratios = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
    return { meanA: sum(a) / a.length, meanB: sum(b) / b.length, ratioOfSums: sum(a) / sum(b), medianRatio: ratios[Math.floor(ratios.length / 2)] };
}
