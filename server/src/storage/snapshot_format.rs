//! The snapshot format: a whole [`State`] at a log point, as framed, checksummed
//! records (the log's framing), so that start-up can load it and replay only the log
//! after it.
//!
//! Records, in order: a header (format, position, schema, the log point `log_at` where
//! replay resumes), chunks of entities per type (each entity as its ready CBOR bytes),
//! chunks of streams (the record refs of their events, packed), chunks of remembered event ids,
//! the event counts, and an end record holding the number of records before it, so a
//! file cut short is told from a complete one. Indexes are not stored: they are rebuilt
//! from the entities on load.
//!
//! Pure: bytes in and out. Files, naming and scheduling are [`crate::storage::snapshot_files`]'s.

use std::io::{self, Write};
use std::ops::Range;
use std::sync::Arc;

use resident_protocol::{map, Value};

use crate::cbor::node::Node;
use crate::state::entity::Entity;
use crate::state::index;
use crate::state::record_ref::RecordRef;
use crate::state::schema::{Schema, SchemaPart};
use crate::state::stream_refs::StreamRefs;
use crate::state::{EventLocation, State};
use crate::storage::frame::{self, ScanEnd};

/// Bumped when the layout changes; a server refuses snapshots of other formats (and
/// falls back to the log).
pub const FORMAT: u64 = 2;

/// Rows per chunk record: bounds the memory of one record while writing and reading.
const CHUNK_ROWS: usize = 4096;

/// What a snapshot's header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub position: u64,
    /// Where replay resumes: the first log record the snapshot does not hold.
    pub log_at: RecordRef,
    pub entities: u64,
}

/// Frames CBOR records into a writer, counting them for the end record.
struct RecordWriter<W: Write> {
    out: W,
    records: u64,
    bytes: u64,
    buffer: Vec<u8>,
}

impl<W: Write> RecordWriter<W> {
    fn put(&mut self, kind: &str, mut fields: Vec<(&str, Value)>) -> io::Result<()> {
        fields.insert(0, ("kind", Value::from(kind)));
        let mut body = Vec::new();
        ciborium::ser::into_writer(&map::build(fields), &mut body)
            .map_err(|e| io::Error::other(format!("encoding a snapshot record: {e}")))?;
        self.buffer.clear();
        frame::frame_record(&body, &mut self.buffer);
        self.out.write_all(&self.buffer)?;
        self.records += 1;
        self.bytes += self.buffer.len() as u64;
        Ok(())
    }

    /// Writes `rows` (flattened, `width` values per row) in chunks.
    fn put_rows(
        &mut self,
        kind: &str,
        extra: Vec<(&str, Value)>,
        rows: impl Iterator<Item = Vec<Value>>,
    ) -> io::Result<()> {
        let mut chunk = Vec::new();
        let mut count = 0;
        for row in rows {
            chunk.extend(row);
            count += 1;
            if count == CHUNK_ROWS {
                let mut fields = extra.clone();
                fields.push(("rows", Value::Array(std::mem::take(&mut chunk))));
                self.put(kind, fields)?;
                count = 0;
            }
        }
        if count > 0 {
            let mut fields = extra;
            fields.push(("rows", Value::Array(chunk)));
            self.put(kind, fields)?;
        }
        Ok(())
    }
}

/// Writes `state`, which holds every record before `log_at`, to `out`; returns the
/// bytes written.
pub fn write(state: &State, log_at: RecordRef, out: impl Write) -> io::Result<u64> {
    let mut w = RecordWriter {
        out,
        records: 0,
        bytes: 0,
        buffer: Vec::new(),
    };
    w.put(
        "header",
        vec![
            ("format", Value::from(FORMAT)),
            ("position", Value::from(state.position)),
            ("schema_version", Value::from(state.schema_version)),
            ("log_at", Value::from(log_at.to_u64())),
            ("entities", Value::from(state.entity_count_total())),
            ("schema", state.schema.to_value()),
        ],
    )?;
    put_entities(&mut w, state)?;
    put_streams(&mut w, state)?;
    put_event_ids(&mut w, state)?;
    w.put_rows(
        "counts",
        vec![],
        state
            .event_counts
            .iter()
            .map(|(t, n)| vec![Value::from(t.as_str()), Value::from(*n)]),
    )?;
    let records = w.records;
    w.put("end", vec![("records", Value::from(records))])?;
    w.out.flush()?;
    Ok(w.bytes)
}

/// Each table's entities as `[id, encoded entity]` rows.
fn put_entities<W: Write>(w: &mut RecordWriter<W>, state: &State) -> io::Result<()> {
    for (name, table) in state.tables.iter() {
        if table.is_empty() {
            // A type whose entities were all deleted still has its (empty) table.
            let fields = vec![
                ("type", Value::from(name.as_str())),
                ("rows", Value::Array(vec![])),
            ];
            w.put("entities", fields)?;
            continue;
        }
        w.put_rows(
            "entities",
            vec![("type", Value::from(name.as_str()))],
            table.iter().map(|(id, entity)| {
                vec![Value::from(&**id), Value::Bytes(entity.encoded().to_vec())]
            }),
        )?;
    }
    Ok(())
}

/// Each stream as `[name, its record refs packed]`.
fn put_streams<W: Write>(w: &mut RecordWriter<W>, state: &State) -> io::Result<()> {
    w.put_rows(
        "streams",
        vec![],
        state.streams.iter().map(|(name, refs)| {
            let packed: Vec<u8> = refs
                .iter_from(0)
                .flat_map(|r| r.to_u64().to_le_bytes())
                .collect();
            vec![Value::from(&**name), Value::Bytes(packed)]
        }),
    )
}

/// Both generations of remembered event ids, with where each was recorded.
fn put_event_ids<W: Write>(w: &mut RecordWriter<W>, state: &State) -> io::Result<()> {
    for (generation, ids) in [(0u64, &state.event_ids), (1, &state.event_ids_previous)] {
        w.put_rows(
            "ids",
            vec![("generation", Value::from(generation))],
            ids.iter().map(|(id, l)| {
                vec![
                    Value::from(&**id),
                    Value::from(&*l.stream),
                    Value::from(l.version),
                    Value::from(l.position),
                    Value::from(l.at.to_u64()),
                ]
            }),
        )?;
    }
    Ok(())
}

/// Why a snapshot cannot be used.
pub type Damage = String;

fn bad(what: impl std::fmt::Display) -> Damage {
    what.to_string()
}

/// The header alone, from the body of a snapshot's first record.
pub fn read_header(body: &[u8]) -> Result<Header, Damage> {
    parse_header(&decode(body)?).map(|(header, _, _)| header)
}

fn decode(body: &[u8]) -> Result<Value, Damage> {
    ciborium::de::from_reader(body).map_err(|e| format!("a record is not valid CBOR: {e}"))
}

fn parse_header(value: &Value) -> Result<(Header, u64, Schema), Damage> {
    let node = Node::root(value, "snapshot header");
    let kind = node.text("kind").map_err(|e| e.message)?;
    if kind != "header" {
        return Err(format!("the first record is {kind:?}, not a header"));
    }
    let format = node.require("format").and_then(|n| n.as_u64());
    if format.as_ref().ok() != Some(&FORMAT) {
        return Err(format!(
            "snapshot format {format:?} is not this server's ({FORMAT})"
        ));
    }
    let num = |key| {
        node.require(key)
            .and_then(|n| n.as_u64())
            .map_err(|e| e.message)
    };
    let log_at =
        RecordRef::from_u64(num("log_at")?).ok_or_else(|| bad("log_at is not a log point"))?;
    let schema_node = node.require("schema").map_err(|e| e.message)?;
    let part = SchemaPart::parse(&schema_node).map_err(|e| e.message)?;
    let schema = Schema::default().merged(&part);
    schema.validate().map_err(|e| e.message)?;
    Ok((
        Header {
            position: num("position")?,
            log_at,
            entities: num("entities")?,
        },
        num("schema_version")?,
        schema,
    ))
}

/// Rebuilds the state a snapshot holds, with its header. Any damage refuses the whole
/// snapshot: a partly loaded state would be a wrong state.
pub fn read(bytes: &[u8]) -> Result<(State, Header), Damage> {
    let scanned = frame::scan(bytes);
    match scanned.end {
        ScanEnd::Clean => {}
        ScanEnd::TornTail { offset, reason } | ScanEnd::Corrupt { offset, reason } => {
            return Err(format!("damaged at offset {offset}: {reason}"))
        }
    }
    let (first, rest) = scanned
        .records
        .split_first()
        .ok_or_else(|| bad("the file is empty"))?;
    let (header, schema_version, schema) = parse_header(&decode(&bytes[first.clone()])?)?;
    let mut state = State {
        position: header.position,
        schema: Arc::new(schema),
        schema_version,
        ..State::default()
    };
    load_chunks(bytes, rest, &mut state)?;
    if state.entity_count_total() != header.entities {
        return Err(format!(
            "the header counts {} entities, the file holds {}",
            header.entities,
            state.entity_count_total()
        ));
    }
    build_indexes(&mut state);
    Ok((state, header))
}

/// Loads the chunk records `rest` into `state`, up to and including the end record,
/// which must count them.
///
/// Records are decoded into rows on a second thread while this one inserts the rows
/// decoded before: the two halves take similar time.
fn load_chunks(bytes: &[u8], rest: &[Range<usize>], state: &mut State) -> Result<(), Damage> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
        let schema = state.schema.clone();
        scope.spawn(move || {
            for range in rest {
                let chunk = decode(&bytes[range.clone()]).and_then(|v| Chunk::parse(&v, &schema));
                let failed = chunk.is_err();
                if tx.send(chunk).is_err() || failed {
                    return;
                }
            }
        });
        let mut seen = 1u64;
        let mut ended = false;
        for chunk in rx {
            if ended {
                return Err(bad("records follow the end record"));
            }
            match chunk? {
                Chunk::End(records) if records == seen => ended = true,
                Chunk::End(records) => {
                    return Err(format!(
                        "the end record counts {records} records, found {seen}"
                    ))
                }
                chunk => {
                    seen += 1;
                    chunk.load_into(state)?;
                }
            }
        }
        if ended {
            Ok(())
        } else {
            Err(bad("the end record is missing: the file was cut short"))
        }
    })
}

/// Indexes are not stored: they are rebuilt from the entities.
fn build_indexes(state: &mut State) {
    for (name, def) in state.schema.entities.clone().iter() {
        let indexes = index::build(def, state.tables.get(name));
        if !indexes.is_empty() {
            state.indexes.insert(name.clone(), indexes);
        }
    }
}

/// Decoded chunks the decoding thread may run ahead by: bounds its memory.
const CHUNKS_AHEAD: usize = 8;

/// Rows of a chunk, each under its id or name.
type Named<T> = Vec<(Arc<str>, T)>;

/// One record's rows, decoded and ready to insert.
enum Chunk {
    Entities(String, Named<Arc<Entity>>),
    Streams(Named<StreamRefs>),
    Ids(u64, Named<EventLocation>),
    Counts(Vec<(String, u64)>),
    End(u64),
}

fn text(v: &Value) -> Result<&str, Damage> {
    v.as_text().ok_or_else(|| bad("a text value is not text"))
}

fn number(v: &Value) -> Result<u64, Damage> {
    v.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| bad("a number is not an unsigned integer"))
}

fn record_ref(v: &Value) -> Result<RecordRef, Damage> {
    RecordRef::from_u64(number(v)?).ok_or_else(|| bad("a record ref is not a log point"))
}

/// A stream's refs, packed as little-endian u64s: far quicker to read than an array.
fn packed_refs(bytes: &[u8]) -> Result<StreamRefs, Damage> {
    if !bytes.chunks_exact(8).remainder().is_empty() {
        return Err(bad("a stream's packed refs are not whole u64s"));
    }
    bytes
        .chunks_exact(8)
        .map(|b| {
            let packed = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            RecordRef::from_u64(packed).ok_or_else(|| bad("a record ref is not a log point"))
        })
        .collect()
}

/// `[id, entity bytes]` rows.
fn entity_rows(rows: &[Value]) -> Result<Named<Arc<Entity>>, Damage> {
    let mut out = Vec::with_capacity(rows.len() / 2);
    for row in rows.chunks(2) {
        let [id, Value::Bytes(bytes)] = row else {
            return Err(bad("an entity row is not [id, bytes]"));
        };
        out.push((Arc::from(text(id)?), Arc::new(Entity::from_encoded(bytes)?)));
    }
    Ok(out)
}

/// `[stream name, packed refs]` rows.
fn stream_rows(rows: &[Value]) -> Result<Named<StreamRefs>, Damage> {
    let mut out = Vec::with_capacity(rows.len() / 2);
    for row in rows.chunks(2) {
        let [name, Value::Bytes(refs)] = row else {
            return Err(bad("a stream row is not [name, packed refs]"));
        };
        out.push((Arc::from(text(name)?), packed_refs(refs)?));
    }
    Ok(out)
}

/// `[event id, stream, version, position, record ref]` rows.
fn id_rows(rows: &[Value]) -> Result<Named<EventLocation>, Damage> {
    let mut out = Vec::with_capacity(rows.len() / 5);
    for row in rows.chunks(5) {
        let [id, stream, version, position, at] = row else {
            return Err(bad("an event id row is short"));
        };
        let location = EventLocation {
            stream: Arc::from(text(stream)?),
            version: number(version)?,
            position: number(position)?,
            at: record_ref(at)?,
        };
        out.push((Arc::from(text(id)?), location));
    }
    Ok(out)
}

/// `[event type, count]` rows.
fn count_rows(rows: &[Value]) -> Result<Vec<(String, u64)>, Damage> {
    let mut out = Vec::with_capacity(rows.len() / 2);
    for row in rows.chunks(2) {
        let [event_type, n] = row else {
            return Err(bad("a count row is short"));
        };
        out.push((text(event_type)?.to_string(), number(n)?));
    }
    Ok(out)
}

impl Chunk {
    fn parse(value: &Value, schema: &Schema) -> Result<Chunk, Damage> {
        let node = Node::root(value, "snapshot record");
        let kind = node.text("kind").map_err(|e| e.message)?;
        let required = |key| {
            node.require(key)
                .and_then(|n| n.as_u64())
                .map_err(|e| e.message)
        };
        if kind == "end" {
            return Ok(Chunk::End(required("records")?));
        }
        let rows = match map::get(value, "rows") {
            Some(Value::Array(rows)) => rows,
            _ => return Err(format!("a {kind} record has no rows")),
        };
        Ok(match kind {
            "entities" => {
                let name = node.text("type").map_err(|e| e.message)?;
                if !schema.entities.contains_key(name) {
                    return Err(format!("entities of unregistered type {name}"));
                }
                Chunk::Entities(name.to_string(), entity_rows(rows)?)
            }
            "streams" => Chunk::Streams(stream_rows(rows)?),
            "ids" => {
                let generation = required("generation")?;
                if generation > 1 {
                    return Err(format!("event id generation {generation}"));
                }
                Chunk::Ids(generation, id_rows(rows)?)
            }
            "counts" => Chunk::Counts(count_rows(rows)?),
            other => return Err(format!("unknown record kind {other:?}")),
        })
    }

    fn load_into(self, state: &mut State) -> Result<(), Damage> {
        match self {
            Chunk::Entities(name, rows) => {
                let table = state.tables.entry(name).or_default();
                for (id, entity) in rows {
                    table.insert(id, entity);
                }
            }
            Chunk::Streams(rows) => state.streams.extend(rows),
            Chunk::Ids(0, rows) => state.event_ids.extend(rows),
            Chunk::Ids(_, rows) => state.event_ids_previous.extend(rows),
            Chunk::Counts(rows) => state.event_counts.extend(rows),
            Chunk::End(_) => return Err(bad("a second end record")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use resident_protocol::Value;

    use super::*;
    use crate::testkit::{self, bank, new_event, ref_after, run};
    use crate::write::commit::Expected::Any;

    /// One step of a random bank workload: open, change or close account `key`.
    fn step(state: &mut State, i: usize, (kind, key, amount): (u8, u8, i64)) {
        let key = format!("k{key}");
        let id = format!("e{i}");
        let event = match kind {
            0 => new_event(
                &id,
                "AccountOpened",
                vec![("name", Value::from(key.as_str()))],
            ),
            1 => new_event(
                &id,
                "BalanceIncreased",
                vec![("amount", Value::from(amount))],
            ),
            _ => new_event(&id, "AccountClosed", vec![]),
        };
        // A step that fails (a missing account, a double open) changes nothing, on
        // both sides alike.
        let _ = run(state, &testkit::write(&key, Any, vec![event]));
    }

    fn round_trip(state: &State) -> State {
        let mut bytes = Vec::new();
        let at = ref_after(state.position());
        super::write(state, at, &mut bytes).unwrap();
        let (read_back, header) = read(&bytes).unwrap();
        assert_eq!(header.log_at, at);
        assert_eq!(header.position, state.position());
        read_back
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn a_snapshot_plus_the_tail_equals_the_whole_history(
            steps in proptest::collection::vec((0u8..4, 0u8..6, -50i64..50), 1..80),
            cut in 0usize..80,
        ) {
            let mut whole = bank();
            let mut restored = None;
            for (i, s) in steps.iter().enumerate() {
                if i == cut.min(steps.len() - 1) {
                    let copy = round_trip(&whole);
                    prop_assert_eq!(copy.difference(&whole), None);
                    restored = Some(copy);
                }
                step(&mut whole, i, *s);
                if let Some(r) = restored.as_mut() {
                    step(r, i, *s);
                }
            }
            let restored = restored.expect("the cut is within the steps");
            prop_assert_eq!(restored.difference(&whole), None);
            prop_assert_eq!(round_trip(&whole).difference(&whole), None);
        }
    }

    #[test]
    fn damage_anywhere_refuses_the_snapshot() {
        let mut state = bank();
        for i in 0..20 {
            step(&mut state, i, ((i % 3) as u8, (i % 5) as u8, 7));
        }
        let mut bytes = Vec::new();
        super::write(&state, ref_after(state.position()), &mut bytes).unwrap();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for flip in [3, 10, bytes.len() / 2, bytes.len() - 2] {
            let mut damaged = bytes.clone();
            damaged[flip] ^= 0x10;
            assert!(read(&damaged).is_err(), "flip at {flip}");
        }
        assert!(read(&bytes).is_ok());
    }
}
