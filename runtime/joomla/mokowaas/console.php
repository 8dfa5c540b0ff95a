<?php
declare(strict_types=1);
// MokoWaaS (installed by `mokowaas release bootstrap`): Joomla's console application as
// cli/joomla.php builds it (the CLI session in place of the web one), for the platform's scripts
// that run Joomla's code for one tenant (extensions.php, finalise-update.php). Included after
// defines.php and includes/framework.php; returns the application, also set as Factory's.
\defined('_JEXEC') or die;

$container = \Joomla\CMS\Factory::getContainer();
$container->alias('session', 'session.cli')
    ->alias('JSession', 'session.cli')
    ->alias(\Joomla\CMS\Session\Session::class, 'session.cli')
    ->alias(\Joomla\Session\Session::class, 'session.cli')
    ->alias(\Joomla\Session\SessionInterface::class, 'session.cli');
$app = $container->get(\Joomla\Console\Application::class);
\Joomla\CMS\Factory::$application = $app;
return $app;
