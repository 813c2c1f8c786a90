<?php

declare(strict_types=1);

namespace Resident\Tests\php;

use PHPUnit\Framework\TestCase;
use Resident\Schema\CodeSchema;
use Resident\Schema\SchemaSync;
use Resident\Testing\RefreshResident;
use Resident\Tests\Fixtures\Schema\Gadget;
use Resident\Tests\Fixtures\Schema\GadgetAggregateRoot;
use Resident\Tests\Fixtures\Schema\GadgetMade;
use Resident\Tests\Support\ChildProcess;

/** The deploy-time schema commands: the code's schema found on disk, checked (a dry run) and pushed. */
final class SchemaSyncTest extends TestCase
{
    use RefreshResident;

    public const NEW_GADGET = [
        '+ entity Gadget: uuid string, label string, weight int = 0; index weight',
        '+ event GadgetMade: create Gadget (stream id): label set prop label',
    ];

    public function testTheCodeSchemaIsTheEntitiesEventsAndAggregatesUnderTheDirectories(): void
    {
        $code = self::code();
        self::assertSame([Gadget::class, GadgetAggregateRoot::class, GadgetMade::class], $code->classes(), 'no abstract base, no plain class');
        $wire = $code->toWire();
        self::assertSame(['Gadget'], array_column($wire['entities'], 'name'), 'Gadget once, though three classes name it');
        self::assertSame(['GadgetMade'], array_column($wire['events'], 'name'));
    }

    public function testCheckShowsWhatPushWouldChangeAndChangesNothing(): void
    {
        $sync = new SchemaSync(self::code());
        $check = $sync->check();
        self::assertSame([...self::NEW_GADGET, 'Not pushed yet: run resident:schema:push to register it (schema version 0 now).'], $check->lines());
        self::assertSame(1, $check->exitCode());
        self::assertSame(0, \Resident\stats()['schema_version'], 'the check recorded nothing');

        $push = $sync->push();
        self::assertSame([...self::NEW_GADGET, "Pushed: the server's schema is now version 1."], $push->lines());
        self::assertSame(0, $push->exitCode());

        $again = $sync->check();
        self::assertSame(['In sync: the server has the schema of these 3 classes (schema version 1).'], $again->lines());
        self::assertSame(0, $again->exitCode());
        self::assertSame('first', GadgetAggregateRoot::create()->make('first')->state()->label, 'the pushed schema serves');
    }

    public function testAChangeTheServerWouldRefuseIsShownAndNotSent(): void
    {
        self::assertSame("1\n", ChildProcess::start(self::resident()->socket, dirname(__DIR__) . '/scripts/gadget-v1.php')->wait());
        $version = \Resident\stats()['schema_version'];

        $push = (new SchemaSync(self::code()))->push();
        self::assertSame([
            '~ entity Gadget:',
            '    ~ field weight string = "light" → weight int = 0',
            '    + index weight',
            '= 1 types unchanged',
            'The server refuses this change: entity type Gadget already has 1 entities; its definition changed: field weight type string → int',
        ], $push->lines());
        self::assertSame(2, $push->exitCode());
        self::assertSame($version, \Resident\stats()['schema_version'], 'nothing was sent');
    }

    public static function code(): CodeSchema
    {
        return CodeSchema::fromDirectories([dirname(__DIR__) . '/Fixtures/Schema']);
    }
}
