//! The Unix socket: taking over a stale socket file, the accept loop, and the
//! per-connection task with its limits and peer check.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use crate::cbor::answer;
use crate::error::ServerError;
use crate::net::connection::{Connection, Incoming};
use crate::net::context::Context;
use crate::net::deadline::Deadline;
use crate::net::dispatch;
use crate::net::door::Door;
use crate::net::request;
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
        let door = Door::default();
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
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(refusal) = self.peer_allowed(&stream) {
                door.turn_away(stream, refusal);
                continue;
            }
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                let max = self.connections_max;
                door.turn_away(
                    stream,
                    ServerError::limit(format!(
                        "residentd serves at most {max} connections and all are in use; \
                         retry later, or raise connections_max"
                    )),
                );
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

    /// Whether the peer's uid may talk; the refusal to send it when not.
    fn peer_allowed(&self, stream: &UnixStream) -> Result<(), ServerError> {
        if self.allow_uids.is_empty() {
            return Ok(());
        }
        match stream.peer_cred() {
            Ok(cred) if self.allow_uids.contains(&cred.uid()) => Ok(()),
            Ok(cred) => {
                tracing::warn!(uid = cred.uid(), pid = ?cred.pid(), "refused a connection from a uid outside --allow-uid");
                Err(forbidden(format!(
                    "uid {} is not allowed by --allow-uid",
                    cred.uid()
                )))
            }
            Err(e) => {
                tracing::warn!(error = %e, "refused a connection whose credentials could not be read");
                Err(forbidden(format!(
                    "residentd could not read the credentials of this connection ({e}), and \
                     --allow-uid needs them"
                )))
            }
        }
    }
}

fn forbidden(message: String) -> ServerError {
    ServerError::new(resident_protocol::error_code::FORBIDDEN, message)
}

/// Serves one connection until it closes, breaks the protocol, goes quiet, or the server
/// stops.
async fn serve(ctx: &Context, stream: UnixStream, mut shutdown: Shutdown) {
    let limits = &ctx.limits;
    let mut conn = Connection::new(stream, limits.frame_bytes_max);
    // The first frame must be whole within the frame timeout of connecting, so a client
    // that connects and says nothing gives its slot back soon.
    let mut first = Deadline::fixed(Instant::now() + limits.frame_timeout, limits.frame_timeout);
    let mut quiet = Quiet::new(first.instant(), limits.idle_timeout);
    while !shutdown.is_fired() {
        let incoming = tokio::select! {
            begun = conn.begun() => match begun {
                Ok(true) => {
                    let deadline = if quiet.requests == 0 {
                        first
                    } else {
                        Deadline::after_waiting(limits.frame_timeout)
                    };
                    conn.read(&ctx.budget, deadline).await
                }
                Ok(false) => return,
                Err(e) => Err(e),
            },
            never_spoke = quiet.too_long() => {
                if never_spoke {
                    refuse_silence(&mut conn, limits.frame_timeout).await;
                }
                // Otherwise without a word: a client that keeps its connection (the
                // extension) opens a new one for its next request, and an answer now
                // would pass for that one's.
                tracing::debug!("closing a connection quiet for longer than its timeout");
                return;
            }
            _ = shutdown.fired() => return,
        };
        let Some((response, close)) = respond(ctx, incoming).await else {
            return;
        };
        quiet.answered();
        let deadline = Deadline::after_waiting(limits.frame_timeout);
        if let Err(e) = conn.write(&response, deadline).await {
            tracing::debug!(error = %e, "connection write failed");
            return;
        }
        if close {
            return;
        }
    }
}

/// When a connection has been quiet too long: no request by the first frame's deadline,
/// or none for an idle timeout since. One timer, moved on only when it fires after
/// requests came rather than set again for each (a timer per request would cost every
/// request), so an idle connection is closed one to two idle timeouts after its last.
struct Quiet {
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
    idle: Duration,
    requests: u64,
    requests_seen: u64,
}

impl Quiet {
    fn new(first_by: Instant, idle: Duration) -> Quiet {
        Quiet {
            timer: Box::pin(tokio::time::sleep_until(first_by)),
            idle,
            requests: 0,
            requests_seen: 0,
        }
    }

    fn answered(&mut self) {
        self.requests += 1;
        if self.requests == 1 {
            self.requests_seen = 1;
            self.timer.as_mut().reset(Instant::now() + self.idle);
        }
    }

    /// Returns once the connection has been quiet too long: true when it never sent a
    /// request. Cancel-safe.
    async fn too_long(&mut self) -> bool {
        loop {
            self.timer.as_mut().await;
            if self.requests == self.requests_seen {
                return self.requests == 0;
            }
            self.requests_seen = self.requests;
            self.timer.as_mut().reset(Instant::now() + self.idle);
        }
    }
}

/// Tells a client that sent nothing since it connected why it is closed.
async fn refuse_silence(conn: &mut Connection, frame_timeout: Duration) {
    let error = ServerError::limit(format!(
        "no request came within {} ms of connecting (frame_timeout_ms); closing the \
         connection",
        frame_timeout.as_millis()
    ));
    let answer = answer::failure(None, &error);
    let _ = conn
        .write(&answer, Deadline::after_waiting(frame_timeout))
        .await;
}

/// The answer to what came in, and whether to close the connection after it; `None`:
/// close without a word.
async fn respond(ctx: &Context, incoming: std::io::Result<Incoming>) -> Option<(Vec<u8>, bool)> {
    Some(match incoming {
        Ok(Incoming::Frame(body)) => match request::decode(body, &ctx.budget).await {
            Ok(request) => (dispatch::handle(ctx, &request.value).await, false),
            Err(refused) => (answer::failure(refused.id, &refused.error), refused.close),
        },
        Ok(Incoming::Refused(error)) => (answer::failure(None, &error), true),
        Ok(Incoming::Closed) => return None,
        Err(e) => {
            tracing::debug!(error = %e, "connection read failed");
            return None;
        }
    })
}
