<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/**
 * The bank's routes, the same for every variant:
 *
 *   GET  /accounts?page=N           one page of accounts, ordered by uuid
 *   GET  /accounts/{uuid}           one account
 *   POST /accounts/{uuid}/increase  amount            → 303 to the account
 *   POST /transfers                 from, to, amount  → 303 to the source account
 *
 * Input is checked here, before a variant sees it; the variants enforce the business rules
 * (an account must exist, a transfer needs the funds).
 */
final class Router
{
    public const PER_PAGE = 50;
    private const PAGE_MAX = 100_000;
    private const AMOUNT_MAX = 1_000_000;
    private const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

    public function __construct(private readonly Bank $bank)
    {
    }

    /**
     * @param array<string, mixed> $query the query string ($_GET)
     * @param array<string, mixed> $form the form body ($_POST)
     */
    public function handle(string $method, string $path, array $query, array $form): Response
    {
        try {
            return $this->route($method, $path, $query, $form);
        } catch (AccountNotFound $e) {
            return new Response(404, View::e($e->getMessage()) . "\n");
        } catch (Refused $e) {
            return new Response(422, View::e($e->getMessage()) . "\n");
        }
    }

    /**
     * @param array<string, mixed> $query
     * @param array<string, mixed> $form
     */
    private function route(string $method, string $path, array $query, array $form): Response
    {
        if ($method === 'GET' && ($path === '/' || $path === '/accounts')) {
            return $this->list(self::number($query['page'] ?? '1', 'page', self::PAGE_MAX));
        }
        if ($method === 'GET' && preg_match('#^/accounts/(' . self::UUID . ')$#', $path, $m) === 1) {
            $account = $this->bank->account($m[1]);
            return new Response(200, View::page("Account {$account->name}", 'account', ['account' => $account]));
        }
        if ($method === 'POST' && preg_match('#^/accounts/(' . self::UUID . ')/increase$#', $path, $m) === 1) {
            $this->bank->increase($m[1], self::number($form['amount'] ?? '', 'amount', self::AMOUNT_MAX));
            return Response::redirect("/accounts/{$m[1]}");
        }
        if ($method === 'POST' && $path === '/transfers') {
            $from = self::uuid($form['from'] ?? '', 'from');
            $to = self::uuid($form['to'] ?? '', 'to');
            if ($from === $to) {
                throw new Refused('A transfer needs two different accounts.');
            }
            $this->bank->transfer($from, $to, self::number($form['amount'] ?? '', 'amount', self::AMOUNT_MAX));
            return Response::redirect("/accounts/$from");
        }
        return new Response(404, "Not found\n");
    }

    private function list(int $page): Response
    {
        $accounts = $this->bank->page($page, self::PER_PAGE);
        $count = $this->bank->count();
        return new Response(200, View::page('Accounts', 'accounts', [
            'accounts' => $accounts,
            'count' => $count,
            'page' => $page,
            'pages' => max(1, intdiv($count + self::PER_PAGE - 1, self::PER_PAGE)),
        ]));
    }

    /** A whole number from 1 to $max, written without sign, spaces or leading zeros. */
    private static function number(mixed $value, string $name, int $max): int
    {
        if (!is_string($value) || preg_match('/^[1-9][0-9]{0,8}$/', $value) !== 1 || (int) $value > $max) {
            throw new Refused("The $name must be a whole number from 1 to $max.");
        }
        return (int) $value;
    }

    private static function uuid(mixed $value, string $name): string
    {
        if (!is_string($value) || preg_match('/^' . self::UUID . '$/', $value) !== 1) {
            throw new Refused("The $name account must be given by its uuid (lower-case).");
        }
        return $value;
    }
}
