<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the administrator application includes
// this file, not the root defines.php. Same tenant resolution; Joomla's administrator defines
// follow from administrator/includes/app.php.
\defined('_JEXEC') or die;
require \dirname(__DIR__) . '/mokowaas/enter.php';
// Joomla Update would rewrite what all tenants share, and Global Configuration may not change what the
// platform owns: answered here (Tenant::refuseSharedWrites).
$mokowaasOption = $_GET['option'] ?? $_POST['option'] ?? null;
if (PHP_SAPI !== 'cli' && ($mokowaasOption === 'com_config' || $mokowaasOption === 'com_joomlaupdate')) {
    require_once \dirname(__DIR__) . '/mokowaas/load.php';
    \MokoWaaS\Joomla\Tenant::refuseSharedWrites();
}
unset($mokowaasOption);
