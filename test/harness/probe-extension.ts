/**
 * A small Joomla extension package the extension tests build themselves (docs/extensions.md):
 * pkg_mokoprobe with a site module and a system plugin.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const MODULE_TEXT = "MOKOPROBE-MODULE-RENDERED";
export const PLUGIN_TEXT = "MOKOPROBE-PLUGIN-WAS-HERE";

/**
 * pkg_mokoprobe at `version` as a zip: mod_mokoprobe (site module printing MODULE_TEXT and its
 * version; install SQL creates #__mokoprobe, uninstall SQL drops it, update files 1.0.0 and, from
 * 1.0.1 on, 1.0.1 adding a column) and plg_system_mokoprobe (appends PLUGIN_TEXT to every page).
 */
export function buildProbePackage(dir: string, version: string): { file: string; sha512: string } {
    const root = path.join(dir, `pkg-${version}`);
    const mod = path.join(root, "mod");
    const plg = path.join(root, "plg");
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
    };
    const updates: Record<string, string> = { "1.0.0": "-- nothing to change in 1.0.0\n" };
    if (version !== "1.0.0") updates["1.0.1"] = "ALTER TABLE `#__mokoprobe` ADD COLUMN `added_in_101` VARCHAR(20) NOT NULL DEFAULT 'new';\n";
    write(path.join(mod, "mod_mokoprobe.xml"), `<?xml version="1.0" encoding="utf-8"?>
<extension type="module" client="site" method="upgrade">
  <name>mod_mokoprobe</name>
  <author>MokoWaaS tests</author>
  <version>${version}</version>
  <description>Prints a marker.</description>
  <files>
    <filename module="mod_mokoprobe">mod_mokoprobe.php</filename>
    <folder>sql</folder>
  </files>
  <install><sql><file driver="mysql" charset="utf8">sql/install.mysql.sql</file></sql></install>
  <uninstall><sql><file driver="mysql" charset="utf8">sql/uninstall.mysql.sql</file></sql></uninstall>
  <update><schemas><schemapath type="mysql">sql/updates/mysql</schemapath></schemas></update>
</extension>
`);
    write(path.join(mod, "mod_mokoprobe.php"), `<?php\n\\defined('_JEXEC') or die;\necho '<div class="mokoprobe">${MODULE_TEXT} v${version}</div>';\n`);
    const added = version === "1.0.0" ? "" : ", `added_in_101` VARCHAR(20) NOT NULL DEFAULT 'new'";
    write(path.join(mod, "sql/install.mysql.sql"),
        `CREATE TABLE IF NOT EXISTS \`#__mokoprobe\` (\`id\` INT NOT NULL AUTO_INCREMENT, \`note\` VARCHAR(100) NOT NULL DEFAULT ''${added}, PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 DEFAULT COLLATE=utf8mb4_unicode_ci;\n`);
    write(path.join(mod, "sql/uninstall.mysql.sql"), "DROP TABLE IF EXISTS `#__mokoprobe`;\n");
    for (const [v, sql] of Object.entries(updates)) write(path.join(mod, `sql/updates/mysql/${v}.sql`), sql);
    write(path.join(plg, "mokoprobe.xml"), `<?xml version="1.0" encoding="utf-8"?>
<extension type="plugin" group="system" method="upgrade">
  <name>plg_system_mokoprobe</name>
  <author>MokoWaaS tests</author>
  <version>${version}</version>
  <namespace path="src">MokoWaaS\\Tests\\Mokoprobe</namespace>
  <files>
    <folder plugin="mokoprobe">services</folder>
    <folder>src</folder>
  </files>
</extension>
`);
    write(path.join(plg, "services/provider.php"), `<?php
\\defined('_JEXEC') or die;
use Joomla\\CMS\\Extension\\PluginInterface;
use Joomla\\CMS\\Factory;
use Joomla\\CMS\\Plugin\\PluginHelper;
use Joomla\\DI\\Container;
use Joomla\\DI\\ServiceProviderInterface;
require_once \\dirname(__DIR__) . '/src/Mokoprobe.php';
return new class () implements ServiceProviderInterface {
    public function register(Container $container): void
    {
        $container->set(PluginInterface::class, static function () {
            $plugin = new \\MokoWaaS\\Tests\\Mokoprobe\\Mokoprobe((array) PluginHelper::getPlugin('system', 'mokoprobe'));
            $plugin->setApplication(Factory::getApplication());
            return $plugin;
        });
    }
};
`);
    write(path.join(plg, "src/Mokoprobe.php"), `<?php
namespace MokoWaaS\\Tests\\Mokoprobe;
\\defined('_JEXEC') or die;
final class Mokoprobe extends \\Joomla\\CMS\\Plugin\\CMSPlugin implements \\Joomla\\Event\\SubscriberInterface
{
    public static function getSubscribedEvents(): array
    {
        return ['onAfterRender' => 'mark'];
    }
    public function mark(): void
    {
        $app = $this->getApplication();
        if ($app->isClient('site')) {
            $app->setBody(str_replace('</body>', '<!-- ${PLUGIN_TEXT} --></body>', $app->getBody()));
        }
    }
}
`);
    write(path.join(root, "pkg/pkg_mokoprobe.xml"), `<?xml version="1.0" encoding="utf-8"?>
<extension type="package" method="upgrade">
  <name>MokoWaaS probe</name>
  <packagename>mokoprobe</packagename>
  <author>MokoWaaS tests</author>
  <version>${version}</version>
  <files>
    <file type="module" id="mod_mokoprobe" client="site">mod_mokoprobe.zip</file>
    <file type="plugin" id="mokoprobe" group="system">plg_system_mokoprobe.zip</file>
  </files>
</extension>
`);
    const zip = (cwd: string, out: string) => {
        const r = spawnSync("zip", ["-qr", out, "."], { cwd, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`zip ${out}: ${r.stderr}`);
    };
    zip(mod, path.join(root, "pkg/mod_mokoprobe.zip"));
    zip(plg, path.join(root, "pkg/plg_system_mokoprobe.zip"));
    const file = path.join(root, "pkg_mokoprobe.zip");
    zip(path.join(root, "pkg"), file);
    return { file, sha512: crypto.createHash("sha512").update(fs.readFileSync(file)).digest("hex") };
}
