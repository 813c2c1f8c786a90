//! One total order over stored values, shared by index keys, `order`, comparisons and
//! cursors.
//!
//! There is exactly one order because a query must answer the same whichever plan runs
//! it: an index walk and a plain scan agree only if every comparison they make is the
//! same comparison. Kinds sort as null < bool < number < string < array < map; ints and
//! floats are one kind, compared numerically and exactly (no rounding through f64), with
//! NaN above every other number and -0.0 equal to 0.0; strings compare bytewise (which for
//! UTF-8 is code point order); arrays and maps lexicographically.

use std::cmp::Ordering;
use std::ops::Bound;

use resident_protocol::Value;

/// The kinds of value, in the order they sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Null,
    Bool,
    Number,
    Text,
    Array,
    Map,
    /// Bytes and tags: never stored (the data model refuses them), but a total order
    /// must still place them somewhere.
    Other,
}

impl Class {
    pub fn of(value: &Value) -> Class {
        match value {
            Value::Null => Class::Null,
            Value::Bool(_) => Class::Bool,
            Value::Integer(_) | Value::Float(_) => Class::Number,
            Value::Text(_) => Class::Text,
            Value::Array(_) => Class::Array,
            Value::Map(_) => Class::Map,
            _ => Class::Other,
        }
    }

    /// The smallest value of this class: every value of the class is `>=` it and every
    /// value of an earlier class is `<` it. Lets an interval say "all numbers" with plain
    /// values as bounds.
    pub fn min_value(self) -> Value {
        match self {
            Class::Null => Value::Null,
            Class::Bool => Value::Bool(false),
            Class::Number => Value::Float(f64::NEG_INFINITY),
            Class::Text => Value::Text(String::new()),
            Class::Array => Value::Array(Vec::new()),
            Class::Map => Value::Map(Vec::new()),
            Class::Other => Value::Bytes(Vec::new()),
        }
    }

    fn next(self) -> Option<Class> {
        Some(match self {
            Class::Null => Class::Bool,
            Class::Bool => Class::Number,
            Class::Number => Class::Text,
            Class::Text => Class::Array,
            Class::Array => Class::Map,
            Class::Map => Class::Other,
            Class::Other => return None,
        })
    }

    /// The lower bound that starts this class.
    pub fn start(self) -> Bound<Value> {
        Bound::Included(self.min_value())
    }

    /// The upper bound that ends this class (just before the next class starts).
    pub fn end(self) -> Bound<Value> {
        match self.next() {
            Some(next) => Bound::Excluded(next.min_value()),
            None => Bound::Unbounded,
        }
    }
}

/// Compares two values in the total order.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    let (ca, cb) = (Class::of(a), Class::of(b));
    if ca != cb {
        return ca.cmp(&cb);
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Integer(x), Value::Integer(y)) => i128::from(*x).cmp(&i128::from(*y)),
        (Value::Integer(x), Value::Float(y)) => compare_int_float(i128::from(*x), *y),
        (Value::Float(x), Value::Integer(y)) => compare_int_float(i128::from(*y), *x).reverse(),
        (Value::Float(x), Value::Float(y)) => compare_floats(*x, *y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Array(x), Value::Array(y)) => compare_lists(x.iter(), y.iter(), compare),
        (Value::Map(x), Value::Map(y)) => compare_lists(x.iter(), y.iter(), |p, q| {
            compare(&p.0, &q.0).then_with(|| compare(&p.1, &q.1))
        }),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        // Null against null, and the never-stored odd kinds: equal.
        _ => Ordering::Equal,
    }
}

fn compare_lists<'a, T: 'a>(
    a: impl Iterator<Item = &'a T>,
    b: impl Iterator<Item = &'a T>,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Ordering {
    let mut b = b;
    for x in a {
        match b.next() {
            None => return Ordering::Greater,
            Some(y) => match cmp(x, y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
    if b.next().is_some() {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

/// NaN is above every other number and equal to itself, so the order is total; -0.0 and
/// 0.0 are equal, as they are numerically.
fn compare_floats(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Compares an integer with a float exactly. Converting the integer to f64 would round
/// (2^53 + 1 == 2^53 as floats) and make the order disagree with itself.
fn compare_int_float(i: i128, f: f64) -> Ordering {
    // CBOR integers lie within ±2^64, far inside this; floats beyond it are beyond any
    // integer we can meet.
    const BEYOND_ANY_INT: f64 = 1e30;
    if f.is_nan() || f >= BEYOND_ANY_INT {
        return Ordering::Less;
    }
    if f <= -BEYOND_ANY_INT {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // Exact: `whole` is an integer-valued float smaller than 2^100 in magnitude.
    let whole_int = whole as i128;
    match i.cmp(&whole_int) {
        Ordering::Equal => {
            let fraction = f - whole;
            if fraction > 0.0 {
                Ordering::Less
            } else if fraction < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    }
}

/// A value ordered by [`compare`], for use as an ordered-set key.
#[derive(Debug, Clone)]
pub struct Key(pub Value);

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Value {
        Value::from(i)
    }

    #[test]
    fn kinds_sort_null_bool_number_text_array_map() {
        let ascending = [
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Float(f64::NEG_INFINITY),
            int(i64::MIN),
            Value::Float(-1.5),
            int(-1),
            int(0),
            Value::Float(0.5),
            int(1),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NAN),
            Value::from(""),
            Value::from("A"),
            Value::from("a"),
            Value::from("ab"),
            Value::from("é"),
            Value::Array(vec![]),
            Value::Array(vec![int(1)]),
            Value::Array(vec![int(1), int(0)]),
            Value::Array(vec![int(2)]),
            Value::Map(vec![]),
            Value::Map(vec![(Value::from("a"), int(1))]),
        ];
        for (i, a) in ascending.iter().enumerate() {
            for (j, b) in ascending.iter().enumerate() {
                assert_eq!(compare(a, b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn ints_and_floats_compare_exactly() {
        assert_eq!(compare(&int(1), &Value::Float(1.0)), Ordering::Equal);
        assert_eq!(
            compare(&Value::Float(-0.0), &Value::Float(0.0)),
            Ordering::Equal
        );
        assert_eq!(compare(&int(0), &Value::Float(-0.0)), Ordering::Equal);
        // 2^53 + 1 is not representable as f64; a rounding comparison would call it equal.
        let big = (1i64 << 53) + 1;
        assert_eq!(
            compare(&int(big), &Value::Float((1i64 << 53) as f64)),
            Ordering::Greater
        );
        assert_eq!(
            compare(&int(i64::MAX), &Value::Float(9.3e18)),
            Ordering::Less
        );
        assert_eq!(compare(&int(-3), &Value::Float(-2.5)), Ordering::Less);
        assert_eq!(compare(&int(-2), &Value::Float(-2.5)), Ordering::Greater);
        assert_eq!(compare(&int(2), &Value::Float(1e300)), Ordering::Less);
        assert_eq!(compare(&int(2), &Value::Float(-1e300)), Ordering::Greater);
    }

    #[test]
    fn class_bounds_enclose_exactly_their_class() {
        let samples = [
            Value::Null,
            Value::Bool(true),
            int(5),
            Value::Float(f64::NAN),
            Value::Float(f64::NEG_INFINITY),
            Value::from(""),
            Value::from("z"),
            Value::Array(vec![]),
            Value::Map(vec![]),
        ];
        for class in [
            Class::Null,
            Class::Bool,
            Class::Number,
            Class::Text,
            Class::Array,
            Class::Map,
        ] {
            for v in &samples {
                let above_start = match class.start() {
                    Bound::Included(s) => compare(v, &s) != Ordering::Less,
                    _ => unreachable!(),
                };
                let below_end = match class.end() {
                    Bound::Excluded(e) => compare(v, &e) == Ordering::Less,
                    Bound::Unbounded => true,
                    Bound::Included(_) => unreachable!(),
                };
                assert_eq!(
                    above_start && below_end,
                    Class::of(v) == class,
                    "{v:?} in {class:?}"
                );
            }
        }
    }
}
