/**
 * One shell script that installs configuration files on the server and applies them: each file
 * is written only when its content differs; when any changed, `validate` must pass or every
 * changed file is put back as it was (a bad config never reaches a reload); then `apply` runs.
 * File contents travel inside the script (quoted here-documents): never use it for secrets.
 */
import { shellQuote } from "../components/server-command";

export interface InstalledFile {
    path: string;
    /** null: the file must be absent (removed when present). */
    content: string | null;
    /** Octal mode, e.g. "0644". */
    mode?: string;
    /** Shell variable set to 1 when this file changed (for `apply`), e.g. "caddyfile" -> $changed_caddyfile. */
    flag?: string;
}

export interface InstallFilesOptions {
    /** "sudo " or "". */
    sudo: string;
    /** Shell commands that check the new files; a non-zero exit restores the old ones. */
    validate?: string[];
    /** Shell commands run when any file changed (they may test $changed_<flag>). */
    apply?: string[];
    /** Shell commands run every time, last (e.g. make sure the service runs). */
    always?: string[];
    /** Names the step in error messages. */
    what: string;
}

const EOF_MARK = "MOKOWAAS_FILE_EOF";

export function installFilesScript(files: InstalledFile[], opts: InstallFilesOptions): string {
    const s = opts.sudo;
    const q = shellQuote;
    const lines = ["set -eu", 'work=$(mktemp -d); trap \'rm -rf "$work"\' EXIT', 'changed=""'];
    files.forEach((f, i) => {
        const flag = f.flag ? `changed_${f.flag}=1; ` : "";
        lines.push(...(f.flag ? [`changed_${f.flag}=""`] : []));
        const backup = `if ${s}test -e ${q(f.path)}; then ${s}cp -p ${q(f.path)} "$work/${i}.old"; fi`;
        if (f.content === null) {
            lines.push(`if ${s}test -e ${q(f.path)}; then ${backup}; ${s}rm -f ${q(f.path)}; ${flag}changed="$changed ${i}"; fi`);
            return;
        }
        const body = f.content.endsWith("\n") ? f.content : `${f.content}\n`;
        if (body.split("\n").includes(EOF_MARK)) throw new Error(`${f.path}: content holds the line ${EOF_MARK}`);
        lines.push(
            `cat > "$work/${i}" <<'${EOF_MARK}'`,
            ...body.slice(0, -1).split("\n"),
            EOF_MARK,
            `if ! ${s}cmp -s "$work/${i}" ${q(f.path)} 2>/dev/null; then`,
            `  ${backup}`,
            `  ${s}mkdir -p ${q(f.path.replace(/\/[^/]*$/, "") || "/")}`,
            `  ${s}install -m ${f.mode ?? "0644"} "$work/${i}" ${q(`${f.path}.mokowaas-new`)}`,
            `  ${s}mv -f ${q(`${f.path}.mokowaas-new`)} ${q(f.path)}`,
            `  ${flag}changed="$changed ${i}"`,
            "fi",
        );
    });
    const restore = files.map(
        (f, i) => `  case " $changed " in *" ${i} "*) if [ -e "$work/${i}.old" ]; then ${s}cp -p "$work/${i}.old" ${q(f.path)}; else ${s}rm -f ${q(f.path)}; fi;; esac`,
    );
    if (opts.validate?.length) {
        lines.push(
            'if [ -n "$changed" ]; then',
            `  if ! { ${opts.validate.join("; ")}; }; then`,
            ...restore.map((l) => `  ${l}`),
            `    echo ${q(`${opts.what}: the new configuration is invalid (see above); the previous files were put back`)} >&2`,
            "    exit 1",
            "  fi",
            "fi",
        );
    }
    if (opts.apply?.length) lines.push('if [ -n "$changed" ]; then', ...opts.apply.map((l) => `  ${l}`), "fi");
    lines.push(...(opts.always ?? []));
    return lines.join("\n");
}
