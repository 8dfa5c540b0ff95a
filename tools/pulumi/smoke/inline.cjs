// Drives the real CLI through the Automation API with an inline program: the CLI connects
// (--client) to the language runtime inside @pulumi/pulumi, so no pulumi-language-nodejs binary is
// involved. Usage: node inline.cjs up|destroy WORKDIR MARKER_PATH; prints one JSON line.
// Env: PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, SMOKE_SECRET, PATH with the engine.
const pulumi = require("@pulumi/pulumi");
const { LocalWorkspace } = require("@pulumi/pulumi/automation");
const { Marker } = require("./marker-provider.cjs");

async function main() {
    const [action, workDir, markerPath] = process.argv.slice(2);
    if (!["up", "destroy"].includes(action) || !workDir || !markerPath) {
        throw new Error("usage: node inline.cjs up|destroy WORKDIR MARKER_PATH");
    }
    const program = async () => {
        const marker = new Marker("marker", { path: markerPath, content: "written by the engine" });
        return { markerPath: marker.path, secret: pulumi.secret(process.env.SMOKE_SECRET ?? "") };
    };
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "smoke", projectName: "toolchain-smoke", program },
        { workDir },
    );
    if (action === "up") {
        const res = await stack.up();
        console.log(JSON.stringify({ result: res.summary.result, changes: res.summary.resourceChanges, outputs: res.outputs }));
    } else {
        const res = await stack.destroy();
        await stack.workspace.removeStack("smoke");
        console.log(JSON.stringify({ result: res.summary.result, changes: res.summary.resourceChanges }));
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
