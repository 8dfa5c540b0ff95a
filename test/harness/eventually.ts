/**
 * Polls `get` until `ok` holds (or 10 s pass; the last value is returned for the test to assert
 * on). What PHP serves follows file writes (registry, a tenant's settings) through opcache's
 * timestamp check (revalidate_freq = 1 s), so tests poll briefly instead of sleeping.
 */
export async function eventually<T>(get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    const until = Date.now() + 10_000;
    for (;;) {
        const v = await get();
        if (ok(v) || Date.now() > until) return v;
        await new Promise((res) => setTimeout(res, 250));
    }
}
