//! Answers one request: parse, then either read the published state or ask the writer.
//!
//! Reads never wait on the writer: they load the latest published state, which only
//! ever holds durable writes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use resident_protocol::{map, Value};

use crate::error::ServerError;
use crate::event::stream_name;
use crate::request::{self, Limits, Op};
use crate::state::State;
use crate::writer::WriterHandle;

/// What every connection shares.
pub struct Context {
    pub published: Arc<ArcSwap<State>>,
    pub writer: WriterHandle,
    pub limits: Limits,
    pub started: Instant,
    pub connections: AtomicUsize,
}

pub fn server_name() -> String {
    format!("residentd {}", env!("CARGO_PKG_VERSION"))
}

/// `{id, ok: false, error}`.
pub fn failure(id: Option<u64>, error: &ServerError) -> Value {
    map::build(vec![
        ("id", id.map_or(Value::Null, Value::from)),
        ("ok", Value::Bool(false)),
        ("error", error.to_value()),
    ])
}

fn success(id: u64, fields: Vec<(&'static str, Value)>) -> Value {
    let mut entries = vec![("id", Value::from(id)), ("ok", Value::Bool(true))];
    entries.extend(fields);
    map::build(entries)
}

/// Answers one decoded frame.
pub async fn handle(ctx: &Context, frame: &Value) -> Value {
    let (id, op) = match request::parse(frame, &ctx.limits) {
        Ok(parsed) => parsed,
        Err(rejected) => return failure(rejected.id, &rejected.error),
    };
    match execute(ctx, op).await {
        Ok(fields) => success(id, fields),
        Err(error) => failure(Some(id), &error),
    }
}

async fn execute(ctx: &Context, op: Op) -> Result<Vec<(&'static str, Value)>, ServerError> {
    match op {
        Op::Commit(request) => Ok(ctx.writer.commit(request).await?.to_value()),
        Op::Register(part) => {
            let outcome = ctx.writer.register(part).await?;
            Ok(vec![
                ("changed", Value::Bool(outcome.changed)),
                ("schema_version", Value::from(outcome.schema_version)),
            ])
        }
        read => {
            // An owned snapshot: a long `all` must not pin arc-swap's per-thread slots.
            let state = ctx.published.load_full();
            read_op(ctx, &state, read)
        }
    }
}

fn known_entity(state: &State, entity: &str) -> Result<(), ServerError> {
    if state.schema().entities.contains_key(entity) {
        Ok(())
    } else {
        Err(ServerError::schema(format!(
            "entity type {entity} is not registered"
        )))
    }
}

fn read_op(
    ctx: &Context,
    state: &State,
    op: Op,
) -> Result<Vec<(&'static str, Value)>, ServerError> {
    let rows_max = ctx.limits.rows_max;
    Ok(match op {
        Op::Hello => vec![
            ("server", Value::from(server_name())),
            ("protocol", Value::from(resident_protocol::PROTOCOL_VERSION)),
            (
                "limits",
                map::build(vec![
                    ("frame_bytes_max", Value::from(ctx.limits.frame_bytes_max)),
                    (
                        "events_per_commit_max",
                        Value::from(ctx.limits.events_per_commit_max as u64),
                    ),
                    ("rows_max", Value::from(rows_max as u64)),
                ]),
            ),
        ],
        Op::Find { entity, key } => {
            known_entity(state, &entity)?;
            let found = state
                .entity(&entity, &key)
                .map_or(Value::Null, |e| e.to_value());
            vec![("entity", found)]
        }
        Op::All { entity } => {
            known_entity(state, &entity)?;
            let Some(table) = state.table(&entity) else {
                return Ok(vec![("entities", Value::Array(Vec::new()))]);
            };
            if table.len() > rows_max {
                return Err(ServerError::limit(format!(
                    "all: {entity} has {} entities, more than the limit of {rows_max} rows",
                    table.len()
                )));
            }
            vec![(
                "entities",
                Value::Array(table.values().map(|e| e.to_value()).collect()),
            )]
        }
        Op::Count { entity } => {
            known_entity(state, &entity)?;
            vec![("count", Value::from(state.entity_count(&entity)))]
        }
        Op::Load {
            aggregate,
            key,
            entity,
        } => {
            let version = state.stream_version(&stream_name(&aggregate, &key));
            let mut fields = vec![("version", Value::from(version))];
            if let Some(entity) = entity {
                known_entity(state, &entity)?;
                let found = state
                    .entity(&entity, &key)
                    .map_or(Value::Null, |e| e.to_value());
                fields.push(("state", found));
            }
            fields
        }
        Op::Read {
            aggregate,
            key,
            from,
            limit,
        } => {
            let stream = stream_name(&aggregate, &key);
            let limit = limit.map_or(rows_max, |l| {
                usize::try_from(l).unwrap_or(usize::MAX).min(rows_max)
            });
            let events = state.stream_events(&stream, from, limit);
            vec![
                ("version", Value::from(state.stream_version(&stream))),
                (
                    "events",
                    Value::Array(events.iter().map(|e| e.to_read_value()).collect()),
                ),
            ]
        }
        Op::Query(query) => crate::execute::run(state, &query, rows_max)?,
        Op::Stats => {
            let entities = state
                .schema()
                .entities
                .keys()
                .map(|name| {
                    (
                        Value::from(name.as_str()),
                        Value::from(state.entity_count(name)),
                    )
                })
                .collect();
            vec![
                ("server", Value::from(server_name())),
                ("position", Value::from(state.position())),
                ("events", Value::from(state.position())),
                ("streams", Value::from(state.stream_count() as u64)),
                ("entities", Value::Map(entities)),
                ("schema_version", Value::from(state.schema_version())),
                (
                    "connections",
                    Value::from(ctx.connections.load(Ordering::Relaxed) as u64),
                ),
                (
                    "uptime_ms",
                    Value::from(
                        u64::try_from(ctx.started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    ),
                ),
            ]
        }
        Op::Commit(_) | Op::Register(_) => {
            return Err(ServerError::internal("a write reached the read path"))
        }
    })
}
