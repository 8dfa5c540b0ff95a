/**
 * Host names, control-plane side: what a tenant host may look like and how it relates to its DNS
 * zone. The syntax rules are runtime/rules.json's (HOST_RULES), which the data plane's
 * runtime/src/Host.php applies too, since it must never trust its input; only the public-suffix
 * check is the control plane's alone (the server serves just the hosts the registry holds).
 */
import { parse } from "tldts";
import { HOST_RULES } from "./rules";

/**
 * Checks that `host` is a lowercase RFC 1123 name without a trailing dot, IDN written as
 * punycode, under a public suffix from the ICANN section of the Public Suffix List. Returns a
 * message that says what is wrong and how to fix it, or undefined when the host is fine.
 */
export function hostProblem(host: string): string | undefined {
    const syntax = hostSyntaxProblem(host);
    if (syntax) return syntax;
    // tldts falls back to the last label as the public suffix for a TLD it does not know (local,
    // test, notarealtld), with isIcann false: only ICANN's section of the list is real DNS.
    // Private suffixes are ignored (allowPrivateDomains false), so foo.github.io counts as under io.
    const info = parse(host, { allowPrivateDomains: false });
    if (!info.isIcann) {
        return `"${host}" is not under a public suffix on ICANN's list (".${info.publicSuffix}" is not a top-level domain in public DNS): use a registered domain such as example.com`;
    }
    if (!info.domain) return `"${host}" is a public suffix itself: use a domain registered under it, such as example.${host}`;
    return undefined;
}

/**
 * The syntax half of hostProblem: the rules of runtime/rules.json, which the data plane's
 * Host::problem applies to what the registry stores (test/runtime/rules-parity.test.ts).
 */
export function hostSyntaxProblem(host: string): string | undefined {
    if (host.length === 0) return "must not be empty";
    if (host.length > HOST_RULES.maxLength) return `"${host}" is longer than ${HOST_RULES.maxLength} characters`;
    if (host.endsWith(".")) return `"${host}" must not end with a dot: write "${host.replace(/\.+$/, "")}"`;
    if (/[\x80-\uffff]/.test(host)) {
        const ascii = toPunycode(host);
        return ascii
            ? `"${host}" is an internationalized name: write it as punycode, "${ascii}"`
            : `"${host}" is not a valid host name`;
    }
    if (host !== host.toLowerCase()) return `"${host}" must be lowercase: write "${host.toLowerCase()}"`;
    if (host.includes(":")) return `"${host}" must be a host name without a port or scheme`;
    const labels = host.split(".");
    if (labels.length < HOST_RULES.minLabels) return `"${host}" must be a fully qualified name such as example.com`;
    for (const label of labels) {
        if (!HOST_RULES.label.test(label)) return `"${host}" has an invalid label "${label}": use ${HOST_RULES.labelMeans}`;
    }
    if (!HOST_RULES.lastLabel.test(labels[labels.length - 1])) return `"${host}" looks like an IP address: use a host name`;
    return undefined;
}

/**
 * The punycode form of an internationalized name, or undefined when it is not a valid name. Uses
 * the global URL (not node:url) so dynamic providers that call hostProblem stay serializable.
 */
function toPunycode(host: string): string | undefined {
    try {
        return new URL(`http://${host}/`).hostname || undefined;
    } catch {
        return undefined;
    }
}

/** The registrable domain (the DNS zone at the registrar), e.g. "example.co.uk" for "www.example.co.uk". */
export function zoneOf(host: string): string {
    const domain = parse(host, { allowPrivateDomains: false }).domain;
    if (!domain) throw new Error(`no registrable domain for "${host}"`);
    return domain;
}

/** True when `host` is the zone apex, where a CNAME is illegal. */
export function isApex(host: string): boolean {
    return zoneOf(host) === host;
}
