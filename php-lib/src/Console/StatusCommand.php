<?php

declare(strict_types=1);

namespace Resident\Console;

use Resident\Exception\ResidentException;
use Resident\Operations;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/** `resident:status`: is residentd up, and its counters and storage. */
final class StatusCommand extends Command
{
    protected static $defaultName = 'resident:status';

    protected static $defaultDescription = 'Shows whether residentd answers, its counters and its storage';

    public function __construct(private readonly Operations $resident)
    {
        parent::__construct();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        try {
            $stats = $this->resident->stats();
        } catch (ResidentException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return self::FAILURE;
        }
        foreach (StatusLines::of($stats, Operations::socket()) as $line) {
            $output->writeln($line);
        }
        return self::SUCCESS;
    }
}
