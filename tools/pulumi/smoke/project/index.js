// A password from the random plugin, hashed by a local.Command from the command plugin, written
// to a file by a dynamic provider: each step's output is checkable outside Pulumi.
const pulumi = require("@pulumi/pulumi");
const random = require("@pulumi/random");
const command = require("@pulumi/command");
const { Marker } = require("../marker-provider.cjs");

const cfg = new pulumi.Config();
const markerPath = cfg.require("markerPath");

const password = new random.RandomPassword("password", { length: 24, special: false });
const hash = new command.local.Command("hash", {
    create: "printf %s \"$SMOKE_PASSWORD\" | sha256sum | cut -d' ' -f1",
    environment: { SMOKE_PASSWORD: password.result },
    logging: "none",
});
const marker = new Marker("marker", { path: markerPath, content: hash.stdout });

exports.password = password.result;
exports.hash = hash.stdout;
exports.markerPath = marker.path;
