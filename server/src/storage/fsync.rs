//! The durability setting and, for `every <ms>`, the thread that fsyncs on a timer.
//!
//! - `always` (default): a commit is answered only after the fsync covering it returned.
//!   A crash of the process, the OS or the power loses nothing acknowledged.
//! - `every <ms>`: commits are answered after the write; a background fsync follows
//!   within `<ms>`. The process crashing loses nothing (the data is in the page cache);
//!   the OS crashing or the power failing loses up to `<ms>` of acknowledged commits.
//! - `never`: the OS writes back when it likes (typically within 30 s). A process crash
//!   loses nothing; an OS crash or power loss loses what was not yet written back.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::Duration;

/// The shortest `every` interval: shorter gains nothing over `always`.
pub const EVERY_MS_MIN: u64 = 1;
/// The longest: beyond a minute, `never` says what is meant.
pub const EVERY_MS_MAX: u64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    Every(Duration),
    Never,
}

impl std::str::FromStr for Fsync {
    type Err = String;

    /// `always`, `never`, or `every <ms>` (also `every 10ms`, `every:10`).
    fn from_str(text: &str) -> Result<Fsync, String> {
        let text = text.trim();
        match text {
            "always" => return Ok(Fsync::Always),
            "never" => return Ok(Fsync::Never),
            _ => {}
        }
        let ms = text
            .strip_prefix("every")
            .map(|rest| {
                rest.trim_start_matches([' ', ':', '='])
                    .trim_end_matches("ms")
            })
            .and_then(|n| n.trim().parse::<u64>().ok())
            .filter(|ms| (EVERY_MS_MIN..=EVERY_MS_MAX).contains(ms));
        match ms {
            Some(ms) => Ok(Fsync::Every(Duration::from_millis(ms))),
            None => Err(format!(
                "{text:?} is not a durability setting: use always, never, or every <ms> \
                 with <ms> from {EVERY_MS_MIN} to {EVERY_MS_MAX}"
            )),
        }
    }
}

impl std::fmt::Display for Fsync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fsync::Always => f.write_str("always"),
            Fsync::Every(d) => write!(f, "every {}ms", d.as_millis()),
            Fsync::Never => f.write_str("never"),
        }
    }
}

struct Shared {
    file: Mutex<File>,
    dirty: AtomicBool,
    /// Why an fsync failed; set once, never cleared.
    failed: Mutex<Option<String>>,
}

/// Fsyncs the current segment every interval while there are unsynced writes. Stops
/// when the [`Flusher`] is dropped.
pub struct Flusher {
    shared: Arc<Shared>,
}

impl Flusher {
    pub fn start(file: File, interval: Duration) -> io::Result<Flusher> {
        let shared = Arc::new(Shared {
            file: Mutex::new(file),
            dirty: AtomicBool::new(false),
            failed: Mutex::new(None),
        });
        let weak = Arc::downgrade(&shared);
        thread::Builder::new()
            .name("resident-fsync".to_string())
            .spawn(move || run(weak, interval))?;
        Ok(Flusher { shared })
    }

    pub fn mark_dirty(&self) {
        self.shared.dirty.store(true, Ordering::Release);
    }

    /// The reason of a failed background fsync, after which nothing may be written.
    pub fn failure(&self) -> Option<String> {
        lock(&self.shared.failed).clone()
    }

    /// Points the flusher at a new segment; the caller synced the old one.
    pub fn switch(&self, file: File) -> io::Result<()> {
        *lock(&self.shared.file) = file;
        Ok(())
    }
}

/// A poisoned lock only means another thread panicked while holding it; the data
/// (a file handle, a message) is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn run(shared: Weak<Shared>, interval: Duration) {
    loop {
        thread::sleep(interval);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if lock(&shared.failed).is_some() || !shared.dirty.swap(false, Ordering::AcqRel) {
            continue;
        }
        let synced = lock(&shared.file).sync_data();
        if let Err(e) = synced {
            tracing::error!(error = %e, "BACKGROUND FSYNC FAILED: refusing all further writes until restart");
            *lock(&shared.failed) = Some(e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_print() {
        assert_eq!("always".parse(), Ok(Fsync::Always));
        assert_eq!("never".parse(), Ok(Fsync::Never));
        for text in ["every 10", "every 10ms", "every:10", "every=10"] {
            assert_eq!(
                text.parse(),
                Ok(Fsync::Every(Duration::from_millis(10))),
                "{text}"
            );
        }
        assert_eq!(
            Fsync::Every(Duration::from_millis(5)).to_string(),
            "every 5ms"
        );
        for bad in [
            "sometimes",
            "every",
            "every 0",
            "every 99999999",
            "every -1",
        ] {
            assert!(bad.parse::<Fsync>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_flusher_syncs_dirty_files_and_stops_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("f")).unwrap();
        let flusher = Flusher::start(file, Duration::from_millis(1)).unwrap();
        flusher.mark_dirty();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while flusher.shared.dirty.load(Ordering::Acquire) {
            assert!(std::time::Instant::now() < deadline, "never flushed");
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(flusher.failure(), None);
        let weak = Arc::downgrade(&flusher.shared);
        drop(flusher);
        thread::sleep(Duration::from_millis(20));
        assert!(weak.upgrade().is_none());
    }
}
