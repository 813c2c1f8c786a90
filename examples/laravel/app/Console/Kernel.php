<?php

namespace App\Console;

use Illuminate\Foundation\Console\Kernel as ConsoleKernel;

/** Resident's commands (resident:status, …) come with its auto-discovered provider. */
class Kernel extends ConsoleKernel
{
}
