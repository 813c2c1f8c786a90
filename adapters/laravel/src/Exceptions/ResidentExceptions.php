<?php

declare(strict_types=1);

namespace Resident\Laravel\Exceptions;

use Closure;
use Illuminate\Foundation\Exceptions\Handler;
use Psr\Log\LoggerInterface;
use Resident\ErrorContext;
use Resident\Exception\ConcurrencyException;
use Resident\Exception\NotFound;
use Resident\Exception\ResidentException;
use Symfony\Component\HttpKernel\Exception\ConflictHttpException;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;

/**
 * How Laravel's exception handler treats Resident's exceptions:
 * - NotFound (an aggregate or entity that does not exist) is a 404, like a missing
 *   Eloquent model, and is not reported;
 * - a ConcurrencyException that escapes its retries is a 409 Conflict (a client may
 *   retry), reported as a warning;
 * - every reported Resident exception is logged with its context: the wire code, the
 *   socket, and for a conflict the stream and both versions.
 */
final class ResidentExceptions
{
    /** @param Closure(): LoggerInterface $logger */
    public static function handleIn(Handler $handler, Closure $logger): void
    {
        $handler->map(NotFound::class, static fn (NotFound $e) => new NotFoundHttpException($e->getMessage(), $e));
        $handler->renderable(static fn (ConcurrencyException $e, $request) => $handler->render(
            $request,
            new ConflictHttpException(ErrorContext::CONFLICT_MESSAGE, $e),
        ));
        $handler->reportable(static function (ResidentException $e) use ($logger): bool {
            $level = $e instanceof ConcurrencyException ? 'warning' : 'error';
            $logger()->log($level, $e->getMessage(), ErrorContext::of($e) + ['exception' => $e]);
            return false; // logged: Laravel's default report would log it again, without the context
        });
    }
}
