//! Wires the pieces together: lock, recover, bind, serve, and stop cleanly.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::handler::Context;
use crate::listener::{self, Accept};
use crate::request::Limits;
use crate::writer::Writer;
use crate::{lockfile, recovery, shutdown};

/// How long connections get to finish their request in hand after a stop signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create data directory {}", config.data.display()))?;
    let _lock = lockfile::acquire(&config.data)?;
    let recovered = recovery::recover(&config.data)?;
    let published = Arc::new(ArcSwap::from_pointee(recovered.state.clone()));
    let entities_loaded = recovered.state.entity_count_total();
    let writer = Writer::spawn(recovered.state, recovered.log, published.clone())
        .context("cannot start the writer thread")?;
    let listener = listener::bind(
        &config.socket,
        config.socket_mode,
        config.socket_group.as_deref(),
    )?;
    tracing::info!(
        socket = %config.socket.display(),
        data = %config.data.display(),
        events_replayed = recovered.events_replayed,
        entities_loaded,
        took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "residentd ready"
    );

    let ctx = Arc::new(Context {
        published,
        writer: writer.handle(),
        limits: Limits {
            frame_bytes_max: config.frame_bytes_max,
            events_per_commit_max: config.events_per_commit_max,
            rows_max: config.rows_max,
        },
        started,
        connections: AtomicUsize::new(0),
    });
    let (trigger, shutdown) = shutdown::channel();
    let (done, mut all_done) = mpsc::channel::<()>(1);
    let accept = Accept {
        listener,
        ctx: ctx.clone(),
        connections_max: config.connections_max,
        allow_uids: config.allow_uid.clone(),
        shutdown,
        done,
    };
    let accepting = tokio::spawn(accept.run());

    let signal = shutdown::signal()
        .await
        .context("cannot install signal handlers")?;
    tracing::info!(
        signal,
        "stopping: no new connections, finishing requests in flight"
    );
    trigger.fire();
    let _ = accepting.await;
    drop(ctx);
    if tokio::time::timeout(DRAIN_TIMEOUT, all_done.recv())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time; closing them");
    }
    writer.stop().await;
    if let Err(e) = std::fs::remove_file(&config.socket) {
        tracing::warn!(socket = %config.socket.display(), error = %e, "could not remove the socket file");
    }
    tracing::info!("stopped");
    Ok(())
}
