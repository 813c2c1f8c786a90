<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/** A request breaks a rule (bad input, insufficient funds): the routes answer 422. */
final class Refused extends \DomainException
{
}
