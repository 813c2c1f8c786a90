//! `DATA/LOCK`: one residentd per data directory, and no `resident verify` under it.
//!
//! Two writers appending to one log would interleave records and corrupt it, so the
//! server takes an exclusive flock for its whole life. The file holds the owner's pid
//! so the refusal can say who holds it. The kernel drops the lock when the process dies,
//! so a crash never leaves a stale lock behind.
//!
//! `resident verify` takes the same lock, so that it never checks (or repairs) under a
//! running server and none starts meanwhile. A directory it cannot write to (a
//! read-only mount, a backup) is still checked: flock works on a file opened read-only,
//! and where there is no LOCK file and none can be made, no server can run either.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::storage::owner_only;

/// Held for as long as the server runs, or verify checks.
pub struct DataLock {
    _lock: Option<Flock<File>>,
}

fn lock_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("LOCK")
}

fn open_to_write(path: &Path) -> io::Result<File> {
    owner_only::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// The server's lock, with its pid written in the file.
pub fn acquire(data_dir: &Path) -> anyhow::Result<DataLock> {
    let path = lock_path(data_dir);
    let file = open_to_write(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    let mut lock = lock(file, data_dir)?;
    lock.set_len(0)?;
    lock.rewind()?;
    writeln!(lock, "{}", std::process::id())?;
    lock.sync_all()?;
    Ok(DataLock { _lock: Some(lock) })
}

/// `resident verify`'s lock: the same flock, taken through a read-only file when the
/// directory cannot be written to, and none when there is no LOCK file to take.
pub fn acquire_for_check(data_dir: &Path) -> anyhow::Result<DataLock> {
    let path = lock_path(data_dir);
    let opened = match open_to_write(&path) {
        Err(e) if cannot_write(&e) => File::open(&path),
        other => other,
    };
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(DataLock { _lock: None }),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot open lock file {}", path.display()))
        }
    };
    Ok(DataLock {
        _lock: Some(lock(file, data_dir)?),
    })
}

/// The errors of a directory or file that may be read but not written.
fn cannot_write(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::EROFS) | Some(nix::libc::EACCES) | Some(nix::libc::EPERM)
    )
}

/// Takes the exclusive flock on `file`, or says who holds it.
fn lock(file: File, data_dir: &Path) -> anyhow::Result<Flock<File>> {
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(lock),
        Err((mut file, Errno::EWOULDBLOCK)) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() { "unknown" } else { pid };
            anyhow::bail!(
                "data directory {} is locked by another residentd (pid {pid}) or `resident verify`",
                data_dir.display()
            );
        }
        Err((_, errno)) => Err(anyhow::anyhow!(
            "cannot lock {}: {errno}",
            lock_path(data_dir).display()
        )),
    }
}
