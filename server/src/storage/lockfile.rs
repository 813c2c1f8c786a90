//! `DATA/LOCK`: one residentd per data directory.
//!
//! Two writers appending to one log would interleave records and corrupt it, so the
//! server takes an exclusive flock for its whole life. The file holds the owner's pid
//! so the refusal can say who holds it. The kernel drops the lock when the process dies,
//! so a crash never leaves a stale lock behind.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::storage::owner_only;

/// Held for as long as the server runs.
pub struct DataLock {
    _lock: Flock<File>,
}

pub fn acquire(data_dir: &Path) -> anyhow::Result<DataLock> {
    let path = data_dir.join("LOCK");
    let file = owner_only::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => lock,
        Err((mut file, Errno::EWOULDBLOCK)) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() { "unknown" } else { pid };
            anyhow::bail!(
                "data directory {} is locked by another residentd (pid {pid})",
                data_dir.display()
            );
        }
        Err((_, errno)) => return Err(anyhow::anyhow!("cannot lock {}: {errno}", path.display())),
    };
    lock.set_len(0)?;
    lock.rewind()?;
    writeln!(lock, "{}", std::process::id())?;
    lock.sync_all()?;
    Ok(DataLock { _lock: lock })
}
