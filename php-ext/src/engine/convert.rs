//! PHP values ⇄ CBOR values.
//!
//! PHP → CBOR accepts only what the wire carries (scalars, null, lists, string-keyed
//! arrays, backed enums as their value) and names the offending property otherwise, so a
//! mistake in an event class is reported where it is made, not as a server error.

use ext_php_rs::flags::ClassFlags;
use ext_php_rs::types::{ArrayKey, ZendHashTable, Zval};
use resident_protocol::Value;

use crate::client::failure::Problem;
use crate::engine::objects;

/// Converts `zv`; `path` names it in error messages (e.g. `AccountOpened::$name`).
pub fn to_cbor(zv: &Zval, path: &str) -> Result<Value, Problem> {
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
        return Ok(Value::Float(f));
    }
    if zv.is_string() {
        return match zv.str() {
            Some(s) => Ok(Value::Text(s.to_owned())),
            None => Err(Problem::bad_request(format!(
                "{path} holds a string that is not valid UTF-8; Resident stores text only"
            ))),
        };
    }
    if let Some(ht) = zv.array() {
        return array_to_cbor(ht, path);
    }
    if let Some(obj) = zv.object() {
        let ce = obj.get_class_entry();
        if ce.flags().contains(ClassFlags::Enum) {
            if let Some(value) = objects::read_public(obj, "value") {
                return to_cbor(value, path);
            }
        }
        let class = obj.get_class_name().unwrap_or_default();
        return Err(Problem::bad_request(format!(
            "{path} holds an object of class {class}; Resident stores scalars, arrays and \
             backed enums only"
        )));
    }
    Err(Problem::bad_request(format!(
        "{path} holds a {:?}; Resident stores scalars, arrays and backed enums only",
        zv.get_type()
    )))
}

pub fn array_to_cbor(ht: &ZendHashTable, path: &str) -> Result<Value, Problem> {
    if ht.has_sequential_keys() {
        let items = ht
            .values()
            .enumerate()
            .map(|(i, v)| to_cbor(v, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()?;
        return Ok(Value::Array(items));
    }
    let mut entries = Vec::with_capacity(ht.len());
    for (key, v) in ht.iter() {
        let label = key.to_string();
        let k = match key {
            ArrayKey::Long(i) => Value::from(i),
            _ => Value::Text(label.clone()),
        };
        entries.push((k, to_cbor(v, &format!("{path}[{label}]"))?));
    }
    Ok(Value::Map(entries))
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
