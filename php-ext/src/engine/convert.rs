//! PHP values ⇄ CBOR values.
//!
//! PHP → CBOR accepts only what the wire carries (scalars, null, lists, string-keyed
//! arrays, backed enums as their value) under the [`Rules`] of `client/values.rs`, and
//! names the offending property otherwise, so a mistake in an event class is reported
//! where it is made, not as a server error. The walk never recurses deeper than the
//! rules allow and refuses an array that contains itself, so no PHP value can overflow
//! the stack; a key that is not UTF-8 is refused (ext-php-rs's own iterators panic).

use ext_php_rs::flags::ClassFlags;
use ext_php_rs::types::{ZendHashTable, Zval};
use resident_protocol::Value;

use crate::client::failure::Problem;
use crate::client::values::{self, Key, Path, Rules};
use crate::engine::objects;

/// Converts `zv` under `rules`; `name` names it in messages (e.g. `App\AccountOpened::$name`).
pub fn to_cbor(zv: &Zval, name: &str, rules: Rules) -> Result<Value, Problem> {
    Walk::new(rules).value(zv, &Path::new(name), 0)
}

/// [`to_cbor`] of an array.
pub fn array_to_cbor(ht: &ZendHashTable, name: &str, rules: Rules) -> Result<Value, Problem> {
    Walk::new(rules).array(ht, &Path::new(name), 0)
}

struct Walk {
    rules: Rules,
    /// The arrays being converted, outermost first: one met again contains itself.
    open: Vec<*const ZendHashTable>,
}

impl Walk {
    fn new(rules: Rules) -> Self {
        Walk {
            rules,
            open: Vec::new(),
        }
    }

    /// The value of `zv`, found at `path` inside `depth` arrays.
    fn value(&mut self, zv: &Zval, path: &Path<'_>, depth: usize) -> Result<Value, Problem> {
        let zv = zv.dereference();
        let zv = zv.indirect().unwrap_or(zv);
        if zv.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = zv.bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(i) = zv.long() {
            return Ok(Value::from(i));
        }
        if let Some(f) = zv.double() {
            return self.rules.float(f, path);
        }
        if let Some(s) = zv.zend_str() {
            return match s.as_str() {
                Ok(s) => Ok(Value::Text(s.to_owned())),
                Err(_) => Err(values::not_utf8(path, "a string")),
            };
        }
        if let Some(ht) = zv.array() {
            return self.array(ht, path, depth);
        }
        if let Some(obj) = zv.object() {
            let ce = obj.get_class_entry();
            if ce.flags().contains(ClassFlags::Enum) {
                if let Some(value) = objects::read_public(obj, "value") {
                    return self.value(value, path, depth);
                }
            }
            let class = obj.get_class_name().unwrap_or_default();
            return Err(Problem::bad_request(format!(
                "{path} holds an object of class {class}; Resident stores scalars, arrays and \
                 backed enums only: convert it first (e.g. $date->format(DATE_ATOM), or an \
                 array of its fields)"
            )));
        }
        Err(Problem::bad_request(format!(
            "{path} holds a {:?}; Resident stores scalars, arrays and backed enums only: store \
             what it refers to (a path, an id) instead",
            zv.get_type()
        )))
    }

    fn array(
        &mut self,
        ht: &ZendHashTable,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Value, Problem> {
        let depth = self.rules.enter(depth, path)?;
        let this = std::ptr::from_ref(ht);
        if self.open.contains(&this) {
            return Err(values::recursive(path));
        }
        self.open.push(this);
        let entries = self.entries(ht, path, depth);
        self.open.pop();
        self.rules.array(entries?, path)
    }

    /// The keys and converted values of `ht`, in order.
    fn entries(
        &mut self,
        ht: &ZendHashTable,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Vec<(Key, Value)>, Problem> {
        let mut entries = Vec::with_capacity(ht.len());
        for (key, v) in objects::entries(ht) {
            let entry = match (key.long(), key.zend_str()) {
                (Some(i), _) => (Key::Int(i), self.value(v, &path.index(i), depth)?),
                (None, Some(k)) => {
                    let text = k.as_str().map_err(|_| values::not_utf8(path, "a key"))?;
                    (
                        Key::Text(text.to_owned()),
                        self.value(v, &path.key(k.as_bytes()), depth)?,
                    )
                }
                // The engine only has integer and string keys.
                (None, None) => continue,
            };
            entries.push(entry);
        }
        Ok(entries)
    }
}

/// Converts a CBOR value into a PHP value: maps become arrays (objects are made only by
/// hydration, which knows the class).
pub fn to_zval(v: &Value) -> Zval {
    let mut zv = Zval::new();
    match v {
        Value::Null => zv.set_null(),
        Value::Bool(b) => zv.set_bool(*b),
        Value::Integer(i) => match i64::try_from(*i) {
            Ok(i) => zv.set_long(i),
            // PHP has no integer this large; a float is the closest it can hold.
            Err(_) => zv.set_double(i128::from(*i) as f64),
        },
        Value::Float(f) => zv.set_double(*f),
        Value::Text(s) => {
            let _ = zv.set_string(s, false);
        }
        Value::Bytes(b) => zv.set_binary(b.clone()),
        Value::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(items.len() as u32);
            for item in items {
                let _ = ht.push(to_zval(item));
            }
            zv.set_hashtable(ht);
        }
        Value::Map(entries) => {
            let mut ht = ZendHashTable::with_capacity(entries.len() as u32);
            for (k, item) in entries {
                let item = to_zval(item);
                let _ = match k {
                    Value::Text(s) => ht.insert(s.as_str(), item),
                    Value::Integer(i) => {
                        ht.insert_at_index(i64::try_from(*i).unwrap_or(i64::MAX), item)
                    }
                    _ => Ok(()),
                };
            }
            zv.set_hashtable(ht);
        }
        Value::Tag(_, inner) => return to_zval(inner),
        _ => zv.set_null(),
    }
    zv
}
