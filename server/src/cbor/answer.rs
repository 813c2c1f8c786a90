//! Answer frames, assembled from bytes: the one place that writes CBOR by hand.
//!
//! Each entity keeps its CBOR map ready-encoded ([`Encoded`]), so an answer that carries
//! entities writes the map and array headers itself and copies those bytes in between;
//! only the small remaining values go through ciborium. The result is exactly the bytes
//! ciborium would write for the equivalent [`Value`] (definite lengths, shortest
//! headers), which the tests check by decoding and comparing (here, and with real
//! entities in `state::entity`).

use std::fmt::Debug;

use resident_protocol::{map, op as ops, Value};

use crate::error::ServerError;

/// A CBOR map kept ready-encoded (an entity's), spliced into answers as it is.
pub trait Encoded: Debug {
    /// The map's CBOR bytes.
    fn encoded(&self) -> &[u8];
    /// The map as a [`Value`], built the slow way: the reference the spliced bytes are
    /// checked against.
    fn to_value(&self) -> Value;
}

/// Ready-encoded maps spliced as one array without gathering them first: a whole table.
pub trait EncodedRows: Debug {
    fn count(&self) -> usize;
    /// The first map, to estimate the size of them all.
    fn first(&self) -> Option<&dyn Encoded>;
    fn for_each(&self, f: &mut dyn FnMut(&dyn Encoded));
}

/// The value of one answer field.
#[derive(Debug)]
pub enum Field<'a> {
    /// Encoded by ciborium.
    Value(Value),
    /// An entity's map, or null.
    Entity(Option<&'a dyn Encoded>),
    /// An array of entity maps.
    Rows(Vec<&'a dyn Encoded>),
    /// An array of every entity of a table, in its order.
    Table(&'a dyn EncodedRows),
    /// An array of fields.
    List(Vec<Field<'a>>),
    /// A value encoded already (an event read back), spliced as it is.
    Encoded(Vec<u8>),
    /// A map with text keys.
    Map(Vec<(&'static str, Field<'a>)>),
}

impl<'a> Field<'a> {
    /// An entity's map, or null.
    pub fn entity<E: Encoded>(entity: Option<&'a E>) -> Field<'a> {
        Field::Entity(entity.map(|e| e as &dyn Encoded))
    }

    /// An array of entity maps.
    pub fn rows<E: Encoded + 'a>(rows: impl IntoIterator<Item = &'a E>) -> Field<'a> {
        Field::Rows(rows.into_iter().map(|e| e as &dyn Encoded).collect())
    }
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

/// Text-keyed fields as one CBOR map: an entity's, which it keeps ([`Encoded`]).
pub fn encode_fields(fields: &[(String, Value)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 24 * fields.len());
    len_head(&mut out, MAP, fields.len());
    for (k, v) in fields {
        text(&mut out, k);
        value(&mut out, v);
    }
    out
}

/// An answer would be larger than the frame limit it is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl TooLarge {
    /// The `limit` refusal of `op`'s answer over `max` bytes: how to ask for less.
    pub fn error(self, op: &str, max: usize) -> ServerError {
        let ask = match op {
            ops::ALL => "use a query with limit() and paginate()",
            ops::QUERY => "add a limit(), or paginate()",
            ops::READ => {
                "read fewer events at a time (limit), going on from the next version (from)"
            }
            ops::COMMIT => "the commit was recorded; find() the entities it changed",
            ops::FIND | ops::LOAD => {
                "the entity was stored under a larger frame_bytes_max: raise it to read it"
            }
            _ => "ask for less",
        };
        ServerError::limit(format!(
            "{op}: the answer would be larger than the frame limit of {max} bytes \
             (frame_bytes_max); {ask}"
        ))
    }
}

/// Refuses to let `out` grow past `end` bytes by `more`.
fn room(out: &[u8], more: usize, end: usize) -> Result<(), TooLarge> {
    if out.len().saturating_add(more) > end {
        Err(TooLarge)
    } else {
        Ok(())
    }
}

/// Copies encoded bytes in, if they fit before `end`.
fn splice(out: &mut Vec<u8>, bytes: &[u8], end: usize) -> Result<(), TooLarge> {
    room(out, bytes.len(), end)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Writes `f`, stopping once `out` would pass `end` bytes: entities are checked before
/// they are copied, so a refused answer never costs more than the limit.
fn field(out: &mut Vec<u8>, f: &Field<'_>, end: usize) -> Result<(), TooLarge> {
    match f {
        Field::Value(v) => value(out, v),
        Field::Entity(None) => out.push(NULL),
        Field::Entity(Some(e)) => splice(out, e.encoded(), end)?,
        Field::Encoded(bytes) => splice(out, bytes, end)?,
        Field::Rows(rows) => {
            len_head(out, ARRAY, rows.len());
            for e in rows {
                splice(out, e.encoded(), end)?;
            }
        }
        Field::Table(table) => {
            len_head(out, ARRAY, table.count());
            let mut fits = Ok(());
            table.for_each(&mut |e| {
                if fits.is_ok() {
                    fits = splice(out, e.encoded(), end);
                }
            });
            fits?;
        }
        Field::List(items) => {
            len_head(out, ARRAY, items.len());
            for item in items {
                field(out, item, end)?;
            }
        }
        Field::Map(entries) => {
            len_head(out, MAP, entries.len());
            for (k, v) in entries {
                text(out, k);
                field(out, v, end)?;
            }
        }
    }
    room(out, 0, end)
}

/// About how many bytes `f` encodes to, to size the buffer once. Exact for entities;
/// a table is estimated from its first entity rather than walked twice.
fn size_hint(f: &Field<'_>) -> usize {
    match f {
        Field::Value(_) => 16,
        Field::Entity(e) => e.map_or(1, |e| e.encoded().len()),
        Field::Encoded(bytes) => bytes.len(),
        Field::Rows(rows) => 9 + rows.iter().map(|e| e.encoded().len()).sum::<usize>(),
        Field::Table(table) => {
            let first = table.first().map_or(0, |e| e.encoded().len());
            // Entities of one type are alike; a little slack covers longer ones.
            9 + (first + first / 8) * table.count()
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

/// The frame `{id, ok: true, …fields}`, for tests and tools: no limit but the 4 GiB a
/// frame's length can say.
pub fn success(id: u64, fields: &[(&'static str, Field<'_>)]) -> Vec<u8> {
    success_within(id, fields, u32::MAX as usize).expect("an answer smaller than 4 GiB")
}

/// The frame `{id, ok: true, …fields}`, unless its body would be larger than `max`
/// bytes: a client refuses such a frame, so it is never written (nor built past `max`).
pub fn success_within(
    id: u64,
    fields: &[(&'static str, Field<'_>)],
    max: usize,
) -> Result<Vec<u8>, TooLarge> {
    let end = max.saturating_add(4);
    let hint = fields
        .iter()
        .map(|(k, v)| 1 + k.len() + size_hint(v))
        .sum::<usize>();
    let mut out = start(24usize.saturating_add(hint).min(end));
    len_head(&mut out, MAP, 2 + fields.len());
    text(&mut out, "id");
    head(&mut out, UNSIGNED, id);
    text(&mut out, "ok");
    out.push(TRUE);
    for (k, v) in fields {
        text(&mut out, k);
        field(&mut out, v, end)?;
    }
    Ok(finish(out))
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
        Field::Entity(e) => e.map_or(Value::Null, |e| e.to_value()),
        Field::Rows(rows) => Value::Array(rows.iter().map(|e| e.to_value()).collect()),
        Field::Table(table) => {
            let mut rows = Vec::with_capacity(table.count());
            table.for_each(&mut |e| rows.push(e.to_value()));
            Value::Array(rows)
        }
        Field::List(items) => Value::Array(items.iter().map(to_value).collect()),
        Field::Encoded(bytes) => {
            ciborium::de::from_reader(&bytes[..]).expect("encoded fields hold one CBOR value")
        }
        Field::Map(entries) => map::build(entries.iter().map(|(k, v)| (*k, to_value(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
