//! `resident verify` on a data directory it cannot write to: a read-only mount, a
//! backup. It checks without creating anything, and still refuses while a server runs
//! on the directory. Mounts (root or sudo): see [`common::mount`].

use nix::sys::signal::Signal;

mod common;

use common::mount::Mount;
use common::*;

#[test]
#[ignore = "mounts a read-only view (root or sudo); make test runs it with --ignored"]
fn verify_checks_a_read_only_data_directory_and_refuses_while_a_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a", 3);
    drop(c);
    assert!(server.cli("snapshot").status.success());
    assert!(server.signal(Signal::SIGTERM).success());

    let view = Mount::read_only(&server.data, &dir.path().join("ro"));
    assert!(
        std::fs::write(view.path.join("probe"), b"").is_err(),
        "the view is read-only"
    );
    let report = verify(&view.path, &[]);
    let said = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{said} {report:?}");
    assert!(said.contains("is sound"), "{said}");

    // A server on the directory holds its lock, seen through the view too.
    let running = Server::start(dir.path(), &[]);
    let report = verify(&view.path, &[]);
    assert!(!report.status.success());
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert!(stderr.contains("locked"), "{stderr}");
    drop(running);

    // A copy that never had a server (no LOCK file) is checked as well.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(server.data.join("log"))
        .arg(server.data.join("snapshots"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(copied.success());
    let copy_view = Mount::read_only(&copy, &dir.path().join("ro-copy"));
    let report = verify(&copy_view.path, &[]);
    assert!(report.status.success(), "{report:?}");
}
