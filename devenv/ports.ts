import * as net from "node:net";

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race remains, acceptable for tests). */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

/** Resolves when something accepts TCP connections on host:port, or rejects after `ms`. */
export async function waitForPort(port: number, host = "127.0.0.1", ms = 30_000): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect({ port, host }, () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port} after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
    }
}
