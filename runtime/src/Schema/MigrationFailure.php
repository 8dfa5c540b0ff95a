<?php
declare(strict_types=1);

namespace MokoWaaS\Schema;

/** A statement of an update file failed (and was not marked CAN FAIL): names the file and statement. */
final class MigrationFailure extends \RuntimeException
{
    public function __construct(
        public readonly string $schema,
        public readonly string $updateFile,
        public readonly int $statementLine,
        public readonly string $statement,
        string $error,
    ) {
        parent::__construct($error);
    }

    /** @return array{schema: string, file: string, line: int, statement: string, error: string} */
    public function toArray(): array
    {
        return ['schema' => $this->schema, 'file' => $this->updateFile, 'line' => $this->statementLine, 'statement' => $this->statement, 'error' => $this->getMessage()];
    }
}
