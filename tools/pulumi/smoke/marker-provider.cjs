// A dynamic provider that writes one file on create and removes it on delete, so a test can see
// from the file system that the engine really ran it through the pulumi-resource-pulumi-nodejs host.
// Methods import what they need (closure serialization captures nothing heavy).
const pulumi = require("@pulumi/pulumi");

const markerProvider = {
    async create(inputs) {
        const fs = await import("node:fs/promises");
        await fs.writeFile(inputs.path, inputs.content, { flag: "wx" });
        return { id: inputs.path, outs: { path: inputs.path, content: inputs.content } };
    },
    async diff(_id, olds, news) {
        const changed = olds.path !== news.path || olds.content !== news.content;
        return { changes: changed, replaces: changed ? ["path", "content"] : [], deleteBeforeReplace: true };
    },
    async delete(_id, outs) {
        const fs = await import("node:fs/promises");
        await fs.rm(outs.path, { force: true });
    },
};

class Marker extends pulumi.dynamic.Resource {
    constructor(name, args, opts) {
        super(markerProvider, name, { path: args.path, content: args.content }, opts);
    }
}

module.exports = { Marker };
