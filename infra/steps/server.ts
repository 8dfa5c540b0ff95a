/**
 * What every platform step gets: the platform's config and a way to run its script on the
 * server. A step is one file (infra/steps/<step>.ts) holding its shell script, a pure function of
 * non-secret config that tests run for real, and the resource that runs it; infra/platform.ts
 * calls the steps in their order. Scripts are POSIX sh and idempotent (a re-run after a failure
 * half-way repairs); secrets reach them on stdin only.
 */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { ServerCommandArgs, SshConnection } from "../../components/server-command";
import type { PlatformConfig } from "../config";

export interface PlatformServer {
    readonly config: PlatformConfig;
    readonly connection: pulumi.Output<SshConnection>;
    /** Every step reruns on a new machine: this goes into each step's triggers. */
    readonly serverId: pulumi.Input<string>;
    /** Options for a step's resources (their parent, the Platform component). */
    readonly opts: pulumi.CustomResourceOptions;
    /** The resource name of a step ("<platform>-<step>"). */
    name(step: string): string;
    /** Runs a step's script on the server (server id added to its triggers). */
    run(step: string, args: Omit<ServerCommandArgs, "connection">, dependsOn: pulumi.Resource[]): command.remote.Command;
}
