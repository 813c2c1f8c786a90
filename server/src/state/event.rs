//! A recorded event, as the log stores it and `read` returns it.

use std::sync::Arc;

use resident_protocol::{map, Value};

use crate::cbor::node::Node;
use crate::error::ServerError;

/// An event after the writer accepted it: it has its place in the global order
/// (`position`) and in its stream (`version`), and the server-set `recorded_at` in `meta`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: String,
    pub event_type: String,
    /// `<aggregate>-<key>`, shared with the stream map's key.
    pub stream: Arc<str>,
    pub aggregate: String,
    pub key: String,
    pub version: u64,
    pub position: u64,
    /// A map with text keys.
    pub data: Value,
    /// A map with text keys; always holds `recorded_at`.
    pub meta: Value,
}

pub fn stream_name(aggregate: &str, key: &str) -> String {
    format!("{aggregate}-{key}")
}

impl StoredEvent {
    /// The form `read` answers with.
    pub fn to_read_value(&self) -> Value {
        map::build(vec![
            ("id", Value::from(self.id.as_str())),
            ("type", Value::from(self.event_type.as_str())),
            ("version", Value::from(self.version)),
            ("position", Value::from(self.position)),
            ("data", self.data.clone()),
            ("meta", self.meta.clone()),
        ])
    }

    /// The form a `commit` log record holds: everything needed to replay it.
    pub fn to_log_value(&self) -> Value {
        map::build(vec![
            ("id", Value::from(self.id.as_str())),
            ("type", Value::from(self.event_type.as_str())),
            ("stream", Value::from(&*self.stream)),
            ("aggregate", Value::from(self.aggregate.as_str())),
            ("key", Value::from(self.key.as_str())),
            ("version", Value::from(self.version)),
            ("position", Value::from(self.position)),
            ("data", self.data.clone()),
            ("meta", self.meta.clone()),
        ])
    }

    pub fn from_log_value(node: &Node<'_>) -> Result<StoredEvent, ServerError> {
        let aggregate = node.text("aggregate")?.to_string();
        let key = node.text("key")?.to_string();
        let stream = node.text("stream")?;
        if stream != stream_name(&aggregate, &key) {
            return Err(node.error("stream does not match its aggregate and key"));
        }
        let data = node.require("data")?;
        data.expect_text_map()?;
        let meta = node.require("meta")?;
        meta.expect_text_map()?;
        Ok(StoredEvent {
            id: node.text("id")?.to_string(),
            event_type: node.text("type")?.to_string(),
            stream: Arc::from(stream),
            aggregate,
            key,
            version: node.require("version")?.as_u64()?,
            position: node.require("position")?.as_u64()?,
            data: data.value.clone(),
            meta: meta.value.clone(),
        })
    }

    /// An event data property, or `None` when absent. A present null is returned as
    /// such: `?string $x = null` in PHP sets a nullable field to null, and the field's
    /// type check refuses it where null is not allowed.
    pub fn prop(&self, name: &str) -> Option<&Value> {
        map::get(&self.data, name)
    }

    pub fn meta_value(&self, name: &str) -> Value {
        map::get(&self.meta, name).cloned().unwrap_or(Value::Null)
    }
}
