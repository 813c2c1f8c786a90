//! The socket's file: a bad `--socket` is reported before the log is replayed (a start
//! that takes minutes must not fail at its end), and a clean stop removes the socket
//! file only while it is still the one this server bound, never a successor's.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

mod common;

use common::*;

/// A data directory whose log would stop the start (a flipped byte with valid records
/// after it): a refusal that talks about the socket came before the replay.
fn data_that_refuses_to_replay(dir: &Path) -> std::path::PathBuf {
    let mut server = Server::start(dir, &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a", 1);
    drop(c);
    assert!(server.signal(Signal::SIGTERM).success());
    let segment = server.data.join("log").join("00000000000000000001.log");
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[12] ^= 1;
    std::fs::write(&segment, &bytes).unwrap();
    server.data.clone()
}

#[test]
fn a_bad_socket_path_is_reported_before_the_replay() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_that_refuses_to_replay(dir.path());
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let live = Server::start(&dir.path().join("other"), &[]);
    let long = dir.path().join("x".repeat(120)).join("s.sock");
    let cases = [
        (file.join("s.sock"), "cannot create socket directory"),
        (file.clone(), "exists and is not a socket"),
        (long, "shorter than"),
        (live.socket.clone(), "another server is listening"),
    ];
    for (socket, says) in cases {
        let stderr = refused(residentd(&socket, &data, &[]), None);
        assert!(stderr.contains(says), "{}: {stderr}", socket.display());
        assert!(!stderr.contains("damaged"), "replayed first: {stderr}");
    }
    // And with a good socket the log's damage is what stops it.
    let stderr = refused(
        residentd(&dir.path().join("good.sock"), &data, &[]),
        Some(&dir.path().join("good.sock")),
    );
    assert!(stderr.contains("damaged"), "{stderr}");
}

/// Lines of `log` that contain every one of `words`.
fn lines_with(log: &Path, words: &[&str]) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| words.iter().all(|w| l.contains(w)))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_clean_stop_leaves_a_socket_file_that_is_no_longer_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Server::start_logged(dir.path(), &[]);
    let socket = first.socket.clone();

    // Someone removes the socket file: the first server keeps running, unreachable by
    // new clients, and says so.
    std::fs::remove_file(&socket).unwrap();
    let log = dir.path().join("residentd.log");
    let deadline = Instant::now() + Duration::from_secs(15);
    while lines_with(&log, &["ERROR", "socket file"]).is_empty() {
        assert!(Instant::now() < deadline, "the removal was never noticed");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A successor binds the same path (with other data); stopping the first server
    // must not take its socket away.
    let second = Server::run(
        residentd(&socket, &dir.path().join("data2"), &[]),
        socket.clone(),
        dir.path().join("data2"),
    );
    assert!(first.signal(Signal::SIGTERM).success());
    assert!(
        socket.exists(),
        "the first server removed its successor's socket"
    );
    second.client().ok("stats", vec![]);
    assert_eq!(
        lines_with(&log, &["no longer the one this server bound"]).len(),
        1
    );
    drop(second);
}
