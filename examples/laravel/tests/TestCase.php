<?php

namespace Tests;

use Illuminate\Foundation\Testing\TestCase as BaseTestCase;
use Resident\Laravel\Testing\RefreshResident;

/** Every test runs against an empty throwaway residentd, started once for the run. */
abstract class TestCase extends BaseTestCase
{
    use CreatesApplication;
    use RefreshResident;
}
