<?php
// Finds the tenant of this request (or CLI run). A template: `mokowaas release bootstrap` inlines
// what follows the _JEXEC line into defines.php, administrator/defines.php and api/defines.php (one
// include fewer per request) and fills in the quoted constants from Host::KEY_CHARS and
// Paths::HOST_FILES, so each stays defined once.
//
// Fast path, no class loaded (docs/bench-data-plane.md): a Host made only of key characters is
// tried as is against the registry's per-host files, which exist only for served hosts (dev when
// ready, production when also online), are readable by their tenant's pool alone and declare that
// host's JConfig (see Host: exact-key shortcut), whose constructor lays the tenant's own settings
// (MOKOWAAS_SETTINGS) over it. The Host comes from getenv(), not $_SERVER: naming $_SERVER in a file makes PHP build
// the whole array whenever the file loads (auto_globals_jit), which Joomla does later anyway.
// Everything else (CLI, uppercase/port/trailing dot, unknown, alias, offline, not ready) goes through
// Tenant: Host::resolve against the host map, then the entry, and its answer pages.
\defined('_JEXEC') or die;
if (PHP_SAPI === 'cli'
    || !\is_string($mokowaasHost = \getenv('HTTP_HOST'))
    || \strspn($mokowaasHost, '@Host::KEY_CHARS@') !== \strlen($mokowaasHost)
    // This pool's tenant's own configuration.php (its JPATH_CONFIGURATION), before the per-host
    // file: normally its Global Configuration settings as an array; a JConfig that Joomla wrote
    // there since declares itself here instead, and Tenant turns it back into settings.
    || !\is_array($mokowaasOwn = @include (\getenv('MOKOWAAS_ROOT') ?: '') . '@Paths::TENANTS@' . \getenv('MOKOWAAS_TENANT') . '@JoomlaConfig::TENANT_FILE@')
    // The path Paths::hostFile() builds, without its rtrim: "//" inside a path names the same file.
    || !\is_array($mokowaasHost = @include (\getenv('MOKOWAAS_ROOT') ?: '') . '@Paths::HOST_FILES@' . $mokowaasHost . '.php')
    // Only the tenant this pool runs for (its files are its group's alone; this is the second lock).
    || $mokowaasHost['tenant'] !== \getenv('MOKOWAAS_TENANT')) {
    require_once __DIR__ . '/load.php';
    \MokoWaaS\Joomla\Tenant::boot();
} else {
    \defined('JPATH_CACHE') || \define('JPATH_CACHE', $mokowaasHost['cache']);
    \define('JPATH_CONFIGURATION', $mokowaasHost['config']);
    \define('MOKOWAAS_SETTINGS', $mokowaasOwn);
    if ($mokowaasHost['role'] === 'dev') {
        \header('X-Robots-Tag: noindex, nofollow');
    }
}
unset($mokowaasHost, $mokowaasOwn);
