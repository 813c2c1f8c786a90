//! The check of the log segments that start-up did not read: those before the loaded
//! snapshot's log point.
//!
//! Start-up replays only the log after the snapshot, so damage in the segments the
//! snapshot covers does not stop it; reading them all at every start would cost as much
//! I/O as the replay that snapshots exist to spare. Instead this thread reads them once
//! right after start, checksums only, and reports damage loudly: an ERROR in the
//! server's log, and `stats` (`log_check`, `log_damage`). The state served is the
//! snapshot's and is not affected; what is affected is reading those events back
//! (stream reads answer `damaged`) and any start without that snapshot.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::state::record_ref::segment_name;
use crate::storage::frame::{self, ScanEnd};
use crate::storage::log;

/// Damaged segments listed one by one; more are counted.
const DAMAGE_LISTED_MAX: usize = 100;

/// Damage found in one segment: where its first bad record starts, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Damage {
    pub path: PathBuf,
    pub offset: u64,
    pub reason: String,
}

/// How far the check is, and what it found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub done: bool,
    pub checked: usize,
    pub total: usize,
    /// The first [`DAMAGE_LISTED_MAX`] damaged segments.
    pub damage: Vec<Damage>,
    pub damaged_segments: usize,
}

pub struct LogCheck {
    status: Mutex<Status>,
}

impl LogCheck {
    /// Checks `segments` of `data_dir` on a thread of its own.
    pub fn start(data_dir: &Path, segments: Vec<u64>) -> std::io::Result<Arc<LogCheck>> {
        let check = Arc::new(LogCheck {
            status: Mutex::new(Status {
                total: segments.len(),
                done: segments.is_empty(),
                ..Status::default()
            }),
        });
        let (this, data_dir) = (check.clone(), data_dir.to_path_buf());
        thread::Builder::new()
            .name("resident-log-check".to_string())
            .spawn(move || this.run(&data_dir, &segments))?;
        Ok(check)
    }

    pub fn status(&self) -> Status {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self, data_dir: &Path, segments: &[u64]) {
        for &number in segments {
            let damage = check_segment(&log::log_dir(data_dir).join(segment_name(number)));
            let mut status = self.lock();
            status.checked += 1;
            if let Some(damage) = damage {
                tracing::error!(
                    file = %damage.path.display(),
                    offset = damage.offset,
                    reason = %damage.reason,
                    "LOG DAMAGE in a segment that the loaded snapshot covers: the state \
                     served is whole, but stream reads of the events there fail, and a \
                     start without that snapshot would refuse. Back the data directory \
                     up and run `resident verify --data {}`",
                    data_dir.display()
                );
                status.damaged_segments += 1;
                if status.damage.len() < DAMAGE_LISTED_MAX {
                    status.damage.push(damage);
                }
            }
        }
        let mut status = self.lock();
        status.done = true;
        if status.damaged_segments == 0 && !segments.is_empty() {
            tracing::info!(
                segments = segments.len(),
                "the log segments the snapshot covers are sound"
            );
        }
    }
}

/// The first damage in the segment at `path`. A segment removed meanwhile (pruned
/// after a snapshot) has none.
fn check_segment(path: &Path) -> Option<Damage> {
    let damage = |offset, reason| {
        Some(Damage {
            path: path.to_path_buf(),
            offset,
            reason,
        })
    };
    match std::fs::read(path) {
        Ok(bytes) => match frame::scan(&bytes).end {
            ScanEnd::Clean => None,
            ScanEnd::TornTail { offset, reason } | ScanEnd::Corrupt { offset, reason } => {
                damage(offset, reason)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => damage(0, format!("cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::frame::frame_record;

    fn wait(check: &LogCheck) -> Status {
        loop {
            let status = check.status();
            if status.done {
                return status;
            }
            thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    #[test]
    fn finds_damage_in_any_listed_segment_and_only_there() {
        let dir = tempfile::tempdir().unwrap();
        let log_dir = log::log_dir(dir.path());
        std::fs::create_dir_all(&log_dir).unwrap();
        let mut framed = Vec::new();
        for body in [b"first".as_slice(), b"second", b"third"] {
            frame_record(body, &mut framed);
        }
        for n in 1..=3 {
            std::fs::write(log_dir.join(segment_name(n)), &framed).unwrap();
        }
        let mut damaged = framed.clone();
        damaged[13 + 8 + 2] ^= 1; // inside the second record's body (it starts at 13)
        std::fs::write(log_dir.join(segment_name(2)), &damaged).unwrap();
        // A segment that is not there any more (pruned) is no damage.
        let status = wait(&LogCheck::start(dir.path(), vec![1, 2, 3, 9]).unwrap());
        assert_eq!((status.checked, status.total), (4, 4));
        assert_eq!(status.damaged_segments, 1);
        assert_eq!(
            status.damage,
            vec![Damage {
                path: log_dir.join(segment_name(2)),
                offset: 13,
                reason: "checksum mismatch".to_string(),
            }]
        );
        assert!(LogCheck::start(dir.path(), vec![1, 3])
            .map(|c| wait(&c))
            .unwrap()
            .damage
            .is_empty());
        assert!(LogCheck::start(dir.path(), vec![]).unwrap().status().done);
    }
}
