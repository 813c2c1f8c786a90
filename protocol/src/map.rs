//! Small helpers for the CBOR maps with text keys that every message is.

use ciborium::Value;

/// Builds a map with text keys, in the given order.
pub fn build(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

/// Looks a text key up in a map; `None` for a missing key or a value that is not a map.
pub fn get<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    match map {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The text under `key`, if it is text.
pub fn get_text<'a>(map: &'a Value, key: &str) -> Option<&'a str> {
    get(map, key).and_then(Value::as_text)
}

/// The integer under `key`, if it is an integer that fits an i64.
pub fn get_i64(map: &Value, key: &str) -> Option<i64> {
    get(map, key)
        .and_then(Value::as_integer)
        .and_then(|i| i64::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let m = build(vec![("a", Value::from("x")), ("b", Value::from(3))]);
        assert_eq!(get_text(&m, "a"), Some("x"));
        assert_eq!(get_i64(&m, "b"), Some(3));
        assert_eq!(get_text(&m, "b"), None);
        assert!(get(&m, "c").is_none());
        assert!(get(&Value::from(1), "a").is_none());
    }
}
