//! CBOR request maps → typed requests.
//!
//! All validation of shape happens here, with messages that name the exact path, so the
//! rest of the server works with well-formed Rust values only.

use resident_protocol::Value;

use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::query::parse::Query;
use crate::state::schema::SchemaPart;
use crate::write::commit::CommitRequest;

/// Limits that bound what one request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub frame_bytes_max: u32,
    pub events_per_commit_max: usize,
    pub rows_max: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Hello,
    Register(SchemaPart),
    Commit(CommitRequest),
    Find {
        entity: String,
        key: String,
    },
    All {
        entity: String,
    },
    Count {
        entity: String,
    },
    Load {
        aggregate: String,
        key: String,
        entity: Option<String>,
    },
    Read {
        aggregate: String,
        key: String,
        from: u64,
        limit: Option<u64>,
    },
    Query(Box<Query>),
    Stats,
    /// Write a snapshot now; answered once it is on disk.
    Snapshot,
}

/// A request that could not be parsed: the `id` to answer with (if one was readable)
/// and the error.
#[derive(Debug)]
pub struct Rejected {
    pub id: Option<u64>,
    pub error: ServerError,
}

/// Parses a decoded frame (already known to be a map).
pub fn parse(frame: &Value, limits: &Limits) -> Result<(u64, Op), Rejected> {
    let root = Node::root(frame, "request");
    let id = match root.get("id") {
        Ok(Some(node)) => node
            .as_u64()
            .map_err(|error| Rejected { id: None, error })?,
        Ok(None) => {
            return Err(Rejected {
                id: None,
                error: ServerError::bad_request("request: id is missing"),
            })
        }
        Err(error) => return Err(Rejected { id: None, error }),
    };
    let reject = |error| Rejected {
        id: Some(id),
        error,
    };
    let op = root.text("op").map_err(reject)?;
    parse_op(frame, op, limits)
        .map(|op| (id, op))
        .map_err(reject)
}

fn parse_op(frame: &Value, op: &str, limits: &Limits) -> Result<Op, ServerError> {
    let root = Node::root(frame, op);
    Ok(match op {
        "hello" => {
            if let Some(protocol) = root.optional_u64("protocol")? {
                if protocol != resident_protocol::PROTOCOL_VERSION {
                    return Err(ServerError::bad_request(format!(
                        "hello: protocol {protocol} is not supported; this server speaks {}",
                        resident_protocol::PROTOCOL_VERSION
                    )));
                }
            }
            Op::Hello
        }
        "register" => Op::Register(SchemaPart::parse(&root)?),
        "commit" => Op::Commit(CommitRequest::parse(&root, limits.events_per_commit_max)?),
        "find" => Op::Find {
            entity: root.name("entity")?.to_string(),
            key: root.text("key")?.to_string(),
        },
        "all" => Op::All {
            entity: root.name("entity")?.to_string(),
        },
        "count" => Op::Count {
            entity: root.name("entity")?.to_string(),
        },
        "load" => Op::Load {
            aggregate: root.name("aggregate")?.to_string(),
            key: root.name("key")?.to_string(),
            entity: root.optional_name("entity")?.map(str::to_string),
        },
        "read" => Op::Read {
            aggregate: root.name("aggregate")?.to_string(),
            key: root.name("key")?.to_string(),
            from: root.optional_u64("from")?.unwrap_or(1),
            limit: root.optional_u64("limit")?,
        },
        "query" => Op::Query(Box::new(Query::parse(&root)?)),
        "stats" => Op::Stats,
        "snapshot" => Op::Snapshot,
        other => {
            return Err(ServerError::new(
                resident_protocol::error_code::UNKNOWN_OP,
                format!("unknown op {other:?}"),
            ))
        }
    })
}
