<?php

declare(strict_types=1);

namespace Resident\Laravel\Http;

use Closure;
use Illuminate\Foundation\Http\Kernel;
use Illuminate\Http\Request;
use Illuminate\Routing\Route;
use Illuminate\Support\Str;
use Resident\Entity;
use Resident\Schema\Registry;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;

/**
 * Implicit route binding of entities: a controller parameter typed with an Entity class
 * (`Account $account`) whose route segment (`{account}`) holds an id gets that entity,
 * read from residentd; an unknown id is a 404 (or the route's `missing()` response).
 * Laravel's own SubstituteBindings only binds Eloquent-style UrlRoutable classes, which
 * entities are not.
 */
final class SubstituteEntityBindings
{
    /**
     * Adds this middleware to the end of each existing group: after SubstituteBindings and
     * authentication, as Laravel orders its own bindings.
     *
     * @param list<string> $groups
     */
    public static function addToGroups(Kernel $kernel, array $groups): void
    {
        foreach ($groups as $group) {
            if (isset($kernel->getMiddlewareGroups()[$group])) {
                $kernel->appendMiddlewareToGroup($group, self::class);
            }
        }
    }

    public function handle(Request $request, Closure $next): Response
    {
        $route = $request->route();
        if ($route instanceof Route) {
            foreach ($route->signatureParameters(Entity::class) as $parameter) {
                $missing = self::bind($route, $parameter);
                if ($missing !== null) {
                    $fallback = $route->getMissing();
                    if ($fallback === null) {
                        throw $missing;
                    }
                    return $fallback($request, $missing);
                }
            }
        }
        return $next($request);
    }

    /** Binds one parameter; answers the 404 to throw when its entity does not exist. */
    private static function bind(Route $route, \ReflectionParameter $parameter): ?NotFoundHttpException
    {
        $name = $parameter->getName();
        $key = $route->hasParameter($name) ? $name : Str::snake($name);
        $id = $route->parameter($key);
        if (!is_string($id)) {
            return null; // not in the URI, or bound already
        }
        /** @var class-string<Entity> $class */
        $class = $parameter->getType()->getName();
        $entity = $class::find($id);
        if ($entity === null) {
            return new NotFoundHttpException(sprintf('No %s with id %s.', Registry::entity($class)['name'], $id));
        }
        $route->setParameter($key, $entity);
        return null;
    }
}
