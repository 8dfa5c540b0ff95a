<?php
// MokoWaaS TLS permission endpoint for Caddy's on-demand TLS (`ask`): 200 when ?domain= is a host
// of the compiled host map that the platform's certificate cap lets through (CertificateCap), 429
// "not yet" when it must wait, 404 for any other name. Served only on a loopback-bound Caddy site; the public
// sites refuse /mokowaas/*, and it refuses any client but loopback itself.
const MOKOWAAS_ASK = 1;
require __DIR__ . '/load.php';
class_exists(\MokoWaaS\CertificateCap::class, false) || require __DIR__ . '/CertificateCap.php';
$mokowaasFile = (string) \MokoWaaS\Joomla\Tenant::hostMapFile();
\MokoWaaS\Joomla\Tenant::ask(is_file($mokowaasFile) ? include $mokowaasFile : null);
