<?php

declare(strict_types=1);

namespace App\Tests\Support;

use App\AccountAggregateRoot;

/**
 * A test-only route (/race/{uuid}): two writers that loaded the same version of an
 * account, the second writing last, as two requests at the same moment would.
 */
final class RaceController
{
    public function __invoke(string $uuid): void
    {
        $first = AccountAggregateRoot::find($uuid);
        AccountAggregateRoot::find($uuid)->increaseBalance(1);
        $first->increaseBalance(2);
    }
}
