<?php
declare(strict_types=1);

namespace MokoWaaS;

/** Borg could not do what was asked (repository unwritable, archive unreadable...). */
final class BorgFailure extends \RuntimeException
{
}
