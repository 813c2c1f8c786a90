//! Answer frames, assembled from bytes: the one place that writes CBOR by hand.
//!
//! Each entity keeps its CBOR map ready-encoded ([`Entity::encoded`]), so an answer that
//! carries entities writes the map and array headers itself and copies those bytes in
//! between; only the small remaining values go through ciborium. The result is exactly
//! the bytes ciborium would write for the equivalent [`Value`] (definite lengths,
//! shortest headers), which the tests below check by decoding and comparing.

use resident_protocol::{map, Value};

use crate::entity::Entity;
use crate::error::ServerError;
use crate::projection::Table;

/// The value of one answer field.
#[derive(Debug)]
pub enum Field<'a> {
    /// Encoded by ciborium.
    Value(Value),
    /// An entity's map, or null.
    Entity(Option<&'a Entity>),
    /// An array of entity maps.
    Rows(Vec<&'a Entity>),
    /// An array of every entity of a table, in id order.
    Table(&'a Table),
    /// An array of fields.
    List(Vec<Field<'a>>),
    /// A map with text keys.
    Map(Vec<(&'static str, Field<'a>)>),
}

/// The result fields of a successful answer, after `id` and `ok`.
pub type Fields<'a> = Vec<(&'static str, Field<'a>)>;

impl From<Value> for Field<'_> {
    fn from(value: Value) -> Self {
        Field::Value(value)
    }
}

/// Wraps plain values as fields.
pub fn values(fields: Vec<(&'static str, Value)>) -> Fields<'static> {
    fields
        .into_iter()
        .map(|(k, v)| (k, Field::Value(v)))
        .collect()
}

const UNSIGNED: u8 = 0;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;

/// A CBOR head in its shortest form, as ciborium writes it.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    if n < 24 {
        out.push(major | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        out.extend_from_slice(&[major | 24, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(major | 25);
        out.extend_from_slice(&n.to_be_bytes());
    } else if let Ok(n) = u32::try_from(n) {
        out.push(major | 26);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn len_head(out: &mut Vec<u8>, major: u8, len: usize) {
    head(out, major, len as u64);
}

fn text(out: &mut Vec<u8>, s: &str) {
    len_head(out, TEXT, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn value(out: &mut Vec<u8>, v: &Value) {
    ciborium::ser::into_writer(v, &mut *out).expect("writing CBOR to a Vec cannot fail");
}

/// An entity's fields as one CBOR map; [`Entity`] keeps the result.
pub fn encode_fields(fields: &[(String, Value)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 24 * fields.len());
    len_head(&mut out, MAP, fields.len());
    for (k, v) in fields {
        text(&mut out, k);
        value(&mut out, v);
    }
    out
}

fn entity(out: &mut Vec<u8>, e: &Entity) {
    out.extend_from_slice(e.encoded());
}

fn field(out: &mut Vec<u8>, f: &Field<'_>) {
    match f {
        Field::Value(v) => value(out, v),
        Field::Entity(None) => out.push(NULL),
        Field::Entity(Some(e)) => entity(out, e),
        Field::Rows(rows) => {
            len_head(out, ARRAY, rows.len());
            for e in rows {
                entity(out, e);
            }
        }
        Field::Table(table) => {
            len_head(out, ARRAY, table.len());
            for e in table.values() {
                entity(out, e);
            }
        }
        Field::List(items) => {
            len_head(out, ARRAY, items.len());
            for item in items {
                field(out, item);
            }
        }
        Field::Map(entries) => {
            len_head(out, MAP, entries.len());
            for (k, v) in entries {
                text(out, k);
                field(out, v);
            }
        }
    }
}

/// About how many bytes `f` encodes to, to size the buffer once. Exact for entities;
/// a table is estimated from its first entity rather than walked twice.
fn size_hint(f: &Field<'_>) -> usize {
    match f {
        Field::Value(_) => 16,
        Field::Entity(e) => e.map_or(1, |e| e.encoded().len()),
        Field::Rows(rows) => 9 + rows.iter().map(|e| e.encoded().len()).sum::<usize>(),
        Field::Table(table) => {
            let first = table.values().next().map_or(0, |e| e.encoded().len());
            // Entities of one type are alike; a little slack covers longer ones.
            9 + (first + first / 8) * table.len()
        }
        Field::List(items) => 9 + items.iter().map(size_hint).sum::<usize>(),
        Field::Map(entries) => {
            9 + entries
                .iter()
                .map(|(k, v)| 1 + k.len() + size_hint(v))
                .sum::<usize>()
        }
    }
}

/// Starts a frame: room for the length, which [`finish`] fills in.
fn start(capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + capacity);
    out.extend_from_slice(&[0; 4]);
    out
}

fn finish(mut out: Vec<u8>) -> Vec<u8> {
    let len = u32::try_from(out.len() - 4).expect("a frame is smaller than 4 GiB");
    out[..4].copy_from_slice(&len.to_be_bytes());
    out
}

/// The frame `{id, ok: true, …fields}`.
pub fn success(id: u64, fields: &[(&'static str, Field<'_>)]) -> Vec<u8> {
    let hint = fields
        .iter()
        .map(|(k, v)| 1 + k.len() + size_hint(v))
        .sum::<usize>();
    let mut out = start(24 + hint);
    len_head(&mut out, MAP, 2 + fields.len());
    text(&mut out, "id");
    head(&mut out, UNSIGNED, id);
    text(&mut out, "ok");
    out.push(TRUE);
    for (k, v) in fields {
        text(&mut out, k);
        field(&mut out, v);
    }
    finish(out)
}

/// The frame `{id, ok: false, error}`; `id` null when the request had none.
pub fn failure(id: Option<u64>, error: &ServerError) -> Vec<u8> {
    let mut out = start(64 + error.message.len());
    len_head(&mut out, MAP, 3);
    text(&mut out, "id");
    match id {
        Some(id) => head(&mut out, UNSIGNED, id),
        None => out.push(NULL),
    }
    text(&mut out, "ok");
    out.push(FALSE);
    text(&mut out, "error");
    value(&mut out, &error.to_value());
    finish(out)
}

/// What a client reads from the answer with `fields`: the frame decoded with ciborium,
/// as fields again. For tests that check answers, so they check these very bytes.
pub fn decode(fields: &[(&'static str, Field<'_>)]) -> Vec<(&'static str, Value)> {
    let frame = success(0, fields);
    let decoded = resident_protocol::frame::decode_body(&frame[4..])
        .expect("an answer frame decodes as a CBOR map");
    let Value::Map(entries) = decoded else {
        unreachable!("decode_body only returns maps")
    };
    debug_assert_eq!(entries.len(), fields.len() + 2);
    fields
        .iter()
        .zip(entries.into_iter().skip(2))
        .map(|((k, _), (key, v))| {
            debug_assert_eq!(key.as_text(), Some(*k));
            (*k, v)
        })
        .collect()
}

/// The Value a field stands for, built the slow way: the reference the spliced bytes
/// are checked against.
pub fn to_value(f: &Field<'_>) -> Value {
    match f {
        Field::Value(v) => v.clone(),
        Field::Entity(e) => e.map_or(Value::Null, Entity::to_value),
        Field::Rows(rows) => Value::Array(rows.iter().map(|e| e.to_value()).collect()),
        Field::Table(table) => Value::Array(table.values().map(|e| e.to_value()).collect()),
        Field::List(items) => Value::Array(items.iter().map(to_value).collect()),
        Field::Map(entries) => map::build(entries.iter().map(|(k, v)| (*k, to_value(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::entity::Draft;

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
        check(7, &[("entity", Field::Entity(Some(refs[1])))]);
        check(u64::MAX, &[("entity", Field::Entity(None))]);
        check(
            300,
            &[
                ("entities", Field::Rows(refs.clone())),
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
                ("state", Field::Entity(Some(refs[6]))),
            ],
        );
        let commit_entities = Field::List(
            refs.iter()
                .map(|e| {
                    Field::Map(vec![
                        ("entity", Value::from("Account").into()),
                        ("id", Field::Value(e.get("uuid").unwrap().clone())),
                        ("state", Field::Entity(Some(*e))),
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

    #[test]
    fn failures_equal_value_built_ones() {
        let error = ServerError::not_found("Account x does not exist");
        for id in [None, Some(0), Some(23), Some(24), Some(1 << 40)] {
            let plain = map::build(vec![
                ("id", id.map_or(Value::Null, Value::from)),
                ("ok", Value::Bool(false)),
                ("error", error.to_value()),
            ]);
            assert_eq!(
                failure(id, &error),
                resident_protocol::frame::encode(&plain)
            );
        }
    }
}
