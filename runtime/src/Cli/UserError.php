<?php
declare(strict_types=1);

namespace MokoWaaS\Cli;

/**
 * A failure the operator can fix (bad input, missing setup): printed as one sentence on stderr,
 * exit code from ExitCode. Anything else that escapes a command is a bug and prints a trace.
 */
final class UserError extends \RuntimeException
{
    public function __construct(string $message, int $exitCode = ExitCode::INVALID_INPUT)
    {
        parent::__construct($message, $exitCode);
    }
}
