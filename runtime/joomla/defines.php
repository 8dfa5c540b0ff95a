<?php
// MokoWaaS (installed by `mokowaas release bootstrap`): finds the tenant of this request (site and
// CLI) before Joomla boots, answers unknown, offline or redirected hosts itself, and presets the
// tenant's JPATH_CACHE. Joomla's own defines follow here, so cli/joomla.php (which skips them
// when _JDEFINES is set) and index.php (require_once) both end up with one consistent set.
\defined('_JEXEC') or die;
require __DIR__ . '/mokowaas/enter.php';
\defined('JPATH_BASE') || \define('JPATH_BASE', __DIR__);
\define('_JDEFINES', 1);
require_once JPATH_BASE . '/includes/defines.php';
