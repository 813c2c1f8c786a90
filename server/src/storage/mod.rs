//! Everything on disk: the log (framed records in numbered segment files, appended with
//! the configured fsync), what its records hold, reading events back, snapshots (their
//! format, files and the thread that writes them), the data directory's lock, and the
//! two readers of it all: recovery at start-up and `resident verify`. Imports the state
//! layer and below.

pub mod event_reader;
pub mod frame;
pub mod fsync;
pub mod lockfile;
pub mod log;
pub mod log_check;
pub mod owner_only;
pub mod record;
pub mod recovery;
pub mod snapshot_files;
pub mod snapshot_format;
pub mod snapshot_writer;
pub mod verify;
