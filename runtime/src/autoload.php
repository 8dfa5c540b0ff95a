<?php
declare(strict_types=1);

// Class loader for the data plane: MokoWaaS\Foo\Bar -> src/Foo/Bar.php. No Composer on servers.
spl_autoload_register(static function (string $class): void {
    if (strncmp($class, 'MokoWaaS\\', 9) !== 0) {
        return;
    }
    $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, 9)) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
