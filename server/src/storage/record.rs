//! The content of log records: `{kind: "commit", events}` and `{kind: "schema", …}`.
//!
//! Framing and checksums are the log's job ([`crate::storage::frame`]); this module only turns
//! records into CBOR and back.

use std::sync::Arc;

use resident_protocol::{map, Value};

use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::state::event::StoredEvent;
use crate::state::schema::{Schema, SchemaPart};

#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Commit(Vec<Arc<StoredEvent>>),
    /// The full schema after a change.
    Schema(Schema),
}

pub fn encode_commit(events: &[Arc<StoredEvent>]) -> Vec<u8> {
    let value = map::build(vec![
        ("kind", Value::from("commit")),
        (
            "events",
            Value::Array(events.iter().map(|e| e.to_log_value()).collect()),
        ),
    ]);
    to_cbor(&value)
}

pub fn encode_schema(schema: &Schema) -> Vec<u8> {
    let mut value = schema.to_value();
    if let Value::Map(entries) = &mut value {
        entries.insert(0, (Value::from("kind"), Value::from("schema")));
    }
    to_cbor(&value)
}

fn to_cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec only fails on a value ciborium cannot represent, and every
    // value here came from decoded CBOR or our own constructors.
    if let Err(e) = ciborium::ser::into_writer(value, &mut out) {
        unreachable!("encoding a record into memory failed: {e}");
    }
    out
}

pub fn decode(bytes: &[u8]) -> Result<Record, ServerError> {
    let value: Value = ciborium::de::from_reader(bytes)
        .map_err(|e| ServerError::internal(format!("record is not valid CBOR: {e}")))?;
    let root = Node::root(&value, "record");
    match root.text("kind")? {
        "commit" => {
            let list = root.require("events")?;
            let mut events = Vec::with_capacity(list.len()?);
            for node in list.items()? {
                events.push(Arc::new(StoredEvent::from_log_value(&node)?));
            }
            Ok(Record::Commit(events))
        }
        "schema" => {
            let part = SchemaPart::parse(&root)?;
            let schema = Schema::default().merged(&part);
            Ok(Record::Schema(schema))
        }
        other => Err(ServerError::internal(format!(
            "unknown record kind {other:?}"
        ))),
    }
}
