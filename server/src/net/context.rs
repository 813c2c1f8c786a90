//! What every connection shares: the published state, the way to the writer and the
//! snapshot thread, and the limits each request is held to.

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;

use crate::state::State;
use crate::storage::fsync::Fsync;
use crate::storage::log_check::LogCheck;
use crate::storage::snapshot_writer::Snapshotter;
use crate::write::writer::WriterHandle;

/// Limits that bound what one request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub frame_bytes_max: u32,
    pub events_per_commit_max: usize,
    pub rows_max: usize,
}

pub struct Context {
    pub published: Arc<ArcSwap<State>>,
    pub writer: WriterHandle,
    pub snapshotter: Snapshotter,
    /// Where stream reads find the log.
    pub data_dir: PathBuf,
    pub fsync: Fsync,
    /// The check of the log segments start-up did not read.
    pub log_check: Arc<LogCheck>,
    pub limits: Limits,
    pub started: Instant,
    pub connections: AtomicUsize,
}

/// How `hello` and `stats` name this server.
pub fn server_name() -> String {
    format!("residentd {}", env!("CARGO_PKG_VERSION"))
}
