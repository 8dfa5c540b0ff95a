<?php
declare(strict_types=1);

namespace MokoWaaS\Joomla;

use MokoWaaS\CertificateCap;
use MokoWaaS\Host;
use MokoWaaS\JoomlaConfig;
use MokoWaaS\JoomlaConfigFile;
use MokoWaaS\Paths;
use MokoWaaS\Rules;

/**
 * The tenant of this PHP process, found before Joomla boots. Installed into every Joomla release
 * by `mokowaas release bootstrap` (as mokowaas/Tenant.php, beside copies of Rules.php, Host.php,
 * Paths.php and JoomlaConfig.php) and used by defines.php, administrator/defines.php, api/defines.php,
 * configuration.php and the TLS ask endpoint (mokowaas/ask.php).
 *
 * Served hosts normally never get here: mokowaas/enter.php answers them from their per-host file.
 * Web: the Host header goes through Host::resolve against the compiled host map. Malformed -> 400,
 * unknown -> 404 (no tenant file is read), provisioning -> 503 "being set up", alias -> 301 to the
 * production host, offline production -> 503 coming-soon page; all answered here, before any
 * Joomla file loads. CLI: the tenant is named by MOKOWAAS_TENANT. Request values come from getenv()
 * (PHP-FPM's FastCGI parameters), never $_SERVER: see enter.php.
 */
final class Tenant
{
    /** @var array<string, mixed>|null the tenant's registry entry, read once per process */
    private static ?array $entry = null;
    /** dev, production or cli */
    private static string $role = '';
    /** @var array<string, mixed>|null JConfig values, built once (JConfig is constructed many times) */
    private static ?array $config = null;

    /**
     * Resolves the tenant (or answers and exits) and presets the per-tenant Joomla constants:
     * what mokowaas/enter.php runs for every request its fast path does not answer, and what
     * configuration.php's JConfig relies on. Runs once per process.
     */
    public static function boot(): void
    {
        if (self::$entry === null) {
            $tenant = self::pick(self::load(self::hostMapFile()));
            self::enter($tenant, self::load(self::entryFile($tenant)));
        }
    }

    public static function entered(): bool
    {
        return self::$entry !== null;
    }

    /** The compiled host map a web request resolves against; null in CLI (MOKOWAAS_TENANT names the tenant). */
    public static function hostMapFile(): ?string
    {
        return PHP_SAPI === 'cli' ? null : self::paths()->hostMap();
    }

    public static function entryFile(string $tenant): string
    {
        return self::paths()->registryEntry($tenant);
    }

    /**
     * Picks the tenant of this process. Web: the Host header through Host::resolve against the
     * host map (the contents of hostMapFile()); answers malformed (400), unknown (404), not yet
     * ready (503) and alias (301) hosts itself and exits. CLI: MOKOWAAS_TENANT.
     */
    public static function pick(mixed $hostMap): string
    {
        return PHP_SAPI === 'cli' ? self::pickCli() : self::pickWeb(is_array($hostMap) && is_array($hostMap['hosts'] ?? null) ? $hostMap['hosts'] : []);
    }

    /**
     * Takes the picked tenant's registry entry (the contents of entryFile()): answers an offline
     * production host with the coming-soon page, marks dev hosts noindex, presets JPATH_CACHE.
     */
    public static function enter(string $tenant, mixed $entry): void
    {
        $entry = is_array($entry) && ($entry['tenant'] ?? null) === $tenant ? $entry : null;
        PHP_SAPI === 'cli' ? self::enterCli($tenant, $entry) : self::enterWeb($entry);
        self::$entry = $entry;
        \defined('JPATH_CACHE') || \define('JPATH_CACHE', self::dir('cache'));
        self::useConfiguration();
    }

    /** @return array<string, mixed> the registry entry (with secrets) of the current tenant */
    public static function entry(): array
    {
        self::boot();
        return self::$entry ?? throw new \LogicException('MokoWaaS: no tenant entered');
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
        if (self::$config === null) {
            $e = self::entry();
            $own = \defined('MOKOWAAS_SETTINGS') ? \MOKOWAAS_SETTINGS : [];
            self::$config = JoomlaConfig::withSettings(JoomlaConfig::forTenant($e, self::$role, self::paths()->tenant((string) $e['tenant'])), $own, self::$role);
        }
        return self::$config;
    }

    /**
     * Points Joomla at the tenant's own configuration folder (JPATH_CONFIGURATION), where Global
     * Configuration and `config:set` write, defines MOKOWAAS_SETTINGS from its configuration.php,
     * and makes sure JConfig is declared (the release's configuration.php: Joomla's require_once of
     * the tenant's file, already included, does nothing). When Joomla wrote that file since (a
     * whole JConfig, declared by the fast path's include or by the one here), this request keeps
     * Joomla's values and the file becomes the tenant's settings again (keepSettings).
     * Without the folder (a server `registry rebuild` has not converted yet), or for a user that
     * may not write it, Joomla keeps the release's read-only configuration.php.
     */
    private static function useConfiguration(): void
    {
        $dir = self::dir(JoomlaConfig::DIR);
        if (!\defined('JPATH_CONFIGURATION') && is_dir($dir) && is_writable($dir)) {
            $file = self::paths()->root . Paths::TENANTS . self::$entry['tenant'] . JoomlaConfig::TENANT_FILE;
            $declared = \class_exists('JConfig', false);
            $joomlaWrote = $declared && (new \ReflectionClass('JConfig'))->getFileName() === realpath($file);
            $own = $joomlaWrote || !is_file($file) ? null : self::includeSettings($file);
            if (!\is_array($own)) {
                $own = self::keepSettings($dir, $file);
            }
            \define('MOKOWAAS_SETTINGS', $own);
            \define('JPATH_CONFIGURATION', $dir);
        }
        \class_exists('JConfig', false) || require \dirname(__DIR__) . '/configuration.php';
    }

    /** The settings a tenant's configuration.php returns; null for anything else (it may declare JConfig). */
    private static function includeSettings(string $file): ?array
    {
        try {
            $own = include $file;
        } catch (\ParseError) { // @mago-expect analysis:avoid-catching-error
            // Joomla writes it in place (truncate, then write): a reader may catch it half-written.
            return null;
        }
        return \is_array($own) ? $own : null;
    }

    /**
     * Turns the configuration.php Joomla wrote in $dir into the tenant's settings (a missing file
     * into none) and returns them; one process at a time. A file that stays unreadable as a plain
     * JConfig (hand edits, another writer) is moved aside, the settings left as they were.
     *
     * @return array<string, mixed>
     */
    private static function keepSettings(string $dir, string $file): array
    {
        $lock = fopen("$dir/.lock", 'c') ?: throw new \RuntimeException("cannot open $dir/.lock");
        flock($lock, LOCK_EX);
        try {
            class_exists(JoomlaConfigFile::class, false) || require __DIR__ . '/JoomlaConfigFile.php';
            $kept = "$dir/" . JoomlaConfig::KEPT;
            for ($try = 0; ; $try++) {
                $php = @file_get_contents($file);
                if ($php === false) {
                    break;
                }
                if (str_starts_with($php, JoomlaConfig::SETTINGS_HEADER)) {
                    // Settings already: another process turned it back meanwhile.
                    return self::keptSettings($kept);
                }
                try {
                    $written = JoomlaConfigFile::parse($php);
                    break;
                } catch (\UnexpectedValueException $e) {
                    if ($try < 5) {
                        usleep(100_000);
                        continue;
                    }
                    $aside = "$file.rejected-" . gmdate('Ymd\THis\Z');
                    @rename($file, $aside);
                    error_log("MokoWaaS: $file is not a plain JConfig ({$e->getMessage()}): moved to $aside, the tenant's settings are unchanged");
                    $php = false;
                    break;
                }
            }
            $old = self::keptSettings($kept);
            $settings = $old;
            if ($php !== false && isset($written)) { // @mago-expect analysis:redundant-logical-operation
                $entry = self::$entry ?? [];
                $base = array_replace(JoomlaConfig::DEFAULTS, JoomlaConfig::forTenant($entry, self::$role, self::paths()->tenant((string) $entry['tenant'])));
                $settings = JoomlaConfig::settingsAfterWrite($written, $base, $old, self::$role);
            }
            self::replaceFile($kept, json_encode((object) $settings, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES
                | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR) . "\n");
            self::replaceFile($file, JoomlaConfig::settingsSource($settings));
            self::$config = null;
            return $settings;
        } finally {
            flock($lock, LOCK_UN);
            fclose($lock);
        }
    }

    /** @return array<string, mixed> the last settings kept (none when the file is missing or not JSON) */
    private static function keptSettings(string $kept): array
    {
        $settings = json_decode((string) @file_get_contents($kept), true);
        return \is_array($settings) ? $settings : [];
    }

    /** Writes $path whole or not at all (readers see the old or the new file), readable by its owner only. */
    private static function replaceFile(string $path, string $content): void
    {
        $tmp = $path . '.tmp-' . bin2hex(random_bytes(4));
        // opcache sees a change by the file's time in seconds: make sure it moves.
        $mtime = max(time(), (int) @filemtime($path) + 1);
        if (@file_put_contents($tmp, $content) !== \strlen($content) || !chmod($tmp, 0600) || !touch($tmp, $mtime) || !rename($tmp, $path)) {
            @unlink($tmp);
            throw new \RuntimeException("cannot write $path");
        }
    }

    /** com_installer actions that would write into the shared code (controller.task, lower case). */
    private const EXTENSION_WRITES = ['install.install', 'install.ajax_upload', 'update.update', 'manage.remove', 'discover.install'];

    /**
     * The administrator's writers of what every tenant shares, or of what the platform owns,
     * answered before Joomla runs with a page that says who manages them (HTTP 403; never Joomla's
     * 500 or a half-done change: the release is root-owned):
     * - Joomla Update's every action (the platform updates its tenants, backed up first; checking
     *   for updates again, update.purge, stays), and turning on its automated core updates;
     * - installing, updating, uninstalling and discover-installing extensions (the shared code);
     * - a Global Configuration save that would change a setting the platform owns
     *   (JoomlaConfig::PLATFORM_OWNED: a field posted with another value than the one in force; the
     *   form's own values pass). Every other save goes through to the tenant's own file.
     * The request is read the way Joomla routes it: option, task "controller.task" or task plus
     * controller, from POST over GET, filtered like Joomla's "cmd" and compared in lower case.
     * Called by administrator/defines.php only.
     */
    public static function refuseSharedWrites(): void
    {
        $option = self::cmd('option');
        $task = self::cmd('task');
        if ($task === '') {
            return;
        }
        [$controller, $action] = str_contains($task, '.') ? explode('.', $task, 2) : [self::cmd('controller'), $task];
        $post = (\getenv('REQUEST_METHOD') ?: '') === 'POST';
        if ($option === 'com_joomlaupdate' && "$controller.$action" !== 'update.purge') {
            self::page(403, 'managed-update.html');
        }
        if ($option === 'com_installer' && \in_array("$controller.$action", self::EXTENSION_WRITES, true)) {
            self::page(403, 'managed-extensions.html');
        }
        if ($option !== 'com_config' || !$post || !\in_array($action, ['apply', 'save'], true)) {
            return;
        }
        $form = $_POST['jform'] ?? null;
        if ($controller === 'component') {
            // A component's Options: Joomla Update's automated core updates stay off.
            if (self::cmd('component') === 'com_joomlaupdate' && \is_array($form) && !\in_array($form['autoupdate'] ?? '0', ['0', 0], true)) {
                self::page(403, 'managed-update.html');
            }
            return;
        }
        $changed = self::platformFieldsChanged($form);
        if ($changed !== []) {
            self::send(403, strtr((string) file_get_contents(__DIR__ . '/pages/managed.html'), [
                '{{fields}}' => htmlspecialchars(implode(', ', $changed), ENT_QUOTES | ENT_HTML5, 'UTF-8'),
            ]), []);
        }
    }

    /** @return list<string> the JConfig properties the platform owns on this host's role (the tenant's settings never set them) */
    public static function platformOwned(): array
    {
        self::boot();
        return array_values(array_diff(array_keys(JoomlaConfig::DEFAULTS), JoomlaConfig::tenantKeys(self::$role)));
    }

    /** The API's Joomla Update routes (the automated core updates' server calls them): refused, JSON. */
    public static function refuseApiUpdates(): void
    {
        $path = strtolower(rawurldecode((string) strtok((string) (\getenv('REQUEST_URI') ?: ''), '?')));
        if (preg_match('~/v1/joomlaupdate(/|$)~', $path)) {
            http_response_code(403);
            header('Content-Type: application/vnd.api+json');
            header('Cache-Control: no-store');
            echo json_encode(['errors' => [['title' => 'Joomla updates for this site are managed by its hosting platform', 'code' => 403]]]), "\n";
            exit;
        }
    }

    /** A request value as Joomla's "cmd" filter leaves it, in lower case (POST over GET, like $_REQUEST). */
    private static function cmd(string $name): string
    {
        $v = $_POST[$name] ?? $_GET[$name] ?? '';
        return \is_string($v) ? strtolower(ltrim((string) preg_replace('/[^A-Z0-9_.-]/i', '', $v), '.')) : '';
    }

    /**
     * The platform's settings (for this host's role) that a posted Global Configuration form
     * would change. Values compare as the form shows them (booleans as 1/0); an empty password
     * or secret field means "unchanged", as Joomla reads it.
     *
     * @return list<string>
     */
    private static function platformFieldsChanged(mixed $form): array
    {
        if (!\is_array($form)) {
            return [];
        }
        $current = array_replace(JoomlaConfig::DEFAULTS, self::config());
        $owned = self::platformOwned();
        $asShown = static fn (mixed $v): string => \is_bool($v) ? ($v ? '1' : '0') : (\is_scalar($v) ? (string) $v : \json_encode($v, JSON_THROW_ON_ERROR));
        $changed = [];
        foreach ($owned as $key) {
            if (!\array_key_exists($key, $form)) {
                continue;
            }
            $posted = $form[$key];
            if ($posted === '' && \in_array($key, ['password', 'secret', 'redis_server_auth', 'session_redis_server_auth', 'proxy_pass'], true)) {
                continue;
            }
            if (!\is_string($posted) || $posted !== $asShown($current[$key])) {
                $changed[] = $key;
            }
        }
        return $changed;
    }

    /** The TLS ask endpoint: 200 when ?domain= is a host of the host map, else 404. Loopback only. */
    public static function ask(mixed $hostMap): never
    {
        $remote = (string) \getenv('REMOTE_ADDR');
        if ($remote !== '127.0.0.1' && $remote !== '::1') {
            self::plain(403, 'loopback only');
        }
        $domain = $_GET['domain'] ?? null;
        if (!is_string($domain)) {
            self::plain(400, 'missing ?domain=');
        }
        $found = Host::resolve($domain, is_array($hostMap) && is_array($hostMap['hosts'] ?? null) ? $hostMap['hosts'] : []);
        if ($found['status'] !== 200) {
            self::plain(404, 'unknown host');
        }
        // A known host may still have to wait for the platform's certificate cap: 429, and Caddy asks again later.
        $decision = (new CertificateCap(self::paths()))->decide($found['host'], time());
        self::plain($decision['allow'] ? 200 : 429, $decision['detail']);
    }

    /**
     * The tenant of a web request. Answered here without any tenant file: malformed (400) and
     * unknown (404) hosts, a tenant being set up (503), an alias (301 to production), an offline
     * production host (503 coming soon, from the host map). A served host is the business of its
     * tenant's own pool (Caddy routes it there by a link per host): the platform pool answers it
     * only with a Host not in normal form (301 to the normal form) or while that pool starts (503),
     * and a tenant pool refuses any host but its own tenant's (421).
     *
     * @param array<string, array<string, mixed>> $hosts
     */
    private static function pickWeb(array $hosts): string
    {
        $raw = (string) \getenv('HTTP_HOST');
        $found = Host::resolve($raw, $hosts);
        if ($found['status'] !== 200) {
            self::page($found['status'], $found['status'] === 400 ? '400.html' : '404.html');
        }
        $row = $found['row'];
        if ($row['state'] === 'maintenance') {
            // `mokowaas upgrade` is updating this tenant's database: every host, dev too, waits.
            self::page(503, 'maintenance.html', ['Retry-After' => '60']);
        }
        if ($row['state'] !== 'ready') {
            self::page(503, 'setup.html', ['Retry-After' => '300']);
        }
        $port = \preg_match('/:([0-9]{1,5})\z/', $raw, $m) ? ":$m[1]" : '';
        if ($row['role'] === 'alias') {
            self::redirect('https://' . $row['redirect'] . $port . self::requestUri());
        }
        if ($row['role'] === 'production' && $row['online'] !== true) {
            self::offline((string) ($row['title'] ?? ''), (string) ($row['message'] ?? ''));
        }
        $pool = (string) \getenv('MOKOWAAS_TENANT');
        if ($pool === '') {
            if ($raw !== $found['host'] . $port) {
                self::redirect('https://' . $found['host'] . $port . self::requestUri());
            }
            self::page(503, 'starting.html', ['Retry-After' => '5']);
        }
        if ($pool !== $row['tenant']) {
            self::page(421, '421.html');
        }
        self::$role = (string) $row['role'];
        return (string) $row['tenant'];
    }

    private static function requestUri(): string
    {
        $uri = (string) (\getenv('REQUEST_URI') ?: '/');
        return \str_starts_with($uri, '/') ? $uri : '/';
    }

    /** @param array<string, mixed>|null $entry */
    private static function enterWeb(?array $entry): void
    {
        if ($entry === null) {
            // The host map names a tenant whose entry is gone: a registry write in progress.
            self::page(503, 'setup.html', ['Retry-After' => '60']);
        }
        if (self::$role === 'dev') {
            header('X-Robots-Tag: noindex, nofollow');
        }
    }

    private static function pickCli(): string
    {
        if (\function_exists('posix_geteuid') && \posix_geteuid() === 0) {
            // Root may write every file of the shared release (Joomla's config:set and site:down
            // rewrite configuration.php): Joomla code never runs as root on this platform.
            self::cliFail('Joomla\'s CLI does not run as root on a shared release: use `mokowaas joomla <tenant> -- <command>`, which runs it as the tenant\'s PHP user');
        }
        $tenant = (string) getenv('MOKOWAAS_TENANT');
        if ($tenant === '') {
            self::cliFail('MOKOWAAS_TENANT is not set: run Joomla\'s CLI as `MOKOWAAS_TENANT=<tenant> php cli/joomla.php ...`');
        }
        if (!preg_match(Rules::TENANT_NAME, $tenant)) {
            self::cliFail("MOKOWAAS_TENANT=\"$tenant\" is not a tenant name");
        }
        self::$role = 'cli';
        return $tenant;
    }

    /** @param array<string, mixed>|null $entry */
    private static function enterCli(string $tenant, ?array $entry): void
    {
        if ($entry === null) {
            self::cliFail("tenant $tenant has no registry entry on this server (`mokowaas registry list` shows them)");
        }
        if (($entry['state'] ?? '') === 'offboarding') {
            self::cliFail("tenant $tenant is being offboarded");
        }
    }

    private static function load(?string $file): mixed
    {
        if ($file === null || !is_file($file)) {
            return null;
        }
        if (!is_readable($file)) {
            // A tenant's files are its own user's: another user (or a misrouted pool) gets no further.
            PHP_SAPI === 'cli'
                ? self::cliFail('this user may not read that tenant\'s files: run Joomla\'s CLI for a tenant with `mokowaas joomla <tenant> -- <command>`')
                : self::page(421, '421.html');
        }
        return include $file;
    }

    private static function paths(): Paths
    {
        static $paths = null;
        return $paths ??= new Paths();
    }

    /** The coming-soon page of an offline production host (its title and message come from the host map). */
    private static function offline(string $title, string $message): never
    {
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
