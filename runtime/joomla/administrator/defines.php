<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the administrator application includes
// this file, not the root defines.php. Same tenant resolution; Joomla's administrator defines
// follow from administrator/includes/app.php.
\defined('_JEXEC') or die;
require_once \dirname(__DIR__) . '/mokowaas/load.php';
\MokoWaaS\Joomla\Tenant::boot();
