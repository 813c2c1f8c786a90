<?php

declare(strict_types=1);

namespace Resident\Bundle\EventListener;

use Psr\Log\LoggerInterface;
use Resident\ErrorContext;
use Resident\Exception\ConcurrencyException;
use Resident\Exception\NotFound;
use Resident\Exception\ResidentException;
use Symfony\Component\EventDispatcher\EventSubscriberInterface;
use Symfony\Component\HttpKernel\Event\ExceptionEvent;
use Symfony\Component\HttpKernel\Exception\ConflictHttpException;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;
use Symfony\Component\HttpKernel\KernelEvents;

/**
 * Resident's exceptions in Symfony's terms, before the framework's error listener renders
 * and logs them: NotFound becomes a 404 and a ConcurrencyException that escaped its
 * retries a 409 Conflict (a client may retry). Every Resident exception except NotFound
 * is also logged with its context (the wire code, the socket, and for a conflict the
 * stream and both versions), which Symfony's own log line does not carry.
 */
final class ResidentExceptionListener implements EventSubscriberInterface
{
    public function __construct(private readonly ?LoggerInterface $logger)
    {
    }

    public static function getSubscribedEvents(): array
    {
        // Above ErrorListener::logKernelException (0), so it logs and renders the HTTP exception.
        return [KernelEvents::EXCEPTION => ['onException', 16]];
    }

    public function onException(ExceptionEvent $event): void
    {
        $e = $event->getThrowable();
        if (!$e instanceof ResidentException) {
            return;
        }
        if ($e instanceof NotFound) {
            $event->setThrowable(new NotFoundHttpException($e->getMessage(), $e));
            return;
        }
        $this->logger?->log($e instanceof ConcurrencyException ? 'warning' : 'error', $e->getMessage(), ErrorContext::of($e) + ['exception' => $e]);
        if ($e instanceof ConcurrencyException) {
            $event->setThrowable(new ConflictHttpException(ErrorContext::CONFLICT_MESSAGE, $e));
        }
    }
}
