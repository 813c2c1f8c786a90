//! The read operations other than `query`: `hello`, `find`, `all`, `count`, `load` and
//! `read`. Each parses its request here and answers from one published state, with
//! entities borrowed from it, ready-encoded.

use resident_protocol::{map, op, Value};

use crate::cbor::answer::{self, Field, Fields, TooLarge};
use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::net::context::{server_name, Context, Limits};
use crate::state::event::stream_name;
use crate::state::State;
use crate::storage::event_reader::{self, LogRecords};

#[derive(Debug, Clone, PartialEq)]
pub enum ReadOp {
    Hello,
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
}

impl ReadOp {
    /// The read operation `name` asks for, parsed from its request; `None` when `name`
    /// is no read operation of this file.
    pub fn parse(name: &str, root: &Node<'_>) -> Result<Option<ReadOp>, ServerError> {
        Ok(Some(match name {
            op::HELLO => {
                check_protocol(root)?;
                ReadOp::Hello
            }
            op::FIND => ReadOp::Find {
                entity: root.name("entity")?.to_string(),
                key: root.text("key")?.to_string(),
            },
            op::ALL => ReadOp::All {
                entity: root.name("entity")?.to_string(),
            },
            op::COUNT => ReadOp::Count {
                entity: root.name("entity")?.to_string(),
            },
            op::LOAD => ReadOp::Load {
                aggregate: root.name("aggregate")?.to_string(),
                key: root.name("key")?.to_string(),
                entity: root.optional_name("entity")?.map(str::to_string),
            },
            op::READ => ReadOp::Read {
                aggregate: root.name("aggregate")?.to_string(),
                key: root.name("key")?.to_string(),
                from: root.optional_u64("from")?.unwrap_or(1),
                limit: root.optional_u64("limit")?,
            },
            _ => return Ok(None),
        }))
    }

    /// Answers from `state`; entities are borrowed from it, ready-encoded.
    pub fn answer<'s>(
        &'s self,
        ctx: &Context,
        state: &'s State,
    ) -> Result<Fields<'s>, ServerError> {
        let rows_max = ctx.limits.rows_max;
        match self {
            ReadOp::Hello => Ok(hello(&ctx.limits)),
            ReadOp::Find { entity, key } => find(state, entity, key),
            ReadOp::All { entity } => all(state, entity, rows_max),
            ReadOp::Count { entity } => count(state, entity),
            ReadOp::Load {
                aggregate,
                key,
                entity,
            } => load(state, aggregate, key, entity.as_deref()),
            ReadOp::Read {
                aggregate,
                key,
                from,
                limit,
            } => {
                let limit = limit.map_or(rows_max, |l| {
                    usize::try_from(l).unwrap_or(usize::MAX).min(rows_max)
                });
                read(ctx, state, &stream_name(aggregate, key), *from, limit)
            }
        }
    }
}

/// A client may name the protocol it speaks; this server speaks one.
fn check_protocol(root: &Node<'_>) -> Result<(), ServerError> {
    if let Some(protocol) = root.optional_u64("protocol")? {
        if protocol != resident_protocol::PROTOCOL_VERSION {
            return Err(ServerError::bad_request(format!(
                "hello: protocol {protocol} is not supported; this server speaks {}",
                resident_protocol::PROTOCOL_VERSION
            )));
        }
    }
    Ok(())
}

fn hello(limits: &Limits) -> Fields<'static> {
    answer::values(vec![
        ("server", Value::from(server_name())),
        ("protocol", Value::from(resident_protocol::PROTOCOL_VERSION)),
        (
            "limits",
            map::build(vec![
                ("frame_bytes_max", Value::from(limits.frame_bytes_max)),
                (
                    "events_per_commit_max",
                    Value::from(limits.events_per_commit_max as u64),
                ),
                ("rows_max", Value::from(limits.rows_max as u64)),
            ]),
        ),
    ])
}

fn find<'s>(state: &'s State, entity: &str, key: &str) -> Result<Fields<'s>, ServerError> {
    state.entity_def(entity)?;
    Ok(vec![(
        "entity",
        Field::entity(state.entity(entity, key).map(|e| &**e)),
    )])
}

fn all<'s>(state: &'s State, entity: &str, rows_max: usize) -> Result<Fields<'s>, ServerError> {
    state.entity_def(entity)?;
    let Some(table) = state.table(entity) else {
        return Ok(vec![("entities", Field::Rows(Vec::new()))]);
    };
    if table.len() > rows_max {
        return Err(ServerError::limit(format!(
            "all: {entity} has {} entities, more than the limit of {rows_max} rows",
            table.len()
        )));
    }
    Ok(vec![("entities", Field::Table(table))])
}

fn count(state: &State, entity: &str) -> Result<Fields<'static>, ServerError> {
    state.entity_def(entity)?;
    Ok(vec![(
        "count",
        Value::from(state.entity_count(entity)).into(),
    )])
}

fn load<'s>(
    state: &'s State,
    aggregate: &str,
    key: &str,
    entity: Option<&str>,
) -> Result<Fields<'s>, ServerError> {
    let version = state.stream_version(&stream_name(aggregate, key));
    let mut fields = vec![("version", Value::from(version).into())];
    if let Some(entity) = entity {
        state.entity_def(entity)?;
        let found = state.entity(entity, key).map(|e| &**e);
        fields.push(("state", Field::entity(found)));
    }
    Ok(fields)
}

/// The events of `stream` from version `from`, read back from the log and encoded one
/// by one, stopping as soon as they would not fit in one answer.
fn read(
    ctx: &Context,
    state: &State,
    stream: &str,
    from: u64,
    limit: usize,
) -> Result<Fields<'static>, ServerError> {
    let refs = state.stream_refs(stream, from, limit);
    let max = ctx.limits.frame_bytes_max as usize;
    let mut events = Vec::with_capacity(refs.len());
    let mut bytes = 0usize;
    let log = LogRecords::new(&ctx.data_dir);
    event_reader::for_each_stream_event(&log, stream, &refs, |event| {
        let mut encoded = Vec::new();
        ciborium::ser::into_writer(&event.to_read_value(), &mut encoded)
            .expect("writing CBOR to a Vec cannot fail");
        bytes += encoded.len();
        if bytes > max {
            return Err(TooLarge.error(op::READ, max));
        }
        events.push(Field::Encoded(encoded));
        Ok(())
    })?;
    Ok(vec![
        ("version", Value::from(state.stream_version(stream)).into()),
        ("events", Field::List(events)),
    ])
}
