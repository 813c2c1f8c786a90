<?php

declare(strict_types=1);

namespace Resident\Tests\Fixtures\Schema;

/** Not a Resident class: a schema scan loads it and leaves it out. */
final class Catalogue
{
    public const NAME = Gadget::class;
}
