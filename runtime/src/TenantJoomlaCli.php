<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * Joomla's own CLI (cli/joomla.php of the tenant's own release) for one tenant, started as
 * TenantProcess starts it (the tenant's Unix user, never root). Used by `mokowaas joomla` and by
 * the verbs that prepare a tenant before it serves.
 */
final class TenantJoomlaCli
{
    public function __construct(private readonly Paths $paths)
    {
    }

    /**
     * Runs it; stdin, stdout and stderr are the given descriptors (proc_open's spec).
     *
     * @param array<string, mixed> $entry the tenant's registry entry
     * @param list<string> $args Joomla's command and its arguments
     * @param array<int, mixed> $stdio
     */
    public function run(array $entry, array $args, array $stdio): int
    {
        $cli = $this->script($entry) ?? throw new UserError("the tenant's Joomla release is not there ("
            . ((new Releases($this->paths))->idOf($entry) ?? 'no release') . ' has no cli/joomla.php)', ExitCode::NOT_READY);
        [$cmd, $env, $cwd] = TenantProcess::prepare($this->paths, (string) $entry['tenant'], [$cli, ...$args]);
        $p = proc_open($cmd, $stdio, $pipes, $cwd, $env);
        if (!is_resource($p)) {
            throw new \RuntimeException("cannot start Joomla's CLI");
        }
        return proc_close($p);
    }

    /**
     * Has Joomla write the tenant's namespace map (`autoload_psr4.php` in its cache folder) before
     * any request can: Joomla writes a missing map in place (truncate, then write), and concurrent
     * first requests of a new site read it half written (a 500; docs/reliability.md, load drill).
     * One CLI boot writes it alone. Returns null when done, else why not (the map is then written
     * by the first request, as stock Joomla does): a warning, never a failed seed.
     *
     * @param array<string, mixed> $entry
     */
    public function writeNamespaceMap(array $entry): ?string
    {
        if ($this->script($entry) === null) {
            return null; // no Joomla served (a stand-in docroot): no map to write
        }
        $out = tmpfile();
        if ($out === false) {
            return 'no temporary file for its output';
        }
        // `list` boots Joomla (which writes the map) and touches nothing else.
        $code = $this->run($entry, ['list', '--no-interaction'], [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => $out]);
        rewind($out);
        $err = trim((string) stream_get_contents($out));
        fclose($out);
        return $code === 0 ? null : "Joomla's CLI exited $code" . ($err === '' ? '' : ': ' . substr($err, -500));
    }

    /** @param array<string, mixed> $entry */
    private function script(array $entry): ?string
    {
        $releases = new Releases($this->paths);
        $id = $releases->idOf($entry);
        if ($id === null) {
            return null; // no release laid down yet (a stand-in docroot)
        }
        $cli = $releases->dir($id) . '/cli/joomla.php';
        return is_file($cli) ? $cli : null;
    }
}
