//! An entity's field values, kept together with their CBOR encoding.
//!
//! An [`Entity`] is immutable: it is built once per change (by the writer, or by replay,
//! through the same projection code) from a [`Draft`], and that is when its CBOR map is
//! encoded. Every read that answers with the entity then copies those bytes into the
//! response instead of serializing it again (see [`crate::cbor::answer`]).

use resident_protocol::Value;

use crate::cbor::answer::{self, Encoded};

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

    /// The fields, in their type's order.
    pub fn fields(&self) -> &[(String, Value)] {
        &self.fields
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

impl Encoded for Entity {
    fn encoded(&self) -> &[u8] {
        Entity::encoded(self)
    }

    fn to_value(&self) -> Value {
        Entity::to_value(self)
    }
}

fn get<'f>(fields: &'f [(String, Value)], name: &str) -> Option<&'f Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use resident_protocol::map;

    use super::*;
    use crate::cbor::answer::{decode, success, to_value, Field};
    use crate::state::projection::Table;

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

    fn account(id: &str, balance: i64, extra: Vec<(&str, Value)>) -> Entity {
        let mut d = Draft::default();
        d.set("uuid", Value::from(id));
        d.set("name", Value::from(format!("Account holder {id}")));
        d.set("balance", Value::from(balance));
        for (k, v) in extra {
            d.set(k, v);
        }
        d.finish()
    }

    /// Every kind of value an entity may hold, at sizes around each head boundary.
    fn variety() -> Vec<Entity> {
        let long = "é".repeat(200);
        vec![
            account("a", 0, vec![]),
            account("b", -1, vec![("rate", Value::Float(0.1))]),
            account("c", i64::MAX, vec![("rate", Value::Float(1.5))]),
            account(
                "d",
                i64::MIN,
                vec![("note", Value::Null), ("on", Value::Bool(true))],
            ),
            account("e", 23, vec![("long", Value::from(long.as_str()))]),
            account("f", 24, vec![("t", Value::from("x".repeat(70_000)))]),
            account(
                "g",
                255,
                vec![(
                    "tags",
                    Value::Array((0..300).map(|i| Value::from(format!("t{i}"))).collect()),
                )],
            ),
            account(
                "h",
                65_536,
                vec![(
                    "assoc",
                    Value::Map(vec![(Value::from("k"), Value::Array(vec![]))]),
                )],
            ),
        ]
    }

    fn plain_frame(id: u64, fields: &[(&'static str, Field<'_>)]) -> Vec<u8> {
        let mut entries = vec![("id", Value::from(id)), ("ok", Value::Bool(true))];
        entries.extend(fields.iter().map(|(k, v)| (*k, to_value(v))));
        resident_protocol::frame::encode(&map::build(entries))
    }

    /// The spliced frame must be byte for byte the frame ciborium writes from Values,
    /// and decode to the same Value.
    fn check(id: u64, fields: &[(&'static str, Field<'_>)]) {
        let spliced = success(id, fields);
        let plain = plain_frame(id, fields);
        assert_eq!(spliced, plain, "spliced and Value-built frames differ");
        let back: Value = ciborium::de::from_reader(&spliced[4..]).unwrap();
        assert_eq!(
            back,
            resident_protocol::frame::decode_body(&plain[4..]).unwrap()
        );
        let decoded = decode(fields);
        for ((k, f), (dk, dv)) in fields.iter().zip(&decoded) {
            assert_eq!(k, dk);
            assert_eq!(&to_value(f), dv);
        }
    }

    #[test]
    fn entities_encode_as_ciborium_encodes_their_values() {
        for e in variety() {
            let mut plain = Vec::new();
            ciborium::ser::into_writer(&e.to_value(), &mut plain).unwrap();
            assert_eq!(e.encoded(), plain);
        }
    }

    #[test]
    fn spliced_answers_equal_value_built_ones() {
        let entities = variety();
        let refs: Vec<&Entity> = entities.iter().collect();
        check(7, &[("entity", Field::entity(Some(refs[1])))]);
        check(u64::MAX, &[("entity", Field::Entity(None))]);
        check(
            300,
            &[
                ("entities", Field::rows(refs.iter().copied())),
                (
                    "next",
                    Field::Value(Value::Array(vec![Value::from(5), Value::from("k")])),
                ),
            ],
        );
        check(
            1,
            &[
                ("entities", Field::Rows(Vec::new())),
                ("next", Value::Null.into()),
            ],
        );
        check(
            70_000,
            &[
                ("version", Value::from(3).into()),
                ("state", Field::entity(Some(refs[6]))),
            ],
        );
        let commit_entities = Field::List(
            refs.iter()
                .map(|e| {
                    Field::Map(vec![
                        ("entity", Value::from("Account").into()),
                        ("id", Field::Value(e.get("uuid").unwrap().clone())),
                        ("state", Field::entity(Some(*e))),
                    ])
                })
                .chain([Field::Map(vec![("state", Field::Entity(None))])])
                .collect(),
        );
        check(
            2,
            &[
                ("position", Value::from(9).into()),
                ("entities", commit_entities),
            ],
        );
    }

    #[test]
    fn answers_are_built_up_to_their_limit_and_no_further() {
        let entities = variety();
        let mut table = Table::new();
        for e in &entities {
            let id = e.get("uuid").unwrap().as_text().unwrap();
            table.insert(Arc::from(id), Arc::new(e.clone()));
        }
        let event = Field::Encoded(encode(&Value::from("e".repeat(100))));
        let shapes = [
            vec![("entities", Field::Table(&table))],
            vec![("entities", Field::rows(entities.iter()))],
            vec![("events", Field::List(vec![event]))],
        ];
        for fields in shapes {
            let whole = success(9, &fields);
            let body = whole.len() - 4;
            assert_eq!(answer::success_within(9, &fields, body), Ok(whole));
            assert_eq!(
                answer::success_within(9, &fields, body - 1),
                Err(answer::TooLarge)
            );
        }
    }

    #[test]
    fn whole_tables_of_every_size_class_splice() {
        // Array heads change size at 24, 256 and 65,536 items.
        for n in [0usize, 1, 23, 24, 255, 256, 1000] {
            let mut table = Table::new();
            for i in 0..n {
                let id = format!("k{i:05}");
                table.insert(
                    Arc::from(id.as_str()),
                    Arc::new(account(&id, i as i64 * 1000 - 7, vec![])),
                );
            }
            check(n as u64, &[("entities", Field::Table(&table))]);
            let frame = success(1, &[("entities", Field::Table(&table))]);
            let back = resident_protocol::frame::decode_body(&frame[4..]).unwrap();
            let rows = map::get(&back, "entities").unwrap().as_array().unwrap();
            assert_eq!(rows.len(), n);
            if n > 0 {
                assert_eq!(
                    map::get_text(&rows[n - 1], "uuid"),
                    Some(&*format!("k{:05}", n - 1))
                );
            }
        }
    }
}
