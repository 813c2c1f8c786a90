<?php

declare(strict_types=1);

// SchemaChangeTest's child: defines the event type "PointsChanged" with the rule given on
// the command line (add or subtract), then opens a wallet and commits one event of it.
require __DIR__ . '/../bootstrap-child.php';

use Resident\Attribute\Alias;
use Resident\Attribute\Updates;
use Resident\Event;
use Resident\Exception\SchemaException;
use Resident\Tests\Fixtures\Wallet;
use Resident\Tests\Fixtures\WalletAggregateRoot;

if ($argv[1] === 'add') {
    #[Alias('PointsChanged'), Updates(Wallet::class, add: ['balance' => 'points'])]
    final class PointsChanged extends Event
    {
        public function __construct(public int $points)
        {
        }
    }
} else {
    #[Alias('PointsChanged'), Updates(Wallet::class, subtract: ['balance' => 'points'])]
    final class PointsChanged extends Event
    {
        public function __construct(public int $points)
        {
        }
    }
}

$root = WalletAggregateRoot::create()->open('Schema');
try {
    $root->event(new PointsChanged(5));
    echo 'balance ', Wallet::find($root->uuid())->balance, "\n";
} catch (SchemaException $e) {
    echo 'SchemaException: ', $e->getMessage(), "\n";
}
