//! The operations a sysadmin asks for: `stats` and `snapshot`.

use std::sync::atomic::Ordering;

use resident_protocol::{map, Value};

use crate::cbor::answer::{self, Fields};
use crate::error::ServerError;
use crate::net::context::{server_name, Context};
use crate::state::record_ref;
use crate::state::State;
use crate::storage::{log, log_check, snapshot_files};

/// Counts from `state`, the connections and uptime, and what is on disk.
pub fn stats(ctx: &Context, state: &State) -> Fields<'static> {
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
            Value::from(u64::try_from(ctx.started.elapsed().as_millis()).unwrap_or(u64::MAX)),
        ),
        ("storage", storage(ctx)),
    ])
}

/// Writes a snapshot of the state as it is once the commits queued before this request
/// are durable.
pub async fn snapshot(ctx: &Context) -> Result<Fields<'static>, ServerError> {
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
/// log there is, the newest snapshot, and whether the log segments start-up did not read
/// are sound. Read from the directories, so it is what is on disk. A directory that
/// cannot be read shows as empty rather than failing `stats`.
fn storage(ctx: &Context) -> Value {
    let numbers = log::list(&ctx.data_dir).unwrap_or_default();
    let log_dir = log::log_dir(&ctx.data_dir);
    let log_bytes: u64 = numbers
        .iter()
        .filter_map(|n| std::fs::metadata(log_dir.join(record_ref::segment_name(*n))).ok())
        .map(|m| m.len())
        .sum();
    let snapshots = snapshot_files::list(&ctx.data_dir).unwrap_or_default();
    let check = ctx.log_check.status();
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
        ("log_check", Value::from(check_state(&check))),
        (
            "log_damage",
            Value::Array(check.damage.iter().map(damage_value).collect()),
        ),
        (
            "log_damaged_segments",
            Value::from(check.damaged_segments as u64),
        ),
    ])
}

/// `checking` until every segment was read, then `damaged` or `sound`.
fn check_state(check: &log_check::Status) -> &'static str {
    if check.damaged_segments > 0 {
        "damaged"
    } else if !check.done {
        "checking"
    } else {
        "sound"
    }
}

fn damage_value(damage: &log_check::Damage) -> Value {
    map::build(vec![
        ("file", Value::from(damage.path.display().to_string())),
        ("offset", Value::from(damage.offset)),
        ("reason", Value::from(damage.reason.as_str())),
    ])
}
