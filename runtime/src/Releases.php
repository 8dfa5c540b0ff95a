<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * The Joomla releases laid side by side under $ROOT/srv/mokowaas/releases, each named by its folder
 * (its id, e.g. `joomla-6.1.0`; `<id>.dist`, the package as published, is the blueprint's source
 * and never served). Each tenant is pinned to one release by its registry entry's `release`; an
 * entry without one (written before releases were pinned) follows `current`, the release new
 * tenants are pinned to. A tenant's served hosts reach its release through a per-host link
 * (Registry, `<fpm-hosts>/<host>.root`), which Caddy takes as the document root.
 */
final class Releases
{
    /** A release id: a folder name under releases/, never a path. */
    public const ID = '/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z/';

    public function __construct(private readonly Paths $paths)
    {
    }

    /** The folder of release $id (it may not exist). */
    public function dir(string $id): string
    {
        if (!preg_match(self::ID, $id) || str_ends_with($id, '.dist') || str_contains($id, '..')) {
            throw new UserError("\"$id\" is not a release id (a folder name under {$this->paths->releases()}, e.g. joomla-6.1.0)", ExitCode::INVALID_INPUT);
        }
        return $this->paths->releases() . '/' . $id;
    }

    /** The folder of release $id, which must be a bootstrapped Joomla release (else exit 4). */
    public function servable(string $id): string
    {
        $dir = $this->dir($id);
        if (!is_file("$dir/index.php") || !is_file("$dir/mokowaas/bootstrap.php")) {
            throw new UserError("release $id is not laid down and bootstrapped at $dir (`mokowaas release list` shows the releases)", ExitCode::NOT_READY);
        }
        return $dir;
    }

    /** The id `current` points at, or null when there is none yet. */
    public function currentId(): ?string
    {
        $target = @readlink($this->paths->current());
        return $target === false ? null : basename(rtrim($target, '/'));
    }

    /** The release the entry is pinned to: its `release`, else (an entry older than pins) `current`'s. */
    public function idOf(array $entry): ?string
    {
        $id = $entry['release'] ?? null;
        return is_string($id) && $id !== '' ? $id : $this->currentId();
    }

    /** The folder the entry's tenant is served from. */
    public function dirOf(array $entry): string
    {
        $id = $this->idOf($entry) ?? throw new UserError('no Joomla release is served yet (' . $this->paths->current() . ' is missing)', ExitCode::NOT_READY);
        return $this->dir($id);
    }

    /** Joomla's version as the release declares it (libraries/src/Version.php), or null. */
    public static function joomlaVersion(string $dir): ?string
    {
        $code = @file_get_contents("$dir/libraries/src/Version.php");
        if ($code === false) {
            return null;
        }
        $part = static fn (string $name): ?string => preg_match("/const $name\\s*=\\s*'?([0-9A-Za-z]*)'?\\s*;/", $code, $m) ? $m[1] : null;
        [$major, $minor, $patch] = [$part('MAJOR_VERSION'), $part('MINOR_VERSION'), $part('PATCH_VERSION')];
        return $major === null || $minor === null || $patch === null ? null : "$major.$minor.$patch";
    }

    /**
     * Every release folder (not `.dist`, not half-unpacked `.partial`) with its Joomla version and
     * the tenants pinned to it, sorted by id.
     *
     * @return list<array{id: string, dir: string, version: ?string, current: bool, tenants: list<string>}>
     */
    public function list(Registry $registry): array
    {
        $users = $this->users($registry);
        $current = $this->currentId();
        $out = [];
        foreach (glob($this->paths->releases() . '/*', GLOB_ONLYDIR) ?: [] as $dir) {
            $id = basename($dir);
            if (str_ends_with($id, '.dist') || str_contains($id, '.partial') || !preg_match(self::ID, $id)) {
                continue;
            }
            $out[] = ['id' => $id, 'dir' => $dir, 'version' => self::joomlaVersion($dir), 'current' => $id === $current, 'tenants' => $users[$id] ?? []];
        }
        return $out;
    }

    /** @return array<string, list<string>> release id => tenants pinned to it */
    public function users(Registry $registry): array
    {
        $users = [];
        foreach ($registry->tenants() as $tenant) {
            $entry = $registry->get($tenant);
            if ($entry !== null && ($id = $this->idOf($entry)) !== null) {
                $users[$id][] = $tenant;
            }
        }
        return $users;
    }

    /**
     * Removes an unused release (and the `.dist` of its Joomla version when no other release uses it). Refused (exit 6) while a tenant is pinned to
     * it or `current` points at it: those are served. Runs under the registry lock, so no tenant
     * is pinned to it in between.
     */
    public function remove(Registry $registry, string $id): void
    {
        $dir = $this->dir($id);
        if (!is_dir($dir)) {
            throw new UserError("release $id does not exist ($dir)", ExitCode::NOT_READY);
        }
        $registry->locked(function () use ($registry, $id, $dir): void {
            if ($id === $this->currentId()) {
                throw new UserError("release $id is `current` (new tenants get it): lay down and switch to another release first", ExitCode::REFUSED);
            }
            $users = $this->users($registry)[$id] ?? [];
            if ($users !== []) {
                throw new UserError("release $id is used by " . implode(', ', $users) . ': upgrade them to another release first (`mokowaas upgrade <tenant> --release <id>`)', ExitCode::REFUSED);
            }
            // Every pool's prepended file is reached through `current` (TenantPool), which PHP's
            // realpath cache may still resolve to this release for a while after `current` moved on:
            // the FPM master's reload gives every worker a fresh cache before the folder goes.
            try {
                (new TenantPool($this->paths, PlatformConfig::load($this->paths)))->reload();
            } catch (UserError $e) {
                // A master that is not running holds no stale cache.
                if ($e->getCode() !== ExitCode::NOT_READY) {
                    throw $e;
                }
            }
            // Renamed first: a release folder is there whole or not at all.
            $gone = $this->paths->releases() . "/.$id.removing-" . bin2hex(random_bytes(4));
            if (!rename($dir, $gone)) {
                throw new \RuntimeException("cannot move $dir aside");
            }
            TenantArchive::removeTree($gone);
            // The package as published is shared by the releases of one Joomla version with and
            // without extensions (`joomla-<v>` and `joomla-<v>-x<id>`): removed with the last of them.
            $base = (string) preg_replace('/-x[0-9a-f]{12}\z/', '', $id);
            $left = array_filter((array) glob($this->paths->releases() . "/$base{,-x*}", GLOB_BRACE | GLOB_ONLYDIR),
                static fn ($d): bool => is_string($d) && !str_ends_with($d, '.dist') && !str_contains($d, '.partial'));
            if ($left === []) {
                TenantArchive::removeTree($this->paths->releases() . "/$base.dist");
            }
        });
    }
}
