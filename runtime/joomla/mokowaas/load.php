<?php
declare(strict_types=1);

// Loads the MokoWaaS bootstrap classes once (requests the fast path of enter.php does not answer,
// CLI, the ask endpoint). Normally one include: bootstrap.php, which `mokowaas release bootstrap`
// builds from Rules.php, Paths.php, Host.php and JoomlaConfig.php (copies of runtime/src) and Tenant.php.
// When a server CLI verb has already loaded its own classes, the separate files fill in what is
// missing instead (declaring a class twice is fatal).
\defined('_JEXEC') || PHP_SAPI === 'cli' || \defined('MOKOWAAS_ASK') || exit;
if (!class_exists(\MokoWaaS\Joomla\Tenant::class, false)) {
    if (!class_exists(\MokoWaaS\Rules::class, false) && !class_exists(\MokoWaaS\Paths::class, false)
        && !class_exists(\MokoWaaS\Host::class, false) && !class_exists(\MokoWaaS\JoomlaConfig::class, false)) {
        require __DIR__ . '/bootstrap.php';
    } else {
        class_exists(\MokoWaaS\Rules::class, false) || require __DIR__ . '/Rules.php';
        class_exists(\MokoWaaS\Paths::class, false) || require __DIR__ . '/Paths.php';
        class_exists(\MokoWaaS\Host::class, false) || require __DIR__ . '/Host.php';
        class_exists(\MokoWaaS\JoomlaConfig::class, false) || require __DIR__ . '/JoomlaConfig.php';
        require __DIR__ . '/Tenant.php';
    }
}
