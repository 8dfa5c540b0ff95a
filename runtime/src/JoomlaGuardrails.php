<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * What a tenant's database must say on a shared codebase, applied to every new tenant (seed), every
 * existing one (`migrate`) and every restored one: the platform's plugin (plg_system_mokowaas,
 * shipped into every release by `release bootstrap`) registered, enabled, protected and locked, so
 * the tenant's super user can neither disable nor uninstall it; Joomla's automated core updates
 * (on by default in new 5.4+/6.x sites) off, and their post-installation message, which offers to
 * turn them on, hidden. The platform updates Joomla for all tenants (the bootstrap refuses Joomla
 * Update and its API as well: Tenant::refuseSharedWrites, refuseApiUpdates). Idempotent.
 */
final class JoomlaGuardrails
{
    /** The plugin's `#__extensions` manifest cache, as Joomla's installer would write it from its manifest. */
    private const PLUGIN_MANIFEST = ['name' => 'plg_system_mokowaas', 'type' => 'plugin', 'creationDate' => '', 'author' => 'MokoWaaS',
        'copyright' => '', 'authorEmail' => '', 'authorUrl' => '', 'version' => '1.0.0',
        'description' => "Shows which settings and actions this site's hosting platform manages.", 'group' => '',
        'namespace' => 'MokoWaaS\\Plugin\\System\\Mokowaas', 'filename' => 'mokowaas'];

    /** @param callable(string): string $t Joomla table name without prefix -> qualified, quoted table */
    public static function apply(Db $db, callable $t): void
    {
        $plugin = "type = 'plugin' AND folder = 'system' AND element = 'mokowaas' AND client_id = 0";
        if ($db->value('SELECT COUNT(*) FROM ' . $t('extensions') . " WHERE $plugin") === '0') {
            $db->exec('INSERT INTO ' . $t('extensions') . ' (package_id, name, type, element, folder, client_id, enabled, access, protected, locked, manifest_cache, params, custom_data, ordering, state)'
                . " VALUES (0, 'plg_system_mokowaas', 'plugin', 'mokowaas', 'system', 0, 1, 1, 1, 1, "
                . $db->quote(json_encode(self::PLUGIN_MANIFEST, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR)) . ", '{}', '', 0, 0)");
        } else {
            $db->exec('UPDATE ' . $t('extensions') . " SET enabled = 1, protected = 1, locked = 1 WHERE $plugin");
        }
        $params = $db->value('SELECT params FROM ' . $t('extensions') . " WHERE type = 'component' AND element = 'com_joomlaupdate' LIMIT 1");
        if ($params !== null) {
            $p = json_decode($params, true);
            $p = is_array($p) ? $p : [];
            if (($p['autoupdate'] ?? null) !== '0') {
                $p['autoupdate'] = '0';
                $db->exec('UPDATE ' . $t('extensions') . ' SET params = ' . $db->quote(json_encode($p, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR))
                    . " WHERE type = 'component' AND element = 'com_joomlaupdate'");
            }
        }
        $db->exec('UPDATE ' . $t('postinstall_messages') . " SET enabled = 0 WHERE title_key = 'COM_JOOMLAUPDATE_POSTINSTALL_MSG_AUTOMATED_UPDATES_TITLE'");
    }
}
