<?php

declare(strict_types=1);

namespace Resident\Query;

use Resident\Exception\QueryException;

/** A comparison a query filter may make, as the wire spells it (PROTOCOL.md, `query`). */
enum Operator: string
{
    case Equal = '=';
    case NotEqual = '!=';
    case Less = '<';
    case LessOrEqual = '<=';
    case Greater = '>';
    case GreaterOrEqual = '>=';
    case Like = 'like';
    case In = 'in';
    case NotIn = 'not_in';
    case IsNull = 'null';
    case IsNotNull = 'not_null';

    /** What where() accepts, as users write it. */
    public const WRITTEN = ['=', '!=', '<', '<=', '>', '>=', 'like', 'in', 'not in'];

    /** @param string $field named in the message when the operator is unknown */
    public static function parse(string $operator, string $class, string $field): self
    {
        $written = strtolower((string) preg_replace('/\s+/', ' ', trim($operator)));
        return match ($written) {
            '=', '==' => self::Equal,
            '!=', '<>' => self::NotEqual,
            '<' => self::Less,
            '<=' => self::LessOrEqual,
            '>' => self::Greater,
            '>=' => self::GreaterOrEqual,
            'like' => self::Like,
            'in' => self::In,
            'not in', 'not_in' => self::NotIn,
            default => throw new QueryException(sprintf(
                'Unknown operator "%s" in the condition on %s::$%s; use one of %s.',
                $operator,
                $class,
                $field,
                implode(', ', self::WRITTEN),
            )),
        };
    }

    /** True for the operators that order values (<, <=, >, >=). */
    public function isRange(): bool
    {
        return match ($this) {
            self::Less, self::LessOrEqual, self::Greater, self::GreaterOrEqual => true,
            default => false,
        };
    }
}
