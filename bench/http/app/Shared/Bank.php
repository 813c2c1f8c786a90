<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/**
 * What the routes need from a bank. Each variant (Resident, Eloquent, stored events)
 * implements it the way its kind of team would; the routes and views are shared, so the
 * variants differ only in how they keep the state.
 *
 * Accounts are returned as the variant's own objects (a Resident entity, an Eloquent
 * model), read by the views through their public `uuid`, `name` and `balance`: turning
 * them into one common class would add a cost no real application pays.
 */
interface Bank
{
    /** @return list<object> one page of accounts ordered by uuid, pages counted from 1 */
    public function page(int $page, int $perPage): array;

    public function count(): int;

    /** @throws AccountNotFound */
    public function account(string $uuid): object;

    /** @throws AccountNotFound|Refused */
    public function increase(string $uuid, int $amount): void;

    /** @throws AccountNotFound|Refused when either account is unknown, or the rules refuse it */
    public function transfer(string $from, string $to, int $amount): void;
}
