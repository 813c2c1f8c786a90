<?php

declare(strict_types=1);

namespace Resident\Console;

use Resident\Exception\ResidentException;
use Resident\Operations;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

/** `resident:snapshot`: writes a snapshot now and says where. */
final class SnapshotCommand extends Command
{
    protected static $defaultName = 'resident:snapshot';

    protected static $defaultDescription = 'Makes residentd write a snapshot of its state now';

    public function __construct(private readonly Operations $resident)
    {
        parent::__construct();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        try {
            $snapshot = $this->resident->snapshot();
        } catch (ResidentException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return self::FAILURE;
        }
        $output->writeln(sprintf(
            'Snapshot at position %d: %d entities, %s, in %d ms: %s',
            $snapshot['position'],
            $snapshot['entities'],
            StatusLines::bytes($snapshot['bytes']),
            $snapshot['took_ms'],
            $snapshot['path'],
        ));
        return self::SUCCESS;
    }
}
