<?php
declare(strict_types=1);

// Benchmark fixture: registers tenants b00000..b<N-1> (state ready) straight through AtomicFile,
// then compiles the host map once with Registry::rebuild() — `registry put` 10,000 times would
// measure the CLI, not the data plane. Usage: MOKOWAAS_ROOT=... php seed.php <count>

require dirname(__DIR__, 2) . '/runtime/src/autoload.php';

use MokoWaaS\AtomicFile;
use MokoWaaS\Paths;
use MokoWaaS\Registry;

$count = (int) ($argv[1] ?? 0);
$paths = Paths::fromEnv();
$group = posix_geteuid() === 0 ? 'www-data' : null;
@mkdir($paths->registry() . '/tenants', 0750, true);
for ($i = 0; $i < $count; $i++) {
    $t = sprintf('b%05d', $i);
    $file = $paths->registryEntry($t);
    if (is_file($file)) {
        continue;
    }
    AtomicFile::writePhpConstant($file, [
        'tenant' => $t,
        'hosts' => ['dev' => "dev.$t.example.com", 'production' => "$t.example.com", 'aliases' => ["www.$t.example.com"]],
        'online' => false,
        'db' => ['host' => '127.0.0.1', 'port' => 3306, 'name' => $t, 'user' => $t, 'password' => "pw-$t-" . bin2hex(random_bytes(8)), 'prefix' => 'jos_'],
        'secret' => bin2hex(random_bytes(16)),
        'siteName' => "Bench site $t",
        'mail' => ['from' => "webmaster@$t.example.com", 'fromName' => "Bench site $t"],
        'state' => 'ready',
    ], 0640, $group);
}
(new Registry($paths))->rebuild();
echo count((require $paths->hostMap())['hosts']), " hosts\n";
