<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): every tenant pool runs this before any
// script (php_admin_value[auto_prepend_file], runtime/php-fpm/tenant-pool.conf) to limit PHP to
// the shared releases, the tenant's own folder and the registry (MOKOWAAS_OPEN_BASEDIR, from the
// pool). Set here and not as the pool's php_admin_value because PHP turns its realpath cache off
// for every request that STARTS with an open_basedir: Joomla then resolves each path component by
// component on every file check (about 13,000 stat calls per page, a third of its throughput;
// docs/benchmarks.md). Set at run time the limit is the same and cannot be loosened (ini_set and
// ini_restore only tighten open_basedir). Each pool's workers serve one tenant, so their realpath
// cache only ever holds that tenant's own paths. No limit, no page: it fails closed.
(static function (): void {
    $dirs = \getenv('MOKOWAAS_OPEN_BASEDIR');
    if (!\is_string($dirs) || $dirs === '' || \ini_set('open_basedir', $dirs) === false) {
        \http_response_code(503);
        \header('Content-Type: text/plain; charset=utf-8');
        echo "Service unavailable: this site's PHP limits could not be set.\n";
        exit(1);
    }
})();
