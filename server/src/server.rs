//! Wires the pieces together: lock, recover, bind, serve, and stop cleanly.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use tokio::net::UnixListener;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::net::budget::Budget;
use crate::net::context::{Context, Limits};
use crate::net::listener::{self, Accept};
use crate::net::{shutdown, socket_file};
use crate::state::State;
use crate::storage::log::Log;
use crate::storage::log_check::LogCheck;
use crate::storage::snapshot_files::{self, Retention};
use crate::storage::snapshot_writer::Snapshotter;
use crate::storage::{lockfile, owner_only, recovery};
use crate::write::writer::{SnapshotSchedule, Writer};

/// How long connections get to finish their request in hand after a stop signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    owner_only::create_dir(&config.data)
        .with_context(|| format!("cannot create data directory {}", config.data.display()))?;
    owner_only::warn_if_open_to_all(&config.data);
    let _lock = lockfile::acquire(&config.data)?;
    // Before the replay, which may take minutes: a bad --socket is said at once.
    socket_file::check(&config.socket)?;
    let (loaded, log) = recover(&config)?;
    let published = Arc::new(ArcSwap::from_pointee(loaded.state.clone()));
    let (writer, snapshotter) = start_writing(&config, loaded.state, log, published.clone())?;
    let listener = listener::bind(
        &config.socket,
        config.socket_mode,
        config.socket_group.as_deref(),
    )?;
    let socket = socket_file::Bound::at(&config.socket)?;
    tracing::info!(
        socket = %config.socket.display(),
        data = %config.data.display(),
        fsync = %config.fsync,
        took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "residentd ready"
    );
    // Once the server is ready, so that it does not delay the start.
    let log_check = LogCheck::start(&config.data, loaded.report.segments_not_read)
        .context("cannot start the log check thread")?;
    let ctx = Arc::new(Context {
        published,
        writer: writer.handle(),
        snapshotter,
        data_dir: config.data.clone(),
        fsync: config.fsync,
        log_check,
        limits: Limits {
            frame_bytes_max: config.frame_bytes_max,
            events_per_commit_max: config.events_per_commit_max,
            rows_max: config.rows_max,
            frame_timeout: Duration::from_millis(config.frame_timeout_ms),
            idle_timeout: Duration::from_millis(config.idle_timeout_ms),
        },
        budget: Budget::new(config.request_memory_max),
        started,
        connections: AtomicUsize::new(0),
    });
    serve_until_signal(&config, listener, &socket, ctx).await?;
    writer.stop().await;
    socket.remove();
    tracing::info!("stopped");
    Ok(())
}

/// The state the data directory holds, and its log opened for appends.
fn recover(config: &Config) -> anyhow::Result<(recovery::Loaded, Log)> {
    snapshot_files::remove_leftovers(&config.data)
        .context("cannot clean the snapshot directory")?;
    let loaded = recovery::load(&config.data, recovery::Mode::Start, true)?;
    report(&loaded);
    let log = Log::open(
        &config.data,
        loaded.log_end.segment(),
        config.segment_bytes,
        config.fsync,
    )?;
    Ok((loaded, log))
}

/// The snapshot thread, and the writer thread that owns `state` and `log` from now on.
fn start_writing(
    config: &Config,
    state: State,
    log: Log,
    published: Arc<ArcSwap<State>>,
) -> anyhow::Result<(Writer, Snapshotter)> {
    let snapshotter = Snapshotter::spawn(
        &config.data,
        Retention {
            keep: config.snapshots_keep,
            prune_log: config.prune_log,
        },
    )
    .context("cannot start the snapshot thread")?;
    let schedule = SnapshotSchedule {
        every_events: config.snapshot_every_events,
        every: Duration::from_secs(config.snapshot_every_minutes.saturating_mul(60)),
    };
    let writer = Writer::spawn(state, log, published, Some((snapshotter.clone(), schedule)))
        .context("cannot start the writer thread")?;
    Ok((writer, snapshotter))
}

/// Accepts connections until SIGTERM or SIGINT, then lets the connections finish the
/// request in hand, for at most [`DRAIN_TIMEOUT`].
async fn serve_until_signal(
    config: &Config,
    listener: UnixListener,
    socket: &socket_file::Bound,
    ctx: Arc<Context>,
) -> anyhow::Result<()> {
    let (trigger, shutdown) = shutdown::channel();
    let (done, mut all_done) = mpsc::channel::<()>(1);
    let accept = Accept {
        listener,
        ctx,
        connections_max: config.connections_max,
        allow_uids: config.allow_uid.clone(),
        shutdown,
        done,
    };
    let accepting = tokio::spawn(accept.run());
    let signals = shutdown::signal();
    tokio::pin!(signals);
    let watching = socket.watch();
    tokio::pin!(watching);
    let signal = tokio::select! {
        signal = &mut signals => signal,
        () = &mut watching => signals.await,
    }
    .context("cannot install signal handlers")?;
    tracing::info!(
        signal,
        "stopping: no new connections, finishing requests in flight"
    );
    trigger.fire();
    let _ = accepting.await;
    if tokio::time::timeout(DRAIN_TIMEOUT, all_done.recv())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time; closing them");
    }
    Ok(())
}

/// Says on stderr what start-up did: which snapshot, how much log, how long.
fn report(loaded: &recovery::Loaded) {
    let r = &loaded.report;
    let (snapshot, snapshot_position) = match &r.snapshot {
        Some((path, position)) => (path.display().to_string(), *position),
        None => ("none".to_string(), 0),
    };
    tracing::info!(
        snapshot,
        snapshot_position,
        snapshots_skipped = r.snapshots_skipped.len(),
        events_replayed = r.events_replayed,
        position = loaded.state.position(),
        entities_loaded = loaded.state.entity_count_total(),
        took_ms = u64::try_from(r.took.as_millis()).unwrap_or(u64::MAX),
        "state loaded"
    );
}
