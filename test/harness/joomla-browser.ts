/**
 * A minimal browser for one tenant host of real Joomla behind Caddy: HTTPS to 127.0.0.1 with the
 * host's SNI and Host header, trusting only Caddy's local CA, a cookie jar, and Joomla's forms
 * (CSRF token, administrator login). Used by the runtime and e2e tiers.
 */
import * as https from "node:https";
import { parse } from "node-html-parser";

export interface Page {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
    /** Location header of a redirect, if any. */
    location?: string;
}

export class JoomlaBrowser {
    private readonly cookies = new Map<string, string>();

    /** `port`: Caddy's HTTPS port; `ca`: its local root CA (PEM). */
    constructor(readonly host: string, private readonly port: number, private readonly ca: string) {}

    get(urlPath: string, headers: Record<string, string> = {}): Promise<Page> {
        return this.request("GET", urlPath, undefined, headers);
    }

    /** POST of form fields (application/x-www-form-urlencoded). */
    post(urlPath: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
        return this.request("POST", urlPath, new URLSearchParams(form).toString(), { "Content-Type": "application/x-www-form-urlencoded", ...headers });
    }

    /** POST of a JSON body (Joomla's com_media API), with the page's CSRF token in X-CSRF-Token. */
    postJson(urlPath: string, body: unknown, token: string): Promise<Page> {
        return this.request("POST", urlPath, JSON.stringify(body), { "Content-Type": "application/json", "X-CSRF-Token": token });
    }

    /**
     * Logs into the administrator with Joomla's own login form. True when the dashboard answers
     * afterwards (a wrong password leaves the login form).
     */
    async loginAdministrator(username: string, password: string): Promise<boolean> {
        const form = await this.get("/administrator/index.php");
        if (form.status !== 200) throw new Error(`GET /administrator/ on ${this.host}: ${form.status}`);
        await this.post("/administrator/index.php", {
            username, passwd: password, option: "com_login", task: "login",
            return: hiddenField(form.body, "return") ?? "aW5kZXgucGhw", [formToken(form.body)]: "1",
        });
        const after = await this.get("/administrator/index.php");
        return after.status === 200 && isAdministratorDashboard(after.body);
    }

    private request(method: string, urlPath: string, body: string | undefined, headers: Record<string, string>): Promise<Page> {
        return new Promise((resolve, reject) => {
            const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
            const req = https.request({
                host: "127.0.0.1", port: this.port, path: urlPath, method, servername: this.host, ca: this.ca, agent: false,
                headers: { Host: this.port === 443 ? this.host : `${this.host}:${this.port}`, ...(cookie ? { Cookie: cookie } : {}), ...headers },
            }, (res) => {
                for (const c of res.headers["set-cookie"] ?? []) {
                    const [pair] = c.split(";");
                    const eq = pair.indexOf("=");
                    const name = pair.slice(0, eq).trim();
                    const value = pair.slice(eq + 1).trim();
                    if (value === "deleted" || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
                    else this.cookies.set(name, value);
                }
                const chunks: Buffer[] = [];
                res.on("data", (d: Buffer) => chunks.push(d));
                res.on("end", () => resolve({
                    status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"),
                    location: typeof res.headers.location === "string" ? res.headers.location : undefined,
                }));
                res.on("error", reject);
            });
            req.on("error", reject);
            req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} https://${this.host}${urlPath}`)));
            req.end(body);
        });
    }
}

/** The name of Joomla's form token field (32 hex digits, value 1) in a page. */
export function formToken(html: string): string {
    const m = /name="([0-9a-f]{32})" value="1"/.exec(html);
    if (!m) throw new Error("no Joomla form token in the page");
    return m[1];
}

/** The CSRF token Joomla hands its scripts (joomla-script-options "csrf.token"). */
export function scriptToken(html: string): string {
    const m = /"csrf\.token":"([0-9a-f]{32})"/.exec(html);
    if (!m) throw new Error("no csrf.token in the page's script options");
    return m[1];
}

/**
 * The fields a browser would submit from the form `formSelector` of a page: enabled inputs (radio
 * and checkbox only when checked), selects (their selected options, else the first) and
 * textareas; buttons are not fields. Repeated names (multiple selects) keep their last value.
 */
export function formFields(html: string, formSelector: string): Record<string, string> {
    const form = parse(html).querySelector(formSelector);
    if (!form) throw new Error(`no form ${formSelector} in the page`);
    const fields: Record<string, string> = {};
    for (const el of form.querySelectorAll("input, select, textarea")) {
        const name = el.getAttribute("name");
        if (!name || el.hasAttribute("disabled")) continue;
        const tag = el.tagName.toLowerCase();
        const type = (el.getAttribute("type") ?? "text").toLowerCase();
        if (tag === "input") {
            if (["submit", "button", "reset", "image", "file"].includes(type)) continue;
            if ((type === "radio" || type === "checkbox") && !el.hasAttribute("checked")) continue;
            fields[name] = el.getAttribute("value") ?? (type === "checkbox" || type === "radio" ? "on" : "");
        } else if (tag === "select") {
            const options = el.querySelectorAll("option");
            const chosen = options.filter((o) => o.hasAttribute("selected"));
            const pick = chosen.length > 0 ? chosen : el.hasAttribute("multiple") ? [] : options.slice(0, 1);
            for (const o of pick) fields[name] = o.getAttribute("value") ?? o.text;
        } else {
            fields[name] = el.text;
        }
    }
    return fields;
}

function hiddenField(html: string, name: string): string | undefined {
    return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

/** True for the administrator's dashboard (logged in), false for its login form. */
export function isAdministratorDashboard(html: string): boolean {
    return /<body[^>]*\bcom_cpanel\b/.test(html) && !/name="passwd"/.test(html);
}

/** The page's <title>. */
export function titleOf(html: string): string | undefined {
    return /<title>([^<]*)<\/title>/.exec(html)?.[1];
}
