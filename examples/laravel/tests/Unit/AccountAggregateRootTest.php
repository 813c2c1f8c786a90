<?php

namespace Tests\Unit;

use App\AccountAggregateRoot;
use App\AccountOpened;
use App\BalanceIncreased;
use PHPUnit\Framework\TestCase;
use Resident\Testing\AggregateScenario;

/** The aggregate alone, given / when / then: no HTTP, no Laravel, a throwaway residentd. */
final class AccountAggregateRootTest extends TestCase
{
    public function testIncreasingABalanceRecordsTheIncrease(): void
    {
        AggregateScenario::for(AccountAggregateRoot::class)
            ->given(new AccountOpened('Alice'), new BalanceIncreased(10))
            ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(5))
            ->then(new BalanceIncreased(5))
            ->thenState(['name' => 'Alice', 'balance' => 15]);
    }

    public function testAnAmountThatIsNotPositiveIsRefused(): void
    {
        AggregateScenario::for(AccountAggregateRoot::class)
            ->given(new AccountOpened('Bob'))
            ->when(fn (AccountAggregateRoot $account) => $account->increaseBalance(-5))
            ->thenThrows(\InvalidArgumentException::class, 'must be positive')
            ->thenState(['balance' => 0]);
    }
}
