//! File systems mounted for a test's life: a small tmpfs (a disk that fills up), a
//! read-only view of a directory. Mounting needs root or passwordless sudo, so the tests
//! that use these are `#[ignore]`d for a plain `cargo test`; `make test` runs them with
//! `--ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Unmounted when dropped.
pub struct Mount {
    pub path: PathBuf,
}

fn privileged(program: &str) -> Command {
    if nix::unistd::geteuid().is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", program]);
        c
    }
}

fn mount(args: &[&std::ffi::OsStr]) {
    let status = privileged("mount").args(args).status().unwrap();
    assert!(
        status.success(),
        "mount {args:?} needs root or passwordless sudo"
    );
}

impl Mount {
    /// A tmpfs of `size` at `path`, owned by the test's user.
    pub fn tmpfs(path: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(path).unwrap();
        let options = format!(
            "size={size},uid={},gid={}",
            nix::unistd::getuid(),
            nix::unistd::getgid()
        );
        mount(&[
            "-t".as_ref(),
            "tmpfs".as_ref(),
            "-o".as_ref(),
            options.as_ref(),
            "tmpfs".as_ref(),
            path.as_os_str(),
        ]);
        Mount {
            path: path.to_path_buf(),
        }
    }

    /// `source` seen read-only at `path` (a bind mount): even root cannot write there.
    pub fn read_only(source: &Path, path: &Path) -> Mount {
        std::fs::create_dir_all(path).unwrap();
        mount(&["--bind".as_ref(), source.as_os_str(), path.as_os_str()]);
        let mounted = Mount {
            path: path.to_path_buf(),
        };
        mount(&["-o".as_ref(), "remount,bind,ro".as_ref(), path.as_os_str()]);
        mounted
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = privileged("umount").arg(&self.path).status();
    }
}
