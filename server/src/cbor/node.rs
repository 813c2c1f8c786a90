//! Typed reads from CBOR maps that came off the wire (or out of the log).
//!
//! Every accessor fails with a `bad_request` whose message names the operation and the
//! exact path, e.g. `commit: streams[0].events[1].type must be text`, because a client
//! author debugging a rejected request should not have to guess which value was wrong.
//! Nothing here panics, whatever the input.

use resident_protocol::Value;

use crate::error::ServerError;

/// Longest name (entity, event, aggregate, field, id) accepted, in bytes. Names become
/// map keys and log content; unbounded ones would let one request bloat every record.
pub const NAME_BYTES_MAX: usize = 1024;

/// A value inside a request, with the path that leads to it.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub value: &'a Value,
    op: &'a str,
    path: Path<'a>,
}

/// The path is kept as a parent chain and only rendered when an error needs it, so the
/// happy path allocates nothing for it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Node<'a>, &'a str),
    Index(&'a Node<'a>, usize),
}

impl<'a> Node<'a> {
    pub fn root(value: &'a Value, op: &'a str) -> Self {
        Node {
            value,
            op,
            path: Path::Root,
        }
    }

    /// Renders `streams[0].events[1].type`.
    pub fn path(&self) -> String {
        match self.path {
            Path::Root => String::new(),
            Path::Key(parent, key) => {
                let p = parent.path();
                if p.is_empty() {
                    key.to_string()
                } else {
                    format!("{p}.{key}")
                }
            }
            Path::Index(parent, i) => format!("{}[{i}]", parent.path()),
        }
    }

    /// A `bad_request` about this value: `"<op>: <path> <what>"`.
    pub fn error(&self, what: &str) -> ServerError {
        let path = self.path();
        if path.is_empty() {
            ServerError::bad_request(format!("{}: request {what}", self.op))
        } else {
            ServerError::bad_request(format!("{}: {path} {what}", self.op))
        }
    }

    fn entries(&self) -> Result<&'a [(Value, Value)], ServerError> {
        match self.value {
            Value::Map(entries) => Ok(entries),
            _ => Err(self.error("must be a map")),
        }
    }

    /// The value under `key`; a missing key and an explicit null are both `None`.
    pub fn get(&'a self, key: &'a str) -> Result<Option<Node<'a>>, ServerError> {
        let found = self
            .entries()?
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v);
        Ok(match found {
            None | Some(Value::Null) => None,
            Some(value) => Some(Node {
                value,
                op: self.op,
                path: Path::Key(self, key),
            }),
        })
    }

    pub fn require(&'a self, key: &'a str) -> Result<Node<'a>, ServerError> {
        match self.get(key)? {
            Some(node) => Ok(node),
            None => {
                let missing = Node {
                    value: &Value::Null,
                    op: self.op,
                    path: Path::Key(self, key),
                };
                Err(missing.error("is missing"))
            }
        }
    }

    pub fn as_text(&self) -> Result<&'a str, ServerError> {
        self.value
            .as_text()
            .ok_or_else(|| self.error("must be text"))
    }

    /// Text that names something: non-empty and at most [`NAME_BYTES_MAX`] bytes.
    pub fn as_name(&self) -> Result<&'a str, ServerError> {
        let text = self.as_text()?;
        if text.is_empty() {
            return Err(self.error("must not be empty"));
        }
        if text.len() > NAME_BYTES_MAX {
            return Err(self.error(&format!("must be at most {NAME_BYTES_MAX} bytes")));
        }
        Ok(text)
    }

    pub fn as_u64(&self) -> Result<u64, ServerError> {
        self.value
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| self.error("must be an unsigned integer"))
    }

    pub fn as_bool(&self) -> Result<bool, ServerError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.error("must be a bool"))
    }

    /// The elements of an array, each with its index in the path.
    pub fn items(&'a self) -> Result<Vec<Node<'a>>, ServerError> {
        match self.value {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, value)| Node {
                    value,
                    op: self.op,
                    path: Path::Index(self, i),
                })
                .collect()),
            _ => Err(self.error("must be an array")),
        }
    }

    /// The number of elements, to check a limit before building anything from them.
    pub fn len(&self) -> Result<usize, ServerError> {
        match self.value {
            Value::Array(items) => Ok(items.len()),
            _ => Err(self.error("must be an array")),
        }
    }

    pub fn is_empty(&self) -> Result<bool, ServerError> {
        Ok(self.len()? == 0)
    }

    /// Checks that this is a map with text keys, the shape of event data and meta.
    pub fn expect_text_map(&self) -> Result<&'a [(Value, Value)], ServerError> {
        let entries = self.entries()?;
        if entries.iter().any(|(k, _)| k.as_text().is_none()) {
            return Err(self.error("must be a map with text keys"));
        }
        Ok(entries)
    }

    pub fn text(&'a self, key: &'a str) -> Result<&'a str, ServerError> {
        self.require(key)?.as_text()
    }

    pub fn name(&'a self, key: &'a str) -> Result<&'a str, ServerError> {
        self.require(key)?.as_name()
    }

    pub fn optional_name(&'a self, key: &'a str) -> Result<Option<&'a str>, ServerError> {
        self.get(key)?.map(|n| n.as_name()).transpose()
    }

    pub fn optional_u64(&'a self, key: &'a str) -> Result<Option<u64>, ServerError> {
        self.get(key)?.map(|n| n.as_u64()).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use resident_protocol::map;

    #[test]
    fn messages_name_the_path() {
        let event = map::build(vec![("type", Value::from(3))]);
        let stream = map::build(vec![(
            "events",
            Value::Array(vec![map::build(vec![]), event]),
        )]);
        let req = map::build(vec![("streams", Value::Array(vec![stream]))]);
        let root = Node::root(&req, "commit");
        let streams = root.require("streams").unwrap();
        let items = streams.items().unwrap();
        let events = items[0].require("events").unwrap();
        let evs = events.items().unwrap();
        let err = evs[1].text("type").unwrap_err();
        assert_eq!(
            err.message,
            "commit: streams[0].events[1].type must be text"
        );
        let err = evs[0].text("type").unwrap_err();
        assert_eq!(err.message, "commit: streams[0].events[0].type is missing");
        let err = Node::root(&Value::from(1), "find")
            .text("entity")
            .unwrap_err();
        assert_eq!(err.message, "find: request must be a map");
    }
}
