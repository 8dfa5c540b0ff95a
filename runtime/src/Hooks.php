<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * The platform's hook URLs (platform config hooks.success / hooks.failure): each gets a JSON POST
 * (no secrets) with short timeouts, so a dead hook never holds up the run that reports.
 */
final class Hooks
{
    private const CONNECT_TIMEOUT = 3;
    private const TIMEOUT = 5;

    /**
     * POSTs $body to each URL; returns one line per hook not reached (naming only its host: the
     * URL may carry a token, healthchecks.io style).
     *
     * @param list<string> $urls
     * @param array<string, mixed> $body
     * @return list<string>
     */
    public static function post(array $urls, array $body, string $userAgent): array
    {
        $json = json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
        $problems = [];
        foreach ($urls as $url) {
            $ch = curl_init($url);
            curl_setopt_array($ch, [
                CURLOPT_POST => true, CURLOPT_POSTFIELDS => $json, CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
                CURLOPT_RETURNTRANSFER => true, CURLOPT_CONNECTTIMEOUT => self::CONNECT_TIMEOUT, CURLOPT_TIMEOUT => self::TIMEOUT,
                CURLOPT_USERAGENT => $userAgent, CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            ]);
            $ok = curl_exec($ch) !== false && curl_getinfo($ch, CURLINFO_RESPONSE_CODE) < 400;
            $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
            $error = curl_error($ch);
            if (!$ok) {
                $problems[] = 'hook ' . (parse_url($url, PHP_URL_HOST) ?? '?') . ' not reached: ' . ($error !== '' ? $error : "HTTP $status");
            }
        }
        return $problems;
    }
}
