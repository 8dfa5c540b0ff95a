<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * Where a tenant's media lives (reference/joomla6.md "Cache and media", option b): `release
 * bootstrap` links `<release>/sites` to `$ROOT/srv/mokowaas/tenants`, so Joomla's relative path
 * `sites/<tenant>/media/images` is the tenant's own folder on disk, and Caddy serves
 * `/sites/<any>/media/...` from the request host's tenant only (runtime/caddy/Caddyfile).
 *
 * - on disk: `<tenant dir>/media/{images,files}` (created by Registry; backed up, restored, cloned);
 * - for Joomla (relative to JPATH_ROOT): `sites/<tenant>/media/images` and `.../files`, written at
 *   seeding into the local filesystem plugin's `directories` and com_media's image_path / file_path.
 */
final class TenantMedia
{
    /** The tenant's media folder on disk (what backups hold). */
    public static function folder(Paths $paths, string $tenant): string
    {
        return $paths->tenant($tenant) . '/media';
    }

    /** Media root as Joomla sees it, relative to JPATH_ROOT. */
    public static function joomlaRoot(string $tenant): string
    {
        return 'sites/' . $tenant . '/media';
    }

    public static function imagePath(string $tenant): string
    {
        return self::joomlaRoot($tenant) . '/images';
    }

    public static function filePath(string $tenant): string
    {
        return self::joomlaRoot($tenant) . '/files';
    }

    /**
     * Points a Joomla database at the tenant's media: the local filesystem plugin's directories
     * and com_media's image/file paths. $extensions is the quoted `#__extensions` table name
     * (it may be database-qualified).
     */
    public static function writeSettings(Db $db, string $extensions, string $tenant): void
    {
        $ext = $extensions;
        $local = json_encode(['directories' => ['directories0' => ['directory' => self::imagePath($tenant), 'thumbs' => 0],
            'directories1' => ['directory' => self::filePath($tenant), 'thumbs' => 0]]], JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
        $db->exec("UPDATE $ext SET params = " . $db->quote($local)
            . " WHERE type = 'plugin' AND folder = 'filesystem' AND element = 'local'");
        $params = $db->value("SELECT params FROM $ext WHERE type = 'component' AND element = 'com_media' LIMIT 1");
        $p = json_decode($params ?? '{}', true);
        $p = is_array($p) ? $p : [];
        $p['image_path'] = self::imagePath($tenant);
        $p['file_path'] = self::filePath($tenant);
        $db->exec("UPDATE $ext SET params = " . $db->quote(json_encode($p, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR))
            . " WHERE type = 'component' AND element = 'com_media'");
    }
}
