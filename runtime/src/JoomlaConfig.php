<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * The one definition of a tenant's Joomla configuration (class JConfig): Joomla's installer
 * defaults for every property (PHP 8.2 deprecates dynamic ones) and the values that come from the
 * tenant's registry entry. Used by the registry to precompile each served host's JConfig
 * (Registry, hosts/<host>.php), by `release bootstrap` to render the release's configuration.php,
 * and by the bootstrap (a copy in the release) when it builds JConfig from the entry itself (CLI).
 */
final class JoomlaConfig
{
    /** Every JConfig property with Joomla's installer default. */
    public const DEFAULTS = [
        'offline' => false,
        'offline_message' => 'This site is down for maintenance.<br>Please check back again soon.',
        'display_offline_message' => 1,
        'offline_image' => '',
        'sitename' => '',
        'editor' => 'tinymce',
        'captcha' => '0',
        'list_limit' => 20,
        'access' => 1,
        'frontediting' => 1,
        'debug' => false,
        'debug_lang' => false,
        'debug_lang_const' => true,
        'dbtype' => 'mysqli',
        'host' => '',
        'user' => '',
        'password' => '',
        'db' => '',
        'dbprefix' => '',
        'dbencryption' => 0,
        'dbsslverifyservercert' => false,
        'dbsslkey' => '',
        'dbsslcert' => '',
        'dbsslca' => '',
        'dbsslcipher' => '',
        'force_ssl' => 0,
        'live_site' => '',
        'secret' => '',
        'gzip' => false,
        'error_reporting' => 'default',
        'helpurl' => 'https://help.joomla.org/proxy?keyref=Help{major}{minor}:{keyref}&lang={langcode}',
        'offset' => 'UTC',
        'mailonline' => true,
        'mailer' => 'mail',
        'mailfrom' => '',
        'fromname' => '',
        'replyto' => '',
        'replytoname' => '',
        'massmailoff' => false,
        'sendmail' => '/usr/sbin/sendmail',
        'smtpauth' => false,
        'smtpuser' => '',
        'smtppass' => '',
        'smtphost' => 'localhost',
        'smtpsecure' => 'none',
        'smtpport' => 25,
        'caching' => 0,
        'cache_handler' => 'file',
        'cachetime' => 15,
        'cache_platformprefix' => false,
        'cache_path' => '',
        'memcached_persist' => true,
        'memcached_compress' => false,
        'memcached_server_host' => 'localhost',
        'memcached_server_port' => 11211,
        'redis_persist' => true,
        'redis_server_host' => 'localhost',
        'redis_server_port' => 6379,
        'redis_server_auth' => '',
        'redis_server_db' => 0,
        'MetaDesc' => '',
        'MetaTitle' => true,
        'MetaAuthor' => true,
        'MetaVersion' => false,
        'MetaRights' => '',
        'robots' => '',
        'sitename_pagetitles' => 0,
        'sef' => true,
        'sef_rewrite' => false,
        'sef_suffix' => false,
        'unicodeslugs' => false,
        'feed_limit' => 10,
        'feed_email' => 'none',
        'log_path' => '',
        'tmp_path' => '',
        'log_everything' => 0,
        'log_deprecated' => 0,
        'log_priorities' => ['0' => 'all'],
        'log_categories' => '',
        'log_category_mode' => 0,
        'lifetime' => 15,
        'session_handler' => 'database',
        'shared_session' => false,
        'session_metadata' => true,
        'session_metadata_for_guest' => true,
        'session_filesystem_path' => '',
        'session_memcached_server_host' => 'localhost',
        'session_memcached_server_port' => 11211,
        'session_redis_persist' => 1,
        'session_redis_server_host' => 'localhost',
        'session_redis_server_port' => 6379,
        'session_redis_server_auth' => '',
        'session_redis_server_db' => 0,
        'cookie_domain' => '',
        'cookie_path' => '',
        'proxy_enable' => false,
        'proxy_host' => '',
        'proxy_port' => '',
        'proxy_user' => '',
        'proxy_pass' => '',
        'behind_loadbalancer' => false,
        'cors' => false,
        'cors_allow_origin' => '*',
        'cors_allow_headers' => 'Content-Type,X-Joomla-Token',
        'cors_allow_methods' => '',
        'block_floc' => true,
        'asset_id' => 1,
    ];

    /**
     * Settings the platform decides, whatever a tenant saves: its database and secret, the
     * tenant's folders and handlers, how requests reach it (TLS, proxy, cookies, URL rewriting),
     * offline state (the YAML's `online`) and error reporting. Every other property is the
     * tenant's own Global Configuration (docs/joomla-config.md).
     */
    public const PLATFORM_OWNED = [
        'dbtype', 'host', 'user', 'password', 'db', 'dbprefix', 'dbencryption', 'dbsslverifyservercert',
        'dbsslkey', 'dbsslcert', 'dbsslca', 'dbsslcipher', 'secret', 'live_site', 'force_ssl', 'offline',
        'tmp_path', 'log_path', 'cache_handler', 'cache_path', 'cache_platformprefix', 'memcached_persist',
        'memcached_compress', 'memcached_server_host', 'memcached_server_port', 'redis_persist',
        'redis_server_host', 'redis_server_port', 'redis_server_auth', 'redis_server_db', 'session_handler',
        'session_filesystem_path', 'session_memcached_server_host', 'session_memcached_server_port',
        'session_redis_persist', 'session_redis_server_host', 'session_redis_server_port',
        'session_redis_server_auth', 'session_redis_server_db', 'shared_session', 'cookie_domain',
        'cookie_path', 'error_reporting', 'sendmail', 'proxy_enable', 'proxy_host', 'proxy_port',
        'proxy_user', 'proxy_pass', 'behind_loadbalancer', 'sef_rewrite',
    ];
    /** Platform-owned on one role only: dev hosts are never indexed. */
    private const ROLE_OWNED = ['dev' => ['robots']];

    /**
     * The tenant's own folder, Joomla's JPATH_CONFIGURATION for the tenant (Global Configuration and
     * `config:set` write its configuration.php), under the tenant folder.
     */
    public const DIR = 'config';
    /**
     * Its configuration.php, from the tenant folder: normally the tenant's own settings, as PHP that
     * returns them (settingsSource; opcache keeps it, so reading it costs next to nothing); after
     * Joomla wrote it, a complete `class JConfig`, which the bootstrap turns back into settings.
     */
    public const TENANT_FILE = '/config/configuration.php';
    /**
     * Beside it, the last settings kept, as JSON: Joomla's save replaces configuration.php whole, and
     * the bootstrap never includes that file a second time (opcache may still hold Joomla's JConfig).
     */
    public const KEPT = 'settings.json';
    /** The first line of settingsSource(): what tells settings from a JConfig Joomla wrote. */
    public const SETTINGS_HEADER = "<?php\n// MokoWaaS: this tenant's own Global Configuration";

    /** @return list<string> the properties a tenant's Global Configuration sets on a host of $role */
    public static function tenantKeys(string $role): array
    {
        $owned = array_merge(self::PLATFORM_OWNED, self::ROLE_OWNED[$role] ?? []);
        return array_values(array_diff(array_keys(self::DEFAULTS), $owned));
    }

    /**
     * $values with the tenant's own settings over them (only the properties the tenant sets).
     *
     * @param array<string, mixed> $values
     * @return array<string, mixed>
     */
    public static function withSettings(array $values, mixed $settings, string $role): array
    {
        return is_array($settings) ? array_replace($values, array_intersect_key($settings, array_flip(self::tenantKeys($role)))) : $values;
    }

    /**
     * The tenant's settings after Joomla wrote $written (every property): a property the tenant
     * sets is kept when it differs from the platform's value ($base) and dropped when equal (it
     * then follows the platform again, e.g. a siteName changed in the YAML). Properties the
     * tenant does not set on this role keep their old setting. Loose comparison: Joomla writes
     * form values as strings ("20" for 20).
     *
     * @param array<string, mixed> $written
     * @param array<string, mixed> $base
     * @param array<string, mixed> $old
     * @return array<string, mixed>
     */
    public static function settingsAfterWrite(array $written, array $base, array $old, string $role): array
    {
        $settings = $old;
        foreach (self::tenantKeys($role) as $key) {
            if (!array_key_exists($key, $written)) {
                continue;
            }
            // @mago-expect lint:identity-comparison (loose on purpose, see above)
            if ($written[$key] == ($base[$key] ?? self::DEFAULTS[$key])) {
                unset($settings[$key]);
            } else {
                $settings[$key] = $written[$key];
            }
        }
        ksort($settings);
        return $settings;
    }

    /**
     * The tenant's configuration.php holding $settings (what settingsAfterWrite keeps): PHP that
     * returns them. Joomla's readers include it too (they find JConfig declared already).
     *
     * @param array<string, mixed> $settings
     */
    public static function settingsSource(array $settings): string
    {
        return self::SETTINGS_HEADER . " (what differs from the platform's values).\n"
            . "// Joomla writes a whole JConfig here on save; the next request turns it back into this (docs/joomla-config.md).\n"
            . 'return ' . self::literal($settings) . ";\n";
    }

    /**
     * PHP code for the constructor of a per-host JConfig: the tenant's settings (MOKOWAAS_SETTINGS,
     * which the bootstrap defined from the tenant's configuration.php) over the declared values,
     * only the properties the tenant sets on $role.
     */
    public static function settingsConstructor(string $role): string
    {
        return "\$own = " . self::literal(array_fill_keys(self::tenantKeys($role), true)) . ";\n"
            . "foreach (\\defined('MOKOWAAS_SETTINGS') ? \\MOKOWAAS_SETTINGS : [] as \$key => \$value) {\n"
            . "    if (isset(\$own[\$key])) {\n        \$this->\$key = \$value;\n    }\n}";
    }

    /**
     * The values of one tenant for one role (dev, production or cli), every other property
     * keeping its default.
     *
     * @param array<string, mixed> $entry the tenant's registry entry (with secrets)
     * @param string $tenantDir the tenant's storage folder (Paths::tenant)
     * @return array<string, mixed>
     */
    public static function forTenant(array $entry, string $role, string $tenantDir): array
    {
        $production = (string) $entry['hosts']['production'];
        $cliHost = $entry['online'] === true ? $production : (string) $entry['hosts']['dev'];
        return [
            'sitename' => (string) $entry['siteName'],
            'dbtype' => 'mysqli',
            'host' => $entry['db']['host'] . ':' . $entry['db']['port'],
            'user' => (string) $entry['db']['user'],
            'password' => (string) $entry['db']['password'],
            'db' => (string) $entry['db']['name'],
            'dbprefix' => (string) $entry['db']['prefix'],
            'secret' => (string) $entry['secret'],
            'mailfrom' => (string) $entry['mail']['from'],
            'fromname' => (string) $entry['mail']['fromName'],
            // CLI has no request to take the URL from: give it the tenant's public base.
            'live_site' => $role === 'cli' ? 'https://' . $cliHost : '',
            'tmp_path' => $tenantDir . '/tmp',
            'log_path' => $tenantDir . '/logs',
            'session_handler' => 'filesystem',
            'session_filesystem_path' => $tenantDir . '/sessions',
            // JPATH_CACHE is preset per tenant; an empty cache_path makes the Cache class use it.
            'cache_path' => '',
            // Soft offline happens before Joomla boots (bootstrap); Joomla's own switch stays off.
            'offline' => false,
            'robots' => $role === 'dev' ? 'noindex, nofollow' : '',
            'sef_rewrite' => true,
        ];
    }

    /**
     * PHP source of `class JConfig` with every property declared, $values over the defaults, and
     * an optional constructor body (PHP code).
     *
     * @param array<string, mixed> $values
     */
    public static function declaration(array $values, string $constructor = '', string $indent = ''): string
    {
        $unknown = array_diff_key($values, self::DEFAULTS);
        if ($unknown !== []) {
            throw new \LogicException('not JConfig properties: ' . implode(', ', array_keys($unknown)));
        }
        $code = "class JConfig\n{\n";
        foreach (array_replace(self::DEFAULTS, $values) as $name => $value) {
            $code .= "    public \$$name = " . self::literal($value) . ";\n";
        }
        if ($constructor !== '') {
            $code .= "\n    public function __construct()\n    {\n        " . str_replace("\n", "\n        ", trim($constructor)) . "\n    }\n";
        }
        $code .= "}\n";
        return $indent === '' ? $code : (preg_replace('/^(?=.)/m', $indent, $code) ?? throw new \LogicException('cannot indent the JConfig declaration'));
    }

    /** One-line PHP literal of a scalar or a flat array. */
    private static function literal(mixed $value): string
    {
        if (!is_array($value)) {
            return var_export($value, true);
        }
        $items = [];
        foreach ($value as $k => $v) {
            $items[] = var_export($k, true) . ' => ' . self::literal($v);
        }
        return '[' . implode(', ', $items) . ']';
    }
}
