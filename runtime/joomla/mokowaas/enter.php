<?php
// Finds the tenant of this request (or CLI run) for defines.php, administrator/defines.php and
// api/defines.php. The registry files are included right here, at file scope, not inside a
// Tenant method: opcache then serves them from shared memory on every later request; first
// compiled from inside a function they cost a copy per request (docs/bench-data-plane.md).
\defined('_JEXEC') or die;
require_once __DIR__ . '/load.php';
if (!\MokoWaaS\Joomla\Tenant::entered()) {
    $mokowaasFile = \MokoWaaS\Joomla\Tenant::hostMapFile();
    $mokowaasTenant = \MokoWaaS\Joomla\Tenant::pick($mokowaasFile !== null && is_file($mokowaasFile) ? include $mokowaasFile : null);
    $mokowaasFile = \MokoWaaS\Joomla\Tenant::entryFile($mokowaasTenant);
    \MokoWaaS\Joomla\Tenant::enter($mokowaasTenant, is_file($mokowaasFile) ? include $mokowaasFile : null);
    unset($mokowaasFile, $mokowaasTenant);
}
