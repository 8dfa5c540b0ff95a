<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Lock;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantArchive;
use MokoWaaS\TenantExtensions;

final class RestoreCommand extends Command
{
    public static function summary(): string
    {
        return 'restore a tenant from an archive, or clone it into another tenant';
    }

    public static function usage(): string
    {
        return "usage: mokowaas restore <tenant> [--archive A] [--into T2]\n"
            . "  A defaults to the tenant's newest archive (safety archives excluded). The target (the tenant,\n"
            . "  or T2, whose entry must exist) is archived first as <target>-pre-restore-<time>; its database\n"
            . "  and media are then replaced and it is marked ready. Registry entries are not restored.";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv, ['archive', 'into']);
        $source = $args->arg(0, 'tenant');
        Registry::assertTenantName($source);
        $target = $args->option('into', $source);
        Registry::assertTenantName($target);
        $registry = new Registry($this->paths);
        if ($registry->get($target) === null) {
            throw new UserError("tenant $target has no registry entry: create it (registry put) before restoring into it", ExitCode::NOT_READY);
        }
        $archives = new TenantArchive($this->paths, PlatformConfig::load($this->paths));
        $own = $archives->list($source);
        $name = $args->option('archive');
        if ($name === null) {
            $name = TenantArchive::newestRestorable($own) ?? throw new UserError("tenant $source has no archive to restore", ExitCode::NOT_READY);
        } elseif (!in_array($name, array_column($own, 'name'), true)) {
            throw new UserError("archive \"$name\" is not an archive of tenant $source: see `mokowaas backups $source`");
        }
        $lock = Lock::tenant($this->paths, $target);
        $safety = $archives->backup($target, 'pre-restore');
        $this->out("$target: current state archived as $safety");
        $archives->restoreInto($name, $source, $target);
        $registry->setState($target, 'ready');
        $lock->release();
        $this->out($target === $source ? "$target: restored from $name" : "$target: cloned from $name of $source");
        // The extensions its entry lists, in the restored database too (what that database had is kept).
        $entry = $registry->get($target) ?? [];
        foreach (TenantExtensions::lines($target, (new TenantExtensions($this->paths))->sync($entry, removeUnlisted: false)) as $line) {
            $this->out($line);
        }
        return ExitCode::OK;
    }
}
