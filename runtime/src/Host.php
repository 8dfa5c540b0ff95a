<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * The one host normalizer and resolver of the data plane. Used by the registry (to check the
 * hosts it stores), by the Joomla bootstrap (to find the tenant of a request) and by the TLS ask
 * endpoint, so a host means the same thing everywhere. Static and side-effect free: no file,
 * no global, no output. The release carries a copy of this file (`mokowaas release bootstrap`).
 *
 * Algorithm of normalize() — reject first, then normalize, never guess:
 *  1. Reject anything over 1000 bytes or with more than 100 dots or colons before looking at it
 *     closer (the Drupal limits: bounded work for hostile input).
 *  2. Reject an IPv6 literal ("[" anywhere) and any byte outside printable ASCII (NUL, spaces,
 *     UTF-8: browsers send IDNs as punycode).
 *  3. Lowercase, then split off one ":port" suffix; the port must be 1 to 5 digits, 1-65535.
 *     Any other colon is port junk: reject.
 *  4. Strip ONE trailing dot (the absolute form "example.com." names the same host).
 *  5. The rest must be a DNS host name by the rules of runtime/rules.json (Rules::HOST_*, shared
 *     with the control plane): at most 253 characters, at least two labels, each label 1-63 of
 *     [a-z0-9-] not starting or ending with "-" (so "/", "\\", "..", "_", "@" fail), and the last
 *     label not all digits (that is an IPv4 literal).
 * Key format of host maps: the normalized host, e.g. "dev.acme.example.com".
 *
 * Exact-key shortcut: keys are stored in normal form, so a raw Host made only of KEY_CHARS that IS
 * a stored key normalizes to itself; a lookup may try it as is and normalize only on a miss. The
 * bootstrap's fast path does this with the per-host files (`release bootstrap` renders this
 * constant into mokowaas/enter.php); KEY_CHARS holds no "/" or NUL, so such a Host can only name a
 * file inside the per-host folder. Any miss goes through resolve(), which decides 400 or 404.
 */
final class Host
{
    public const MAX_RAW_BYTES = 1000;
    public const MAX_SEPARATORS = 100;
    /** Every character a normalized host may contain (see the exact-key shortcut above). */
    public const KEY_CHARS = Rules::HOST_KEY_CHARS;

    /** The normalized host, or null when $raw is malformed (answer 400). */
    public static function normalize(string $raw): ?string
    {
        if ($raw === '' || strlen($raw) > self::MAX_RAW_BYTES
            || substr_count($raw, '.') > self::MAX_SEPARATORS || substr_count($raw, ':') > self::MAX_SEPARATORS) {
            return null;
        }
        if (strpbrk($raw, '[]') !== false || preg_match('/[^\x21-\x7e]/', $raw)) {
            return null;
        }
        $host = strtolower($raw);
        $colon = strpos($host, ':');
        if ($colon !== false) {
            $port = substr($host, $colon + 1);
            if (!preg_match('/^[0-9]{1,5}\z/', $port) || (int) $port < 1 || (int) $port > 65535) {
                return null;
            }
            $host = substr($host, 0, $colon);
        }
        if (str_ends_with($host, '.')) {
            $host = substr($host, 0, -1);
        }
        return self::isName($host) ? $host : null;
    }

    /**
     * Why a host given to the registry is not acceptable, or null when it is. Stored hosts must
     * already be in normal form (lowercase, no port, no trailing dot), like the control plane writes them.
     */
    public static function problem(string $host): ?string
    {
        $normal = self::normalize($host);
        if ($normal === null) {
            return "\"$host\" is not a host name (at least " . Rules::HOST_MIN_LABELS . ' labels of ' . Rules::HOST_LABEL_MEANS . '; no IP address)';
        }
        if ($normal !== $host) {
            return "\"$host\" must be written in normal form: \"$normal\"";
        }
        return null;
    }

    /**
     * Looks a request's Host up in a host map (normalized host => row).
     *
     * @param array<string, array<string, mixed>> $hosts
     * @return array{status: int, host?: string, row?: array<string, mixed>}
     *         status 400 malformed, 404 unknown, 200 found (with the normalized host and its row)
     */
    public static function resolve(string $raw, array $hosts): array
    {
        $host = self::normalize($raw);
        if ($host === null) {
            return ['status' => 400];
        }
        $row = $hosts[$host] ?? null;
        return $row === null ? ['status' => 404, 'host' => $host] : ['status' => 200, 'host' => $host, 'row' => $row];
    }

    private static function isName(string $host): bool
    {
        if ($host === '' || strlen($host) > Rules::HOST_MAX_LENGTH) {
            return false;
        }
        $labels = explode('.', $host);
        // @mago-expect analysis:redundant-type-comparison (HOST_MIN_LABELS is 2: not redundant)
        if (count($labels) < Rules::HOST_MIN_LABELS || !preg_match(Rules::HOST_LAST_LABEL, $labels[count($labels) - 1])) {
            return false;
        }
        foreach ($labels as $label) {
            if (!preg_match(Rules::HOST_LABEL, $label)) {
                return false;
            }
        }
        return true;
    }
}
