<?php

declare(strict_types=1);

// Checks a composer.json against the rules of PIE's php-ext schema
// (php/pie resources/composer-json-php-ext-schema.json and ExtensionName): what PIE reads
// to find, build and enable the extension. Prints the extension name; exits 1 with the
// broken rules.
$file = $argv[1] ?? 'composer.json';
$c = json_decode((string) file_get_contents($file), true, 32, JSON_THROW_ON_ERROR);
$ext = $c['php-ext'] ?? [];
$families = ['windows', 'bsd', 'darwin', 'solaris', 'linux', 'unknown'];
$rules = [
    'type is php-ext (a PHP module)' => ($c['type'] ?? null) === 'php-ext',
    'name is vendor/package' => preg_match('#^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$#', $c['name'] ?? '') === 1,
    'only php-ext keys PIE knows' => array_diff(array_keys($ext), [
        'extension-name', 'priority', 'support-zts', 'support-nts', 'build-path',
        'download-url-method', 'os-families', 'os-families-exclude', 'configure-options',
    ]) === [],
    'extension-name is a valid name without ext-' => preg_match('#^[A-Za-z][a-zA-Z0-9_]+$#', $ext['extension-name'] ?? '') === 1,
    'priority is 10 to 99' => is_int($ext['priority'] ?? 80) && ($ext['priority'] ?? 80) >= 10 && ($ext['priority'] ?? 80) <= 99,
    'support-zts and support-nts are booleans' => is_bool($ext['support-zts'] ?? true) && is_bool($ext['support-nts'] ?? true),
    'os-families from the list' => array_diff($ext['os-families'] ?? [], $families) === [],
    'not both os-families and os-families-exclude' => !(isset($ext['os-families']) && isset($ext['os-families-exclude'])),
    'download-url-method known' => in_array($ext['download-url-method'] ?? 'composer-default', ['composer-default', 'pre-packaged-source'], true),
];
$broken = array_keys(array_filter($rules, static fn (bool $ok): bool => !$ok));
if ($broken !== []) {
    fwrite(STDERR, "$file breaks PIE's rules:\n - " . implode("\n - ", $broken) . "\n");
    exit(1);
}
fwrite(STDERR, "$file: PIE metadata of ext-{$ext['extension-name']} passes " . count($rules) . " rules\n");
echo $ext['extension-name'];
