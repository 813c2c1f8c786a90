//! Who may talk to a real `residentd` and on which data: the socket's mode and group,
//! the connection limit, allowed uids, and one server per data directory.

use std::time::{Duration, Instant};

use resident_protocol::{map, Value};

mod common;

use common::*;

#[test]
fn the_door_socket_mode_connection_limit_and_allowed_uids() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--connections-max", "1"]);
    let mode = std::fs::metadata(&server.socket)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o660);
    // Until the readiness probe's connection is released, even the first client may be
    // turned away; retry until one is served.
    let served = |server: &Server| {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut c = server.client();
            // A turned-away client may find the socket closed before its request goes
            // out (EPIPE); the `limit` answer sent before the close is still there to read.
            let _ = c.send(&obj(vec![("id", Value::from(1)), ("op", text("hello"))]));
            let answer = c
                .read_raw()
                .expect("an answer: served, or turned away with limit");
            if map::get(&answer, "ok") == Some(&Value::Bool(true)) {
                return c;
            }
            assert_eq!(get(&answer, &["error", "code"]), &text("limit"));
            assert!(
                Instant::now() < deadline,
                "the connection slot was never released"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let first = served(&server);
    // Turned away with an answer to its first request that says why, then closed.
    let mut second = server.client();
    second
        .send(&obj(vec![("id", Value::from(7)), ("op", text("hello"))]))
        .unwrap();
    let refused = second.read_raw().expect("an answer before the close");
    assert_eq!(get(&refused, &["id"]), &Value::from(7));
    assert_eq!(get(&refused, &["error", "code"]), &text("limit"));
    let message = get(&refused, &["error", "message"]).as_text().unwrap();
    assert!(
        message.contains("residentd serves at most 1 connections"),
        "{message}"
    );
    second.assert_closed();
    // One that sends nothing is told all the same.
    let mut silent = server.client();
    let refused = silent.read_raw().expect("an answer before the close");
    assert_eq!(get(&refused, &["id"]), &Value::Null);
    assert_eq!(get(&refused, &["error", "code"]), &text("limit"));
    silent.assert_closed();
    drop(first);
    // The slot frees once the first client leaves.
    served(&server);

    let other = tempfile::tempdir().unwrap();
    let me = nix::unistd::getuid().as_raw();
    let stranger = (me + 4242).to_string();
    let guarded = Server::start(
        other.path(),
        &["--allow-uid", &stranger, "--socket-mode", "600"],
    );
    let mode = std::fs::metadata(&guarded.socket)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let mut c = guarded.client();
    c.send(&obj(vec![("id", Value::from(1)), ("op", text("hello"))]))
        .unwrap();
    let refused = c.read_raw().expect("a uid outside --allow-uid is told why");
    assert_eq!(get(&refused, &["id"]), &Value::from(1));
    assert_eq!(get(&refused, &["error", "code"]), &text("forbidden"));
    assert_eq!(
        get(&refused, &["error", "message"]),
        &text(&format!("uid {me} is not allowed by --allow-uid"))
    );
    c.assert_closed();
}

#[test]
fn the_socket_group_is_set_and_an_unknown_group_refuses_the_start() {
    use std::os::unix::fs::MetadataExt;
    // A group other than our primary one where the machine has one (as root, any group
    // may be given; otherwise only our own).
    let me = nix::unistd::getgid();
    let wanted = if nix::unistd::getuid().is_root() {
        nix::unistd::Group::from_name("nogroup")
            .unwrap()
            .or_else(|| nix::unistd::Group::from_gid(me).unwrap())
            .unwrap()
    } else {
        nix::unistd::Group::from_gid(me).unwrap().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--socket-group", &wanted.name]);
    let gid = std::fs::metadata(&server.socket).unwrap().gid();
    assert_eq!(gid, wanted.gid.as_raw());

    let other = tempfile::tempdir().unwrap();
    let child = spawn(
        &other.path().join("resident.sock"),
        &other.path().join("data"),
        &["--socket-group", "no-such-group-resident"],
    );
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-group-resident"), "{stderr}");
    assert!(stderr.contains("no such group"), "{stderr}");
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let other_socket = dir.path().join("other.sock");
    let second = spawn(&other_socket, &server.data, &[])
        .wait_with_output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    let expected = format!(
        "data directory {} is locked by another residentd (pid {})",
        server.data.display(),
        server.child.id()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    // The first one still serves.
    server.client().ok("hello", vec![]);

    // A live socket is not stolen either.
    let third = spawn(&server.socket, &dir.path().join("data3"), &[])
        .wait_with_output()
        .unwrap();
    assert!(!third.status.success());
    assert!(String::from_utf8_lossy(&third.stderr).contains("another server is listening"));
    server.client().ok("hello", vec![]);
}
