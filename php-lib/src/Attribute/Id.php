<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** On an entity property: this property holds the entity id (default: the property `uuid`). */
#[Attribute(Attribute::TARGET_PROPERTY)]
final class Id
{
}
