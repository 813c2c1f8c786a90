//! The thread that writes snapshots, and the handle the writer and `snapshot` requests
//! queue them through.
//!
//! A snapshot is written from a clone of the state (O(1): the maps are persistent), on
//! its own thread, so commits go on while it is written.

use std::io;
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use tokio::sync::oneshot;

use crate::state::record_ref::RecordRef;
use crate::state::State;
use crate::storage::snapshot_files::{prune, write_file, Retention, Written};

/// Snapshot jobs waiting for the thread; scheduled ones beyond this are skipped (the
/// next one will come), requested ones are told to retry.
const QUEUE_DEPTH_MAX: usize = 2;

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
