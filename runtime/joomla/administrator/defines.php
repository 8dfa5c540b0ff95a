<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the administrator application includes
// this file, not the root defines.php. Same tenant resolution; Joomla's administrator defines
// follow from administrator/includes/app.php.
\defined('_JEXEC') or die;
require \dirname(__DIR__) . '/mokowaas/enter.php';
// A Global Configuration save would rewrite the configuration.php all tenants share: answered here.
if (PHP_SAPI !== 'cli' && \getenv('REQUEST_METHOD') === 'POST') {
    require_once \dirname(__DIR__) . '/mokowaas/load.php';
    \MokoWaaS\Joomla\Tenant::refuseSharedConfigWrite();
}
