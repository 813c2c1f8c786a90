//! Whether one entity matches a query's filter.
//!
//! Comparisons use the total order of [`crate::state::order`] within a kind: a null field never
//! matches a comparison (nor `in`/`not_in`), and values of different kinds (possible only
//! in `mixed` fields) are unequal and unordered: `!=` and `not_in` match them, `<`, `>`
//! and the like do not. Index intervals are built from the same rules, so a row an index
//! walk skips is a row this would refuse.

use std::cmp::Ordering;

use resident_protocol::Value;

use crate::query::parse::{CmpOp, Filter};
use crate::state::entity::Entity;
use crate::state::index::field_value;
use crate::state::order::{compare, Class};

pub fn matches(filter: &Filter, entity: &Entity) -> bool {
    match filter {
        Filter::And(items) => items.iter().all(|f| matches(f, entity)),
        Filter::Or(items) => items.iter().any(|f| matches(f, entity)),
        Filter::Compare { field, op, value } => compares(field_value(entity, field), *op, value),
        Filter::Like { field, pattern } => match field_value(entity, field) {
            Value::Text(text) => pattern.matches(text),
            _ => false,
        },
        Filter::In {
            field,
            values,
            negated,
        } => {
            let v = field_value(entity, field);
            if v.is_null() {
                return false;
            }
            let found = values.binary_search_by(|x| compare(x, v)).is_ok();
            found != *negated
        }
        Filter::Null { field, negated } => field_value(entity, field).is_null() != *negated,
    }
}

/// `value op operand`, for a non-null scalar operand.
pub fn compares(value: &Value, op: CmpOp, operand: &Value) -> bool {
    if value.is_null() {
        return false;
    }
    if Class::of(value) != Class::of(operand) {
        return op == CmpOp::Ne;
    }
    let ord = compare(value, operand);
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::like::Pattern;

    fn row(entries: Vec<(&str, Value)>) -> Entity {
        let mut e = Entity::default();
        for (k, v) in entries {
            e.set(k, v);
        }
        e
    }

    fn cmp(field: &str, op: CmpOp, value: Value) -> Filter {
        Filter::Compare {
            field: field.into(),
            op,
            value,
        }
    }

    #[test]
    fn each_comparison_operator() {
        use CmpOp::*;
        let e = row(vec![("n", Value::from(5)), ("f", Value::Float(2.5))]);
        let table = [
            (Eq, 5, true),
            (Eq, 4, false),
            (Ne, 4, true),
            (Ne, 5, false),
            (Lt, 6, true),
            (Lt, 5, false),
            (Le, 5, true),
            (Le, 4, false),
            (Gt, 4, true),
            (Gt, 5, false),
            (Ge, 5, true),
            (Ge, 6, false),
        ];
        for (op, operand, expected) in table {
            assert_eq!(
                matches(&cmp("n", op, Value::from(operand)), &e),
                expected,
                "5 {} {operand}",
                op.symbol()
            );
        }
        assert!(matches(&cmp("n", Eq, Value::Float(5.0)), &e), "int = float");
        assert!(matches(&cmp("f", Gt, Value::from(2)), &e));
        assert!(matches(&cmp("f", Lt, Value::from(3)), &e));
    }

    #[test]
    fn strings_compare_bytewise() {
        let e = row(vec![("s", Value::from("Bob"))]);
        assert!(matches(&cmp("s", CmpOp::Gt, Value::from("Alice")), &e));
        assert!(matches(&cmp("s", CmpOp::Lt, Value::from("a")), &e), "B < a");
        assert!(matches(&cmp("s", CmpOp::Lt, Value::from("Bobby")), &e));
    }

    #[test]
    fn null_never_matches_a_comparison() {
        let e = row(vec![("n", Value::Null)]);
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            assert!(!matches(&cmp("n", op, Value::from(1)), &e));
            assert!(!matches(&cmp("missing", op, Value::from(1)), &e));
        }
        let in_list = |negated| Filter::In {
            field: "n".into(),
            values: vec![Value::from(1)],
            negated,
        };
        assert!(!matches(&in_list(false), &e));
        assert!(!matches(&in_list(true), &e));
        let null = |negated| Filter::Null {
            field: "n".into(),
            negated,
        };
        assert!(matches(&null(false), &e));
        assert!(!matches(&null(true), &e));
        assert!(matches(
            &Filter::Null {
                field: "missing".into(),
                negated: false
            },
            &e
        ));
    }

    #[test]
    fn different_kinds_are_only_unequal() {
        let e = row(vec![("m", Value::from("5"))]);
        assert!(matches(&cmp("m", CmpOp::Ne, Value::from(5)), &e));
        for op in [CmpOp::Eq, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge] {
            assert!(!matches(&cmp("m", op, Value::from(5)), &e));
        }
    }

    #[test]
    fn in_not_in_like_and_groups() {
        let e = row(vec![("n", Value::from(3)), ("s", Value::from("Alice"))]);
        let mut values = vec![Value::from(4), Value::Float(3.0), Value::from(1)];
        values.sort_by(compare);
        let in_list = |negated| Filter::In {
            field: "n".into(),
            values: values.clone(),
            negated,
        };
        assert!(matches(&in_list(false), &e));
        assert!(!matches(&in_list(true), &e));
        let like = |p: &str| Filter::Like {
            field: "s".into(),
            pattern: Pattern::parse(p),
        };
        assert!(matches(&like("Al%"), &e));
        assert!(!matches(&like("al%"), &e));
        assert!(!matches(
            &Filter::Like {
                field: "n".into(),
                pattern: Pattern::parse("%")
            },
            &e
        ));
        let yes = cmp("n", CmpOp::Eq, Value::from(3));
        let no = cmp("n", CmpOp::Eq, Value::from(4));
        assert!(matches(&Filter::And(vec![yes.clone(), like("A%")]), &e));
        assert!(!matches(&Filter::And(vec![yes.clone(), no.clone()]), &e));
        assert!(matches(&Filter::Or(vec![no.clone(), yes]), &e));
        assert!(!matches(&Filter::Or(vec![no]), &e));
        assert!(matches(&Filter::And(vec![]), &e));
        assert!(!matches(&Filter::Or(vec![]), &e));
    }
}
