<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the administrator application includes
// this file, not the root defines.php. Same tenant resolution; Joomla's administrator defines
// follow from administrator/includes/app.php.
\defined('_JEXEC') or die;
require \dirname(__DIR__) . '/mokowaas/enter.php';
// Joomla Update and the extension installer would write into what all tenants share, and Global
// Configuration may not change what the platform owns: answered here (Tenant::refuseSharedWrites),
// for any request that names a task (whatever case or spelling of its option Joomla would accept).
if (PHP_SAPI !== 'cli' && (isset($_POST['task']) || isset($_GET['task']))) {
    require_once \dirname(__DIR__) . '/mokowaas/load.php';
    \MokoWaaS\Joomla\Tenant::refuseSharedWrites();
}
