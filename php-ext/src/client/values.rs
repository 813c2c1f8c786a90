//! What a PHP value sent to residentd may be, and the messages that refuse the rest.
//!
//! `engine/convert.rs` walks the PHP value; the decisions and the texts are here, free of
//! Zend symbols, so they are unit-tested. A value to be stored (an event property) must be
//! one the server stores and every client can read back: nested at most
//! [`VALUE_DEPTH_MAX`] levels, finite floats, lists or text-keyed maps. Everything is
//! refused before anything is sent, naming the property, so a mistake is reported where it
//! is made and not as a server error (or, for a recursive array, a crash).

use std::fmt;

use resident_protocol::{Value, VALUE_DEPTH_MAX};

use crate::client::cbor;
use crate::client::failure::Problem;

/// What a walk enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Deepest nesting of arrays (an array is one level, an array in it two, …).
    pub depth_max: usize,
    /// A value to store: floats must be finite and arrays lists or text-keyed maps.
    pub stored: bool,
}

impl Rules {
    /// An event property: what the server stores.
    pub const STORED: Rules = Rules {
        depth_max: VALUE_DEPTH_MAX,
        stored: true,
    };

    /// Anything else sent (a query spec, php-lib's schema answers): bounded only so that
    /// walking a recursive or absurdly deep array cannot overflow the stack; the server
    /// checks the rest.
    pub const ARGUMENT: Rules = Rules {
        depth_max: cbor::DEPTH_MAX,
        stored: false,
    };

    /// The depth inside an array entered at `depth`, or the refusal past the limit.
    pub fn enter(&self, depth: usize, path: &Path<'_>) -> Result<usize, Problem> {
        if depth < self.depth_max {
            return Ok(depth + 1);
        }
        let root = path.root();
        let max = self.depth_max;
        Err(Problem::bad_request(if self.stored {
            format!(
                "{root} nests arrays more than {max} levels deep; Resident stores values \
                 nested at most {max} levels (VALUE_DEPTH_MAX): flatten it, or store the \
                 deep part as a JSON string"
            )
        } else {
            format!("{root} nests arrays more than {max} levels deep: make it flatter")
        }))
    }

    pub fn float(&self, f: f64, path: &Path<'_>) -> Result<Value, Problem> {
        if self.stored && !f.is_finite() {
            let name = match f {
                f if f.is_nan() => "NAN",
                f if f > 0.0 => "INF",
                _ => "-INF",
            };
            return Err(Problem::bad_request(format!(
                "{path} is {name}; Resident stores finite numbers only: check the computation \
                 that made it (fdiv() by zero, log(0), sqrt(-1), …), or store null"
            )));
        }
        Ok(Value::Float(f))
    }

    /// The value of an array from its entries in order: a list when the keys are 0, 1, 2,
    /// … in order (or there are none), else a map. A map to store must have text keys.
    pub fn array(&self, entries: Vec<(Key, Value)>, path: &Path<'_>) -> Result<Value, Problem> {
        let is_list = entries
            .iter()
            .enumerate()
            .all(|(i, (k, _))| matches!(k, Key::Int(n) if usize::try_from(*n) == Ok(i)));
        if is_list {
            return Ok(Value::Array(entries.into_iter().map(|(_, v)| v).collect()));
        }
        if self.stored && entries.iter().any(|(k, _)| matches!(k, Key::Int(_))) {
            return Err(Problem::bad_request(format!(
                "{path} is an array with non-sequential integer keys (as array_filter() or \
                 unset() leave them), which Resident cannot store: use array_values() for a \
                 list, or string keys for a map"
            )));
        }
        Ok(Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into_value(), v))
                .collect(),
        ))
    }
}

/// A PHP array key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Int(i64),
    Text(String),
}

impl Key {
    fn into_value(self) -> Value {
        match self {
            Key::Int(i) => Value::from(i),
            Key::Text(s) => Value::Text(s),
        }
    }
}

/// A string (`what`: "a string" or "a key") that is not UTF-8.
pub fn not_utf8(path: &Path<'_>, what: &str) -> Problem {
    Problem::bad_request(format!(
        "{path} holds {what} that is not valid UTF-8; Resident stores text only: convert it \
         with mb_convert_encoding(), or base64_encode() binary data"
    ))
}

/// An array that contains itself (`$a[] = &$a`): found before the depth limit when it
/// is the same array again, which is the usual case.
pub fn recursive(path: &Path<'_>) -> Problem {
    Problem::bad_request(format!(
        "{} holds a recursive array (it contains a reference to itself, as after \
         $a[] = &$a); Resident stores plain values: copy the data without the reference",
        path.root()
    ))
}

/// `bytes` as text, with each byte that is not part of valid UTF-8 written `\xNN`.
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Where a value sits, for messages: `App\Opened::$tags[2][name]`. A chain on the stack
/// of the walk, formatted only when something is refused.
#[derive(Debug, Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Root(&'a str),
    Index(i64),
    /// A string key's bytes, which may not be UTF-8.
    Key(&'a [u8]),
}

impl<'a> Path<'a> {
    pub fn new(name: &'a str) -> Self {
        Path {
            parent: None,
            step: Step::Root(name),
        }
    }

    pub fn index(&'a self, i: i64) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Index(i),
        }
    }

    pub fn key(&'a self, key: &'a [u8]) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Key(key),
        }
    }

    /// The name the walk started from (the property), without the steps inside it.
    pub fn root(&self) -> &'a str {
        match (self.parent, self.step) {
            (Some(parent), _) => parent.root(),
            (None, Step::Root(name)) => name,
            (None, _) => "the value",
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}")?;
        }
        match self.step {
            Step::Root(name) => f.write_str(name),
            Step::Index(i) => write!(f, "[{i}]"),
            Step::Key(bytes) => write!(f, "[{}]", escaped(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "App\\NoteAttached::$note";

    #[test]
    fn paths_name_the_property_and_the_way_in() {
        let root = Path::new(NOTE);
        let a = root.key(b"a");
        let bad = a.key(b"k\xff\xfe!");
        let second = bad.index(2);
        assert_eq!(second.to_string(), format!("{NOTE}[a][k\\xff\\xfe!][2]"));
        assert_eq!(second.root(), NOTE);
    }

    #[test]
    fn stored_values_nest_at_most_value_depth_max_levels() {
        let root = Path::new(NOTE);
        let rules = Rules::STORED;
        let mut depth = 0;
        for _ in 0..VALUE_DEPTH_MAX {
            depth = rules.enter(depth, &root).unwrap();
        }
        assert_eq!(depth, 32);
        let inner = root.index(0);
        let p = rules.enter(depth, &inner).unwrap_err();
        assert_eq!(p.code, "bad_request");
        assert!(
            p.message.starts_with(&format!(
                "{NOTE} nests arrays more than 32 levels deep; Resident stores values nested at \
                 most 32 levels (VALUE_DEPTH_MAX)"
            )),
            "{}",
            p.message
        );
        // Arguments (a query spec) only get the guard against runaway recursion.
        assert_eq!(Rules::ARGUMENT.enter(32, &root), Ok(33));
        assert!(Rules::ARGUMENT.enter(cbor::DEPTH_MAX, &root).is_err());
    }

    #[test]
    fn stored_floats_are_finite() {
        let at = Path::new(NOTE);
        let at = at.key(b"ratio");
        for (f, name) in [
            (f64::NAN, "NAN"),
            (f64::INFINITY, "INF"),
            (f64::NEG_INFINITY, "-INF"),
        ] {
            let p = Rules::STORED.float(f, &at).unwrap_err();
            assert!(
                p.message.starts_with(&format!("{NOTE}[ratio] is {name}; ")),
                "{}",
                p.message
            );
            assert!(Rules::ARGUMENT.float(f, &at).is_ok());
        }
        assert_eq!(Rules::STORED.float(-0.5, &at), Ok(Value::Float(-0.5)));
    }

    fn entries(keys: &[Key]) -> Vec<(Key, Value)> {
        keys.iter()
            .cloned()
            .zip((0..).map(Value::from))
            .collect::<Vec<_>>()
    }

    #[test]
    fn arrays_keyed_0_1_2_in_order_are_lists() {
        let root = Path::new(NOTE);
        let list = entries(&[Key::Int(0), Key::Int(1), Key::Int(2)]);
        assert_eq!(
            Rules::STORED.array(list, &root),
            Ok(Value::Array(vec![0.into(), 1.into(), 2.into()]))
        );
        assert_eq!(Rules::STORED.array(vec![], &root), Ok(Value::Array(vec![])));
        let map = entries(&[Key::Text("a".into()), Key::Text("b".into())]);
        assert_eq!(
            Rules::STORED.array(map, &root),
            Ok(Value::Map(vec![
                (Value::from("a"), 0.into()),
                (Value::from("b"), 1.into())
            ]))
        );
    }

    #[test]
    fn stored_maps_refuse_integer_keys_and_say_what_to_do() {
        let root = Path::new(NOTE);
        for keys in [
            vec![Key::Int(1), Key::Int(2)],           // array_filter()
            vec![Key::Int(1), Key::Int(0)],           // out of order
            vec![Key::Int(0), Key::Text("x".into())], // mixed
            vec![Key::Text("x".into()), Key::Int(0)], // mixed
        ] {
            let p = Rules::STORED.array(entries(&keys), &root).unwrap_err();
            assert!(
                p.message.contains("non-sequential integer keys")
                    && p.message.contains("array_values()"),
                "{}",
                p.message
            );
        }
        // Not stored: sent as a map with integer keys.
        assert_eq!(
            Rules::ARGUMENT.array(entries(&[Key::Int(5)]), &root),
            Ok(Value::Map(vec![(Value::from(5), 0.into())]))
        );
    }

    #[test]
    fn recursion_and_bad_text_name_the_property() {
        let root = Path::new(NOTE);
        let inner = root.index(1);
        let p = recursive(&inner);
        assert!(
            p.message
                .starts_with(&format!("{NOTE} holds a recursive array")),
            "{}",
            p.message
        );
        let p = not_utf8(&inner, "a key");
        assert!(
            p.message
                .starts_with(&format!("{NOTE}[1] holds a key that is not valid UTF-8")),
            "{}",
            p.message
        );
    }
}
