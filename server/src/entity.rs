//! An entity's field values.

use resident_protocol::Value;

/// The fields of one entity, in the order its type declares them, so answers list
/// fields the way the PHP class does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entity {
    fields: Vec<(String, Value)>,
}

impl Entity {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Replaces a field's value, or appends the field when the entity lacks it.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.fields.push((name.to_string(), value)),
        }
    }

    pub fn to_value(&self) -> Value {
        Value::Map(
            self.fields
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone()))
                .collect(),
        )
    }
}
