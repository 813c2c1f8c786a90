//! What the writer says about a full disk: one warning when it starts refusing, then at
//! most one line per [`WARN_EVERY`] with the number of batches refused meanwhile, and
//! one line when writes resume. Busy clients retry at once, so a line per refused
//! batch would flood the log (thousands a second) when the disk is already full.

use std::time::{Duration, Instant};

pub const WARN_EVERY: Duration = Duration::from_secs(10);

/// Counts refused batches between the lines it allows. Pure: the caller passes the time.
#[derive(Debug, Default)]
pub struct DiskFullLog {
    /// When the last line was allowed; `None` while the disk is not full.
    last_line: Option<Instant>,
    /// Refused since the last line.
    unreported: u64,
    /// Refused since the disk became full.
    total: u64,
}

impl DiskFullLog {
    /// A batch was refused at `now`; `Some(n)` when a line is due, saying `n` batches
    /// were refused since the last one (1 for the first).
    pub fn refused(&mut self, now: Instant) -> Option<u64> {
        self.unreported += 1;
        self.total += 1;
        let due = self
            .last_line
            .is_none_or(|last| now.duration_since(last) >= WARN_EVERY);
        if !due {
            return None;
        }
        self.last_line = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }

    /// A batch was written; `Some(total)` refused batches if the disk had been full.
    pub fn written(&mut self) -> Option<u64> {
        self.last_line.take()?;
        self.unreported = 0;
        Some(std::mem::take(&mut self.total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_period_with_the_count_and_one_when_writes_resume() {
        let mut log = DiskFullLog::default();
        let t0 = Instant::now();
        assert_eq!(log.written(), None, "nothing to say while all is well");
        assert_eq!(
            log.refused(t0),
            Some(1),
            "the first refusal is said at once"
        );
        for i in 1..1000 {
            assert_eq!(log.refused(t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(log.refused(t0 + WARN_EVERY), Some(1000));
        assert_eq!(log.refused(t0 + WARN_EVERY + Duration::from_secs(1)), None);
        assert_eq!(log.written(), Some(1002));
        assert_eq!(log.written(), None);
        assert_eq!(
            log.refused(t0 + WARN_EVERY * 3),
            Some(1),
            "a new episode starts over"
        );
    }
}
