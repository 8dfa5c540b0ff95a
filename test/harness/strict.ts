/**
 * What a test does when a real part it needs (the Pulumi engine, a Joomla package...) is missing.
 * A developer's run skips those tests, loudly, with the reasons. Under MOKOWAAS_STRICT=1 (.ci/run)
 * nothing skips: a failing test names every missing part, so CI cannot pass without them.
 */
import { test } from "vitest";

export const STRICT = process.env.MOKOWAAS_STRICT === "1";

/**
 * True when the tests of `what` must be skipped for `missing` (reasons, one per missing part). In
 * strict mode it registers a failing test instead (and still returns true, so the tests that
 * would crash on the missing part do not run).
 */
export function skipWithout(what: string, missing: (string | undefined)[]): boolean {
    const reasons = missing.filter((m): m is string => Boolean(m));
    if (reasons.length === 0) return false;
    if (STRICT) {
        test(`${what}: every part it needs is present (MOKOWAAS_STRICT=1 never skips)`, () => {
            throw new Error(`missing for ${what}:\n  ${reasons.join("\n  ")}`);
        });
    } else {
        console.warn(`\n!!! SKIPPED ${what}: missing\n  ${reasons.join("\n  ")}\n(under MOKOWAAS_STRICT=1, as in CI, this fails) !!!\n`);
    }
    return true;
}
