//! A real `residentd` stopped, killed and restarted, and started on a damaged log:
//! nothing acknowledged is lost, a torn tail is cut, damage before it refuses the start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use resident_protocol::{map, Value};

mod common;

use common::*;

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
                        if c.send(&request).is_err() {
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
    let verify = |extra: &[&str]| verify(&server.data, extra);
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

/// The key of the first event in the first record of `segment`, and where that record's
/// body is.
fn first_record(segment: &Path) -> (String, std::ops::Range<usize>) {
    let bytes = std::fs::read(segment).unwrap();
    let len = u32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
    let body = 8..8 + len;
    let record: Value = ciborium::de::from_reader(&bytes[body.clone()]).unwrap();
    let events = get(&record, &["events"]).as_array().unwrap();
    let key = map::get_text(&events[0], "key").unwrap().to_string();
    (key, body)
}

/// Damage in log segments a snapshot covers: start-up does not read them (that would
/// cost a whole log's reading at every start), so the server starts from the snapshot;
/// a check right after start finds the damage, logs it as an ERROR and shows it in
/// `stats`, and stream reads of the damaged events say what is wrong instead of
/// answering `internal`.
#[test]
fn damage_a_snapshot_covers_is_found_after_start_and_reads_of_it_say_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--segment-bytes", "4096"];
    let mut server = Server::start(dir.path(), &flags);
    let mut c = server.client();
    c.ok("register", bank_schema());
    for i in 0..40 {
        open_and_fund(&mut c, &format!("k{i}"), i);
    }
    drop(c);
    assert!(server.cli("snapshot").status.success());
    assert!(server.signal(Signal::SIGTERM).success());
    let covered = server.data.join("log").join("00000000000000000002.log");
    let (key, body) = first_record(&covered);
    let mut bytes = std::fs::read(&covered).unwrap();
    bytes[body.start + body.len() / 2] ^= 0x01;
    std::fs::write(&covered, &bytes).unwrap();

    let server = Server::start_logged(dir.path(), &flags);
    let mut c = server.client();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let storage = loop {
        let stats = c.ok("stats", vec![]);
        let storage = get(&stats, &["storage"]).clone();
        if get(&storage, &["log_check"]) != &text("checking") {
            break storage;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the check never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        get(&storage, &["log_check"]),
        &text("damaged"),
        "{storage:?}"
    );
    let damage = get(&storage, &["log_damage"]).as_array().unwrap();
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(
        get(&damage[0], &["file"]),
        &text(&covered.display().to_string())
    );
    assert_eq!(int(get(&damage[0], &["offset"])), 0);
    let printed = server.cli("stats");
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(printed.contains("DAMAGED"), "{printed}");
    assert!(
        printed.contains(&covered.display().to_string()),
        "{printed}"
    );
    let log = std::fs::read_to_string(dir.path().join("residentd.log")).unwrap();
    let error = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains(&covered.display().to_string()))
        .unwrap_or_else(|| panic!("no ERROR naming the segment in: {log}"));
    assert!(error.contains("resident verify --data"), "{error}");

    // The state is the snapshot's, whole; the damaged events' stream says what is wrong.
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text(&key))],
    );
    assert_ne!(get(&found, &["entity"]), &Value::Null);
    let read = vec![
        ("aggregate", text("AccountAggregateRoot")),
        ("key", text(&key)),
    ];
    let error = c.fails("read", read, "damaged");
    let message = map::get_text(&error, "message").unwrap();
    assert!(
        message.contains(&covered.display().to_string()),
        "{message}"
    );
    assert!(message.contains("resident verify --data"), "{message}");
    // Streams elsewhere read as ever.
    c.ok(
        "read",
        vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("key", text("k39")),
        ],
    );
    drop(c);
    drop(server);

    // verify finds it too, and warns that cutting the log there gives up far more.
    let report = verify(&dir.path().join("data"), &[]);
    let said = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{said}");
    assert!(said.contains("covers the damage"), "{said}");
}

#[test]
fn without_covered_segments_the_log_check_is_sound_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let stats = server.client().ok("stats", vec![]);
    assert_eq!(get(&stats, &["storage", "log_check"]), &text("sound"));
    assert_eq!(get(&stats, &["storage", "log_damage"]), &list(vec![]));
}
