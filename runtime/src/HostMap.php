<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * The compiled host map ($ROOT/etc/mokowaas/registry/hosts.php), derived from the registry
 * entries and read on every request by the bootstrap and the TLS ask endpoint. No secrets.
 *
 * Shape (a var_export'ed PHP array, so opcache serves it from shared memory at any size):
 *   ['version' => 2,
 *    'hosts' => [<normalized host> => ['tenant' => t, 'role' => 'dev'|'production'|'alias',
 *                                      'online' => bool, 'state' => 'provisioning'|'ready',
 *                                      'redirect' => <production host, aliases only>,
 *                                      'title', 'message' => <coming-soon page, production only>]],
 *    'offboarding' => [<tenant> => [<host>, ...]]]
 * Offboarding tenants are out of 'hosts' (nothing answers for them) but keep their names in
 * 'offboarding', so no other tenant can take a host that a failed offboard would put back. The
 * coming-soon texts are here so the platform pool, which reads no tenant file, can answer an
 * offline production host.
 */
final class HostMap
{
    public const VERSION = 2;
    public const DEFAULT_COMING_SOON = 'We are getting ready. Please come back soon.';

    /** @param array<string, mixed> $data */
    private function __construct(private array $data)
    {
    }

    public static function empty(): self
    {
        return new self(['version' => self::VERSION, 'hosts' => [], 'offboarding' => []]);
    }

    /** Reads the map file (fresh: the CLI runs without opcache, and writers invalidate it). */
    public static function load(string $file): self
    {
        if (!is_file($file)) {
            return self::empty();
        }
        $data = (static fn (string $f): mixed => include $f)($file);
        if (!is_array($data) || ($data['version'] ?? null) !== self::VERSION || !is_array($data['hosts'] ?? null)) {
            throw new \RuntimeException("$file is not a host map of version " . self::VERSION . ': run `mokowaas registry rebuild`');
        }
        $data['offboarding'] = is_array($data['offboarding'] ?? null) ? $data['offboarding'] : [];
        return new self($data);
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return $this->data;
    }

    /** @return array<string, array<string, mixed>> */
    public function hosts(): array
    {
        return $this->data['hosts'];
    }

    /** The tenant that holds $host (served or offboarding), or null. */
    public function owner(string $host): ?string
    {
        if (isset($this->data['hosts'][$host])) {
            return (string) $this->data['hosts'][$host]['tenant'];
        }
        foreach ($this->data['offboarding'] as $tenant => $hosts) {
            if (in_array($host, $hosts, true)) {
                return (string) $tenant;
            }
        }
        return null;
    }

    /** Replaces every row of the tenant by the rows its entry stands for. */
    public function withTenant(array $entry): self
    {
        $copy = $this->withoutTenant((string) $entry['tenant']);
        $state = (string) $entry['state'];
        if ($state === 'offboarding') {
            $copy->data['offboarding'][$entry['tenant']] = self::hostsOf($entry);
            return $copy;
        }
        foreach (self::rows($entry) as $host => $row) {
            $copy->data['hosts'][$host] = $row;
        }
        ksort($copy->data['hosts'], SORT_STRING);
        return $copy;
    }

    public function withoutTenant(string $tenant): self
    {
        $copy = clone $this;
        $copy->data['hosts'] = array_filter($copy->data['hosts'], static fn (array $row): bool => $row['tenant'] !== $tenant);
        unset($copy->data['offboarding'][$tenant]);
        return $copy;
    }

    /**
     * The host rows of one entry.
     *
     * @return array<string, array<string, mixed>>
     */
    public static function rows(array $entry): array
    {
        $base = ['tenant' => (string) $entry['tenant'], 'online' => (bool) $entry['online'], 'state' => (string) $entry['state']];
        $production = (string) $entry['hosts']['production'];
        $rows = [
            (string) $entry['hosts']['dev'] => $base + ['role' => 'dev'],
            $production => $base + ['role' => 'production',
                'title' => (string) ($entry['comingSoon']['title'] ?? $entry['siteName']),
                'message' => (string) ($entry['comingSoon']['message'] ?? self::DEFAULT_COMING_SOON)],
        ];
        foreach ($entry['hosts']['aliases'] ?? [] as $alias) {
            $rows[(string) $alias] = $base + ['role' => 'alias', 'redirect' => $production];
        }
        return $rows;
    }

    /**
     * Hosts whose pages (and so media) are served: dev once the tenant is ready, production once
     * it is also online. Aliases only redirect.
     *
     * @return list<string>
     */
    public static function servedHosts(array $entry): array
    {
        if (($entry['state'] ?? '') !== 'ready') {
            return [];
        }
        $served = [(string) $entry['hosts']['dev']];
        if ($entry['online'] === true) {
            $served[] = (string) $entry['hosts']['production'];
        }
        return $served;
    }

    /** @return list<string> every host named by the entry */
    public static function hostsOf(array $entry): array
    {
        return array_values(array_map('strval', array_merge(
            [$entry['hosts']['dev'], $entry['hosts']['production']],
            $entry['hosts']['aliases'] ?? [],
        )));
    }
}
