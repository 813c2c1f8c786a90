//! What residentd creates under the data directory — the directory itself when it is
//! missing, `log/`, `snapshots/`, `damaged/`, segments, snapshots, `LOCK` — is its
//! owner's alone: directories 0700, files 0600, whatever the umask.
//!
//! The files hold every event; who may talk to the server is decided at the socket
//! (`--socket-mode`, `--socket-group`, `--allow-uid`), and readable files would go round
//! that. Group access is not given either: a deployment that wants it (systemd's
//! `StateDirectoryMode=0750` for a backup group) sets the data directory's mode itself,
//! and an existing directory's mode is left as it is. Only one open to every local user
//! is warned about at start.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `path` as a directory of mode [`DIR_MODE`] unless it exists; missing parents
/// are created as the umask says (they may hold other things, such as the socket).
pub fn create_dir(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    match DirBuilder::new().mode(DIR_MODE).create(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        other => other,
    }
}

/// Open options that create a missing file with mode [`FILE_MODE`].
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(FILE_MODE);
    options
}

/// Creates (or truncates) `path` for writing, as `File::create` does, but owner-only.
pub fn create_file(path: &Path) -> io::Result<File> {
    options().write(true).create(true).truncate(true).open(path)
}

/// Warns when every local user may enter the data directory and so read the events.
pub fn warn_if_open_to_all(data_dir: &Path) {
    let Ok(meta) = fs::metadata(data_dir) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o007 != 0 {
        tracing::warn!(
            data = %data_dir.display(),
            mode = format!("{mode:o}"),
            "the data directory is open to other users, who can read every event in it \
             whatever --allow-uid says: chmod 700 {} (or 750 for a group)",
            data_dir.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_created_owner_only_and_existing_ones_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir(&nested).unwrap();
        assert_eq!(mode(&nested), DIR_MODE);
        create_dir(&nested).unwrap();
        let file = nested.join("f");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        fs::set_permissions(&nested, fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o755);
    }
}
