//! What a stored value may be, and the arithmetic the projection rules do on values.
//!
//! Entity fields and event data hold null, bool, i64, f64, text, and arrays (or, for
//! PHP's associative arrays, text-keyed maps) of these. Keeping that set closed is what
//! lets every client decode every state.

use resident_protocol::{Value, VALUE_DEPTH_MAX};

/// A short name for a value's kind, for error messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Integer(i) if i64::try_from(*i).is_ok() => "int",
        Value::Integer(_) => "an integer outside the i64 range",
        Value::Float(_) => "float",
        Value::Text(_) => "string",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::Bytes(_) => "bytes",
        Value::Tag(..) => "a tagged value",
        _ => "an unknown kind of value",
    }
}

/// True for the values the data model allows, at any depth.
pub fn is_plain(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::Float(_) | Value::Text(_) => true,
        Value::Integer(i) => i64::try_from(*i).is_ok(),
        Value::Array(items) => items.iter().all(is_plain),
        Value::Map(entries) => entries.iter().all(|(k, v)| k.is_text() && is_plain(v)),
        _ => false,
    }
}

/// Why a value about to be stored could not be read back by every client: a kind
/// outside the data model, nesting deeper than [`VALUE_DEPTH_MAX`], or a float that is
/// NaN or infinite (JSON, and so PHP's pagination cursors, have no such numbers).
/// `None` when it can be stored.
pub fn unstorable(value: &Value) -> Option<String> {
    match check_storable(value, VALUE_DEPTH_MAX) {
        Ok(()) => None,
        Err(Unstorable::Kind(kind)) => Some(format!(
            "must be null, bool, int, float, text or an array of these, got {kind}"
        )),
        Err(Unstorable::Deep) => Some(format!(
            "nests arrays and maps deeper than {VALUE_DEPTH_MAX} levels (the most a stored \
             value may have)"
        )),
        Err(Unstorable::NotFinite(f)) => Some(format!(
            "holds the float {f}; NaN and infinite floats are not stored"
        )),
    }
}

enum Unstorable {
    Kind(&'static str),
    Deep,
    NotFinite(f64),
}

/// Checks `value` with `levels` more levels of arrays and maps allowed below it.
fn check_storable(value: &Value, levels: usize) -> Result<(), Unstorable> {
    let below = |levels: usize| levels.checked_sub(1).ok_or(Unstorable::Deep);
    match value {
        Value::Float(f) if !f.is_finite() => Err(Unstorable::NotFinite(*f)),
        Value::Array(items) => {
            let levels = below(levels)?;
            items.iter().try_for_each(|v| check_storable(v, levels))
        }
        Value::Map(entries) => {
            let levels = below(levels)?;
            entries.iter().try_for_each(|(k, v)| match k {
                Value::Text(_) => check_storable(v, levels),
                _ => Err(Unstorable::Kind("a map with keys that are not text")),
            })
        }
        _ if is_plain(value) => Ok(()),
        other => Err(Unstorable::Kind(kind(other))),
    }
}

pub fn as_i64(value: &Value) -> Option<i64> {
    value.as_integer().and_then(|i| i64::try_from(i).ok())
}

/// A number taken from a value, keeping ints exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn of(value: &Value) -> Option<Number> {
        match value {
            Value::Float(f) => Some(Number::Float(*f)),
            _ => as_i64(value).map(Number::Int),
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            Number::Int(i) => Value::from(i),
            Number::Float(f) => Value::Float(f),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// Int + int stays int and refuses to overflow; anything with a float is a float.
    pub fn plus(self, other: Number) -> Result<Number, String> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a
                .checked_add(b)
                .map(Number::Int)
                .ok_or_else(|| format!("{a} + {b} overflows int")),
            (a, b) => Ok(Number::Float(a.as_f64() + b.as_f64())),
        }
    }

    pub fn minus(self, other: Number) -> Result<Number, String> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a
                .checked_sub(b)
                .map(Number::Int)
                .ok_or_else(|| format!("{a} - {b} overflows int")),
            (a, b) => Ok(Number::Float(a.as_f64() - b.as_f64())),
        }
    }

    /// True when `self` is less than `other`, comparing ints exactly.
    pub fn less_than(self, other: Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a < b,
            (a, b) => a.as_f64() < b.as_f64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_arithmetic_is_checked() {
        assert_eq!(Number::Int(2).plus(Number::Int(3)), Ok(Number::Int(5)));
        assert!(Number::Int(i64::MAX).plus(Number::Int(1)).is_err());
        assert!(Number::Int(i64::MIN).minus(Number::Int(1)).is_err());
        assert_eq!(
            Number::Int(1).plus(Number::Float(0.5)),
            Ok(Number::Float(1.5))
        );
    }

    #[test]
    fn storable_values() {
        let nested = |levels: usize| (0..levels).fold(Value::from(1), |v, _| Value::Array(vec![v]));
        assert_eq!(unstorable(&nested(VALUE_DEPTH_MAX)), None);
        let deep = unstorable(&nested(VALUE_DEPTH_MAX + 1)).unwrap();
        assert!(deep.contains("deeper than 32"), "{deep}");
        let nan = Value::Map(vec![(Value::from("k"), Value::Float(f64::NAN))]);
        assert!(unstorable(&nan).unwrap().contains("NaN"));
        assert!(unstorable(&Value::Float(f64::NEG_INFINITY)).is_some());
        assert_eq!(unstorable(&Value::Float(-0.0)), None);
        let bytes = Value::Array(vec![Value::Bytes(vec![1])]);
        assert!(unstorable(&bytes).unwrap().ends_with("got bytes"));
        let int_keys = Value::Map(vec![(Value::from(1), Value::Null)]);
        assert!(unstorable(&int_keys)
            .unwrap()
            .contains("keys that are not text"));
    }

    #[test]
    fn plain_values() {
        assert!(is_plain(&Value::Array(vec![
            Value::from(1),
            Value::from("a")
        ])));
        assert!(!is_plain(&Value::Bytes(vec![1])));
        assert!(!is_plain(&Value::Integer(u64::MAX.into())));
        assert!(!is_plain(&Value::Map(vec![(
            Value::from(1),
            Value::from(1)
        )])));
    }
}
