//! An entity's field values, kept together with their CBOR encoding.
//!
//! An [`Entity`] is immutable: it is built once per change (by the writer, or by replay,
//! through the same projection code) from a [`Draft`], and that is when its CBOR map is
//! encoded. Every read that answers with the entity then copies those bytes into the
//! response instead of serializing it again (see [`crate::answer`]).

use resident_protocol::Value;

use crate::answer;

/// The fields of one entity, in the order its type declares them, so answers list
/// fields the way the PHP class does; and the CBOR map of exactly those fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    fields: Vec<(String, Value)>,
    /// `fields` as one CBOR map, as ciborium would encode [`Entity::to_value`].
    encoded: Box<[u8]>,
}

impl Entity {
    pub fn get(&self, name: &str) -> Option<&Value> {
        get(&self.fields, name)
    }

    /// The CBOR map of the fields, ready to be spliced into an answer.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// Changes one field and encodes the entity again. For one-off changes; the
    /// projection gathers all of an event's changes in a [`Draft`] and encodes once.
    pub fn set(&mut self, name: &str, value: Value) {
        let mut draft = Draft {
            fields: std::mem::take(&mut self.fields),
        };
        draft.set(name, value);
        *self = draft.finish();
    }

    /// The entity whose CBOR map is `encoded`, as [`Entity::encoded`] gave it: for
    /// snapshots, which store entities as their bytes and so need not encode them again.
    pub fn from_encoded(encoded: &[u8]) -> Result<Entity, String> {
        let value: Value = ciborium::de::from_reader(encoded).map_err(|e| e.to_string())?;
        let Value::Map(entries) = value else {
            return Err("an entity is not a CBOR map".to_string());
        };
        let fields = entries
            .into_iter()
            .map(|(k, v)| match k {
                Value::Text(k) => Ok((k, v)),
                other => Err(format!("an entity field name is not text: {other:?}")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Entity {
            fields,
            encoded: encoded.into(),
        })
    }

    /// A mutable copy of the fields, to build the entity's next version from.
    pub fn draft(&self) -> Draft {
        Draft {
            fields: self.fields.clone(),
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

/// An entity being built or changed; [`Draft::finish`] encodes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    fields: Vec<(String, Value)>,
}

impl Draft {
    pub fn get(&self, name: &str) -> Option<&Value> {
        get(&self.fields, name)
    }

    /// Replaces a field's value, or appends the field when the entity lacks it.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.fields.push((name.to_string(), value)),
        }
    }

    /// The finished entity, encoded once here rather than on every read.
    pub fn finish(self) -> Entity {
        let encoded = answer::encode_fields(&self.fields).into_boxed_slice();
        Entity {
            fields: self.fields,
            encoded,
        }
    }
}

impl Default for Entity {
    /// No fields: an empty map.
    fn default() -> Self {
        Draft::default().finish()
    }
}

fn get<'f>(fields: &'f [(String, Value)], name: &str) -> Option<&'f Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(value, &mut out).unwrap();
        out
    }

    #[test]
    fn the_encoding_is_ciborium_s_and_follows_every_change() {
        let mut draft = Draft::default();
        draft.set("uuid", Value::from("a"));
        draft.set("balance", Value::from(0));
        let first = draft.clone().finish();
        assert_eq!(first.encoded(), encode(&first.to_value()));
        let mut next = first.draft();
        next.set("balance", Value::from(-70_000));
        next.set("tags", Value::Array(vec![Value::from("vip")]));
        let next = next.finish();
        assert_eq!(next.encoded(), encode(&next.to_value()));
        assert_eq!(first.get("balance"), Some(&Value::from(0)), "unchanged");
        assert_ne!(first.encoded(), next.encoded());
        let mut changed = next.clone();
        changed.set("name", Value::from("x"));
        assert_eq!(changed.encoded(), encode(&changed.to_value()));
        assert_eq!(Entity::default().encoded(), encode(&Value::Map(vec![])));
        assert_eq!(Entity::from_encoded(changed.encoded()), Ok(changed));
        assert!(Entity::from_encoded(&encode(&Value::from(1))).is_err());
    }
}
