/**
 * The naming and layout rules both planes share, from their one definition, runtime/rules.json:
 * tenant names, host names and the server's folder layout.
 *
 * Why it reads this way: the control plane imports the JSON (an import, not node:fs, because the
 * DreamHost provider reaches hosts.ts and Pulumi serializes it). The data plane cannot parse JSON
 * on the request path, so it gets the same values as constants in runtime/src/Rules.php, which
 * rulesPhp() renders and `npm run rules` writes (a unit test fails when that file is stale). Both
 * files travel with runtime/ to the server; `release bootstrap` copies Rules.php into the release.
 */
import rules from "../runtime/rules.json";

/** A rule's pattern as a RegExp, refusing what JavaScript and PCRE might read differently. */
function pattern(source: string): RegExp {
    return new RegExp(portable(source));
}

/**
 * `source` unchanged when it is anchored with ^ and a single final $ and holds no backslash or
 * slash (escapes and delimiters are where the two regex dialects differ), else throws.
 */
function portable(source: string): string {
    if (!/^\^[^\\/$]*\$$/.test(source)) {
        throw new Error(`runtime/rules.json: pattern ${JSON.stringify(source)} must start with ^, end with its only $, and hold no \\ or /`);
    }
    return source;
}

/** Tenant names (also file names, stack names, Unix and MySQL user names). */
export const TENANT_NAME: RegExp = pattern(rules.tenantName.pattern);
/** What a tenant name may be, for messages. */
export const TENANT_NAME_MEANS: string = rules.tenantName.means;

/** Host names in normal form: what a tenant file may name and what the registry stores. */
export const HOST_RULES = {
    maxLength: rules.host.maxLength,
    minLabels: rules.host.minLabels,
    label: pattern(rules.host.label),
    labelMeans: rules.host.labelMeans,
    lastLabel: pattern(rules.host.lastLabel),
    keyChars: rules.host.keyChars,
} as const;

export type LayoutName = Exclude<keyof typeof rules.paths, "$comment">;
/** The server's folders and files under MOKOWAAS_ROOT, each an absolute path from that root. */
export const SERVER_LAYOUT: Readonly<Record<LayoutName, string>> = (() => {
    const { $comment: _, ...layout } = rules.paths;
    return layout;
})();

/** SERVER_LAYOUT under a root given as MOKOWAAS_ROOT is (trailing slashes ignored), as runtime/src/Paths.php derives it. */
export function serverLayout(root: string): Record<LayoutName, string> {
    const base = root.replace(/\/+$/, "");
    return Object.fromEntries(Object.entries(SERVER_LAYOUT).map(([name, p]) => [name, base + p])) as Record<LayoutName, string>;
}

/**
 * open_basedir of the platform pool (runtime/php-fpm/mokowaas.conf): the releases, the host map,
 * and the certificate cap and its state, which the TLS ask endpoint reads and writes.
 */
export function platformPoolOpenBasedir(layout: Record<LayoutName, string>): string {
    return [`${layout.releases}/`, layout.hostMap, layout.certificateCap, `${layout.certificateState}/`].join(":");
}

/** runtime/src/Rules.php: the same rules as PHP constants (`npm run rules` writes it). */
export function rulesPhp(): string {
    const str = (s: string) => `'${s.replace(/[\\']/g, "\\$&")}'`;
    // PHP's $ also matches before a final newline; \z matches only at the end, like JavaScript's $.
    const regex = (source: string) => str(`/${portable(source).slice(0, -1)}\\z/`);
    const layout = Object.entries(SERVER_LAYOUT).map(([name, p]) => `        ${str(name)} => ${str(p)},`);
    return `<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * GENERATED from runtime/rules.json by \`npm run rules\`: edit that file, then run it. The rules
 * both planes share, as constants because the release's bootstrap loads this class on the request
 * path (mokowaas/bootstrap.php) and must not parse JSON there. See components/rules.ts.
 */
final class Rules
{
    /** Tenant names: ${rules.tenantName.means}. */
    public const TENANT_NAME = ${regex(rules.tenantName.pattern)};
    public const TENANT_NAME_MEANS = ${str(rules.tenantName.means)};
    /** Host names in normal form: at most this many characters, ... */
    public const HOST_MAX_LENGTH = ${rules.host.maxLength};
    /** ... at least this many labels, ... */
    public const HOST_MIN_LABELS = ${rules.host.minLabels};
    /** ... each label ${rules.host.labelMeans}, ... */
    public const HOST_LABEL = ${regex(rules.host.label)};
    public const HOST_LABEL_MEANS = ${str(rules.host.labelMeans)};
    /** ... the last one ${rules.host.lastLabelMeans}. */
    public const HOST_LAST_LABEL = ${regex(rules.host.lastLabel)};
    /** Key characters, ${rules.host.keyCharsMeans}. */
    public const HOST_KEY_CHARS = ${str(rules.host.keyChars)};
    /** The server layout under MOKOWAAS_ROOT (Paths has one method per name). */
    public const PATHS = [
${layout.join("\n")}
    ];
}
`;
}
