//! The socket's file on disk: checked before the long part of start-up, so that a bad
//! `--socket` is reported before the log's replay rather than after it; cleared of a
//! stale socket just before binding; watched while the server runs; and removed at a
//! clean stop only while it is still the file this server bound, so that a server
//! which lost its socket file never deletes a successor's.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

/// A Unix socket path must fit `sun_path`: 108 bytes with the terminating NUL.
const SOCKET_PATH_BYTES_MAX: usize = 107;

/// How often a running server checks that its socket file is still there.
pub const WATCH_EVERY: Duration = Duration::from_secs(5);

/// Refuses a path that cannot become this server's socket: too long, a directory that
/// cannot be created, something that is not a socket, or a socket a live server listens
/// on. Creates the socket's directory.
pub fn check(path: &Path) -> anyhow::Result<()> {
    let len = path.as_os_str().len();
    if len > SOCKET_PATH_BYTES_MAX {
        anyhow::bail!(
            "socket path {} is {len} bytes; a Unix socket path must be shorter than {} bytes \
             (SUN_LEN): choose a shorter --socket",
            path.display(),
            SOCKET_PATH_BYTES_MAX + 1
        );
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create socket directory {}", parent.display()))?;
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        anyhow::bail!(
            "{} exists and is not a socket; refusing to replace it",
            path.display()
        );
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        anyhow::bail!(
            "another server is listening on {}; stop it first or choose another --socket",
            path.display()
        );
    }
    Ok(())
}

/// [`check`]s `path` again and removes a socket file nobody listens on (left by a
/// crash), so that it can be bound.
pub fn clear_stale(path: &Path) -> anyhow::Result<()> {
    check(path)?;
    if std::fs::symlink_metadata(path).is_ok() {
        tracing::info!(socket = %path.display(), "removing stale socket file (nothing listens on it)");
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove stale socket {}", path.display()))?;
    }
    Ok(())
}

/// The socket file this server bound, known by its device and inode.
pub struct Bound {
    path: PathBuf,
    identity: (u64, u64),
}

impl Bound {
    /// The file at `path`, just bound.
    pub fn at(path: &Path) -> anyhow::Result<Bound> {
        let identity = identity(path)
            .with_context(|| format!("cannot read the socket file {}", path.display()))?;
        Ok(Bound {
            path: path.to_path_buf(),
            identity,
        })
    }

    pub fn is_ours(&self) -> bool {
        identity(&self.path).ok() == Some(self.identity)
    }

    /// Says once, loudly, when the file was removed or replaced: new clients can no
    /// longer reach this server. Checks every [`WATCH_EVERY`] until it happens.
    pub async fn watch(&self) {
        let mut every = tokio::time::interval(WATCH_EVERY);
        loop {
            every.tick().await;
            if !self.is_ours() {
                break;
            }
        }
        tracing::error!(
            socket = %self.path.display(),
            "the socket file was removed or replaced: new clients cannot reach this server \
             (connections already open still work); restart it to bind the socket again"
        );
    }

    /// Removes the socket file at a clean stop, if it is still ours.
    pub fn remove(&self) {
        if !self.is_ours() {
            tracing::warn!(
                socket = %self.path.display(),
                "leaving the socket file alone: it is no longer the one this server bound"
            );
            return;
        }
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(socket = %self.path.display(), error = %e, "could not remove the socket file");
        }
    }
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::symlink_metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_socket_is_ours_until_removed_or_replaced_and_only_ours_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let _first = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let bound = Bound::at(&path).unwrap();
        assert!(bound.is_ours());
        std::fs::remove_file(&path).unwrap();
        assert!(!bound.is_ours());
        let _second = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(!bound.is_ours(), "another socket at the same path");
        bound.remove();
        assert!(path.exists(), "a socket that is not ours is left alone");
        let second = Bound::at(&path).unwrap();
        second.remove();
        assert!(!path.exists());
    }
}
