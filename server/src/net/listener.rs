//! The Unix socket: taking over a stale socket file, the accept loop, and the
//! per-connection task with its limits and peer check.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::Context as _;
use resident_protocol::error_code;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, Semaphore};

use crate::cbor::answer;
use crate::error::ServerError;
use crate::net::connection::{Connection, Incoming};
use crate::net::context::Context;
use crate::net::dispatch;
use crate::net::shutdown::Shutdown;
use crate::net::socket_file;

/// Binds the socket. A socket file nobody listens on (left by a crash) is removed; one
/// with a live server behind it is refused, since stealing it would cut that server off
/// (see [`socket_file::clear_stale`]).
pub fn bind(path: &Path, mode: u32, group: Option<&str>) -> anyhow::Result<UnixListener> {
    socket_file::clear_stale(path)?;
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot bind {}", path.display()))?;
    if let Some(name) = group {
        let gid = nix::unistd::Group::from_name(name)
            .with_context(|| format!("cannot look up group {name}"))?
            .with_context(|| format!("--socket-group {name}: no such group"))?
            .gid;
        nix::unistd::chown(path, None, Some(gid)).with_context(|| {
            format!(
                "cannot give {} to group {name} (the server's user must be root or a member of it)",
                path.display()
            )
        })?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set mode {mode:o} on {}", path.display()))?;
    Ok(listener)
}

pub struct Accept {
    pub listener: UnixListener,
    pub ctx: Arc<Context>,
    pub connections_max: usize,
    /// Empty: anyone who can open the socket may talk.
    pub allow_uids: Vec<u32>,
    pub shutdown: Shutdown,
    /// Each connection task holds a clone; the server waits until all are dropped.
    pub done: mpsc::Sender<()>,
}

impl Accept {
    /// Accepts until shutdown fires.
    pub async fn run(mut self) {
        let slots = Arc::new(Semaphore::new(self.connections_max));
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = self.shutdown.fired() => return,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Typically EMFILE; back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            if !self.peer_allowed(&stream) {
                continue;
            }
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                let max = self.connections_max;
                tokio::spawn(async move {
                    let error = ServerError::limit(format!(
                        "the server has reached its limit of {max} connections"
                    ));
                    let mut conn = Connection::new(stream, 0);
                    let _ = conn.write(&answer::failure(None, &error)).await;
                });
                continue;
            };
            let ctx = self.ctx.clone();
            let shutdown = self.shutdown.clone();
            let done = self.done.clone();
            tokio::spawn(async move {
                ctx.connections.fetch_add(1, Ordering::Relaxed);
                serve(&ctx, stream, shutdown).await;
                ctx.connections.fetch_sub(1, Ordering::Relaxed);
                drop(slot);
                drop(done);
            });
        }
    }

    fn peer_allowed(&self, stream: &UnixStream) -> bool {
        if self.allow_uids.is_empty() {
            return true;
        }
        match stream.peer_cred() {
            Ok(cred) if self.allow_uids.contains(&cred.uid()) => true,
            Ok(cred) => {
                tracing::warn!(uid = cred.uid(), pid = ?cred.pid(), "refused a connection from a uid outside --allow-uid");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "refused a connection whose credentials could not be read");
                false
            }
        }
    }
}

/// Serves one connection until it closes, breaks the protocol, or the server stops.
async fn serve(ctx: &Context, stream: UnixStream, mut shutdown: Shutdown) {
    let mut conn = Connection::new(stream, ctx.limits.frame_bytes_max);
    while !shutdown.is_fired() {
        let incoming = tokio::select! {
            incoming = conn.read() => incoming,
            _ = shutdown.fired() => return,
        };
        let response = match incoming {
            Ok(Incoming::Frame(frame)) => dispatch::handle(ctx, &frame).await,
            Ok(Incoming::Closed) => return,
            Ok(Incoming::TooLarge { len, max }) => {
                let error = ServerError::new(
                    error_code::TOO_LARGE,
                    format!("frame of {len} bytes exceeds the limit of {max} bytes"),
                );
                let _ = conn.write(&answer::failure(None, &error)).await;
                return;
            }
            Ok(Incoming::Malformed(reason)) => {
                let error = ServerError::new(error_code::MALFORMED, reason);
                let _ = conn.write(&answer::failure(None, &error)).await;
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "connection read failed");
                return;
            }
        };
        if let Err(e) = conn.write(&response).await {
            tracing::debug!(error = %e, "connection write failed");
            return;
        }
    }
}
