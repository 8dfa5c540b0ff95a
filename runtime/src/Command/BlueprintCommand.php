<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Blueprint;
use MokoWaaS\BlueprintStandby;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\PlatformConfig;

final class BlueprintCommand extends Command
{
    public static function summary(): string
    {
        return 'build the blueprint database new tenants are copied from';
    }

    public static function usage(): string
    {
        return "usage: mokowaas blueprint create --release DIR [--sql-only] [--database NAME (default mokowaas_blueprint)]\n"
            . "       mokowaas blueprint show\n"
            . "       mokowaas blueprint standby\n"
            . "  create runs Joomla's CLI installer in a throwaway copy of DIR (the unpacked full package); an installer\n"
            . "  that cannot run here (no installation/joomla.php, PHP older than Joomla's minimum: exit 4) or fails\n"
            . "  (exit 1, with its output) leaves the blueprint as it was. --sql-only instead applies\n"
            . "  installation/sql/mysql/{base,supports,extensions}.sql itself. Then it makes the standby copy.\n"
            . "  standby (re)makes the ready spare copy of the blueprint (database <blueprint>_standby) that `tenant seed`\n"
            . "  moves into a tenant's database, unless it is a complete copy of the current blueprint; it waits for a\n"
            . "  refill already running. `tenant seed` starts it in the background after taking the copy.";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['release', 'database'], ['sql-only']);
        $sub = $args->arg(0, 'create|show|standby');
        if (!in_array($sub, ['create', 'show', 'standby'], true)) {
            throw new UserError("unknown subcommand \"$sub\": use create, show or standby", ExitCode::USAGE);
        }
        $config = PlatformConfig::load($this->paths);
        $blueprint = new Blueprint($this->paths, $config);
        if ($sub === 'standby') {
            $state = (new BlueprintStandby($this->paths, $config))->refillNow(600);
            $this->out("blueprint standby: $state");
            return $state === 'no blueprint' ? ExitCode::NOT_READY : ExitCode::OK;
        }
        if ($sub === 'show') {
            $meta = $blueprint->meta() ?? throw new UserError('there is no blueprint yet: run `mokowaas blueprint create --release DIR`', ExitCode::NOT_READY);
            $this->json($meta);
            return ExitCode::OK;
        }
        $release = $args->required('release');
        if (!is_dir($release)) {
            throw new UserError("--release $release is not a folder");
        }
        $meta = $blueprint->create($release, $args->flag('sql-only'), fn (string $l) => $this->err($l), $args->option('database'));
        $this->out("blueprint {$meta['database']} built from Joomla {$meta['joomlaVersion']} ({$meta['method']}), schema {$meta['schemaVersion']}");
        return ExitCode::OK;
    }
}
