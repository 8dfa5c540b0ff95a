<?php
declare(strict_types=1);

// Loads the MokoWaaS bootstrap classes once. Host.php and Paths.php are copies of runtime/src
// made by `mokowaas release bootstrap`; a server CLI verb may already have loaded its own.
\defined('_JEXEC') || PHP_SAPI === 'cli' || \defined('MOKOWAAS_ASK') || exit;
class_exists(\MokoWaaS\Paths::class, false) || require __DIR__ . '/Paths.php';
class_exists(\MokoWaaS\Host::class, false) || require __DIR__ . '/Host.php';
class_exists(\MokoWaaS\Joomla\Tenant::class, false) || require __DIR__ . '/Tenant.php';
