<?php

declare(strict_types=1);

namespace Bench\Http\Tools;

/**
 * The functional smoke test every variant must pass before it is measured: a fixed
 * script of requests (writes, refused writes, unknown accounts, bad input, a burst of
 * concurrent writes on two accounts), checked against a model of what the balances must
 * be. Expectations are relative to the balances it reads first, so it can run before and
 * after a measurement; it only touches the SMOKE_ACCOUNTS, which the load leaves alone.
 */
final class Smoke
{
    private const BURST = 8;

    /** @var array<string, int> uuid → the balance the model expects */
    private array $model = [];
    private int $checks = 0;

    public function __construct(private readonly HttpClient $http, private readonly int $accounts)
    {
    }

    /**
     * Runs the script; throws on the first answer that differs from the model.
     *
     * @return list<string> the touched accounts' balances and the first page, one a line,
     *     for comparing variants with each other
     */
    public function run(): array
    {
        [$a, $b, $c, $d, $e] = array_map(SeedAccounts::uuid(...), range(0, SeedAccounts::SMOKE_ACCOUNTS - 1));
        $unknown = SeedAccounts::uuid($this->accounts + 7);
        foreach ([$a, $b, $c, $d, $e] as $uuid) {
            $this->model[$uuid] = $this->balance($uuid);
        }
        $pageBefore = $this->firstPage();

        $this->expect(303, 'POST', "/accounts/$a/increase", ['amount' => '25'], "/accounts/$a");
        $this->model[$a] += 25;
        $this->transfer($a, $b, 40);
        $this->transfer($b, $c, $this->model[$b]); // empties $b exactly: allowed
        $this->expect(422, 'POST', '/transfers', ['from' => $b, 'to' => $a, 'amount' => '1']); // no funds
        $this->expect(422, 'POST', '/transfers', ['from' => $a, 'to' => $a, 'amount' => '5']);
        $this->expect(404, 'POST', '/transfers', ['from' => $a, 'to' => $unknown, 'amount' => '5']);
        $this->expect(404, 'POST', '/transfers', ['from' => $unknown, 'to' => $a, 'amount' => '5']);
        $this->expect(404, 'POST', "/accounts/$unknown/increase", ['amount' => '5']);
        foreach (['0', '-5', 'abc', '1000001', '', '07'] as $bad) {
            $this->expect(422, 'POST', "/accounts/$a/increase", ['amount' => $bad]);
        }
        $this->expect(422, 'POST', '/transfers', ['from' => $a, 'to' => 'nobody', 'amount' => '5']);
        $this->expect(404, 'GET', "/accounts/$unknown");
        $this->expect(404, 'GET', '/nowhere');
        $this->expect(422, 'GET', '/accounts?page=0');
        $this->burst($d, $e);

        $lines = [];
        foreach ($this->model as $uuid => $expected) {
            $actual = $this->balance($uuid);
            $this->check($actual === $expected, "account $uuid holds $actual, the model says $expected");
            $lines[] = "$uuid $actual";
        }
        $pageAfter = $this->firstPage();
        foreach ($pageBefore as $uuid => [$name, $balance]) {
            $expected = $this->model[$uuid] ?? $balance;
            $this->check(($pageAfter[$uuid] ?? null) === [$name, $expected], "page 1 shows account $uuid wrong after the script");
            $lines[] = "$uuid $name $expected";
        }
        return $lines;
    }

    public function checks(): int
    {
        return $this->checks;
    }

    /** Writes sent all at once: increases of $d, transfers both ways between $d and $e. */
    private function burst(string $d, string $e): void
    {
        $requests = [];
        for ($i = 0; $i < self::BURST; $i++) {
            $requests[] = ['POST', "/accounts/$d/increase", ['amount' => '3']];
            $requests[] = ['POST', '/transfers', ['from' => $d, 'to' => $e, 'amount' => '5']];
            $requests[] = ['POST', '/transfers', ['from' => $e, 'to' => $d, 'amount' => '2']];
        }
        foreach ($this->http->parallel($requests) as $i => $answer) {
            $this->check($answer['status'] === 303, "concurrent request $i answered {$answer['status']}: " . trim(substr($answer['body'], 0, 300)));
        }
        $this->model[$d] += self::BURST * (3 - 5 + 2);
        $this->model[$e] += self::BURST * (5 - 2);
    }

    private function transfer(string $from, string $to, int $amount): void
    {
        $this->expect(303, 'POST', '/transfers', ['from' => $from, 'to' => $to, 'amount' => (string) $amount], "/accounts/$from");
        $this->model[$from] -= $amount;
        $this->model[$to] += $amount;
    }

    /** @param array<string, string> $form */
    private function expect(int $status, string $method, string $path, array $form = [], ?string $location = null): void
    {
        $answer = $this->http->request($method, $path, $form);
        $this->check($answer['status'] === $status, sprintf(
            '%s %s %s answered %d, expected %d: %s',
            $method,
            $path,
            http_build_query($form),
            $answer['status'],
            $status,
            trim(substr($answer['body'], 0, 300)),
        ));
        if ($location !== null) {
            $this->check(($answer['headers']['location'] ?? '') === $location, "$method $path redirected to " . ($answer['headers']['location'] ?? 'nowhere'));
        }
    }

    private function balance(string $uuid): int
    {
        $answer = $this->http->request('GET', "/accounts/$uuid");
        $this->check($answer['status'] === 200 && preg_match('#id="balance">(-?\d+)<#', $answer['body'], $m) === 1, "GET /accounts/$uuid answered {$answer['status']} without a balance");
        return (int) $m[1];
    }

    /** @return array<string, array{0: string, 1: int}> uuid → name, balance of page 1 */
    private function firstPage(): array
    {
        $answer = $this->http->request('GET', '/accounts?page=1');
        $this->check($answer['status'] === 200, "GET /accounts?page=1 answered {$answer['status']}");
        $this->check(preg_match('#<span id="count">(\d+)</span>#', $answer['body'], $m) === 1 && (int) $m[1] === $this->accounts, "page 1 does not say $this->accounts accounts");
        preg_match_all('#<tr data-uuid="([0-9a-f-]{36})"><td><a href="[^"]*">([^<]*)</a></td><td class="n">(-?\d+)</td></tr>#', $answer['body'], $rows, PREG_SET_ORDER);
        $page = [];
        foreach ($rows as [, $uuid, $name, $balance]) {
            $page[$uuid] = [$name, (int) $balance];
        }
        $uuids = array_keys($page);
        $sorted = $uuids;
        sort($sorted, SORT_STRING);
        $this->check(count($page) === min(50, $this->accounts) && $uuids === $sorted, 'page 1 does not hold 50 accounts in uuid order');
        return $page;
    }

    private function check(bool $ok, string $what): void
    {
        $this->checks++;
        if (!$ok) {
            throw new \RuntimeException("smoke test failed: $what");
        }
    }
}
