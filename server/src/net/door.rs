//! The answer to a connection that is not let in (over the connection limit, or a uid
//! outside `--allow-uid`): one small frame that says why, then the close.

use std::sync::Arc;
use std::time::Duration;

use resident_protocol::scan;
use tokio::net::UnixStream;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::cbor::answer;
use crate::error::ServerError;
use crate::net::budget::Budget;
use crate::net::connection::{Connection, Incoming};
use crate::net::deadline::Deadline;
use crate::net::request::REQUEST_DEPTH_MAX;

/// Turned-away connections answered at once, at most; past it they get the refusal only
/// if it fits the socket's buffer straight away.
const DOOR_ANSWERS_MAX: usize = 64;
/// How long a turned-away client has to send its first request (whose id the refusal
/// then answers), and how big that request may be.
const DOOR_WAIT: Duration = Duration::from_secs(1);
const DOOR_FRAME_BYTES_MAX: u32 = 4096;

/// Answers connections that are not let in, without ever holding up the accept loop:
/// each in a task of its own, a bounded number of them.
pub struct Door {
    answering: Arc<Semaphore>,
    budget: Arc<Budget>,
}

impl Default for Door {
    fn default() -> Door {
        Door {
            answering: Arc::new(Semaphore::new(DOOR_ANSWERS_MAX)),
            // Enough for every answering task's request.
            budget: Arc::new(Budget::new(
                DOOR_ANSWERS_MAX as u64 * u64::from(DOOR_FRAME_BYTES_MAX),
            )),
        }
    }
}

impl Door {
    /// Sends `error` in one small frame, answering the client's first request when it
    /// comes soon, then closes. Reading that request first also keeps the close from
    /// resetting the connection before the client has read the answer.
    pub fn turn_away(&self, stream: UnixStream, error: ServerError) {
        let Ok(answering) = self.answering.clone().try_acquire_owned() else {
            let _ = stream.try_write(&answer::failure(None, &error));
            return;
        };
        let budget = self.budget.clone();
        tokio::spawn(async move {
            let mut conn = Connection::new(stream, DOOR_FRAME_BYTES_MAX);
            let deadline = Deadline::fixed(Instant::now() + DOOR_WAIT, DOOR_WAIT);
            let id = match conn.read(&budget, deadline).await {
                Ok(Incoming::Frame(body)) => scan::scan(&body.bytes, REQUEST_DEPTH_MAX)
                    .ok()
                    .and_then(|shape| shape.id),
                _ => None,
            };
            let answer = answer::failure(id, &error);
            let _ = conn
                .write(&answer, Deadline::after_waiting(DOOR_WAIT))
                .await;
            drop(answering);
        });
    }
}
