<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * Brings one tenant's database in line with the extensions its registry entry lists
 * (`extensions`): each listed extension the served release offers (ReleaseExtensions) is installed
 * into the tenant's database, each offered one it no longer lists is uninstalled from it; other
 * tenants are not touched, and the files stay in the shared release. The work is Joomla's own
 * installer, run by the release's `mokowaas/extensions.php` as the tenant's user under the tenant's
 * lock (docs/extensions.md).
 */
final class TenantExtensions
{
    private const RESULT = 'MOKOWAAS-RESULT ';

    public function __construct(private readonly Paths $paths)
    {
    }

    /**
     * Uninstalling drops the extension's tables: the tenant is archived first (tag
     * `pre-extension-removal`, kept by prune), so what they held can be restored.
     * $removeUnlisted false (after a restore) only installs: the restored database keeps what it had.
     *
     * @param array<string, mixed> $entry the tenant's registry entry (state ready)
     * @return array{installed: list<string>, uninstalled: list<string>, unchanged: list<string>, archive?: string}
     */
    public function sync(array $entry, bool $removeUnlisted = true, float $lockWait = 600): array
    {
        $tenant = (string) $entry['tenant'];
        $wanted = array_values($entry['extensions'] ?? []);
        $releases = new Releases($this->paths);
        $id = $releases->idOf($entry);
        // Nothing listed and nothing the release could have installed (or no release laid down yet).
        if ($wanted === [] && ($id === null || ReleaseExtensions::offered($releases->dir($id)) === [])) {
            return ['installed' => [], 'uninstalled' => [], 'unchanged' => []];
        }
        $release = $releases->dirOf($entry);
        $script = "$release/mokowaas/extensions.php";
        if (($problem = ReleaseExtensions::unknown($wanted, $release)) !== '') {
            throw new UserError("tenant $tenant: $problem", ExitCode::INVALID_INPUT);
        }
        if (!is_file($script)) {
            throw new UserError("the tenant's release has no $script: run `mokowaas release bootstrap` on it", ExitCode::NOT_READY);
        }
        $lock = Lock::tenant($this->paths, $tenant, $lockWait);
        $archive = null;
        try {
            // Most runs (every `pulumi up` of a tenant) change nothing: answered from the database alone.
            $found = $this->installed($entry);
            $remove = $removeUnlisted ? array_diff(array_keys(array_filter($found)), $wanted) : [];
            $install = array_filter($wanted, static fn (string $n): bool => ($found[$n] ?? null) !== 'complete');
            if ($remove === [] && $install === []) {
                return ['installed' => [], 'uninstalled' => [], 'unchanged' => array_keys($found)];
            }
            if ($remove !== []) {
                $archive = (new TenantArchive($this->paths, PlatformConfig::load($this->paths)))->backup($tenant, 'pre-extension-removal', $entry);
            }
            [$cmd, $env, $cwd] = TenantProcess::prepare($this->paths, $tenant, [$script]);
            $p = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, $env);
            if (!is_resource($p)) {
                throw new \RuntimeException("cannot start $script");
            }
            fwrite($pipes[0], json_encode(['extensions' => $wanted, 'removeUnlisted' => $removeUnlisted], JSON_THROW_ON_ERROR));
            fclose($pipes[0]);
            $out = (string) stream_get_contents($pipes[1]);
            $err = (string) stream_get_contents($pipes[2]);
            fclose($pipes[1]);
            fclose($pipes[2]);
            $code = proc_close($p);
        } finally {
            $lock->release();
        }
        $pos = strrpos($out, self::RESULT);
        $result = $pos === false ? null : json_decode(trim(substr($out, $pos + strlen(self::RESULT))), true);
        if (!is_array($result) || $code !== 0 || isset($result['error'])) {
            $why = is_array($result) && isset($result['error']) ? $result['error'] : trim(substr($out . $err, -2000));
            throw new UserError("tenant $tenant: installing its extensions failed ($why); a re-run continues where this one stopped", ExitCode::FAILED);
        }
        return $archive === null ? $result : $result + ['archive' => $archive];
    }

    /**
     * Each extension the served release offers, by what the tenant's database holds of it:
     * `complete` (the package row and every child installed), `partial` (some of it: a run that
     * stopped half-way, or a discovered child), or null (nothing).
     *
     * @param array<string, mixed> $entry
     * @return array<string, 'complete'|'partial'|null>
     */
    private function installed(array $entry): array
    {
        $offered = ReleaseExtensions::offered((new Releases($this->paths))->dirOf($entry));
        if ($offered === []) {
            return [];
        }
        $db = Db::tenant($entry);
        try {
            $elements = [];
            foreach ($offered as $e) {
                $elements[] = $e['package'];
                foreach ($e['children'] as $c) {
                    $elements[] = $c['element'];
                }
            }
            $rows = $db->rows('SELECT type, element, folder, client_id, state FROM ' . Db::ident($entry['db']['prefix'] . 'extensions')
                . ' WHERE element IN (' . implode(', ', array_map($db->quote(...), array_unique($elements))) . ')');
        } finally {
            $db->close();
        }
        $state = static function (string $type, string $element, string $folder, int $client) use ($rows): ?int {
            foreach ($rows as $r) {
                if ($r['type'] === $type && $r['element'] === $element && (string) $r['folder'] === $folder && (int) $r['client_id'] === $client) {
                    return (int) $r['state'];
                }
            }
            return null;
        };
        $found = [];
        foreach ($offered as $name => $e) {
            $parts = [$state('package', $e['package'], '', 0)];
            foreach ($e['children'] as $c) {
                $parts[] = $state($c['type'], $c['element'], $c['folder'], $c['client_id']);
            }
            $present = array_filter($parts, static fn (?int $s): bool => $s !== null);
            $found[$name] = $present === [] ? null
                : (count($present) === count($parts) && !in_array(-1, $present, true) ? 'complete' : 'partial');
        }
        return $found;
    }

    /**
     * One line per change, for the verbs that sync.
     *
     * @param array{installed: list<string>, uninstalled: list<string>, unchanged: list<string>, archive?: string} $r
     * @return list<string>
     */
    public static function lines(string $tenant, array $r): array
    {
        $lines = [];
        foreach (['installed', 'uninstalled'] as $what) {
            if ($r[$what] !== []) {
                $lines[] = "$tenant: extensions $what: " . implode(', ', $r[$what]);
            }
        }
        if (isset($r['archive'])) {
            $lines[] = "$tenant: archived as {$r['archive']} before uninstalling";
        }
        return $lines;
    }
}
