<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * The platform's Borg repository: a local path, or ssh://user@host[:port]/path on a backup host.
 * The passphrase stays in its root-only file (Paths::borgPassphrase, 0600) and reaches borg
 * through BORG_PASSCOMMAND, which names the file and never holds the secret: nothing secret in
 * argv, environment or logs. A remote repository is reached with the platform's own key file and
 * the backup host's pinned key only (BORG_RSH: no agent, no ~/.ssh, no unknown host accepted).
 */
final class Borg
{
    /** @param array{keyFile: string, knownHosts: string}|null $ssh how to reach an ssh:// repository */
    public function __construct(private readonly Paths $paths, public readonly string $repo, private readonly ?array $ssh = null)
    {
    }

    public static function forPlatform(Paths $paths, PlatformConfig $config): self
    {
        return new self($paths, $config->borgRepo($paths), $config->borgSsh($paths));
    }

    public function isRemote(): bool
    {
        return str_starts_with($this->repo, 'ssh://');
    }

    /** @return array<string, string> */
    private function env(): array
    {
        $file = $this->paths->borgPassphrase();
        clearstatcache(true, $file);
        if (!is_file($file)) {
            throw new UserError("the Borg passphrase file $file is missing: create it (root-only, mode 0600) before backing up", ExitCode::NOT_READY);
        }
        if ((fileperms($file) & 0077) !== 0) {
            throw new UserError("the Borg passphrase file $file is readable by others: chmod 600 it", ExitCode::NOT_READY);
        }
        $env = getenv();
        unset($env['BORG_PASSPHRASE'], $env['BORG_PASSPHRASE_FD'], $env['BORG_NEW_PASSPHRASE']);
        $env['BORG_PASSCOMMAND'] = 'cat -- ' . escapeshellarg($file);
        // Borg's keys/security/cache folders: one place for every caller (timers, shells, control plane).
        $env['BORG_BASE_DIR'] ??= $this->paths->borgBase();
        $env['BORG_EXIT_CODES'] = 'legacy';
        if ($this->isRemote()) {
            $env['BORG_RSH'] = $this->rsh();
        }
        return $env;
    }

    /**
     * The ssh command borg runs for a remote repository (split by borg like a shell would, hence
     * the quoting). -F none: no ssh config of the caller; BatchMode: never a prompt; the only
     * known host is the pinned one, and a different key fails (StrictHostKeyChecking=yes).
     */
    private function rsh(): string
    {
        if ($this->ssh === null) {
            throw new UserError("the Borg repository {$this->repo} is remote but the platform config has no SSH key for it: run `mokowaas platform init` with --borg-ssh-key and --borg-host-key", ExitCode::NOT_READY);
        }
        foreach (['keyFile' => 'SSH key', 'knownHosts' => 'known_hosts'] as $k => $what) {
            clearstatcache(true, $this->ssh[$k]);
            if (!is_file($this->ssh[$k])) {
                throw new UserError("the Borg $what file {$this->ssh[$k]} is missing: run `mokowaas platform init` with --borg-ssh-key and --borg-host-key", ExitCode::NOT_READY);
            }
        }
        if ((fileperms($this->ssh['keyFile']) & 0077) !== 0) {
            throw new UserError("the Borg SSH key {$this->ssh['keyFile']} is readable by others: chmod 600 it", ExitCode::NOT_READY);
        }
        return implode(' ', array_map('escapeshellarg', ['ssh', '-F', 'none', '-i', $this->ssh['keyFile'], '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none',
            '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=' . $this->ssh['knownHosts'],
            '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'UpdateHostKeys=no', '-o', 'ConnectTimeout=30', '-o', 'ServerAliveInterval=30']));
    }

    /** Whether a BorgFailure says the repository is not there (yet). */
    private static function isMissingRepo(BorgFailure $e): bool
    {
        return (bool) preg_match('/Repository .* does not exist/', $e->getMessage());
    }

    /**
     * Runs borg; throws BorgFailure with borg's own message on a non-zero exit (1 = warning is ok).
     *
     * @param list<string> $args
     */
    public function run(array $args, ?string $cwd = null, bool $warningIsOk = true): string
    {
        // stderr goes to a temporary file so a chatty borg can never block on a full pipe.
        $errFile = tmpfile();
        $p = proc_open(['borg', ...$args], [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => $errFile], $pipes, $cwd, $this->env());
        if (!is_resource($p)) {
            throw new BorgFailure('cannot start borg');
        }
        $out = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        $code = proc_close($p);
        rewind($errFile);
        $err = (string) stream_get_contents($errFile);
        fclose($errFile);
        if ($code !== 0 && !($code === 1 && $warningIsOk)) {
            if (DiskSpace::isFull($err)) {
                // Borg's own report is a Python traceback: say what happened and what to do instead.
                throw new BorgFailure('borg ' . $args[0] . " failed (exit $code): no space left on device for the Borg repository ("
                    . DiskSpace::describe($this->repo) . '); borg rolled back what this run wrote: free space, then run it again');
            }
            // An error borg did not expect comes with a Python traceback: its last exception line says it.
            $said = str_contains($err, 'Traceback') && preg_match_all('/^[A-Za-z_.]+(?:Error|Exception): .*$/m', $err, $m) ? end($m[0]) : substr($err, -1500);
            if ($this->isRemote() && str_contains($err, 'Connection closed by remote host')) {
                // ssh's own reason (host key, refused key) may not reach borg's output before it exits.
                $said .= " (the SSH login to the backup host failed: is its host key the one in {$this->ssh['knownHosts']}, "
                    . "the server's key in its authorized_keys, borg installed there?)";
            }
            throw new BorgFailure('borg ' . $args[0] . " failed (exit $code): " . trim($said));
        }
        return $out;
    }

    /**
     * Initializes the repository (repokey encryption) when it does not exist yet. A remote one is
     * created by `create` when borg says it is missing (one round trip fewer on every backup).
     */
    public function ensureRepo(): void
    {
        if ($this->isRemote() || is_file($this->repo . '/config')) {
            return;
        }
        $parent = dirname($this->repo);
        try {
            Dirs::make($parent, 0700);
        } catch (\RuntimeException) {
            throw new BorgFailure("cannot create $parent for the Borg repository");
        }
        $this->run(['init', '--encryption=repokey', $this->repo]);
    }

    /** @param list<string> $paths relative to $cwd */
    public function create(string $archive, string $cwd, array $paths, string $comment): void
    {
        $this->ensureRepo();
        $args = ['create', '--lock-wait', '120', '--compression', 'zstd,3', '--comment', $comment, "{$this->repo}::$archive", ...$paths];
        try {
            $this->run($args, $cwd, false);
        } catch (BorgFailure $e) {
            if (!$this->isRemote() || !self::isMissingRepo($e)) {
                throw $e;
            }
            $this->run(['init', '--encryption=repokey', $this->repo]);
            $this->run($args, $cwd, false);
        }
    }

    /**
     * Archives whose name matches $glob (borg shell pattern), with their comments.
     *
     * @return list<array{name: string, comment: string}>
     */
    public function archives(string $glob): array
    {
        if (!$this->isRemote() && !is_file($this->repo . '/config')) {
            return [];
        }
        try {
            $out = $this->run(['list', '--lock-wait', '120', '--glob-archives', $glob, '--format', '{archive}{TAB}{comment}{NL}', $this->repo]);
        } catch (BorgFailure $e) {
            if ($this->isRemote() && self::isMissingRepo($e)) {
                return [];
            }
            throw $e;
        }
        $list = [];
        foreach (explode("\n", trim($out)) as $line) {
            if ($line !== '') {
                [$name, $comment] = array_pad(explode("\t", $line, 2), 2, '');
                $list[] = ['name' => $name, 'comment' => $comment];
            }
        }
        return $list;
    }

    /** @return list<string> paths in the archive */
    public function paths(string $archive): array
    {
        $out = $this->run(['list', '--lock-wait', '120', '--format', '{path}{NL}', "{$this->repo}::$archive"]);
        return array_values(array_filter(explode("\n", $out), static fn (string $l): bool => $l !== ''));
    }

    public function extract(string $archive, string $dest): void
    {
        $this->run(['extract', '--lock-wait', '120', "{$this->repo}::$archive"], $dest, false);
    }

    /** Reads every chunk of the archive back (decrypt + checksum) without writing anything. */
    public function verify(string $archive): void
    {
        $this->run(['extract', '--dry-run', '--lock-wait', '120', "{$this->repo}::$archive"], sys_get_temp_dir(), false);
    }

    /** @param array{daily: int, weekly: int, monthly: int} $keep */
    public function prune(string $glob, array $keep): string
    {
        return $this->run(['prune', '--lock-wait', '120', '--list', '--glob-archives', $glob,
            '--keep-daily', (string) $keep['daily'], '--keep-weekly', (string) $keep['weekly'], '--keep-monthly', (string) $keep['monthly'], $this->repo]);
    }

    public function compact(): void
    {
        $this->run(['compact', '--lock-wait', '120', $this->repo]);
    }
}
