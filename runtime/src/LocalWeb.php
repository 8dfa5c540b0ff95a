<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * A request to a tenant's host through this server's own web server (`health`, `upgrade`'s
 * verification): the URL names the host (Host header and SNI), CURLOPT_RESOLVE sends it to the
 * platform's webUrl address, whose CA file (caFile) is trusted when set.
 */
final class LocalWeb
{
    /** @return array{status: int, head: string, body: string, error: string} status 0 when nothing answered */
    public static function get(PlatformConfig $config, string $host, string $path = '/', int $timeout = 10, string $agent = 'mokowaas'): array
    {
        $web = parse_url($config->webUrl());
        $scheme = $web['scheme'] ?? 'https';
        $port = (int) ($web['port'] ?? ($scheme === 'https' ? 443 : 80));
        $addr = trim((string) ($web['host'] ?? '127.0.0.1'), '[]');
        $ip = filter_var($addr, FILTER_VALIDATE_IP) ? $addr : gethostbyname($addr);
        $ch = curl_init("$scheme://$host:$port$path");
        curl_setopt_array($ch, [
            CURLOPT_RESOLVE => ["$host:$port:" . (str_contains($ip, ':') ? "[$ip]" : $ip)],
            CURLOPT_RETURNTRANSFER => true, CURLOPT_FOLLOWLOCATION => false, CURLOPT_HEADER => true,
            CURLOPT_CONNECTTIMEOUT => $timeout, CURLOPT_TIMEOUT => $timeout,
            CURLOPT_USERAGENT => $agent, CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ]);
        if (($ca = $config->caFile()) !== null) {
            curl_setopt($ch, CURLOPT_CAINFO, $ca);
        }
        $response = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $headerSize = (int) curl_getinfo($ch, CURLINFO_HEADER_SIZE);
        $error = curl_error($ch);
        if ($response === false) {
            return ['status' => 0, 'head' => '', 'body' => '', 'error' => $error];
        }
        return ['status' => $status, 'head' => substr((string) $response, 0, $headerSize), 'body' => substr((string) $response, $headerSize), 'error' => ''];
    }
}
