<?php
// MokoWaaS (installed by `mokowaas release bootstrap`, owned by root, not writable by PHP): one
// configuration.php for every tenant. On a served host JConfig is already declared when Joomla
// includes this file: defines.php loaded the host's compiled file (the registry writes one per
// served host, with the tenant's values). Otherwise (CLI, or a host answered through the host map)
// the class below is declared: every property with Joomla's installer default (PHP 8.2 deprecates
// dynamic ones; `release bootstrap` renders them from MokoWaaS\JoomlaConfig), and a constructor
// that fills the tenant's values from its registry entry (cached in a static: Joomla builds
// JConfig many times per request).
// Joomla does not write this file: a tenant's JPATH_CONFIGURATION is its own config folder, whose
// configuration.php (a stub that includes this file when JConfig is not declared yet) is what
// Global Configuration and config:set write; the bootstrap turns that into the tenant's own
// settings (docs/joomla-config.md), which the JConfig constructor lays over the platform's values.
\defined('_JEXEC') || PHP_SAPI === 'cli' || exit;
if (!\class_exists('JConfig', false)) {
    require_once __DIR__ . '/mokowaas/load.php';
    // @JConfig
}
