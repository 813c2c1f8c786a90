//! Who may read the data: what residentd (and `resident verify --repair`) create under
//! the data directory is its owner's alone, whatever the umask, because the events in
//! it are the data `--allow-uid` and the socket's mode protect. An existing directory's
//! mode is the operator's choice and left alone, with a warning when every local user
//! may read it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use nix::sys::signal::Signal;

mod common;

use common::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn what_residentd_creates_in_the_data_directory_is_its_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--segment-bytes", "4096"]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    for i in 0..40 {
        open_and_fund(&mut c, &format!("k{i}"), 5);
    }
    drop(c);
    assert!(server.cli("snapshot").status.success());
    assert!(server.signal(Signal::SIGTERM).success());

    let data = &server.data;
    assert_eq!(mode(data), 0o700, "{}", data.display());
    for sub in ["log", "snapshots"] {
        let sub = data.join(sub);
        assert_eq!(mode(&sub), 0o700, "{}", sub.display());
        for file in entries(&sub) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    assert!(entries(&data.join("log")).len() > 1, "segments rotated");
    assert_eq!(mode(&data.join("LOCK")), 0o600);

    // What --repair keeps aside is as private as what it came from.
    let first = data.join("log").join("00000000000000000001.log");
    let mut bytes = std::fs::read(&first).unwrap();
    bytes[12] ^= 1;
    std::fs::write(&first, &bytes).unwrap();
    let repaired = verify(data, &["--repair"]);
    assert!(repaired.status.success(), "{repaired:?}");
    let damaged = data.join("damaged");
    assert_eq!(mode(&damaged), 0o700);
    let kept = entries(&damaged);
    assert!(kept.len() > 1, "{kept:?}");
    for file in kept {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn an_existing_data_directory_keeps_its_mode_with_a_warning_when_all_may_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server::start_logged(dir.path(), &[]);
    server.client().ok("register", bank_schema());
    assert_eq!(mode(&data), 0o755, "left alone");
    assert_eq!(mode(&data.join("log")), 0o700);
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("residentd.log")).unwrap();
    let warning = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains("other users"))
        .unwrap_or_else(|| panic!("no warning in: {log}"));
    assert!(warning.contains("chmod 700"), "{warning}");
    assert!(warning.contains(&data.display().to_string()), "{warning}");

    // A directory only its owner (and group) may enter is not warned about.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::write(dir.path().join("residentd.log"), "").unwrap();
    let server = Server::start_logged(dir.path(), &[]);
    server.client().ok("stats", vec![]);
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("residentd.log")).unwrap();
    assert!(!log.contains("other users"), "{log}");
}
