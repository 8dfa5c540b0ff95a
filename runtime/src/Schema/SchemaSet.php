<?php
declare(strict_types=1);

namespace MokoWaaS\Schema;

use MokoWaaS\Cli\UserError;

/**
 * One extension's schema: its `#__extensions` row (type, element, folder, client), the folder
 * holding its MySQL update files, and its manifest. Core Joomla is the `files_joomla` extension
 * whose schemapath comes from administrator/manifests/files/joomla.xml; an extension with its own
 * update folder is another SchemaSet (built the same way from its own manifest).
 */
final class SchemaSet
{
    /** @param array{type: string, element: string, folder: string, client_id: int} $extension */
    public function __construct(
        public readonly string $name,
        public readonly array $extension,
        public readonly string $updatesDir,
        public readonly string $manifest,
    ) {
    }

    /** The core schema of a Joomla release folder. */
    public static function core(string $releaseDir): self
    {
        $manifest = rtrim($releaseDir, '/') . '/administrator/manifests/files/joomla.xml';
        return self::fromManifest('core', ['type' => 'file', 'element' => 'joomla', 'folder' => '', 'client_id' => 0], $manifest, rtrim($releaseDir, '/'));
    }

    /**
     * A schema set from an extension manifest: `<update><schemas><schemapath type="mysql">` names
     * the update folder, relative to $root (the extension's root; the release root for core).
     *
     * @param array{type: string, element: string, folder: string, client_id: int} $extension
     */
    public static function fromManifest(string $name, array $extension, string $manifest, string $root): self
    {
        if (!is_file($manifest)) {
            throw new UserError("$manifest is missing: the release folder must hold the manifest of $name");
        }
        $xml = @simplexml_load_file($manifest);
        if ($xml === false) {
            throw new UserError("$manifest is not valid XML");
        }
        $path = null;
        foreach ($xml->update->schemas->schemapath ?? [] as $entry) {
            if (in_array(strtolower((string) $entry['type']), ['mysql', 'mysqli', 'pdomysql'], true)) {
                $path = trim((string) $entry);
                break;
            }
        }
        if ($path === null || $path === '') {
            throw new UserError("$manifest names no MySQL schemapath (<update><schemas><schemapath type=\"mysql\">)");
        }
        return new self($name, $extension, $root . '/' . $path, $manifest);
    }

    /** Update versions (file names without .sql), in Joomla's version_compare order. @return list<string> */
    public function versions(): array
    {
        if (!is_dir($this->updatesDir)) {
            throw new UserError("update folder {$this->updatesDir} of {$this->name} is missing");
        }
        $versions = [];
        foreach (scandir($this->updatesDir) ?: [] as $f) {
            if (str_ends_with($f, '.sql') && is_file($this->updatesDir . '/' . $f)) {
                $versions[] = substr($f, 0, -4);
            }
        }
        usort($versions, 'version_compare');
        return $versions;
    }

    public function newest(): ?string
    {
        $v = $this->versions();
        return $v === [] ? null : end($v);
    }

    /** Versions newer than $current, in order (Joomla: version_compare($file, $current) > 0). @return list<string> */
    public function pendingAfter(?string $current): array
    {
        $current ??= '0.0.0';
        return array_values(array_filter($this->versions(), static fn (string $v): bool => version_compare($v, $current) > 0));
    }

    public function file(string $version): string
    {
        return $this->updatesDir . '/' . $version . '.sql';
    }

    /** The manifest cache Joomla stores in #__extensions.manifest_cache (its parseXMLInstallFile keys). */
    public function manifestCache(): string
    {
        $xml = simplexml_load_file($this->manifest);
        if ($xml === false) {
            throw new UserError("{$this->manifest} is not valid XML");
        }
        $data = ['name' => (string) $xml->name, 'type' => (string) $xml['type']];
        foreach (['creationDate', 'author', 'copyright', 'authorEmail', 'authorUrl', 'version', 'description', 'group'] as $key) {
            $data[$key] = (string) $xml->{$key};
        }
        if ($data['creationDate'] === '') {
            $data['creationDate'] = 'Unknown';
        }
        if ($data['author'] === '') {
            $data['author'] = 'Unknown';
        }
        if (isset($xml->files) && count($xml->files->children()) > 0) {
            $data['filename'] = pathinfo($this->manifest, PATHINFO_FILENAME);
        }
        return json_encode($data, JSON_THROW_ON_ERROR);
    }
}
