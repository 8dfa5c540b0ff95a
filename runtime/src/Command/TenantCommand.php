<?php
declare(strict_types=1);

namespace MokoWaaS\Command;

use MokoWaaS\Blueprint;
use MokoWaaS\BlueprintStandby;
use MokoWaaS\Cli\Args;
use MokoWaaS\Cli\Command;
use MokoWaaS\Cli\ExitCode;
use MokoWaaS\Cli\UserError;
use MokoWaaS\Lock;
use MokoWaaS\PlatformConfig;
use MokoWaaS\Registry;
use MokoWaaS\TenantExtensions;
use MokoWaaS\TenantJoomlaCli;

final class TenantCommand extends Command
{
    public static function summary(): string
    {
        return 'seed a tenant database from the blueprint (super user JSON on stdin)';
    }

    public static function usage(): string
    {
        return "usage: mokowaas tenant seed <tenant>  < {\"username\": \"...\", \"email\": \"...\", \"passwordHash\": \"$2a$10$...\"[, \"name\": \"...\"]}\n"
            . "  The super user's password is either \"passwordHash\", a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31) stored\n"
            . "  as is (the control plane sends one, so the password never reaches the server), or \"password\"\n"
            . "  (12-72 bytes), hashed here with bcrypt; exactly one of the two.\n"
            . "  Copies the blueprint into the tenant's empty database (refused, exit 6, when it holds tables),\n"
            . "  sets the super user and media settings, and marks the tenant ready. The copy is the blueprint's ready\n"
            . "  standby when fresh (one RENAME TABLE); a detached `mokowaas blueprint standby` then makes the next one.\n"
            . "  Then installs the extensions its entry lists, as `tenant extensions` does.\n"
            . "usage: mokowaas tenant extensions <tenant>\n"
            . "  Installs into the tenant's database the extensions its registry entry lists (`extensions`) and uninstalls\n"
            . "  the served release's other extensions from it, with Joomla's own installer run as the tenant's user; the\n"
            . "  files stay in the shared release (docs/extensions.md). Exit 1 when Joomla's installer failed (a re-run\n"
            . "  continues), 3 a name the release does not offer, 4 not ready.";
    }

    public function run(array $argv): int
    {
        $args = Args::parse($argv);
        $sub = $args->arg(0, 'seed|extensions');
        if (!in_array($sub, ['seed', 'extensions'], true) || count($args->positional) !== 2) {
            throw new UserError('expected: tenant seed <tenant> or tenant extensions <tenant>', ExitCode::USAGE);
        }
        $tenant = $args->arg(1, 'tenant');
        $registry = new Registry($this->paths);
        Registry::assertTenantName($tenant);
        if ($sub === 'extensions') {
            $entry = $registry->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry", ExitCode::NOT_READY);
            if (($entry['state'] ?? '') !== 'ready') {
                throw new UserError("tenant $tenant is not ready (state " . ($entry['state'] ?? '?') . '): its extensions are installed when it is seeded', ExitCode::NOT_READY);
            }
            foreach (TenantExtensions::lines($tenant, (new TenantExtensions($this->paths))->sync($entry)) as $line) {
                $this->out($line);
            }
            return ExitCode::OK;
        }
        $admin = self::parseAdmin($this->stdin());
        $entry = $registry->get($tenant) ?? throw new UserError("tenant $tenant has no registry entry: run `mokowaas registry put $tenant` first", ExitCode::NOT_READY);
        $lock = Lock::tenant($this->paths, $tenant);
        $config = PlatformConfig::load($this->paths);
        $fromStandby = (new Blueprint($this->paths, $config))->seed($entry, $admin);
        // Before it is ready: no request can race Joomla's in-place write of the map.
        $why = (new TenantJoomlaCli($this->paths))->writeNamespaceMap($registry->get($tenant) ?? $entry);
        if ($why !== null) {
            $this->err("warning: tenant $tenant's namespace map was not written ($why); its first request writes it");
        }
        $registry->setState($tenant, 'ready');
        $lock->release();
        // Remade in a detached child: the caller (the control plane over SSH) does not wait for it.
        (new BlueprintStandby($this->paths, $config))->refillInBackground();
        $this->out("tenant $tenant seeded from the blueprint" . ($fromStandby ? ' (standby copy)' : '') . " and ready (super user {$admin['username']})");
        $entry = $registry->get($tenant) ?? $entry;
        foreach (TenantExtensions::lines($tenant, (new TenantExtensions($this->paths))->sync($entry)) as $line) {
            $this->out($line);
        }
        return ExitCode::OK;
    }

    /** A bcrypt hash as PHP's password_verify reads it: $2a$ (Go, Pulumi's random), $2b$ or $2y$ (PHP). */
    private const BCRYPT_HASH = '/^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[.\/A-Za-z0-9]{53}\z/';

    /**
     * The super user on stdin, its password already hashed: a given "passwordHash" is kept as
     * is, a plain "password" is hashed here (bcrypt, Joomla's own algorithm).
     *
     * @return array{username: string, email: string, passwordHash: string, name: string}
     */
    public static function parseAdmin(string $json): array
    {
        try {
            $in = json_decode($json, true, 8, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new UserError('stdin: not JSON (' . $e->getMessage() . '): send {"username","email","passwordHash" or "password"}');
        }
        if (!is_array($in)) {
            throw new UserError('stdin: must be a JSON object {"username","email","passwordHash" or "password"}');
        }
        $p = [];
        foreach (array_diff(array_keys($in), ['username', 'email', 'password', 'passwordHash', 'name']) as $k) {
            $p[] = "$k: unknown field (allowed: username, email, passwordHash, password, name)";
        }
        $username = $in['username'] ?? null;
        if (!is_string($username) || !preg_match('/^[A-Za-z0-9._-]{2,100}\z/', $username)) {
            $p[] = 'username: must be 2 to 100 letters, digits, dots, hyphens or underscores';
        }
        $email = $in['email'] ?? null;
        if (!is_string($email) || filter_var($email, FILTER_VALIDATE_EMAIL) === false || strlen($email) > 100) {
            $p[] = 'email: must be an e-mail address (at most 100 characters)';
        }
        $password = $in['password'] ?? null;
        $hash = $in['passwordHash'] ?? null;
        // Neither value is ever echoed: both are secrets.
        if (array_key_exists('password', $in) === array_key_exists('passwordHash', $in)) {
            $p[] = 'password, passwordHash: send exactly one (passwordHash: a bcrypt hash stored as is; password: hashed here)';
        } elseif (array_key_exists('passwordHash', $in)) {
            if (!is_string($hash) || !preg_match(self::BCRYPT_HASH, $hash)) {
                $p[] = 'passwordHash: must be a bcrypt hash: $2a$, $2b$ or $2y$, a two-digit cost 04-31, $, then 53 characters of ./A-Za-z0-9';
            }
        } elseif (!is_string($password) || strlen($password) < 12) {
            $p[] = 'password: must be at least 12 characters';
        } elseif (strlen($password) > 72) {
            $p[] = 'password: must be at most 72 bytes (bcrypt ignores the rest)';
        }
        $name = $in['name'] ?? 'Super User';
        if (!is_string($name) || $name === '' || strlen($name) > 400) {
            $p[] = 'name: must be 1 to 400 characters';
        }
        if ($p !== []) {
            throw new UserError("invalid super user on stdin (nothing was changed):\n  " . implode("\n  ", $p));
        }
        $hash = is_string($hash) ? $hash : password_hash((string) $password, PASSWORD_BCRYPT);
        return ['username' => $username, 'email' => $email, 'passwordHash' => $hash, 'name' => $name];
    }
}
