<?php

declare(strict_types=1);

namespace App\View;

use Symfony\Component\EventDispatcher\EventSubscriberInterface;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Event\ViewEvent;
use Symfony\Component\HttpKernel\KernelEvents;
use Twig\Environment;

/**
 * Turns what a controller returns into a response (Symfony's kernel.view): a View is
 * rendered with Twig, nothing is 204 No Content (BalanceController::increase() records an
 * event and has nothing to show).
 */
final class ViewListener implements EventSubscriberInterface
{
    public function __construct(private readonly Environment $twig)
    {
    }

    public static function getSubscribedEvents(): array
    {
        return [KernelEvents::VIEW => 'onView'];
    }

    public function onView(ViewEvent $event): void
    {
        $result = $event->getControllerResult();
        if ($result instanceof View) {
            $event->setResponse(new Response($this->twig->render($result->template . '.html.twig', $result->data)));
        } elseif ($result === null) {
            $event->setResponse(new Response('', Response::HTTP_NO_CONTENT));
        }
    }
}
