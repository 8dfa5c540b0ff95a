<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Registry;
use MokoWaaS\ReleaseExtensions;
use MokoWaaS\Releases;
use MokoWaaS\TenantExtensions;

final class RegistryCommand extends Command
{
    public static function summary(): string
    {
        return 'write, remove and list tenant registry entries (entry JSON on stdin)';
    }

    public static function usage(): string
    {
        return "usage: mokowaas registry put <tenant>   < entry.json   validate and store the entry, compile the host map,\n"
            . "                                                     create the tenant's folders (a new tenant starts provisioning)\n"
            . "       mokowaas registry rm <tenant>                 remove the entry and its hosts (folders stay)\n"
            . "       mokowaas registry list                        every entry as JSON, without secrets\n"
            . "       mokowaas registry rebuild                     recompile the host map, per-host files and media links from the entries\n"
            . "exit codes: 0 ok, 2 usage, 3 invalid entry (nothing changed), 4 platform not initialized, 5 locked";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv);
        $registry = new Registry($this->paths);
        $sub = $args->arg(0, 'put|rm|list|rebuild');
        $expect = in_array($sub, ['put', 'rm'], true) ? 2 : 1;
        if (count($args->positional) !== $expect) {
            throw new UserError($expect === 2 ? "registry $sub takes exactly one tenant name" : "registry $sub takes no argument", ExitCode::USAGE);
        }
        switch ($sub) {
            case 'put':
                $tenant = $args->arg(1, 'tenant');
                Registry::assertTenantName($tenant);
                $entry = $this->readEntry($tenant);
                // Checked before anything is written: a name the tenant's release (an existing tenant's
                // pinned one, else current's) does not offer changes nothing.
                if (Registry::validate($entry) === [] && ($entry['extensions'] ?? []) !== []
                    && ($problem = ReleaseExtensions::unknown($entry['extensions'], (new Releases($this->paths))->dirOf($registry->get($tenant) ?? []))) !== '') {
                    throw new UserError("registry put $tenant: $problem (nothing was changed)");
                }
                $registry->put($entry);
                $stored = $registry->get($tenant);
                $this->out("registry: $tenant stored (state " . ($stored['state'] ?? '?') . ')');
                if ($stored !== null && ($stored['state'] ?? '') === 'ready') {
                    // A new tenant gets its extensions when seeded; a ready one here, in its own database only.
                    foreach (TenantExtensions::lines($tenant, (new TenantExtensions($this->paths))->sync($stored)) as $line) {
                        $this->out($line);
                    }
                }
                return ExitCode::OK;
            case 'rm':
                $tenant = $args->arg(1, 'tenant');
                $known = $registry->get($tenant) !== null;
                $registry->remove($tenant);
                $this->out($known ? "registry: $tenant removed" : "registry: $tenant had no entry (nothing to remove)");
                return ExitCode::OK;
            case 'list':
                $this->json($registry->list());
                return ExitCode::OK;
            case 'rebuild':
                $registry->rebuild();
                $this->out('registry: host map, per-host files and media links rebuilt from ' . count($registry->tenants()) . ' entries');
                return ExitCode::OK;
            default:
                throw new UserError("unknown subcommand \"$sub\": use put, rm, list or rebuild", ExitCode::USAGE);
        }
    }

    /** @return array<string, mixed> */
    private function readEntry(string $tenant): array
    {
        $json = $this->stdin();
        if (trim($json) === '') {
            throw new UserError("registry put $tenant: expected the entry as JSON on stdin, got nothing (nothing was changed)");
        }
        try {
            $entry = json_decode($json, true, 32, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new UserError("registry put $tenant: stdin is not valid JSON ({$e->getMessage()}); nothing was changed");
        }
        if (!is_array($entry)) {
            throw new UserError("registry put $tenant: stdin must hold one JSON object (nothing was changed)");
        }
        if (($entry['tenant'] ?? null) !== $tenant) {
            throw new UserError("registry put $tenant: the entry's \"tenant\" field must be \"$tenant\" (nothing was changed)");
        }
        return $entry;
    }
}
