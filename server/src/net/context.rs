//! What every connection shares: the published state, the way to the writer and the
//! snapshot thread, and the limits each request is held to.

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::net::budget::Budget;
use crate::state::State;
use crate::storage::fsync::Fsync;
use crate::storage::log_check::LogCheck;
use crate::storage::snapshot_writer::Snapshotter;
use crate::write::writer::WriterHandle;

/// Limits that bound what one request may ask for, and how long a connection may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub frame_bytes_max: u32,
    pub events_per_commit_max: usize,
    pub rows_max: usize,
    /// A frame, once begun (a connection's first one: once connected), must arrive whole
    /// within this; an answer must be taken within it too.
    pub frame_timeout: Duration,
    /// A connection with no frame for this long is closed (checked once per period, so
    /// up to twice this after its last frame).
    pub idle_timeout: Duration,
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
    /// The memory requests being read and decoded may hold, all connections together.
    pub budget: Budget,
    pub started: Instant,
    pub connections: AtomicUsize,
}

/// How `hello` and `stats` name this server.
pub fn server_name() -> String {
    format!("residentd {}", env!("CARGO_PKG_VERSION"))
}
