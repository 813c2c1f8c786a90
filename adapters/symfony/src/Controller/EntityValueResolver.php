<?php

declare(strict_types=1);

namespace Resident\Bundle\Controller;

use Resident\Entity;
use Resident\Schema\Registry;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpKernel\Controller\ArgumentValueResolverInterface;
use Symfony\Component\HttpKernel\ControllerMetadata\ArgumentMetadata;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;

/**
 * A controller argument typed with an Entity class (`Account $account`) whose route has a
 * placeholder of the same name (`{account}`) gets the entity with that id, read from
 * residentd; an unknown id is a 404.
 */
final class EntityValueResolver implements ArgumentValueResolverInterface
{
    public function supports(Request $request, ArgumentMetadata $argument): bool
    {
        $type = $argument->getType();
        return $type !== null
            && is_subclass_of($type, Entity::class)
            && is_string($request->attributes->get($argument->getName()));
    }

    /** @return iterable<Entity> */
    public function resolve(Request $request, ArgumentMetadata $argument): iterable
    {
        /** @var class-string<Entity> $class */
        $class = $argument->getType();
        $id = (string) $request->attributes->get($argument->getName());
        yield $class::find($id) ?? throw new NotFoundHttpException(sprintf('No %s with id %s.', Registry::entity($class)['name'], $id));
    }
}
