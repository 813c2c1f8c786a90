//! Answers one request: parse, then either read the published state or ask the writer.
//!
//! Reads never wait on the writer: they load the latest published state, which only
//! ever holds durable writes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use resident_protocol::{map, Value};

use crate::cbor::answer::{self, Field, Fields};
use crate::error::ServerError;
use crate::request::{self, Limits, Op};
use crate::state::event::stream_name;
use crate::state::record_ref;
use crate::state::State;
use crate::storage::event_reader::{self, LogRecords};
use crate::storage::fsync::Fsync;
use crate::storage::log;
use crate::storage::snapshot_files;
use crate::storage::snapshot_writer::Snapshotter;
use crate::write::writer::WriterHandle;

/// What every connection shares.
pub struct Context {
    pub published: Arc<ArcSwap<State>>,
    pub writer: WriterHandle,
    pub snapshotter: Snapshotter,
    /// Where stream reads find the log.
    pub data_dir: PathBuf,
    pub fsync: Fsync,
    pub limits: Limits,
    pub started: Instant,
    pub connections: AtomicUsize,
}

pub fn server_name() -> String {
    format!("residentd {}", env!("CARGO_PKG_VERSION"))
}

/// The frame answering `result`.
fn answer(id: u64, result: Result<Fields<'_>, ServerError>) -> Vec<u8> {
    match result {
        Ok(fields) => answer::success(id, &fields),
        Err(error) => answer::failure(Some(id), &error),
    }
}

/// Answers one decoded frame with the frame to send back.
pub async fn handle(ctx: &Context, frame: &Value) -> Vec<u8> {
    let (id, op) = match request::parse(frame, &ctx.limits) {
        Ok(parsed) => parsed,
        Err(rejected) => return answer::failure(rejected.id, &rejected.error),
    };
    match op {
        Op::Commit(request) => match ctx.writer.commit(request).await {
            Ok(outcome) => answer(id, Ok(outcome.fields())),
            Err(error) => answer(id, Err(error)),
        },
        Op::Register(part) => answer(
            id,
            ctx.writer.register(part).await.map(|outcome| {
                answer::values(vec![
                    ("changed", Value::Bool(outcome.changed)),
                    ("schema_version", Value::from(outcome.schema_version)),
                ])
            }),
        ),
        Op::Snapshot => answer(id, snapshot(ctx).await),
        read => {
            // An owned snapshot: a long `all` must not pin arc-swap's per-thread slots.
            // The answer borrows the entities' bytes from it, so it is encoded here,
            // while the snapshot is held.
            let state = ctx.published.load_full();
            answer(id, read_op(ctx, &state, &read))
        }
    }
}

/// Writes a snapshot of the state as it is once the commits queued before this request
/// are durable.
async fn snapshot(ctx: &Context) -> Result<Fields<'static>, ServerError> {
    let (state, log_at) = ctx.writer.snapshot_point().await?;
    let written = ctx
        .snapshotter
        .request(state, log_at)
        .map_err(ServerError::unavailable)?
        .await
        .map_err(|_| ServerError::unavailable("the snapshot thread has stopped"))?
        .map_err(|e| ServerError::unavailable(format!("writing the snapshot failed: {e}")))?;
    Ok(answer::values(vec![
        ("path", Value::from(written.path.display().to_string())),
        ("position", Value::from(written.position)),
        ("entities", Value::from(written.entities)),
        ("bytes", Value::from(written.bytes)),
        ("took_ms", Value::from(written.took_ms)),
    ]))
}

/// What a sysadmin asks first of the data directory: the durability setting, how much
/// log there is, and the newest snapshot. Read from the directories, so it is what is
/// on disk. A directory that cannot be read shows as empty rather than failing `stats`.
fn storage(ctx: &Context) -> Value {
    let numbers = log::list(&ctx.data_dir).unwrap_or_default();
    let log_dir = log::log_dir(&ctx.data_dir);
    let log_bytes: u64 = numbers
        .iter()
        .filter_map(|n| std::fs::metadata(log_dir.join(record_ref::segment_name(*n))).ok())
        .map(|m| m.len())
        .sum();
    let snapshots = snapshot_files::list(&ctx.data_dir).unwrap_or_default();
    map::build(vec![
        ("fsync", Value::from(ctx.fsync.to_string())),
        ("log_segments", Value::from(numbers.len() as u64)),
        ("log_bytes", Value::from(log_bytes)),
        ("snapshots", Value::from(snapshots.len() as u64)),
        (
            "snapshot_position",
            snapshots
                .last()
                .map_or(Value::Null, |(position, _)| Value::from(*position)),
        ),
    ])
}

/// Answers a read from `state`; entities are borrowed from it, ready-encoded.
fn read_op<'s>(ctx: &Context, state: &'s State, op: &'s Op) -> Result<Fields<'s>, ServerError> {
    let rows_max = ctx.limits.rows_max;
    Ok(match op {
        Op::Hello => answer::values(vec![
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
        ]),
        Op::Find { entity, key } => {
            state.entity_def(entity)?;
            vec![(
                "entity",
                Field::entity(state.entity(entity, key).map(|e| &**e)),
            )]
        }
        Op::All { entity } => {
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
            vec![("entities", Field::Table(table))]
        }
        Op::Count { entity } => {
            state.entity_def(entity)?;
            vec![("count", Value::from(state.entity_count(entity)).into())]
        }
        Op::Load {
            aggregate,
            key,
            entity,
        } => {
            let version = state.stream_version(&stream_name(aggregate, key));
            let mut fields = vec![("version", Value::from(version).into())];
            if let Some(entity) = entity {
                state.entity_def(entity)?;
                let found = state.entity(entity, key).map(|e| &**e);
                fields.push(("state", Field::entity(found)));
            }
            fields
        }
        Op::Read {
            aggregate,
            key,
            from,
            limit,
        } => {
            let stream = stream_name(aggregate, key);
            let limit = limit.map_or(rows_max, |l| {
                usize::try_from(l).unwrap_or(usize::MAX).min(rows_max)
            });
            let refs = state.stream_refs(&stream, *from, limit);
            let events =
                event_reader::stream_events(&LogRecords::new(&ctx.data_dir), &stream, &refs)?;
            answer::values(vec![
                ("version", Value::from(state.stream_version(&stream))),
                (
                    "events",
                    Value::Array(events.iter().map(|e| e.to_read_value()).collect()),
                ),
            ])
        }
        Op::Query(query) => crate::query::run::run(state, query, rows_max)?,
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
            answer::values(vec![
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
                ("storage", storage(ctx)),
            ])
        }
        Op::Commit(_) | Op::Register(_) | Op::Snapshot => {
            return Err(ServerError::internal("a write reached the read path"))
        }
    })
}
