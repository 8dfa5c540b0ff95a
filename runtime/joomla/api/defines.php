<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): the API application includes this file,
// not the root defines.php. Same tenant resolution; Joomla's API defines follow from
// api/includes/app.php.
\defined('_JEXEC') or die;
require \dirname(__DIR__) . '/mokowaas/enter.php';
