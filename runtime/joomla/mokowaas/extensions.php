<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the platform's way to install and uninstall
// the release's extensions in ONE tenant's database, with Joomla's own installer. `mokowaas tenant
// extensions` runs it as the tenant's own Unix user (MOKOWAAS_TENANT names the tenant, as for
// cli/joomla.php), with {"extensions": [names], "removeUnlisted": bool} on stdin; it prints one line `MOKOWAAS-RESULT <json>`.
// The files are the release's (root's, read-only here): installing is Joomla's discover-install of
// each child extension of the package (its install SQL, #__extensions, #__schemas), then the
// package's own row; uninstalling is Joomla's uninstall of each child (its uninstall SQL, its rows,
// module instances), then the package's rows. Joomla's attempts to delete files fail on the
// read-only release and are expected. A tenant's administrator cannot reach this: the bootstrap
// refuses com_installer's writers and `mokowaas joomla` refuses extension:* commands.
declare(strict_types=1);

PHP_SAPI === 'cli' || exit;
const _JEXEC = 1;

use Joomla\CMS\Factory;
use Joomla\CMS\Installer\Installer;
use Joomla\CMS\Table\Extension;
use Joomla\Console\Command\AbstractCommand;
use Joomla\Database\DatabaseInterface;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

// The tenant from MOKOWAAS_TENANT (the bootstrap refuses root and unknown tenants), then Joomla's defines.
require_once dirname(__DIR__) . '/defines.php';
require_once JPATH_BASE . '/includes/framework.php';

final class MokowaasExtensionsCommand extends AbstractCommand
{
    protected static $defaultName = 'mokowaas:extensions';

    /** @var array<string, mixed> */
    public array $result = ['installed' => [], 'uninstalled' => [], 'unchanged' => []];
    public bool $ran = false;

    protected function doExecute(InputInterface $input, OutputInterface $output): int
    {
        $this->ran = true;
        try {
            $this->sync();
            return 0;
        } catch (\Throwable $e) {
            $this->result['error'] = $e->getMessage() . ' (' . basename($e->getFile()) . ' line ' . $e->getLine() . ')';
            return 1;
        }
    }

    private function sync(): void
    {
        $wanted = json_decode((string) file_get_contents('php://stdin'), true);
        if (!is_array($wanted) || !is_array($wanted['extensions'] ?? null)) {
            throw new RuntimeException('stdin must be {"extensions": [names]}');
        }
        $file = JPATH_ROOT . '/mokowaas/extensions.json';
        $offered = is_file($file) ? (json_decode((string) file_get_contents($file), true)['extensions'] ?? []) : [];
        $unknown = array_diff($wanted['extensions'], array_keys($offered));
        if ($unknown !== []) {
            throw new RuntimeException('not offered by this release: ' . implode(', ', $unknown));
        }
        $db = Factory::getContainer()->get(DatabaseInterface::class);
        foreach ($offered as $name => $ext) {
            $want = in_array($name, $wanted['extensions'], true);
            $package = self::id($db, 'package', $ext['package'], '', 0);
            if ($want && $package === null) {
                $this->install($db, $ext);
                $this->result['installed'][] = $name;
            } elseif ($want && self::incomplete($db, $ext)) {
                // A run stopped half-way: the package row is written last, so this is rare; complete it.
                $this->install($db, $ext);
                $this->result['installed'][] = $name;
            } elseif (!$want && ($wanted['removeUnlisted'] ?? true) && ($package !== null || self::anyChild($db, $ext))) {
                $this->uninstall($db, $ext, $package);
                $this->result['uninstalled'][] = $name;
            } else {
                $this->result['unchanged'][] = $name;
            }
        }
    }

    /** @param array{package: string, children: list<array<string, mixed>>} $ext */
    private function install(DatabaseInterface $db, array $ext): void
    {
        $discovered = null;
        $ids = [];
        foreach ($ext['children'] as $c) {
            $id = self::id($db, $c['type'], $c['element'], $c['folder'], $c['client_id']);
            $state = $id === null ? null : (int) $db->setQuery('SELECT state FROM #__extensions WHERE extension_id = ' . $id)->loadResult();
            if ($id === null) {
                // Joomla's discover: the extensions whose files are in the release and not in this database.
                $discovered ??= (static function () use ($db): array {
                    $i = new Installer();
                    $i->setDatabase($db);
                    return $i->discover();
                })();
                $found = array_values(array_filter($discovered, static fn ($e): bool => $e->type === $c['type'] && $e->element === $c['element']
                    && (string) $e->folder === $c['folder'] && (int) $e->client_id === $c['client_id']));
                if ($found === []) {
                    throw new RuntimeException("{$c['type']} {$c['element']}: Joomla's discover does not find its files in the release");
                }
                $found[0]->store();
                $id = (int) $found[0]->extension_id;
                $state = -1;
            }
            if ($state === -1) {
                $installer = new Installer();
                $installer->setDatabase($db);
                if (!$installer->discover_install($id)) {
                    throw new RuntimeException("Joomla's discover-install of {$c['type']} {$c['element']} failed: " . self::messages());
                }
            }
            $ids[] = $id;
        }
        $manifest = JPATH_MANIFESTS . '/packages/' . $ext['package'] . '.xml';
        $info = Installer::parseXMLInstallFile($manifest) ?: throw new RuntimeException("$manifest cannot be read");
        $row = new Extension($db);
        $row->bind(['name' => $info['name'], 'type' => 'package', 'element' => $ext['package'], 'folder' => '', 'client_id' => 0,
            'enabled' => 1, 'access' => 1, 'protected' => 0, 'locked' => 0, 'manifest_cache' => json_encode($info), 'params' => '{}',
            'custom_data' => '', 'state' => 0, 'package_id' => 0]);
        if (!$row->store()) {
            throw new RuntimeException('cannot store the package row: ' . $row->getError());
        }
        $db->setQuery('UPDATE #__extensions SET package_id = ' . (int) $row->extension_id . ' WHERE extension_id IN (' . implode(',', array_map('intval', $ids)) . ')')->execute();
    }

    /** @param array{package: string, children: list<array<string, mixed>>} $ext */
    private function uninstall(DatabaseInterface $db, array $ext, ?int $package): void
    {
        foreach (array_reverse($ext['children']) as $c) {
            $id = self::id($db, $c['type'], $c['element'], $c['folder'], $c['client_id']);
            if ($id === null) {
                continue;
            }
            $installer = new Installer();
            $installer->setDatabase($db);
            $installer->setPackageUninstall(true);
            $installer->uninstall($c['type'], $id);
            if (self::id($db, $c['type'], $c['element'], $c['folder'], $c['client_id']) !== null) {
                throw new RuntimeException("Joomla's uninstall of {$c['type']} {$c['element']} left its row: " . self::messages());
            }
        }
        if ($package !== null) {
            // What Joomla's package uninstall does in the database (its file deletions are the release's business).
            $db->setQuery('DELETE FROM #__schemas WHERE extension_id = ' . $package)->execute();
            $db->setQuery('DELETE FROM #__update_sites_extensions WHERE extension_id = ' . $package)->execute();
            $db->setQuery('DELETE FROM #__updates WHERE extension_id = ' . $package)->execute();
            $db->setQuery('DELETE FROM #__extensions WHERE extension_id = ' . $package)->execute();
        }
    }

    private static function id(DatabaseInterface $db, string $type, string $element, string $folder, int $client): ?int
    {
        $id = $db->setQuery('SELECT extension_id FROM #__extensions WHERE type = ' . $db->quote($type) . ' AND element = ' . $db->quote($element)
            . ' AND folder = ' . $db->quote($folder) . ' AND client_id = ' . $client . ' ORDER BY extension_id LIMIT 1')->loadResult();
        return $id === null ? null : (int) $id;
    }

    /** @param array{children: list<array<string, mixed>>} $ext */
    private static function incomplete(DatabaseInterface $db, array $ext): bool
    {
        foreach ($ext['children'] as $c) {
            $id = self::id($db, $c['type'], $c['element'], $c['folder'], $c['client_id']);
            if ($id === null || (int) $db->setQuery('SELECT state FROM #__extensions WHERE extension_id = ' . $id)->loadResult() === -1) {
                return true;
            }
        }
        return false;
    }

    /** @param array{children: list<array<string, mixed>>} $ext */
    private static function anyChild(DatabaseInterface $db, array $ext): bool
    {
        foreach ($ext['children'] as $c) {
            if (self::id($db, $c['type'], $c['element'], $c['folder'], $c['client_id']) !== null) {
                return true;
            }
        }
        return false;
    }

    private static function messages(): string
    {
        return implode('; ', array_map(static fn (array $m): string => strip_tags((string) $m['message']), Factory::getApplication()->getMessageQueue()));
    }
}

// Joomla's console application, as cli/joomla.php builds it, running only this command.
$_SERVER['argv'] = [$_SERVER['argv'][0] ?? 'extensions.php', 'mokowaas:extensions', '--no-interaction'];
$app = require __DIR__ . '/console.php';
$command = new MokowaasExtensionsCommand();
$app->addCommand($command);
$app->setAutoExit(false);
try {
    $app->execute();
} catch (\Throwable $e) {
    $command->result['error'] = $e->getMessage();
}
if (!$command->ran) {
    $command->result['error'] ??= "Joomla's console did not run the command";
}
fwrite(STDOUT, "\nMOKOWAAS-RESULT " . json_encode($command->result, JSON_UNESCAPED_SLASHES) . "\n");
exit(isset($command->result['error']) ? 1 : 0);
