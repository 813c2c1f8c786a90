//! The memory that requests being read and decoded may hold together, across all
//! connections (`request_memory_max`): a frame's bytes as they arrive, then what decoding
//! them builds, until its answer is made. Beyond it a frame waits for room, until its
//! deadline; one that could never fit is refused at once. So a thousand clients sending
//! big or slow frames cost at most this much, whatever the connection limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::ServerError;
use crate::net::deadline::Deadline;

/// Not a FIFO semaphore on purpose: a big frame waiting for room must not hold up the
/// small requests behind it, which fit in what is left (and give it back at once).
pub struct Budget(Arc<Shared>);

struct Shared {
    used: AtomicU64,
    total: u64,
    /// Frames waiting for room, so that giving bytes back wakes them only when there are
    /// any (the common case, none, then costs an atomic load).
    waiting: AtomicU64,
    /// Wakes the waiting frames whenever bytes are given back, to try again.
    freed: Notify,
}

/// Bytes taken from the budget, given back when dropped.
#[derive(Default)]
pub struct Held {
    budget: Option<Arc<Shared>>,
    bytes: u64,
}

/// Why bytes could not be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Short {
    /// More than the whole budget: waiting would not help.
    Never { wanted: u64, total: u64 },
    /// The rest is held by other requests, and was still at the deadline.
    Busy {
        wanted: u64,
        total: u64,
        waited: Duration,
    },
}

impl Budget {
    pub fn new(total: u64) -> Budget {
        Budget(Arc::new(Shared {
            used: AtomicU64::new(0),
            total,
            waiting: AtomicU64::new(0),
            freed: Notify::new(),
        }))
    }

    /// Adds `bytes` to `held`, waiting for other requests to give room until `deadline`.
    pub async fn take(
        &self,
        held: &mut Held,
        bytes: u64,
        deadline: &mut Deadline,
    ) -> Result<(), Short> {
        let total = self.0.total;
        if bytes > total {
            return Err(Short::Never {
                wanted: bytes,
                total,
            });
        }
        if !self.try_take(bytes) {
            self.wait_for(bytes, deadline.instant()).await?;
        }
        held.budget.get_or_insert_with(|| self.0.clone());
        held.bytes += bytes;
        Ok(())
    }

    /// Takes `bytes` once others give room back, or fails at `by`.
    async fn wait_for(&self, bytes: u64, by: Instant) -> Result<(), Short> {
        let started = Instant::now();
        self.0.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.0);
        loop {
            // Registered before trying, so a release in between is not missed.
            let freed = self.0.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.try_take(bytes) {
                return Ok(());
            }
            if tokio::time::timeout_at(by, freed).await.is_err() {
                return Err(Short::Busy {
                    wanted: bytes,
                    total: self.0.total,
                    waited: started.elapsed(),
                });
            }
        }
    }

    fn try_take(&self, bytes: u64) -> bool {
        self.0
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                (used + bytes <= self.0.total).then_some(used + bytes)
            })
            .is_ok()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.used.fetch_sub(self.bytes, Ordering::SeqCst);
            // A frame that registers as waiting after this load sees the room itself.
            if budget.waiting.load(Ordering::SeqCst) > 0 {
                budget.freed.notify_waiters();
            }
        }
    }
}

/// Counts a frame as waiting for as long as it is.
struct Waiting<'b>(&'b Shared);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Short {
    /// The `limit` refusal of the request that needed the room; `what` says for what.
    pub fn error(&self, what: &str) -> ServerError {
        ServerError::limit(match self {
            Short::Never { wanted, total } => format!(
                "{what} needs about {wanted} bytes of memory, more than residentd allows for \
                 all requests in flight ({total}, request_memory_max): send less in one request"
            ),
            Short::Busy {
                wanted,
                total,
                waited,
            } => format!(
                "{what} waited {} ms for {wanted} bytes of memory: other requests hold most of \
                 the {total} that residentd allows for all requests in flight \
                 (request_memory_max); retry",
                waited.as_millis()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn takes_waits_and_gives_back() {
        let budget = Budget::new(100);
        let soon = || Deadline::after_waiting(Duration::from_millis(30));
        let mut a = Held::default();
        budget.take(&mut a, 60, &mut soon()).await.unwrap();
        budget.take(&mut a, 30, &mut soon()).await.unwrap();
        let mut b = Held::default();
        assert!(matches!(
            budget.take(&mut b, 20, &mut soon()).await,
            Err(Short::Busy { wanted: 20, .. })
        ));
        assert!(matches!(
            budget.take(&mut b, 101, &mut soon()).await,
            Err(Short::Never {
                wanted: 101,
                total: 100
            })
        ));
        drop(a);
        budget.take(&mut b, 100, &mut soon()).await.unwrap();
        let message = Short::Never {
            wanted: 5,
            total: 4,
        }
        .error("this frame")
        .message;
        assert!(message.contains("request_memory_max"), "{message}");
    }
}
