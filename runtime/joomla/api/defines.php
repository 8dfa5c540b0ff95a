<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the API application includes this file,
// not the root defines.php. Same tenant resolution; Joomla's API defines follow from
// api/includes/app.php.
\defined('_JEXEC') or die;
require \dirname(__DIR__) . '/mokowaas/enter.php';
// Joomla Update's API (what Joomla's automated core updates call) would update the shared code.
if (PHP_SAPI !== 'cli' && \stripos(\rawurldecode((string) \getenv('REQUEST_URI')), 'joomlaupdate') !== false) {
    require_once \dirname(__DIR__) . '/mokowaas/load.php';
    \MokoWaaS\Joomla\Tenant::refuseApiUpdates();
}
