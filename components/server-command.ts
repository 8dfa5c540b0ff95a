/**
 * How the control plane runs things on a platform server: `remote.Command` over SSH, secrets on
 * stdin only, nothing streamed to the Pulumi log and stdout/stderr kept secret in state. Every
 * remote command of the program goes through `serverCommand`, so the rule lives in one place.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/** The SSH connection of a platform server (secret as a whole: it holds the private key). */
export type SshConnection = command.types.input.remote.ConnectionArgs;

/** POSIX-shell quoting for one word: plain words stay readable, anything else is single-quoted. */
export function shellQuote(word: string): string {
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line of one `mokowaas` verb: the platform's command prefix plus quoted arguments. */
export function mokowaasCommand(prefix: string, ...args: string[]): string {
    return [prefix, ...args.map(shellQuote)].join(" ");
}

export interface ServerCommandArgs {
    /** SSH connection to the server (made secret here whatever the caller passes). */
    connection: pulumi.Input<SshConnection>;
    /** Shell command run on create (and on update unless `update` is given). Never holds a secret. */
    create: pulumi.Input<string>;
    update?: pulumi.Input<string>;
    /** Shell command run on delete; it must succeed before anything this command depends on is deleted. */
    delete?: pulumi.Input<string>;
    /** Everything secret the command needs (made secret here). */
    stdin?: pulumi.Input<string>;
    /** A change of any of these replaces the command (runs delete, then create again). */
    triggers?: pulumi.Input<unknown>[];
}

/** A remote command on a platform server; see the module comment for the rules it enforces. */
export function serverCommand(name: string, args: ServerCommandArgs, opts: pulumi.CustomResourceOptions = {}): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: pulumi.secret(args.connection),
            create: args.create,
            update: args.update,
            delete: args.delete,
            stdin: args.stdin === undefined ? undefined : pulumi.secret(args.stdin),
            triggers: args.triggers,
            logging: "none",
        },
        { ...opts, additionalSecretOutputs: ["stdout", "stderr", ...(opts.additionalSecretOutputs ?? [])] },
    );
}
