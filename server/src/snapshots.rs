//! Snapshot files under `DATA/snapshots/`, and the thread that writes them.
//!
//! A snapshot is written from a clone of the state (O(1): the maps are persistent), on
//! its own thread, so commits go on while it is written. Each file is written to a
//! temporary name, fsynced, renamed into place and the directory fsynced: a crash
//! leaves either the whole snapshot or none. After each one, old snapshots beyond the
//! retention setting are removed, and with `prune_log` so are the log segments that
//! the oldest kept snapshot covers.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use tokio::sync::oneshot;

use crate::segments;
use crate::snapshot;
use crate::state::record_ref::{self, RecordRef};
use crate::state::State;

/// Snapshot jobs waiting for the thread; scheduled ones beyond this are skipped (the
/// next one will come), requested ones are told to retry.
const QUEUE_DEPTH_MAX: usize = 2;

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshots")
}

fn file_name(position: u64) -> String {
    format!("{position:020}.snap")
}

/// The snapshot files, oldest first, by the position in their name.
pub fn list(data_dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let dir = dir(data_dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let position = name
            .to_str()
            .and_then(|n| n.strip_suffix(".snap"))
            .filter(|stem| stem.len() == 20)
            .and_then(|stem| stem.parse::<u64>().ok());
        if let Some(position) = position {
            found.push((position, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Removes temporary files left by a snapshot that a crash interrupted.
pub fn remove_leftovers(data_dir: &Path) -> io::Result<()> {
    let dir = dir(data_dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tmp") {
            tracing::info!(file = %path.display(), "removing an unfinished snapshot");
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The header of the snapshot file at `path`, reading only its first record.
pub fn header_of(path: &Path) -> Result<snapshot::Header, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let body = crate::log::read_record(file).map_err(|e| format!("no header record: {e}"))?;
    snapshot::read_header(&body)
}

/// A snapshot that was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub position: u64,
    pub entities: u64,
    pub bytes: u64,
    pub took_ms: u64,
}

/// Writes `state`, which holds the log up to `log_at`, as a snapshot file. A snapshot
/// at the same position already there is kept as it is.
pub fn write_file(data_dir: &Path, state: &State, log_at: RecordRef) -> io::Result<Written> {
    let started = Instant::now();
    let dir = dir(data_dir);
    fs::create_dir_all(&dir)?;
    let path = dir.join(file_name(state.position()));
    let entities = state.entity_count_total();
    let done = |bytes| Written {
        path: path.clone(),
        position: state.position(),
        entities,
        bytes,
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    if let Ok(meta) = fs::metadata(&path) {
        return Ok(done(meta.len()));
    }
    let temp = dir.join(format!("{}.tmp", file_name(state.position())));
    let result = (|| {
        let file = File::create(&temp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let bytes = snapshot::write(state, log_at, &mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&temp, &path)?;
        File::open(&dir)?.sync_all()?;
        Ok(bytes)
    })();
    match result {
        Ok(bytes) => Ok(done(bytes)),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// How many snapshots to keep, and whether covered log segments go too.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub keep: usize,
    pub prune_log: bool,
}

/// Applies `retention` after a snapshot was written.
pub fn prune(data_dir: &Path, retention: Retention) -> io::Result<()> {
    assert!(retention.keep >= 1, "the newest snapshot is always kept");
    let all = list(data_dir)?;
    let cut = all.len().saturating_sub(retention.keep);
    for (_, path) in &all[..cut] {
        tracing::info!(file = %path.display(), "removing an old snapshot");
        fs::remove_file(path)?;
    }
    if !retention.prune_log {
        return Ok(());
    }
    // Segments wholly before the oldest kept snapshot's log point are covered by it.
    let Some((_, oldest)) = all.get(cut) else {
        return Ok(());
    };
    let Ok(header) = header_of(oldest) else {
        return Ok(());
    };
    let log_dir = segments::log_dir(data_dir);
    for number in segments::list(data_dir).map_err(io::Error::other)? {
        if number >= header.log_at.segment() {
            break;
        }
        let path = log_dir.join(record_ref::segment_name(number));
        tracing::info!(file = %path.display(), "removing a log segment covered by a snapshot");
        fs::remove_file(&path)?;
    }
    Ok(())
}

/// One snapshot to write, and who waits for it (`None` for a scheduled one).
struct Job {
    state: State,
    log_at: RecordRef,
    reply: Option<oneshot::Sender<Result<Written, String>>>,
}

/// A handle to the snapshot thread; the thread ends when every handle is dropped.
#[derive(Clone)]
pub struct Snapshotter {
    tx: mpsc::SyncSender<Job>,
}

impl Snapshotter {
    pub fn spawn(data_dir: &Path, retention: Retention) -> io::Result<Snapshotter> {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE_DEPTH_MAX);
        let data_dir = data_dir.to_path_buf();
        thread::Builder::new()
            .name("resident-snapshot".to_string())
            .spawn(move || {
                for job in rx {
                    let result = write_file(&data_dir, &job.state, job.log_at);
                    // Drop the state before pruning: its clone may pin old versions.
                    drop(job.state);
                    let result = match result {
                        Ok(written) => {
                            tracing::info!(
                                file = %written.path.display(),
                                position = written.position,
                                entities = written.entities,
                                bytes = written.bytes,
                                took_ms = written.took_ms,
                                "snapshot written"
                            );
                            if let Err(e) = prune(&data_dir, retention) {
                                tracing::warn!(error = %e, "pruning old snapshots failed");
                            }
                            Ok(written)
                        }
                        Err(e) => {
                            // Commits are unaffected; the log still holds everything.
                            tracing::warn!(error = %e, "writing a snapshot failed; the log still holds everything");
                            Err(e.to_string())
                        }
                    };
                    if let Some(reply) = job.reply {
                        let _ = reply.send(result);
                    }
                }
            })?;
        Ok(Snapshotter { tx })
    }

    /// Queues a scheduled snapshot; false when the queue is full (skip this one).
    pub fn schedule(&self, state: State, log_at: RecordRef) -> bool {
        self.tx
            .try_send(Job {
                state,
                log_at,
                reply: None,
            })
            .is_ok()
    }

    /// Queues a requested snapshot; the answer comes once it is written.
    pub fn request(
        &self,
        state: State,
        log_at: RecordRef,
    ) -> Result<oneshot::Receiver<Result<Written, String>>, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .try_send(Job {
                state,
                log_at,
                reply: Some(reply),
            })
            .map_err(|_| "snapshots are already being written; try again shortly".to_string())?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsync::Fsync;
    use crate::log::frame_record;
    use crate::segments::Log;

    #[test]
    fn retention_keeps_the_newest_and_prunes_the_segments_they_cover() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), 1, 16, Fsync::Never).unwrap();
        let mut state = State::default();
        for position in 1..=4u64 {
            log.rotate_if_full().unwrap();
            let mut framed = Vec::new();
            frame_record(&[position as u8; 20], &mut framed);
            log.append(&framed).unwrap();
            state.position = position;
            // Each snapshot's log point is the start of the next segment.
            write_file(dir.path(), &state, RecordRef::new(position + 1, 0)).unwrap();
        }
        assert_eq!(list(dir.path()).unwrap().len(), 4);
        let header = header_of(&list(dir.path()).unwrap()[1].1).unwrap();
        assert_eq!(header.position, 2);
        assert_eq!(header.log_at, RecordRef::new(3, 0));

        prune(
            dir.path(),
            Retention {
                keep: 3,
                prune_log: false,
            },
        )
        .unwrap();
        let kept: Vec<u64> = list(dir.path()).unwrap().iter().map(|(p, _)| *p).collect();
        assert_eq!(kept, vec![2, 3, 4]);
        assert_eq!(segments::list(dir.path()).unwrap(), vec![1, 2, 3, 4]);

        prune(
            dir.path(),
            Retention {
                keep: 2,
                prune_log: true,
            },
        )
        .unwrap();
        let kept: Vec<u64> = list(dir.path()).unwrap().iter().map(|(p, _)| *p).collect();
        assert_eq!(kept, vec![3, 4]);
        // The oldest kept snapshot (position 3) resumes at segment 4: 1 to 3 are covered.
        assert_eq!(segments::list(dir.path()).unwrap(), vec![4]);
    }
}
