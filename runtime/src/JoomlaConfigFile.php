<?php
declare(strict_types=1);

namespace MokoWaaS;

/**
 * Reads the values of a configuration.php that Joomla wrote (Global Configuration's save,
 * `config:set`, the site-status task: `class JConfig { public $key = <literal>; ... }`, the
 * Registry's PHP format) WITHOUT running it: the file sits in a folder the tenant's PHP may write,
 * so its contents are data, never code. Accepts what Joomla writes and what a person would write
 * by hand in that shape: strings in single or double quotes (no interpolation), numbers (with a
 * sign), true/false/null and array(...) / [...] of those; anything else is refused with its line.
 */
final class JoomlaConfigFile
{
    /** @var list<array{0: int|string, 1: string, 2: int}> tokens without whitespace and comments */
    private array $tokens = [];
    private int $at = 0;

    private function __construct(string $php)
    {
        foreach (\PhpToken::tokenize($php) as $t) {
            if (!$t->isIgnorable() && $t->id !== \T_OPEN_TAG && $t->id !== \T_CLOSE_TAG) {
                $this->tokens[] = [$t->id < 256 ? $t->text : $t->id, $t->text, $t->line];
            }
        }
    }

    /**
     * @return array<string, mixed> property => value
     * @throws \UnexpectedValueException naming the line of what is not a plain JConfig
     */
    public static function parse(string $php): array
    {
        return (new self($php))->file();
    }

    /** @return array<string, mixed> */
    private function file(): array
    {
        $this->expect(\T_CLASS);
        if (strcasecmp($this->expect(\T_STRING), 'JConfig') !== 0) {
            $this->fail('the class must be JConfig');
        }
        $this->expect('{');
        $values = [];
        while (!$this->next('}')) {
            if (!$this->next(\T_PUBLIC)) {
                $this->expect(\T_VAR);
            }
            $name = substr($this->expect(\T_VARIABLE), 1);
            $this->expect('=');
            $values[$name] = $this->value();
            $this->expect(';');
        }
        if ($this->at < count($this->tokens)) {
            $this->fail('nothing may follow the class');
        }
        return $values;
    }

    private function value(): mixed
    {
        $sign = $this->next('-') ? -1 : ($this->next('+') ? 1 : 0);
        [$id, $text] = $this->tokens[$this->at] ?? [null, ''];
        if ($id === \T_LNUMBER || $id === \T_DNUMBER) {
            $this->at++;
            $n = $id === \T_LNUMBER ? intval($text, 0) : (float) $text;
            return $sign === -1 ? -$n : $n;
        }
        if ($sign !== 0) {
            $this->fail('a sign must precede a number');
        }
        if ($id === \T_CONSTANT_ENCAPSED_STRING) {
            $this->at++;
            return self::unquote($text);
        }
        if ($id === \T_STRING && in_array(strtolower($text), ['true', 'false', 'null'], true)) {
            $this->at++;
            return ['true' => true, 'false' => false, 'null' => null][strtolower($text)];
        }
        if ($this->next(\T_ARRAY)) {
            $this->expect('(');
            return $this->items(')');
        }
        if ($this->next('[')) {
            return $this->items(']');
        }
        $this->fail('expected a literal value');
    }

    /** @return array<int|string, mixed> */
    private function items(string $close): array
    {
        $items = [];
        while (!$this->next($close)) {
            $value = $this->value();
            if ($this->next(\T_DOUBLE_ARROW)) {
                if (!is_string($value) && !is_int($value)) {
                    $this->fail('array keys must be strings or integers');
                }
                $items[$value] = $this->value();
            } else {
                $items[] = $value;
            }
            if (!$this->next(',')) {
                $this->expect($close);
                break;
            }
        }
        return $items;
    }

    /** A quoted string token's value: '...' as PHP reads it; "..." only without variables. */
    private static function unquote(#[\SensitiveParameter] string $token): string
    {
        $body = substr($token, 1, -1);
        if ($token[0] === "'") {
            return preg_replace_callback("/\\\\([\\\\'])/", static fn (array $m): string => $m[1], $body) ?? $body;
        }
        // A "$" would be interpolation, which the tokenizer does not give as one constant string.
        return stripcslashes($body);
    }

    private function next(int|string $kind): bool
    {
        if (($this->tokens[$this->at][0] ?? null) === $kind) {
            $this->at++;
            return true;
        }
        return false;
    }

    private function expect(int|string $kind): string
    {
        $text = $this->tokens[$this->at][1] ?? '';
        if (!$this->next($kind)) {
            $this->fail('expected ' . (is_int($kind) ? token_name($kind) : "\"$kind\""));
        }
        return $text;
    }

    private function fail(string $why): never
    {
        $t = $this->tokens[$this->at] ?? null;
        throw new \UnexpectedValueException($t === null ? "$why at the end of the file" : "$why on line {$t[2]}, found \"{$t[1]}\"");
    }
}
