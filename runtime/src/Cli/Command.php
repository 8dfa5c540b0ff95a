<?php
declare(strict_types=1);

namespace MokoWaaS\Cli;

use MokoWaaS\Paths;

/**
 * A verb of the server CLI. `mokowaas foo ...` runs MokoWaaS\Command\FooCommand (a hyphenated verb
 * such as `foo-bar` maps to FooBarCommand): adding a verb is adding a file, no table to edit.
 */
abstract class Command
{
    public function __construct(protected readonly Paths $paths)
    {
    }

    /** One line for `mokowaas help`. */
    abstract public static function summary(): string;

    /** Usage lines, shown by `mokowaas help VERB` and on a usage error. */
    abstract public static function usage(): string;

    /** @param list<string> $argv words after the verb */
    abstract public function run(array $argv): int;

    /** Reads all of standard input (secrets travel here, never in argv). */
    protected function stdin(): string
    {
        $data = stream_get_contents(STDIN);
        return $data === false ? '' : $data;
    }

    protected function out(string $line): void
    {
        fwrite(STDOUT, $line . "\n");
    }

    protected function err(string $line): void
    {
        fwrite(STDERR, $line . "\n");
    }

    /** @param mixed $data */
    protected function json($data): void
    {
        $this->out(json_encode($data, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
    }
}
