<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): what Joomla's own updater does after the
// files for ONE tenant, run by `mokowaas upgrade` in the tenant's new release, as the tenant's Unix
// user (MOKOWAAS_TENANT names it), after the platform's Migrator has applied the update SQL files.
// It is Joomla's code, not a copy: com_joomlaupdate's UpdateModel::finaliseUpgrade (the files
// extension's manifest cache, Joomla's parseSchemaUpdates, which finds nothing left to apply, and
// com_admin/script.php: uninstalling removed extensions, refreshing every core extension's manifest
// cache and so its version, new assets, the stats plugin's cache, clearing the tenant's caches),
// then what `core:update` and UpdateModel::cleanUp do after it that applies here (the tenant's
// autoload_psr4.php cache, the stale update rows, onJoomlaAfterUpdate for template override checks). Deleting old files
// (deleteUnexistingFiles) finds nothing to delete: the release is a fresh package, root's, shared.
// Prints one JSON line: {"ok": bool, "errors": [...], "from": old version, "to": JVERSION}.
// Usage: php mokowaas/finalise-update.php <old Joomla version>
if (PHP_SAPI !== 'cli') {
    exit(1);
}
const _JEXEC = 1;
$mokowaasFrom = (string) ($argv[1] ?? '');
$mokowaasErrors = [];
$mokowaasReport = static function (bool $ok) use (&$mokowaasErrors, $mokowaasFrom): never {
    echo "\n" . json_encode(['ok' => $ok, 'errors' => $mokowaasErrors, 'from' => $mokowaasFrom, 'to' => \defined('JVERSION') ? JVERSION : null], JSON_UNESCAPED_SLASHES) . "\n";
    exit($ok ? 0 : 1);
};
try {
    // As cli/joomla.php boots: the tenant's defines (its JPATH_CONFIGURATION, JPATH_CACHE), the framework, the console application.
    require_once \dirname(__DIR__) . '/defines.php';
    require_once JPATH_BASE . '/includes/framework.php';
    $app = require __DIR__ . '/console.php';
    // What ConsoleApplication::execute() does before it runs a command (its methods are protected):
    // extension namespaces, the request host Joomla's web-only services need, the plugins that listen.
    (function (): void {
        $this->createExtensionNamespaceMap();
        $this->populateHttpHost();
        \Joomla\CMS\Plugin\PluginHelper::importPlugin('behaviour', null, true, $this->getDispatcher());
        \Joomla\CMS\Plugin\PluginHelper::importPlugin('system', null, true, $this->getDispatcher());
    })->call($app);
    $app->getLanguage()->load('com_joomlaupdate', JPATH_ADMINISTRATOR);
    $app->getLanguage()->load('lib_joomla', JPATH_ADMINISTRATOR);

    $model = $app->bootComponent('com_joomlaupdate')->getMVCFactory()->createModel('Update', 'Administrator', ['ignore_request' => true]);
    ob_start();
    $ok = $model->finaliseUpgrade();
    ob_end_clean();
    foreach ($model->getErrors() as $e) {
        $mokowaasErrors[] = $e instanceof \Throwable ? $e->getMessage() : (string) $e;
    }
    if ($ok !== true) {
        $mokowaasReport(false);
    }
    // core:update's clean-up: the PSR-4 map of the old release's extensions would load stale classes.
    if (is_file(JPATH_CACHE . '/autoload_psr4.php')) {
        @unlink(JPATH_CACHE . '/autoload_psr4.php');
    }
    $model->purge();
    // UpdateModel::cleanUp's part that applies (the rest deletes an uploaded package and stray files,
    // and keeps session state the console application has not): onJoomlaAfterUpdate, on which the
    // installer plugins compare template overrides with the core files that changed.
    \Joomla\CMS\Plugin\PluginHelper::importPlugin('installer', null, true, $app->getDispatcher());
    $app->getDispatcher()->dispatch('onJoomlaAfterUpdate', new \Joomla\CMS\Event\Extension\AfterJoomlaUpdateEvent('onJoomlaAfterUpdate', ['oldVersion' => $mokowaasFrom]));
    $mokowaasReport(true);
} catch (\Throwable $e) {
    $mokowaasErrors[] = \get_class($e) . ': ' . $e->getMessage() . ' at ' . $e->getFile() . ':' . $e->getLine();
    $mokowaasReport(false);
}
