<?php

declare(strict_types=1);

namespace Resident\Attribute;

use Attribute;

/** On an entity property: the server keeps an ordered index of this field. */
#[Attribute(Attribute::TARGET_PROPERTY)]
final class Index
{
}
