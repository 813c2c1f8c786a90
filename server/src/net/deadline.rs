//! When a frame must have arrived, or an answer have been taken.
//!
//! Most reads and writes find their bytes ready at once; setting a timer (and reading the
//! clock) for each would cost every request. So a deadline is a span that starts only
//! the first time something has to wait, unless it was fixed beforehand (a connection's
//! first frame must be whole within the span of connecting).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use tokio::time::{error::Elapsed, timeout_at, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    span: Duration,
    at: Option<Instant>,
}

impl Deadline {
    /// `span` from the first wait.
    pub fn after_waiting(span: Duration) -> Deadline {
        Deadline { span, at: None }
    }

    /// At `at`, whenever the waiting starts (`span` is how long that was, for messages).
    pub fn fixed(at: Instant, span: Duration) -> Deadline {
        Deadline { span, at: Some(at) }
    }

    pub fn span(&self) -> Duration {
        self.span
    }

    /// The instant, set now if nothing has waited yet.
    pub fn instant(&mut self) -> Instant {
        *self.at.get_or_insert_with(|| Instant::now() + self.span)
    }

    /// `io`, unless it is still waiting at the deadline.
    pub async fn within<F: Future>(&mut self, io: F) -> Result<F::Output, Elapsed> {
        let mut io = pin!(io);
        let at_once = poll_fn(|cx| {
            Poll::Ready(match io.as_mut().poll(cx) {
                Poll::Ready(done) => Some(done),
                Poll::Pending => None,
            })
        })
        .await;
        match at_once {
            Some(done) => Ok(done),
            None => timeout_at(self.instant(), io).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_at_the_first_wait_and_holds_across_waits() {
        let mut deadline = Deadline::after_waiting(Duration::from_millis(1000));
        assert_eq!(deadline.within(async { 7 }).await, Ok(7));
        assert!(deadline.at.is_none(), "nothing waited, no clock read");
        let wait = || tokio::time::sleep(Duration::from_millis(600));
        assert!(deadline.within(wait()).await.is_ok());
        // As long again would fit a span of its own, but not what is left of this one.
        assert!(deadline.within(wait()).await.is_err());
    }
}
