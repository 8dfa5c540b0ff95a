<?php
declare(strict_types=1);

namespace MokoWaaS;

use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;

/**
 * flock-based locks under Paths::locks(): one per tenant (migrate, seed, backup, restore, offboard
 * never interleave on one tenant) and one for the blueprint. The kernel drops a lock when its
 * process dies, so a crashed run never leaves a stale lock behind.
 */
final class Lock
{
    /** @param resource|null $handle null once handed off */
    private function __construct(private $handle, public readonly string $name)
    {
    }

    /**
     * Waits up to $timeout seconds (0 = do not wait) for the lock.
     *
     * @throws UserError (exit 5) when another run still holds it
     */
    public static function acquire(Paths $paths, string $name, float $timeout = 600.0, bool $shared = false): self
    {
        if (!preg_match('/^[a-z0-9][a-z0-9._-]*$/', $name)) {
            throw new \InvalidArgumentException("bad lock name $name");
        }
        $dir = $paths->locks();
        Dirs::make($dir, 0750);
        $file = "$dir/$name.lock";
        $h = fopen($file, 'c');
        if ($h === false) {
            throw new \RuntimeException("cannot open lock file $file");
        }
        $op = ($shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
        $until = microtime(true) + $timeout;
        while (!flock($h, $op)) {
            if (microtime(true) >= $until) {
                fclose($h);
                throw new UserError("\"$name\" is locked by another mokowaas run ($file): wait for it to finish", ExitCode::LOCKED);
            }
            usleep(100_000);
        }
        return new self($h, $name);
    }

    public static function tenant(Paths $paths, string $tenant, float $timeout = 600.0): self
    {
        return self::acquire($paths, 'tenant-' . $tenant, $timeout);
    }

    /**
     * A lock this process got from its parent as an open file descriptor (see
     * BlueprintStandby::refillInBackground): already held, so taking it again cannot wait.
     */
    public static function inherit(int $fd, string $name, bool $shared): self
    {
        $h = @fopen("php://fd/$fd", 'r');
        if ($h === false || !flock($h, ($shared ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
            throw new \RuntimeException("lock \"$name\" was not handed over on file descriptor $fd");
        }
        return new self($h, $name);
    }

    /**
     * Gives the held lock's handle away (to pass to a child process) without unlocking it: the
     * lock lasts while any process keeps the handle open. This object no longer releases it.
     *
     * @return resource
     */
    public function handOff()
    {
        $h = $this->handle ?? throw new \LogicException("lock {$this->name} was already handed off");
        $this->handle = null;
        return $h;
    }

    public function release(): void
    {
        if (is_resource($this->handle)) {
            flock($this->handle, LOCK_UN);
            fclose($this->handle);
        }
    }

    public function __destruct()
    {
        $this->release();
    }
}
