<?php

declare(strict_types=1);

namespace App\Controller;

use App\AccountAggregateRoot;
use Symfony\Component\HttpFoundation\RedirectResponse;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\Response;

/** The form under the list: opens an account, then back to the list. */
final class OpenAccountController
{
    public function __invoke(Request $request): Response
    {
        $name = trim((string) $request->request->get('name', ''));
        if ($name === '' || mb_strlen($name) > 100) {
            return new Response('A name of 1 to 100 characters is needed.', Response::HTTP_UNPROCESSABLE_ENTITY);
        }
        AccountAggregateRoot::create()->open($name);
        return new RedirectResponse('/');
    }
}
