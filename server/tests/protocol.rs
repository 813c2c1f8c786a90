//! Runs the real `residentd` binary and talks the wire protocol to it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use resident_protocol::frame;
use resident_protocol::{map, Value};

mod common;

use common::*;

#[test]
fn bank_round_trip_over_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut c = server.client();

    let hello = c.ok(
        "hello",
        vec![("protocol", Value::from(1)), ("client", text("test"))],
    );
    assert_eq!(int(get(&hello, &["protocol"])), 1);
    assert_eq!(
        int(get(&hello, &["limits", "frame_bytes_max"])),
        16 * 1024 * 1024
    );

    let registered = c.ok("register", bank_schema());
    assert_eq!(get(&registered, &["changed"]), &Value::Bool(true));
    assert_eq!(int(get(&registered, &["schema_version"])), 1);
    let again = c.ok("register", bank_schema());
    assert_eq!(
        get(&again, &["changed"]),
        &Value::Bool(false),
        "re-registering is a no-op"
    );
    assert_eq!(int(get(&again, &["schema_version"])), 1);

    let opened = c.ok(
        "commit",
        commit(
            "a1",
            text("none"),
            vec![event("e1", "AccountOpened", vec![("name", text("Alice"))])],
        ),
    );
    assert_eq!(int(get(&opened, &["position"])), 1);
    assert_eq!(get(&opened, &["duplicate"]), &Value::Bool(false));
    let streams = get(&opened, &["streams"]).as_array().unwrap();
    assert_eq!(
        get(&streams[0], &["stream"]),
        &text("AccountAggregateRoot-a1")
    );
    assert_eq!(int(get(&streams[0], &["version"])), 1);
    let entities = get(&opened, &["entities"]).as_array().unwrap();
    assert_eq!(get(&entities[0], &["entity"]), &text("Account"));
    assert_eq!(get(&entities[0], &["state", "uuid"]), &text("a1"));
    assert_eq!(get(&entities[0], &["state", "name"]), &text("Alice"));
    assert_eq!(int(get(&entities[0], &["state", "balance"])), 0);

    let increased = commit(
        "a1",
        Value::from(1),
        vec![event(
            "e2",
            "BalanceIncreased",
            vec![("amount", Value::from(10))],
        )],
    );
    let answer = c.ok("commit", increased.clone());
    assert_eq!(int(get(&answer, &["position"])), 2);
    assert_eq!(
        int(get(
            &get(&answer, &["entities"]).as_array().unwrap()[0],
            &["state", "balance"]
        )),
        10
    );

    // The same commit again: nothing written, the first answer repeated.
    let duplicate = c.ok("commit", increased);
    assert_eq!(get(&duplicate, &["duplicate"]), &Value::Bool(true));
    assert_eq!(int(get(&duplicate, &["position"])), 2);
    assert_eq!(
        int(get(
            &get(&duplicate, &["streams"]).as_array().unwrap()[0],
            &["version"]
        )),
        2
    );

    // Reusing one id of two is refused.
    c.fails(
        "commit",
        commit(
            "a1",
            text("any"),
            vec![
                event("e2", "BalanceIncreased", vec![("amount", Value::from(1))]),
                event("e3", "BalanceIncreased", vec![("amount", Value::from(1))]),
            ],
        ),
        "bad_request",
    );

    let conflict = c.fails(
        "commit",
        commit(
            "a1",
            Value::from(1),
            vec![event(
                "e4",
                "BalanceIncreased",
                vec![("amount", Value::from(5))],
            )],
        ),
        "conflict",
    );
    assert_eq!(
        get(&conflict, &["stream"]),
        &text("AccountAggregateRoot-a1")
    );
    assert_eq!(int(get(&conflict, &["expected"])), 1);
    assert_eq!(int(get(&conflict, &["actual"])), 2);

    let not_found = c.fails(
        "commit",
        commit(
            "nobody",
            text("any"),
            vec![event(
                "e5",
                "BalanceIncreased",
                vec![("amount", Value::from(5))],
            )],
        ),
        "not_found",
    );
    assert!(get(&not_found, &["message"])
        .as_text()
        .unwrap()
        .contains("Account nobody does not exist"));
    let unknown = c.fails(
        "commit",
        commit("a1", text("any"), vec![event("e6", "Unknown", vec![])]),
        "schema",
    );
    assert!(get(&unknown, &["message"])
        .as_text()
        .unwrap()
        .contains("event type Unknown has no projection rules registered"));

    c.ok(
        "commit",
        commit(
            "b2",
            Value::from(0),
            vec![event("e7", "AccountOpened", vec![("name", text("Bob"))])],
        ),
    );

    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("a1"))],
    );
    assert_eq!(int(get(&found, &["entity", "balance"])), 10);
    let missing = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("zz"))],
    );
    assert_eq!(get(&missing, &["entity"]), &Value::Null);
    let all = c.ok("all", vec![("entity", text("Account"))]);
    let names: Vec<_> = get(&all, &["entities"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| get(e, &["name"]).clone())
        .collect();
    assert_eq!(names, vec![text("Alice"), text("Bob")], "ordered by id");
    assert_eq!(
        int(get(
            &c.ok("count", vec![("entity", text("Account"))]),
            &["count"]
        )),
        2
    );
    c.fails("count", vec![("entity", text("Nope"))], "schema");

    let load = c.ok(
        "load",
        vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("key", text("a1")),
            ("entity", text("Account")),
        ],
    );
    assert_eq!(int(get(&load, &["version"])), 2);
    assert_eq!(int(get(&load, &["state", "balance"])), 10);
    let fresh = c.ok(
        "load",
        vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("key", text("new")),
        ],
    );
    assert_eq!(int(get(&fresh, &["version"])), 0);

    let read = c.ok(
        "read",
        vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("key", text("a1")),
            ("from", Value::from(2)),
        ],
    );
    let events = get(&read, &["events"]).as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(get(&events[0], &["type"]), &text("BalanceIncreased"));
    assert_eq!(int(get(&events[0], &["position"])), 2);
    assert!(get(&events[0], &["meta", "recorded_at"])
        .as_text()
        .unwrap()
        .ends_with('Z'));

    let stats = c.ok("stats", vec![]);
    assert_eq!(int(get(&stats, &["position"])), 3);
    assert_eq!(int(get(&stats, &["streams"])), 2);
    assert_eq!(int(get(&stats, &["entities", "Account"])), 2);

    // Changing the rules of an event type that has events is refused, naming the change.
    let mut changed = bank_schema();
    if let Value::Array(events) = &mut changed[1].1 {
        events.truncate(2);
        events[1] = obj(vec![
            ("name", text("BalanceIncreased")),
            (
                "rules",
                list(vec![obj(vec![
                    ("op", text("update")),
                    ("entity", text("Account")),
                    (
                        "fields",
                        list(vec![obj(vec![
                            ("field", text("balance")),
                            ("op", text("subtract")),
                            ("prop", text("amount")),
                        ])]),
                    ),
                ])]),
            ),
        ]);
    }
    let refused = c.fails("register", changed, "schema");
    let message = get(&refused, &["message"]).as_text().unwrap().to_string();
    assert!(
        message.contains("BalanceIncreased already has 1 events"),
        "{message}"
    );
    assert!(message.contains("add → subtract"), "{message}");
}

#[test]
fn state_survives_restart_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a1", 10);
    drop(c);

    let status = server.signal(Signal::SIGTERM);
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    assert!(
        !server.socket.exists(),
        "a clean stop removes the socket file"
    );

    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("a1"))],
    );
    assert_eq!(int(get(&found, &["entity", "balance"])), 10);
    for i in 0..20 {
        open_and_fund(&mut c, &format!("k{i}"), i);
    }
    drop(c);
    server.signal(Signal::SIGKILL);
    assert!(
        server.socket.exists(),
        "SIGKILL leaves a stale socket behind"
    );

    // The stale socket is taken over; every acknowledged commit is back.
    let server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    assert_eq!(
        int(get(
            &c.ok("count", vec![("entity", text("Account"))]),
            &["count"]
        )),
        21
    );
    let stats = c.ok("stats", vec![]);
    assert_eq!(int(get(&stats, &["position"])), 42);
    let k7 = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("k7"))],
    );
    assert_eq!(int(get(&k7, &["entity", "balance"])), 7);
    // Event ids survive too: a resend is still a duplicate.
    let resend = c.ok(
        "commit",
        commit(
            "k3",
            Value::from(1),
            vec![event(
                "k3-e2",
                "BalanceIncreased",
                vec![("amount", Value::from(3))],
            )],
        ),
    );
    assert_eq!(get(&resend, &["duplicate"]), &Value::Bool(true));
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

#[test]
fn abuse_gets_an_answer_or_a_close_and_the_server_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--frame-bytes-max", "1024", "--events-per-commit-max", "3"],
    );

    // Malformed CBOR: answered with id null, then closed.
    let mut c = server.client();
    c.stream.write_all(&[0, 0, 0, 3, 0xff, 0xfe, 0xfd]).unwrap();
    let answer = c.read_raw().expect("an answer");
    assert_eq!(get(&answer, &["id"]), &Value::Null);
    assert_eq!(get(&answer, &["error", "code"]), &text("malformed"));
    c.assert_closed();

    // A CBOR value that is not a map.
    let mut c = server.client();
    c.stream
        .write_all(&frame::encode(&Value::from(42)))
        .unwrap();
    assert_eq!(
        get(&c.read_raw().unwrap(), &["error", "code"]),
        &text("malformed")
    );
    c.assert_closed();

    // Oversized: answered without reading the body, then closed.
    let mut c = server.client();
    c.stream.write_all(&5000u32.to_be_bytes()).unwrap();
    assert_eq!(
        get(&c.read_raw().unwrap(), &["error", "code"]),
        &text("too_large")
    );
    c.assert_closed();

    // Unknown op and a missing id: answered, connection stays open.
    let mut c = server.client();
    c.fails("launch_missiles", vec![], "unknown_op");
    frame::write_frame(&mut c.stream, &obj(vec![("op", text("hello"))])).unwrap();
    let answer = c.read_raw().unwrap();
    assert_eq!(get(&answer, &["id"]), &Value::Null);
    assert_eq!(get(&answer, &["error", "code"]), &text("bad_request"));
    let bad = c.fails("find", vec![("entity", Value::from(3))], "bad_request");
    assert_eq!(get(&bad, &["message"]), &text("find: entity must be text"));
    c.ok("register", bank_schema());
    let too_many: Vec<Value> = (0..4)
        .map(|i| event(&format!("x{i}"), "AccountOpened", vec![("name", text("x"))]))
        .collect();
    c.fails("commit", commit("x", text("any"), too_many), "limit");
    let typed = c.fails(
        "commit",
        commit(
            "x",
            text("any"),
            vec![obj(vec![("id", text("x")), ("type", Value::from(1))])],
        ),
        "bad_request",
    );
    assert_eq!(
        get(&typed, &["message"]),
        &text("commit: streams[0].events[0].type must be text")
    );
    c.ok("hello", vec![]);

    // A truncated frame, then the client goes away.
    let mut c = server.client();
    c.stream.write_all(&[0, 0, 0, 50, 0xa1]).unwrap();
    drop(c);

    // Pipelined requests are answered in order.
    let mut c = server.client();
    for id in [10u64, 11, 12] {
        frame::write_frame(
            &mut c.stream,
            &obj(vec![("id", Value::from(id)), ("op", text("stats"))]),
        )
        .unwrap();
    }
    for id in [10u64, 11, 12] {
        assert_eq!(get(&c.read_raw().unwrap(), &["id"]), &Value::from(id));
    }

    // After all that, a new client is served.
    let mut fresh = server.client();
    fresh.ok("hello", vec![]);
    assert_eq!(
        int(get(
            &fresh.ok("count", vec![("entity", text("Account"))]),
            &["count"]
        )),
        0
    );
}

fn segment(data: &Path) -> PathBuf {
    data.join("log").join("00000000000000000001.log")
}

#[test]
fn a_torn_tail_is_cut_and_mid_log_damage_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a1", 10);
    drop(c);
    server.signal(Signal::SIGKILL);
    let log = segment(&server.data);
    let good = std::fs::read(&log).unwrap();

    // Half a record at the end: a write that crashed midway.
    let mut torn = good.clone();
    torn.extend_from_slice(&[0, 0, 0, 200, 1, 2, 3, 4, 0xa1]);
    std::fs::write(&log, &torn).unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("a1"))],
    );
    assert_eq!(int(get(&found, &["entity", "balance"])), 10);
    drop(c);
    assert!(server.signal(Signal::SIGTERM).success());
    assert_eq!(
        std::fs::read(&log).unwrap(),
        good,
        "the torn tail was truncated away"
    );

    // A flipped byte in the first record, with valid records after it.
    let mut damaged = good.clone();
    damaged[12] ^= 0x01;
    std::fs::write(&log, &damaged).unwrap();
    let output = spawn(&server.socket, &server.data, &[])
        .wait_with_output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&log.display().to_string()), "{stderr}");
    assert!(stderr.contains("offset 0"), "{stderr}");
    assert!(stderr.contains("resident verify --data"), "{stderr}");
    assert_eq!(std::fs::read(&log).unwrap(), damaged, "nothing was dropped");

    // `resident verify` names the damage and fails; `--repair` cuts there, keeps the
    // cut part, and the server starts again.
    let verify = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "verify".as_ref(),
            "--data".as_ref(),
            server.data.as_os_str(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        resident_cli(args)
    };
    let report = verify(&[]);
    let stdout = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DAMAGED"), "{stdout}");
    assert!(stdout.contains("offset 0"), "{stdout}");
    let repaired = verify(&["--repair"]);
    assert!(repaired.status.success(), "{:?}", repaired);
    assert_eq!(std::fs::read(&log).unwrap(), Vec::<u8>::new());
    let kept = std::fs::read(server.data.join("damaged/00000000000000000001.log.from-0")).unwrap();
    assert_eq!(kept, damaged, "the cut part is kept");
    assert!(verify(&[]).status.success());
    let mut server = Server::start(dir.path(), &[]);
    server.client().ok("stats", vec![]);
    assert!(server.signal(Signal::SIGTERM).success());
}

#[test]
fn the_cli_prints_stats_and_pings() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a1", 10);
    let cli = |cmd: &str| {
        let out = server.cli(cmd);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let stats = cli("stats");
    assert!(stats.contains("position        2"), "{stats}");
    assert!(stats.contains("Account"), "{stats}");
    assert!(cli("ping").contains("residentd"));
}

#[test]
fn hostile_cbor_lengths_are_refused_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let bodies: Vec<Vec<u8>> = vec![
        // a map claiming 2^64-1 entries
        vec![0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        // {"id": <array of 2^64-1>}
        vec![
            0xa1, 0x62, b'i', b'd', 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
        // {"id": <text of 2^64-1 bytes>}
        vec![
            0xa1, 0x62, b'i', b'd', 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
        // {"id": <bytes of 4 GiB>}
        vec![0xa1, 0x62, b'i', b'd', 0x5a, 0xff, 0xff, 0xff, 0xff],
        // nesting far beyond any sane depth
        std::iter::repeat_n(0x81u8, 100_000).collect(),
    ];
    for body in bodies {
        let mut c = server.client();
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        c.stream.write_all(&frame).unwrap();
        let answer = c.read_raw().expect("an answer");
        assert_eq!(
            get(&answer, &["error", "code"]),
            &text("malformed"),
            "{answer:?}"
        );
        c.assert_closed();
    }
    server.client().ok("hello", vec![]);
}

#[test]
fn concurrent_commits_share_fsyncs_and_keep_positions_gapless() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.client().ok("register", bank_schema());
    let threads = 8;
    let per_thread = 25;
    let positions: Vec<i128> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let socket = server.socket.clone();
                scope.spawn(move || {
                    let mut c = Client::connect(&socket);
                    let key = format!("acc{t}");
                    let mut positions = Vec::new();
                    let opened = c.ok(
                        "commit",
                        commit(
                            &key,
                            text("none"),
                            vec![event(
                                &format!("{key}-o"),
                                "AccountOpened",
                                vec![("name", text(&key))],
                            )],
                        ),
                    );
                    positions.push(int(get(&opened, &["position"])));
                    for i in 1..per_thread {
                        let e = event(
                            &format!("{key}-{i}"),
                            "BalanceIncreased",
                            vec![("amount", Value::from(1))],
                        );
                        let answer = c.ok("commit", commit(&key, Value::from(i as u64), vec![e]));
                        positions.push(int(get(&answer, &["position"])));
                    }
                    positions
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut sorted = positions.clone();
    sorted.sort();
    let expected: Vec<i128> = (1..=(threads * per_thread) as i128).collect();
    assert_eq!(
        sorted, expected,
        "every acknowledged commit has its own gapless position"
    );
    let mut c = server.client();
    for t in 0..threads {
        let found = c.ok(
            "find",
            vec![
                ("entity", text("Account")),
                ("key", text(&format!("acc{t}"))),
            ],
        );
        assert_eq!(
            int(get(&found, &["entity", "balance"])),
            (per_thread - 1) as i128
        );
    }
}

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
            let _ = frame::write_frame(
                &mut c.stream,
                &obj(vec![("id", Value::from(1)), ("op", text("hello"))]),
            );
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
    let mut second = server.client();
    let refused = second.read_raw().expect("an answer before the close");
    assert_eq!(get(&refused, &["error", "code"]), &text("limit"));
    second.assert_closed();
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
    let _ = frame::write_frame(
        &mut c.stream,
        &obj(vec![("id", Value::from(1)), ("op", text("hello"))]),
    );
    assert!(
        c.read_raw().is_none(),
        "a uid outside --allow-uid gets no answer"
    );
}

fn cond(field: &str, op: &str, value: Value) -> Value {
    obj(vec![
        ("field", text(field)),
        ("op", text(op)),
        ("value", value),
    ])
}

fn query(args: Vec<(&'static str, Value)>) -> Vec<(&'static str, Value)> {
    let mut all = vec![("entity", text("Account"))];
    all.extend(args);
    all
}

fn uuids(answer: &Value) -> Vec<String> {
    get(answer, &["entities"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| map::get_text(e, "uuid").unwrap().to_string())
        .collect()
}

#[test]
fn queries_over_the_wire_use_the_index_and_page_with_cursors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--rows-max", "5"]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    for i in 0..8 {
        // balances 0, 10, 20, 30, 0, 10, 20, 30: ties on every value.
        open_and_fund(&mut c, &format!("a{i}"), (i % 4) * 10);
    }

    let over = c.ok(
        "query",
        query(vec![
            ("where", cond("balance", ">=", Value::from(10))),
            (
                "order",
                list(vec![obj(vec![
                    ("field", text("balance")),
                    ("dir", text("desc")),
                ])]),
            ),
            ("limit", Value::from(3)),
            ("explain", Value::Bool(true)),
        ]),
    );
    assert_eq!(uuids(&over), vec!["a3", "a7", "a2"]);
    assert_eq!(get(&over, &["plan", "index"]), &text("balance"));
    assert_eq!(get(&over, &["plan", "kind"]), &text("range"));
    let next = get(&over, &["next"]).clone();
    assert_eq!(next, list(vec![Value::from(20), text("a2")]));

    let rest = c.ok(
        "query",
        query(vec![
            ("where", cond("balance", ">=", Value::from(10))),
            (
                "order",
                list(vec![obj(vec![
                    ("field", text("balance")),
                    ("dir", text("desc")),
                ])]),
            ),
            ("limit", Value::from(3)),
            ("after", next),
        ]),
    );
    assert_eq!(uuids(&rest), vec!["a6", "a1", "a5"]);
    assert_eq!(get(&rest, &["next"]), &Value::Null);

    let count = c.ok(
        "query",
        query(vec![
            ("where", cond("name", "like", text("a%"))),
            ("select", text("count")),
        ]),
    );
    assert_eq!(int(get(&count, &["count"])), 8);
    let sum = c.ok(
        "query",
        query(vec![
            (
                "where",
                cond(
                    "balance",
                    "in",
                    list(vec![Value::from(10), Value::from(30)]),
                ),
            ),
            ("select", text("sum")),
            ("field", text("balance")),
        ]),
    );
    assert_eq!(int(get(&sum, &["value"])), 80);

    // Eight accounts with rows_max 5: refused without a limit, never cut short.
    let error = c.fails("query", query(vec![]), "limit");
    assert!(
        map::get_text(&error, "message")
            .unwrap()
            .contains("use limit() and pagination"),
        "{error:?}"
    );
    let error = c.fails(
        "query",
        query(vec![("where", cond("balanse", ">", Value::from(1)))]),
        "bad_request",
    );
    assert!(
        map::get_text(&error, "message")
            .unwrap()
            .contains("balanse"),
        "{error:?}"
    );
    c.fails("query", vec![("entity", text("Nope"))], "schema");

    // The index is rebuilt at replay: same answer and plan after a restart.
    drop(c);
    let mut server = server;
    server.signal(Signal::SIGTERM);
    let server = Server::start(dir.path(), &["--rows-max", "5"]);
    let mut c = server.client();
    let again = c.ok(
        "query",
        query(vec![
            ("where", cond("balance", "=", Value::from(30))),
            ("explain", Value::Bool(true)),
        ]),
    );
    assert_eq!(uuids(&again), vec!["a3", "a7"]);
    assert_eq!(get(&again, &["plan", "kind"]), &text("equality"));
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

/// SIGTERM while clients commit: the server answers or hangs up, exits cleanly, and after
/// a restart every acknowledged event is there (at most the one in flight on each
/// connection may be there without its answer).
#[test]
fn sigterm_during_commits_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    let writers = 4;
    for t in 0..writers {
        let key = format!("term{t}");
        c.ok(
            "commit",
            commit(
                &key,
                text("none"),
                vec![event(
                    &format!("{key}-o"),
                    "AccountOpened",
                    vec![("name", text(&key))],
                )],
            ),
        );
    }
    drop(c);
    let acknowledged: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|t| {
                let socket = server.socket.clone();
                scope.spawn(move || {
                    let mut c = Client::connect(&socket);
                    let key = format!("term{t}");
                    let mut acked = 0u64;
                    for i in 0..100_000u64 {
                        let request = map::build(
                            [
                                vec![("id", Value::from(i)), ("op", text("commit"))],
                                commit(
                                    &key,
                                    text("any"),
                                    vec![event(
                                        &format!("{key}-{i}"),
                                        "BalanceIncreased",
                                        vec![("amount", Value::from(1))],
                                    )],
                                ),
                            ]
                            .concat(),
                        );
                        if frame::write_frame(&mut c.stream, &request).is_err() {
                            break;
                        }
                        match c.read_raw() {
                            Some(answer) if map::get(&answer, "ok") == Some(&Value::Bool(true)) => {
                                acked += 1
                            }
                            _ => break, // refused (`unavailable`) or hung up: the server is stopping
                        }
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let status = server.signal(Signal::SIGTERM);
        assert!(status.success(), "residentd exited with {status:?}");
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        !server.socket.exists(),
        "a clean stop removes the socket file"
    );
    assert!(
        acknowledged.iter().all(|&n| n > 0),
        "every writer got commits through before the stop: {acknowledged:?}"
    );

    let restarted = Server::start(dir.path(), &[]);
    let mut c = restarted.client();
    for (t, &acked) in acknowledged.iter().enumerate() {
        let found = c.ok(
            "find",
            vec![
                ("entity", text("Account")),
                ("key", text(&format!("term{t}"))),
            ],
        );
        let balance = int(get(&found, &["entity", "balance"])) as u64;
        assert!(
            (acked..=acked + 1).contains(&balance),
            "term{t}: {acked} commits acknowledged, balance {balance} after restart"
        );
    }
}
