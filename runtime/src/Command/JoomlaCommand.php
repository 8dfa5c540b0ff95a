<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\JoomlaConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantJoomlaCli;

/**
 * Joomla's own CLI for one tenant, run as that tenant's own Unix user (TenantJoomlaCli), never as
 * root. Commands that change the shared code, or settings the platform owns, are refused here with where
 * to make the change instead; `config:set` of the tenant's own settings works (docs/joomla-config.md).
 */
final class JoomlaCommand extends Command
{
    /** Joomla commands refused for a tenant, with the way to do it on this platform. */
    private const REFUSED = [
        'site:down' => 'production hosts are taken offline by `online: false` in the tenant\'s YAML (then `pulumi up`); dev hosts always serve',
        'site:up' => 'production hosts go online with `online: true` in the tenant\'s YAML (then `pulumi up`)',
        'core:update' => 'Joomla is updated for every tenant by the platform (the platform stack\'s joomla.version), never from one site',
        'core:update:channel' => 'the update channel is the platform\'s: Joomla is updated by the platform stack',
        'update:joomla:remove-old-files' => 'release files belong to the platform: each release is unpacked whole by the platform stack',
        'extension:install' => 'extensions live in the shared code and are provided by the platform',
        'extension:remove' => 'extensions live in the shared code and are provided by the platform',
        'extension:discover' => 'extensions live in the shared code and are provided by the platform',
        'extension:discover:install' => 'extensions live in the shared code and are provided by the platform',
        'site:create-public-folder' => 'the public folder is the platform\'s (Caddy serves the shared release)',
    ];

    public static function summary(): string
    {
        return "run Joomla's CLI for one tenant, as its PHP user";
    }

    public static function usage(): string
    {
        return "usage: mokowaas joomla <tenant> [--] <joomla command> [arguments...]\n"
            . "  Runs cli/joomla.php of the served release with MOKOWAAS_TENANT=<tenant> as the tenant's own user (never\n"
            . "  root; in its systemd slice where systemd runs), passing stdin, stdout, stderr and Joomla's exit code through.\n"
            . "  Refused (exit 6, nothing run):\n"
            . '  ' . implode(', ', array_keys(self::REFUSED)) . ".\n"
            . "exit codes: Joomla's own; 2 usage, 3 bad tenant name, 4 no such tenant or not ready, 6 refused";
    }

    public function run(array $argv): int
    {
        $tenant = $argv[0] ?? throw new UserError('missing <tenant>', ExitCode::USAGE);
        $rest = array_slice($argv, 1);
        if (($rest[0] ?? null) === '--') {
            array_shift($rest);
        }
        if ($rest === []) {
            throw new UserError('missing the Joomla command (e.g. `mokowaas joomla acme -- list`)', ExitCode::USAGE);
        }
        Registry::assertTenantName($tenant);
        $entry = (new Registry($this->paths))->get($tenant)
            ?? throw new UserError("tenant $tenant has no registry entry on this server (`mokowaas registry list` shows them)", ExitCode::NOT_READY);
        if (($entry['state'] ?? '') !== 'ready') {
            throw new UserError("tenant $tenant is not ready (state " . ($entry['state'] ?? '?') . ')', ExitCode::NOT_READY);
        }
        $command = self::joomlaCommand($rest);
        if ($command !== null && isset(self::REFUSED[$command])) {
            throw new UserError("`$command` is not run for a tenant on this platform: " . self::REFUSED[$command], ExitCode::REFUSED);
        }
        if ($command === 'config:set') {
            $this->refusePlatformSettings($rest);
        }
        return (new TenantJoomlaCli($this->paths))->run($entry, $rest, [0 => STDIN, 1 => STDOUT, 2 => STDERR]);
    }

    /**
     * `config:set name=value ...` changes the tenant's own settings (its Global Configuration);
     * the settings the platform owns are refused, as in the administrator.
     *
     * @param list<string> $args
     */
    private function refusePlatformSettings(array $args): void
    {
        $owned = [];
        foreach ($args as $a) {
            $name = strstr($a, '=', true);
            if ($name !== false && in_array($name, JoomlaConfig::PLATFORM_OWNED, true)) {
                $owned[] = $name;
            }
        }
        if ($owned !== []) {
            throw new UserError('`config:set` of ' . implode(', ', $owned) . ' is refused: the platform owns these settings (its tenant YAML and registry entry); other Global Configuration settings can be set', ExitCode::REFUSED);
        }
    }

    /** The Joomla command name among the arguments (the first word that is not an option). */
    private static function joomlaCommand(array $args): ?string
    {
        foreach ($args as $a) {
            if (!str_starts_with($a, '-')) {
                return strtolower($a);
            }
        }
        return null;
    }
}
