<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * The platform's own cap on new certificates, below Let's Encrypt's limits (300 new orders per
 * 3 hours per account, 50 certificates per registered domain per week): Caddy's on-demand TLS asks
 * the platform (mokowaas/ask.php) before it orders a certificate for a name, and a host of the host
 * map that has never been let through is let through only while fewer than `newPer3Hours` hosts
 * were in the last 3 hours and fewer than `newPerDomainWeek` of its registered domain in the last
 * 7 days. Beyond that it waits: the ask answers 429 "not yet" (Caddy refuses that handshake and
 * asks again on a later one), the host is recorded as waiting (one log line when it starts, `health`
 * lists it) and gets through once the windows have room. A host let through once is always let
 * through again (renewals, and Caddy asks before it loads a stored certificate too).
 *
 * The registered domain is taken as the host's last two labels: a suffix of the real one (which
 * has at least two), so hosts are grouped at least as coarsely as Let's Encrypt groups them and
 * the cap holds without a public suffix list (hosts under e.g. co.uk share one budget).
 *
 * Files: the cap (Paths::certificateCap, written by `platform init`; an empty array: no cap, for a Caddy
 * that issues from its own CA) and the state (Paths::certificateState: state.json under
 * state.lock), owned by the platform pool's user. Shipped into each release with the bootstrap.
 */
final class CertificateCap
{
    public const DEFAULT_PER_3_HOURS = 100;
    public const DEFAULT_PER_DOMAIN_WEEK = 40;
    /** Let's Encrypt's own limits: a configured cap may not exceed them. */
    public const LETS_ENCRYPT_PER_3_HOURS = 300;
    public const LETS_ENCRYPT_PER_DOMAIN_WEEK = 50;
    private const THREE_HOURS = 3 * 3600;
    private const WEEK = 7 * 86400;

    public function __construct(private readonly Paths $paths)
    {
    }

    /** @return array{newPer3Hours: int, newPerDomainWeek: int}|null null: no cap configured */
    public function policy(): ?array
    {
        $file = $this->paths->certificateCap();
        if (!is_file($file)) {
            return null;
        }
        $p = (static fn (string $f): mixed => include $f)($file);
        return is_array($p) && $p !== [] ? ['newPer3Hours' => (int) ($p['newPer3Hours'] ?? self::DEFAULT_PER_3_HOURS),
            'newPerDomainWeek' => (int) ($p['newPerDomainWeek'] ?? self::DEFAULT_PER_DOMAIN_WEEK)] : null;
    }

    /** The host's registered domain as the cap counts it (see the class comment). */
    public static function domainOf(string $host): string
    {
        return implode('.', array_slice(explode('.', $host), -2));
    }

    /**
     * Whether Caddy may order a certificate for $host (a host of the host map, in normal form) now.
     *
     * @return array{allow: bool, detail: string}
     */
    public function decide(string $host, int $now): array
    {
        $policy = $this->policy();
        if ($policy === null) {
            return ['allow' => true, 'detail' => 'ok'];
        }
        // A host let through before passes without the lock (entries are never taken back), so
        // sites with a certificate keep it even when the state cannot be locked or written.
        if (isset(self::decode(@file_get_contents($this->paths->certificateState() . '/state.json'))['granted'][$host])) {
            return ['allow' => true, 'detail' => 'ok'];
        }
        return $this->withState(function (array &$state) use ($host, $now, $policy): array {
            if (isset($state['granted'][$host])) {
                return ['allow' => true, 'detail' => 'ok'];
            }
            [$recent, $domain] = self::counts($state, self::domainOf($host), $now);
            if ($recent < $policy['newPer3Hours'] && $domain < $policy['newPerDomainWeek']) {
                $state['granted'][$host] = $now;
                unset($state['waiting'][$host]);
                return ['allow' => true, 'detail' => 'ok'];
            }
            $why = $recent >= $policy['newPer3Hours']
                ? "$recent new hosts in the last 3 hours (cap {$policy['newPer3Hours']})"
                : "$domain new hosts of " . self::domainOf($host) . " in the last 7 days (cap {$policy['newPerDomainWeek']})";
            if (!isset($state['waiting'][$host])) {
                error_log("mokowaas ask: $host waits for a certificate: $why");
                $state['waiting'][$host] = ['since' => $now, 'asks' => 0];
            }
            $state['waiting'][$host]['asks']++;
            $state['waiting'][$host]['last'] = $now;
            $state['waiting'][$host]['why'] = $why;
            return ['allow' => false, 'detail' => "not yet: $why"];
        });
    }

    /**
     * What `health` reports: hosts let through in the windows and hosts waiting.
     *
     * @return array{policy: ?array{newPer3Hours: int, newPerDomainWeek: int}, stateOk: bool, newLast3Hours: int, waiting: array<string, array{since: int, last: int, asks: int, why: string}>}
     */
    public function report(int $now): array
    {
        $policy = $this->policy();
        if ($policy === null) {
            return ['policy' => null, 'stateOk' => true, 'newLast3Hours' => 0, 'waiting' => []];
        }
        $file = $this->paths->certificateState() . '/state.json';
        $state = self::decode(@file_get_contents($file));
        $recent = count(array_filter($state['granted'], static fn (int $t): bool => $t > $now - self::THREE_HOURS));
        return ['policy' => $policy, 'stateOk' => is_file($file), 'newLast3Hours' => $recent, 'waiting' => $state['waiting']];
    }

    /**
     * Writes the first state (every host of the host map counts as let through long ago: Caddy
     * may hold their certificates already) unless there is one; owned by the pool's $user.
     *
     * @param list<string> $hosts
     */
    public function initState(array $hosts, ?string $user): void
    {
        $dir = $this->paths->certificateState();
        // Its missing parents get 0755 (the pool's user must pass through); the folder is that user's alone.
        // Dirs is the CLI's (the release, where this class is shipped too, never creates the state).
        Dirs::make($dir, 0700);
        if (!is_file("$dir/state.json")) {
            self::writeState("$dir/state.json", ['granted' => array_fill_keys($hosts, 0), 'waiting' => []]);
        }
        if ($user !== null && posix_geteuid() === 0) {
            foreach ([$dir, "$dir/state.json"] as $f) {
                chown($f, $user);
            }
            if (is_file("$dir/state.lock")) {
                chown("$dir/state.lock", $user);
            }
        }
    }

    /** @param array{granted: array<string, int>, waiting: array<string, mixed>} $state @return array{0: int, 1: int} */
    private static function counts(array $state, string $domain, int $now): array
    {
        $recent = 0;
        $inDomain = 0;
        foreach ($state['granted'] as $h => $t) {
            if ($t > $now - self::THREE_HOURS) {
                $recent++;
            }
            if ($t > $now - self::WEEK && self::domainOf((string) $h) === $domain) {
                $inDomain++;
            }
        }
        return [$recent, $inDomain];
    }

    /**
     * Runs $fn on the state under an exclusive lock and saves it; an unreadable or unwritable state
     * refuses (the host waits, the log says why) rather than letting orders through uncounted.
     *
     * @param callable(array{granted: array<string, int>, waiting: array<string, mixed>}): array{allow: bool, detail: string} $fn
     * @return array{allow: bool, detail: string}
     */
    private function withState(callable $fn): array
    {
        $dir = $this->paths->certificateState();
        $lock = @fopen("$dir/state.lock", 'c');
        if ($lock === false || !flock($lock, LOCK_EX)) {
            error_log("mokowaas ask: cannot lock $dir/state.lock: run `mokowaas platform init` again");
            return ['allow' => false, 'detail' => 'not yet: certificate state unavailable'];
        }
        try {
            $state = self::decode(@file_get_contents("$dir/state.json"));
            $before = $state;
            $answer = $fn($state);
            foreach ($state['waiting'] as $h => $w) {
                // @mago-expect analysis:redundant-null-coalesce (decode() does not check each entry's shape)
                if (($w['last'] ?? 0) < time() - self::WEEK) {
                    unset($state['waiting'][$h]); // asked no more for a week: gone from the host map or from DNS
                }
            }
            if ($state !== $before && !self::writeState("$dir/state.json", $state)) {
                error_log("mokowaas ask: cannot write $dir/state.json");
                return ['allow' => false, 'detail' => 'not yet: certificate state unwritable'];
            }
            return $answer;
        } finally {
            flock($lock, LOCK_UN);
            fclose($lock);
        }
    }

    /** @return array{granted: array<string, int>, waiting: array<string, array{since: int, last: int, asks: int, why: string}>} */
    private static function decode(string|false $json): array
    {
        $s = is_string($json) ? json_decode($json, true) : null;
        return [
            'granted' => is_array($s['granted'] ?? null) ? array_map('intval', $s['granted']) : [],
            'waiting' => is_array($s['waiting'] ?? null) ? $s['waiting'] : [],
        ];
    }

    /** Atomically (temporary file, then rename): a crash never leaves half a state. @param array<string, mixed> $state */
    private static function writeState(string $file, array $state): bool
    {
        $tmp = $file . '.' . bin2hex(random_bytes(4));
        $json = json_encode(['granted' => (object) $state['granted'], 'waiting' => (object) $state['waiting']], JSON_UNESCAPED_SLASHES);
        if ($json === false || @file_put_contents($tmp, $json . "\n") === false) {
            @unlink($tmp);
            return false;
        }
        chmod($tmp, 0600);
        return rename($tmp, $file);
    }
}
