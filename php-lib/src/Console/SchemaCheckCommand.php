<?php

declare(strict_types=1);

namespace Resident\Console;

use Resident\Exception\ResidentException;
use Resident\Operations;
use Resident\Schema\SchemaReport;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `resident:schema:check`: the difference between the code's schema and the server's,
 * changing nothing. Exit code 0 in sync, 1 changes to push, 2 refused by the server.
 */
final class SchemaCheckCommand extends Command
{
    protected static $defaultName = 'resident:schema:check';

    protected static $defaultDescription = "Shows how the code's schema differs from residentd's, changing nothing";

    public function __construct(private readonly Operations $resident)
    {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setHelp('Exit code: 0 when the server has the schema, 1 when there are changes to push, 2 when the server would refuse them.');
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        try {
            return self::print($this->resident->schema()->check(), $output);
        } catch (ResidentException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return 2;
        }
    }

    /** Prints a report, its difference first, and answers its exit code (also for push). */
    public static function print(SchemaReport $report, OutputInterface $output): int
    {
        foreach ($report->lines() as $line) {
            $output->writeln($line, OutputInterface::OUTPUT_RAW);
        }
        return $report->exitCode();
    }
}
