<?php

namespace App\Exceptions;

use Illuminate\Foundation\Exceptions\Handler as ExceptionHandler;

/**
 * Resident's provider registers how its exceptions are rendered and reported
 * (Resident\Laravel\Exceptions\ResidentExceptions); nothing to add here.
 */
class Handler extends ExceptionHandler
{
}
