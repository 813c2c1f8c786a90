<?php

declare(strict_types=1);

namespace Resident\Testing;

/**
 * For a PHPUnit test case (plain, Laravel's or Symfony's KernelTestCase/WebTestCase):
 * every test starts on an empty residentd. The first test starts a throwaway server
 * (TestServer::shared()); each test restarts it on an empty data directory before
 * setUp() runs, so a framework booted in setUp() already sees the fresh server.
 */
trait RefreshResident
{
    /** @before */
    #[\PHPUnit\Framework\Attributes\Before]
    protected function refreshResident(): void
    {
        TestServer::shared()->reset();
    }

    /** The throwaway server: to stop, kill or restart it, or read its log, in a test. */
    protected static function resident(): TestServer
    {
        return TestServer::shared();
    }
}
