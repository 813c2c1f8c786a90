<?php

declare(strict_types=1);

namespace Resident\Console;

use Resident\Exception\ResidentException;
use Resident\Operations;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `resident:schema:push`: registers the code's schema (at deploy time, before the new code
 * serves requests), showing the difference; sends nothing when the server would refuse
 * it. Exit code 0 pushed or in sync, 2 refused.
 */
final class SchemaPushCommand extends Command
{
    protected static $defaultName = 'resident:schema:push';

    protected static $defaultDescription = "Registers the code's schema with residentd, showing what changes";

    public function __construct(private readonly Operations $resident)
    {
        parent::__construct();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        try {
            return SchemaCheckCommand::print($this->resident->schema()->push(), $output);
        } catch (ResidentException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return 2;
        }
    }
}
