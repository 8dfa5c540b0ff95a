<?php
// MokoWaaS: the platform's guardrail plugin (see src/Extension/Mokowaas.php).
\defined('_JEXEC') or die;

use Joomla\CMS\Extension\PluginInterface;
use Joomla\CMS\Factory;
use Joomla\CMS\Plugin\PluginHelper;
use Joomla\DI\Container;
use Joomla\DI\ServiceProviderInterface;
use MokoWaaS\Plugin\System\Mokowaas\Extension\Mokowaas;

// Loaded by path: Joomla's namespace map is a per-tenant cache file built before this plugin came.
require_once \dirname(__DIR__) . '/src/Extension/Mokowaas.php';

return new class () implements ServiceProviderInterface {
    public function register(Container $container): void
    {
        $container->set(PluginInterface::class, static function (Container $container) {
            $plugin = new Mokowaas((array) PluginHelper::getPlugin('system', 'mokowaas'));
            $plugin->setApplication(Factory::getApplication());
            return $plugin;
        });
    }
};
