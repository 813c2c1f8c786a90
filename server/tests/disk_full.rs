//! A real full disk: residentd's data directory on a small tmpfs, filled by commits.
//!
//! Needs to mount a tmpfs (root, or passwordless sudo): see [`common::mount`].

use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::Signal;
use resident_protocol::{map, Value};

mod common;

use common::mount::Mount;
use common::*;

/// Clears its flag when dropped, also when an assertion fails meanwhile: the threads
/// that loop while it is set then end, and the scope that waits for them.
struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

fn open_account(c: &mut Client, key: &str, name: &str) -> Value {
    c.call(
        "commit",
        commit(
            key,
            text("none"),
            vec![event(
                &format!("{key}-opened"),
                "AccountOpened",
                vec![("name", text(name))],
            )],
        ),
    )
}

#[test]
#[ignore = "mounts a tmpfs (root or sudo); make test runs it with --ignored"]
fn a_full_disk_refuses_commits_keeps_reads_and_recovers_once_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let mount = Mount::tmpfs(&dir.path().join("disk"), "256k");
    // Something to delete later, to free space the way an operator would.
    let filler = mount.path.join("filler");
    std::fs::write(&filler, vec![7u8; 64 * 1024]).unwrap();
    let data = mount.path.join("data");
    let socket = dir.path().join("resident.sock");
    let flags = ["--snapshot-every-events", "1000000000"];
    let server_log = dir.path().join("residentd.log");
    let start = || {
        let mut command = residentd(&socket, &data, &flags);
        let log = std::fs::File::create(&server_log).unwrap();
        command.env("RUST_LOG", "info").stderr(log);
        Server::run(command, socket.clone(), data.clone())
    };
    let mut server = start();
    let mut c = server.client();
    c.ok("register", bank_schema());

    // Fill the disk: 2 KiB names, until a commit is refused.
    let name = "n".repeat(2048);
    let mut opened = Vec::new();
    let error = loop {
        let key = format!("k{}", opened.len());
        let answer = open_account(&mut c, &key, &name);
        if map::get(&answer, "ok") == Some(&Value::Bool(true)) {
            opened.push(key);
            assert!(opened.len() < 1000, "the 256 KiB disk never filled");
            continue;
        }
        break map::get(&answer, "error").cloned().unwrap();
    };
    assert_eq!(
        map::get_text(&error, "code"),
        Some("disk_full"),
        "{error:?}"
    );
    let message = map::get_text(&error, "message").unwrap();
    assert!(message.contains("disk full"), "{message}");
    assert!(opened.len() > 10, "only {} commits fit", opened.len());

    // Still full: refused again (and again), nothing half-visible, reads go on.
    for _ in 0..200 {
        let refused = open_account(&mut c, "refused", &name);
        assert_eq!(
            map::get_text(get(&refused, &["error"]), "code"),
            Some("disk_full")
        );
    }
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text(&opened[0]))],
    );
    assert_eq!(
        map::get_text(get(&found, &["entity"]), "name"),
        Some(name.as_str())
    );
    let missing = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("refused"))],
    );
    assert_eq!(get(&missing, &["entity"]), &Value::Null);
    let stats = c.ok("stats", vec![]);
    assert_eq!(int(get(&stats, &["position"])), opened.len() as i128);

    // Fresh clients (a new PHP process each) register their schema, which changes
    // nothing, and read, while other clients' commits are refused in the same moments:
    // none of them fails.
    let refusing = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let _stop_refused_writers = ClearOnDrop(&refusing);
        for writer in 0..2 {
            let (refusing, socket, name) = (&refusing, &socket, &name);
            scope.spawn(move || {
                let mut w = Client::connect(socket);
                while refusing.load(Ordering::Relaxed) {
                    let answer = open_account(&mut w, &format!("refused{writer}"), name);
                    assert_eq!(
                        map::get_text(get(&answer, &["error"]), "code"),
                        Some("disk_full")
                    );
                }
            });
        }
        for _ in 0..60 {
            let mut fresh = Client::connect(&socket);
            let registered = fresh.ok("register", bank_schema());
            assert_eq!(get(&registered, &["changed"]), &Value::Bool(false));
            let count = fresh.ok("count", vec![("entity", text("Account"))]);
            assert_eq!(int(get(&count, &["count"])), opened.len() as i128);
        }
    });

    // A snapshot cannot be written either: refused, its temporary file removed, and
    // commits unaffected by the attempt.
    let error = c.fails("snapshot", vec![], "unavailable");
    let message = map::get_text(&error, "message").unwrap();
    assert!(message.contains("writing the snapshot failed"), "{message}");
    let leftovers: Vec<_> = std::fs::read_dir(data.join("snapshots"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Space freed: writes resume without a restart.
    std::fs::remove_file(&filler).unwrap();
    c.ok(
        "commit",
        commit(
            "after",
            text("none"),
            vec![event(
                "after-opened",
                "AccountOpened",
                vec![("name", text("after"))],
            )],
        ),
    );
    drop(c);

    // Hundreds of refused batches, logged as a few lines, and the recovery too.
    let log = std::fs::read_to_string(&server_log).unwrap();
    let warnings = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("disk full"))
        .count();
    assert!((1..=3).contains(&warnings), "{warnings} warnings: {log}");
    let resumed = log
        .lines()
        .find(|l| l.contains("writes resumed"))
        .unwrap_or_else(|| panic!("no line says writes resumed: {log}"));
    assert!(resumed.contains("batches_refused="), "{resumed}");

    // After a crash, exactly the acknowledged commits are there.
    server.signal(Signal::SIGKILL);
    let server = start();
    let mut c = server.client();
    let stats = c.ok("stats", vec![]);
    assert_eq!(int(get(&stats, &["position"])), opened.len() as i128 + 1);
    for key in opened.iter().chain([&"after".to_string()]) {
        let found = c.ok(
            "find",
            vec![("entity", text("Account")), ("key", text(key))],
        );
        assert_ne!(get(&found, &["entity"]), &Value::Null, "{key} was lost");
    }
    let missing = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("refused"))],
    );
    assert_eq!(get(&missing, &["entity"]), &Value::Null);
    drop(c);
    drop(server);
    drop(mount);
}
