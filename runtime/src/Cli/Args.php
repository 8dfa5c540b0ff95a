<?php
declare(strict_types=1);

namespace MokoWaaS\Cli;

/**
 * Parsed command line: positional words and --options (`--name value`, `--name=value`, or a bare
 * flag when the option is declared boolean). Unknown options are a usage error.
 */
final class Args
{
    /** @param list<string> $positional @param array<string, string|bool|list<string>> $options */
    private function __construct(public readonly array $positional, private array $options)
    {
    }

    /**
     * @param list<string> $argv words after the command name
     * @param list<string> $valued options that take a value
     * @param list<string> $flags boolean options
     * @param list<string> $repeatable valued options that may be given more than once
     */
    public static function parse(array $argv, array $valued = [], array $flags = [], array $repeatable = []): self
    {
        $positional = [];
        $options = [];
        for ($i = 0, $n = count($argv); $i < $n; $i++) {
            $word = $argv[$i];
            if ($word === '--') {
                array_push($positional, ...array_slice($argv, $i + 1));
                break;
            }
            if (!str_starts_with($word, '--')) {
                $positional[] = $word;
                continue;
            }
            [$name, $value] = array_pad(explode('=', substr($word, 2), 2), 2, null);
            if (in_array($name, $flags, true)) {
                if ($value !== null) {
                    throw new UserError("option --$name takes no value", ExitCode::USAGE);
                }
                $options[$name] = true;
            } elseif (in_array($name, $valued, true) || in_array($name, $repeatable, true)) {
                if ($value === null) {
                    if ($i + 1 >= $n) {
                        throw new UserError("option --$name needs a value", ExitCode::USAGE);
                    }
                    $value = $argv[++$i];
                }
                if (in_array($name, $repeatable, true)) {
                    $options[$name][] = $value;
                } else {
                    $options[$name] = $value;
                }
            } else {
                throw new UserError("unknown option --$name", ExitCode::USAGE);
            }
        }
        return new self($positional, $options);
    }

    public function flag(string $name): bool
    {
        return ($this->options[$name] ?? false) === true;
    }

    public function option(string $name, ?string $default = null): ?string
    {
        $v = $this->options[$name] ?? $default;
        return is_string($v) ? $v : $default;
    }

    public function required(string $name): string
    {
        $v = $this->option($name);
        if ($v === null || $v === '') {
            throw new UserError("option --$name is required", ExitCode::USAGE);
        }
        return $v;
    }

    /** @return list<string> */
    public function all(string $name): array
    {
        $v = $this->options[$name] ?? [];
        return is_array($v) ? $v : [];
    }

    public function arg(int $i, string $what): string
    {
        if (!isset($this->positional[$i])) {
            throw new UserError("missing argument: $what", ExitCode::USAGE);
        }
        return $this->positional[$i];
    }
}
