<?php
declare(strict_types=1);

namespace MokoWaaS\Joomla;

use MokoWaaS\Host;
use MokoWaaS\Paths;

/**
 * The tenant of this PHP process, found before Joomla boots. Installed into every Joomla release
 * by `mokowaas release bootstrap` (as mokowaas/Tenant.php, beside copies of Host.php and
 * Paths.php) and used by defines.php, administrator/defines.php, api/defines.php,
 * configuration.php and the TLS ask endpoint (mokowaas/ask.php).
 *
 * Web: the Host header goes through Host::resolve against the compiled host map. Malformed -> 400,
 * unknown -> 404 (no tenant file is read), provisioning -> 503 "being set up", alias -> 301 to the
 * production host, offline production -> 503 coming-soon page; all answered here, before any
 * Joomla file loads. CLI: the tenant is named by MOKOWAAS_TENANT.
 */
final class Tenant
{
    /** @var array<string, mixed>|null the tenant's registry entry, read once per process */
    private static ?array $entry = null;
    /** dev, production or cli */
    private static string $role = '';
    /** @var array<string, mixed>|null JConfig values, built once (JConfig is constructed many times) */
    private static ?array $config = null;

    /** Resolves the tenant (or answers and exits) and presets the per-tenant Joomla constants. */
    public static function boot(): void
    {
        if (self::$entry === null) {
            PHP_SAPI === 'cli' ? self::bootCli() : self::bootWeb();
        }
        \defined('JPATH_CACHE') || \define('JPATH_CACHE', self::dir('cache'));
    }

    /** @return array<string, mixed> the registry entry (with secrets) of the current tenant */
    public static function entry(): array
    {
        self::boot();
        return self::$entry;
    }

    /** A folder of the current tenant: cache, tmp, logs, sessions or media. */
    public static function dir(string $name): string
    {
        return self::paths()->tenant((string) self::$entry['tenant']) . '/' . $name;
    }

    /**
     * Every JConfig property of this tenant (configuration.php copies them onto the object).
     *
     * @return array<string, mixed>
     */
    public static function config(): array
    {
        if (self::$config !== null) {
            return self::$config;
        }
        $e = self::entry();
        $production = (string) $e['hosts']['production'];
        $cliHost = $e['online'] === true ? $production : (string) $e['hosts']['dev'];
        return self::$config = [
            'sitename' => (string) $e['siteName'],
            'dbtype' => 'mysqli',
            'host' => $e['db']['host'] . ':' . $e['db']['port'],
            'user' => (string) $e['db']['user'],
            'password' => (string) $e['db']['password'],
            'db' => (string) $e['db']['name'],
            'dbprefix' => (string) $e['db']['prefix'],
            'secret' => (string) $e['secret'],
            'mailfrom' => (string) $e['mail']['from'],
            'fromname' => (string) $e['mail']['fromName'],
            // CLI has no request to take the URL from: give it the tenant's public base.
            'live_site' => self::$role === 'cli' ? 'https://' . $cliHost : '',
            'tmp_path' => self::dir('tmp'),
            'log_path' => self::dir('logs'),
            'session_handler' => 'filesystem',
            'session_filesystem_path' => self::dir('sessions'),
            // JPATH_CACHE is preset per tenant; an empty cache_path makes the Cache class use it.
            'cache_path' => '',
            // Soft offline happens before Joomla boots (see bootWeb); Joomla's own switch stays off.
            'offline' => false,
            'robots' => self::$role === 'dev' ? 'noindex, nofollow' : '',
            'sef_rewrite' => true,
        ];
    }

    /** The TLS ask endpoint: 200 when ?domain= is a host of the host map, else 404. Loopback only. */
    public static function ask(): never
    {
        $remote = (string) ($_SERVER['REMOTE_ADDR'] ?? '');
        if ($remote !== '127.0.0.1' && $remote !== '::1') {
            self::plain(403, 'loopback only');
        }
        $domain = $_GET['domain'] ?? null;
        if (!is_string($domain)) {
            self::plain(400, 'missing ?domain=');
        }
        $found = Host::resolve($domain, self::hostMap());
        self::plain($found['status'] === 200 ? 200 : 404, $found['status'] === 200 ? 'ok' : 'unknown host');
    }

    private static function bootWeb(): void
    {
        $found = Host::resolve((string) ($_SERVER['HTTP_HOST'] ?? ''), self::hostMap());
        if ($found['status'] !== 200) {
            self::page($found['status'], $found['status'] === 400 ? '400.html' : '404.html');
        }
        $row = $found['row'];
        if ($row['state'] !== 'ready') {
            self::page(503, 'setup.html', ['Retry-After' => '300']);
        }
        if ($row['role'] === 'alias') {
            $uri = (string) ($_SERVER['REQUEST_URI'] ?? '/');
            self::redirect('https://' . $row['redirect'] . (str_starts_with($uri, '/') ? $uri : '/'));
        }
        $entry = self::readEntry((string) $row['tenant']);
        if ($entry === null) {
            // The host map names a tenant whose entry is gone: a registry write in progress.
            self::page(503, 'setup.html', ['Retry-After' => '60']);
        }
        if ($row['role'] === 'production' && $entry['online'] !== true) {
            self::offline($entry);
        }
        if ($row['role'] === 'dev') {
            header('X-Robots-Tag: noindex, nofollow');
        }
        self::$role = (string) $row['role'];
        self::$entry = $entry;
    }

    private static function bootCli(): void
    {
        $tenant = (string) getenv('MOKOWAAS_TENANT');
        if ($tenant === '') {
            self::cliFail('MOKOWAAS_TENANT is not set: run Joomla\'s CLI as `MOKOWAAS_TENANT=<tenant> php cli/joomla.php ...`');
        }
        if (!preg_match('/^[a-z][a-z0-9-]{1,30}\z/', $tenant)) {
            self::cliFail("MOKOWAAS_TENANT=\"$tenant\" is not a tenant name");
        }
        $entry = self::readEntry($tenant);
        if ($entry === null) {
            self::cliFail("tenant $tenant has no registry entry on this server (`mokowaas registry list` shows them)");
        }
        if (($entry['state'] ?? '') === 'offboarding') {
            self::cliFail("tenant $tenant is being offboarded");
        }
        self::$role = 'cli';
        self::$entry = $entry;
    }

    /** @return array<string, array<string, mixed>> */
    private static function hostMap(): array
    {
        $file = self::paths()->hostMap();
        $map = is_file($file) ? (static fn (string $f): mixed => include $f)($file) : null;
        return is_array($map) && is_array($map['hosts'] ?? null) ? $map['hosts'] : [];
    }

    /** @return array<string, mixed>|null */
    private static function readEntry(string $tenant): ?array
    {
        $file = self::paths()->registryEntry($tenant);
        $entry = is_file($file) ? (static fn (string $f): mixed => include $f)($file) : null;
        return is_array($entry) && ($entry['tenant'] ?? null) === $tenant ? $entry : null;
    }

    private static function paths(): Paths
    {
        static $paths = null;
        return $paths ??= new Paths();
    }

    /** @param array<string, mixed> $entry */
    private static function offline(array $entry): never
    {
        $title = (string) ($entry['comingSoon']['title'] ?? $entry['siteName']);
        $message = (string) ($entry['comingSoon']['message'] ?? 'We are getting ready. Please come back soon.');
        $html = strtr((string) file_get_contents(__DIR__ . '/pages/offline.html'), [
            '{{title}}' => htmlspecialchars($title, ENT_QUOTES | ENT_HTML5, 'UTF-8'),
            '{{message}}' => nl2br(htmlspecialchars($message, ENT_QUOTES | ENT_HTML5, 'UTF-8')),
        ]);
        self::send(503, $html, ['Retry-After' => '3600', 'X-Robots-Tag' => 'noindex']);
    }

    /** @param array<string, string> $headers */
    private static function page(int $status, string $file, array $headers = []): never
    {
        self::send($status, (string) file_get_contents(__DIR__ . '/pages/' . $file), $headers);
    }

    private static function redirect(string $location): never
    {
        http_response_code(301);
        header('Location: ' . $location);
        header('Cache-Control: max-age=3600');
        exit;
    }

    /** @param array<string, string> $headers */
    private static function send(int $status, string $body, array $headers): never
    {
        http_response_code($status);
        header('Content-Type: text/html; charset=utf-8');
        header('Cache-Control: no-store');
        foreach ($headers as $name => $value) {
            header("$name: $value");
        }
        echo $body;
        exit;
    }

    private static function plain(int $status, string $body): never
    {
        http_response_code($status);
        header('Content-Type: text/plain; charset=utf-8');
        header('Cache-Control: no-store');
        echo $body, "\n";
        exit;
    }

    private static function cliFail(string $message): never
    {
        fwrite(STDERR, "mokowaas: $message\n");
        exit(1);
    }
}
