//! Durability with the real binary: snapshots, restarts, fsync settings, and a crash
//! loop that kills residentd with SIGKILL while clients commit.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::Signal;
use resident_protocol::{map, Value};

mod common;

use common::*;

fn snapshot_files(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("snapshots"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn balances(server: &Server) -> Vec<(String, i128)> {
    let all = server.client().ok("all", vec![("entity", text("Account"))]);
    let Value::Array(rows) = get(&all, &["entities"]) else {
        panic!("no rows: {all:?}")
    };
    let mut out: Vec<(String, i128)> = rows
        .iter()
        .map(|r| {
            (
                map::get_text(r, "uuid").unwrap().to_string(),
                int(get(r, &["balance"])),
            )
        })
        .collect();
    out.sort();
    out
}

fn stream_events(c: &mut Client, key: &str) -> Vec<Value> {
    let answer = c.ok(
        "read",
        vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("key", text(key)),
        ],
    );
    match get(&answer, &["events"]) {
        Value::Array(events) => events.clone(),
        other => panic!("events: {other:?}"),
    }
}

#[test]
fn snapshots_on_schedule_and_request_restart_fast_and_a_damaged_one_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--snapshot-every-events",
        "40",
        "--snapshots-keep",
        "2",
        "--segment-bytes",
        "4096",
    ];
    let mut server = Server::start_logged(dir.path(), &flags);
    let data = server.data.clone();
    let mut c = server.client();
    c.ok("register", bank_schema());
    for i in 0..30 {
        open_and_fund(&mut c, &format!("a{i}"), i);
    }
    // 60 events: the schedule (every 40) has taken one by now or soon.
    let deadline = Instant::now() + Duration::from_secs(10);
    while snapshot_files(&data).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no scheduled snapshot was written"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let taken = server.cli("snapshot");
    let said = String::from_utf8_lossy(&taken.stdout);
    assert!(taken.status.success(), "{taken:?}");
    assert!(said.contains("position 60"), "{said}");
    // A tail after the snapshot: five more increases.
    for i in 0..5 {
        c.ok(
            "commit",
            commit(
                "a1",
                Value::from(2 + i),
                vec![event(
                    &format!("tail{i}"),
                    "BalanceIncreased",
                    vec![("amount", Value::from(100))],
                )],
            ),
        );
    }
    let before = balances(&server);
    let segments = std::fs::read_dir(data.join("log")).unwrap().count();
    assert!(segments > 1, "4 KiB segments rotated ({segments})");
    drop(c);
    server.signal(Signal::SIGKILL);

    let server = Server::start_logged(dir.path(), &flags);
    assert_eq!(balances(&server), before);
    let log = std::fs::read_to_string(dir.path().join("residentd.log")).unwrap();
    let loaded = log.lines().rfind(|l| l.contains("state loaded")).unwrap();
    assert!(loaded.contains("snapshot_position=60"), "{loaded}");
    assert!(loaded.contains("events_replayed=5"), "{loaded}");
    assert!(loaded.contains("entities_loaded=30"), "{loaded}");
    // `stats` tells a sysadmin what is on disk.
    let stats = server.client().ok("stats", vec![]);
    let storage = get(&stats, &["storage"]);
    assert_eq!(map::get_text(storage, "fsync"), Some("always"));
    assert_eq!(int(get(storage, &["snapshot_position"])), 60);
    assert!(int(get(storage, &["log_segments"])) > 1);
    assert!(int(get(storage, &["log_bytes"])) > 4096);
    let printed = server.cli("stats");
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(printed.contains("the newest at position 60"), "{printed}");
    // Stream reads come from the log, across segments.
    let events = stream_events(&mut server.client(), "a1");
    assert_eq!(events.len(), 7);
    assert_eq!(map::get_text(&events[6], "id"), Some("tail4"));
    assert!(snapshot_files(&data).len() <= 2, "retention keeps two");
    drop(server);

    // The newest snapshot damaged: skipped with a warning, the state is the same.
    let names = snapshot_files(&data);
    let newest = data.join("snapshots").join(names.last().unwrap());
    let mut bytes = std::fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&newest, &bytes).unwrap();
    let report = verify(&data, &[]);
    assert_eq!(report.status.code(), Some(1), "{report:?}");
    let server = Server::start_logged(dir.path(), &flags);
    assert_eq!(balances(&server), before);
    let log = std::fs::read_to_string(dir.path().join("residentd.log")).unwrap();
    assert!(
        log.contains("skipping a snapshot that cannot be used"),
        "{log}"
    );
    drop(server);
    // verify says what to do with it, and --repair moves it aside.
    let report = verify(&data, &[]);
    let said = String::from_utf8_lossy(&report.stdout);
    assert!(said.contains("--repair moves it to"), "{said}");
    let repaired = verify(&data, &["--repair"]);
    assert!(repaired.status.success(), "{repaired:?}");
    assert!(!newest.exists());
    assert!(data
        .join("damaged")
        .join(newest.file_name().unwrap())
        .exists());
    let report = verify(&data, &[]);
    let stdout = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{stdout}");
    assert!(
        stdout.contains("equals the replay of the whole log"),
        "{stdout}"
    );
}

#[test]
fn every_fsync_setting_survives_a_process_crash() {
    for setting in ["always", "every 5", "never"] {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Server::start(dir.path(), &["--fsync", setting]);
        let mut c = server.client();
        c.ok("register", bank_schema());
        for i in 0..20 {
            open_and_fund(&mut c, &format!("k{i}"), 7);
        }
        let before = balances(&server);
        drop(c);
        server.signal(Signal::SIGKILL);
        let server = Server::start(dir.path(), &["--fsync", setting]);
        assert_eq!(balances(&server), before, "fsync = {setting}");
    }
}

/// A tiny deterministic generator, so a failing run can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// A commit sent without an answer: its stream key, the request, its event id.
type InDoubt = Option<(String, Vec<(&'static str, Value)>, String)>;

/// What the clients were told: event ids acknowledged, per stream.
type Acked = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// One client for one round: commits to its streams until the server dies. A commit
/// whose answer never came is resent at the start of the next round (an in-doubt
/// commit must land exactly once).
fn client_round(socket: &Path, client: usize, round: usize, in_doubt: &mut InDoubt, acked: &Acked) {
    let Ok(mut c) = std::panic::catch_unwind(|| Client::connect(socket)) else {
        return;
    };
    if let Some((key, request, id)) = in_doubt.take() {
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            c.call("commit", request.clone())
        }));
        let Ok(answer) = answer else {
            // Killed again before the resend was answered: still in doubt.
            *in_doubt = Some((key, request, id));
            return;
        };
        assert_eq!(
            map::get(&answer, "ok"),
            Some(&Value::Bool(true)),
            "resend: {answer:?}"
        );
        acked.lock().unwrap().entry(key).or_default().push(id);
    }
    for n in 0.. {
        let key = format!("c{client}-s{}", n % 3);
        let known = acked.lock().unwrap().get(&key).map_or(0, |ids| ids.len());
        let id = format!("r{round}-c{client}-n{n}");
        let event = if known == 0 {
            event(&id, "AccountOpened", vec![("name", text(&key))])
        } else {
            event(&id, "BalanceIncreased", vec![("amount", Value::from(1))])
        };
        let request = commit(&key, Value::from(known as u64), vec![event]);
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            c.call("commit", request.clone())
        }));
        match answer {
            Ok(answer) if map::get(&answer, "ok") == Some(&Value::Bool(true)) => {
                acked.lock().unwrap().entry(key).or_default().push(id);
            }
            Ok(answer) => panic!("a commit was refused: {answer:?}"),
            Err(_) => {
                // The server died with this commit in flight.
                *in_doubt = Some((key, request, id));
                return;
            }
        }
    }
}

#[test]
fn crash_loop_loses_nothing_acknowledged_and_applies_nothing_twice() {
    const CLIENTS: usize = 4;
    const ROUNDS: usize = 12;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash loop seed {seed}");
    let mut random = Lcg(seed);
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--snapshot-every-events", "150", "--segment-bytes", "16384"];
    let server = Server::start(dir.path(), &flags);
    server.client().ok("register", bank_schema());
    let socket = server.socket.clone();
    let data = server.data.clone();
    drop(server);
    let acked: Acked = Arc::default();
    let mut in_doubt: Vec<Option<_>> = (0..CLIENTS).map(|_| None).collect();
    for round in 0..ROUNDS {
        let mut server = Server::start(dir.path(), &flags);
        let workers: Vec<_> = in_doubt
            .drain(..)
            .enumerate()
            .map(|(client, mut doubt)| {
                let socket = socket.clone();
                let acked = acked.clone();
                thread::spawn(move || {
                    client_round(&socket, client, round, &mut doubt, &acked);
                    doubt
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(30 + random.next(200)));
        server.signal(Signal::SIGKILL);
        for w in workers {
            in_doubt.push(w.join().expect("a client thread failed"));
        }
    }

    // Every acknowledged event is present exactly once, versions are gapless, and each
    // balance is the number of increases its stream holds.
    let server = Server::start(dir.path(), &flags);
    let mut c = server.client();
    let acked = acked.lock().unwrap();
    assert!(
        acked.values().map(Vec::len).sum::<usize>() > 100,
        "the rounds committed too little to test anything"
    );
    let mut total = 0;
    for (key, ids) in acked.iter() {
        let events = stream_events(&mut c, key);
        let versions: Vec<i128> = events.iter().map(|e| int(get(e, &["version"]))).collect();
        let expected: Vec<i128> = (1..=events.len() as i128).collect();
        assert_eq!(versions, expected, "{key}: versions are gapless");
        let present: Vec<&str> = events
            .iter()
            .map(|e| map::get_text(e, "id").unwrap())
            .collect();
        let unique: HashSet<&&str> = present.iter().collect();
        assert_eq!(
            unique.len(),
            present.len(),
            "{key}: an event is there twice"
        );
        for id in ids {
            assert!(
                present.contains(&id.as_str()),
                "{key}: acknowledged {id} is lost"
            );
        }
        let found = c.ok(
            "find",
            vec![("entity", text("Account")), ("key", text(key))],
        );
        assert_eq!(
            int(get(&found, &["entity", "balance"])),
            events.len() as i128 - 1,
            "{key}: the balance counts the increases"
        );
        total += events.len();
    }
    let position = int(get(&c.ok("stats", vec![]), &["position"]));
    eprintln!(
        "crash loop: {ROUNDS} rounds, {total} events in {} streams, {} acknowledged",
        acked.len(),
        acked.values().map(Vec::len).sum::<usize>()
    );
    assert!(position >= total as i128);
    drop(c);
    drop(server);

    // The state equals a replay of the log alone, from an empty directory.
    let report = verify(&data, &[]);
    let stdout = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{stdout}");
    let fresh = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(fresh.path().join("data")).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(data.join("log"))
        .arg(fresh.path().join("data"))
        .status()
        .unwrap();
    assert!(copied.success());
    let replayed = Server::start(fresh.path(), &[]);
    let from_snapshots = Server::start(dir.path(), &flags);
    assert_eq!(balances(&replayed), balances(&from_snapshots));
    assert_eq!(
        get(&replayed.client().ok("stats", vec![]), &["position"]),
        get(&from_snapshots.client().ok("stats", vec![]), &["position"])
    );
}

/// The offsets where the records of a log segment start, read from their frames.
fn record_starts(segment: &Path) -> Vec<u64> {
    let bytes = std::fs::read(segment).unwrap();
    let mut starts = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        starts.push(at as u64);
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        at += 8 + len as usize;
    }
    starts
}

fn last_segment(data: &Path) -> std::path::PathBuf {
    let mut names: Vec<_> = std::fs::read_dir(data.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.pop().unwrap()
}

fn increase(c: &mut Client, key: &str, id: &str, amount: i64) -> Value {
    c.ok(
        "commit",
        commit(
            key,
            text("any"),
            vec![event(
                id,
                "BalanceIncreased",
                vec![("amount", Value::from(amount))],
            )],
        ),
    )
}

/// The probe's stale-snapshot case: under `fsync = every`/`never` an OS crash can lose
/// the log's last records, which a snapshot already holds. The server must not start
/// from the shorter log (a later snapshot at a reused position would then be stale);
/// it refuses, naming the files, until the operator restores the log or moves the
/// snapshot aside with `verify --repair`, and never serves a state it did not
/// acknowledge.
#[test]
fn a_log_that_lost_records_a_snapshot_holds_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--segment-bytes", "8192"];
    let mut server = Server::start(dir.path(), &flags);
    let data = server.data.clone();
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a", 1);
    for i in 0..148 {
        increase(&mut c, "a", &format!("up{i}"), 1);
    }
    drop(c);
    let taken = server.cli("snapshot");
    assert!(taken.status.success(), "{taken:?}");
    assert!(
        String::from_utf8_lossy(&taken.stdout).contains("position 150"),
        "{taken:?}"
    );
    assert!(server.signal(Signal::SIGTERM).success());

    // The last record lost at a record boundary: nothing in the log's framing shows it.
    let segment = last_segment(&data);
    let cut = *record_starts(&segment).last().unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(cut)
        .unwrap();

    let refused = start_refused(dir.path(), &flags);
    let snapshot = data.join("snapshots").join(&snapshot_files(&data)[0]);
    for needed in [
        snapshot.display().to_string(),
        segment.display().to_string(),
        "position 150".to_string(),
        format!("{cut} bytes"),
        "resident verify --data".to_string(),
        "--repair".to_string(),
    ] {
        assert!(refused.contains(&needed), "{needed:?} not in: {refused}");
    }
    let report = verify(&data, &[]);
    let said = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{said}");
    assert!(said.contains(&snapshot.display().to_string()), "{said}");

    // The operator's deliberate choice: the snapshot goes to DATA/damaged/, and the
    // server starts from the log alone, at position 149.
    let repaired = verify(&data, &["--repair"]);
    let said = String::from_utf8_lossy(&repaired.stdout);
    assert!(repaired.status.success(), "{said} {repaired:?}");
    assert!(
        data.join("damaged")
            .join(snapshot.file_name().unwrap())
            .exists(),
        "{said}"
    );
    assert!(verify(&data, &[]).status.success());
    let mut server = Server::start(dir.path(), &flags);
    let mut c = server.client();
    assert_eq!(int(get(&c.ok("stats", vec![]), &["position"])), 149);

    // Position 150 is used again by a different event; a snapshot there is written
    // anew, and what is acknowledged after it survives a restart.
    increase(&mut c, "a", "seven", 7);
    let taken = server.cli("snapshot");
    assert!(
        String::from_utf8_lossy(&taken.stdout).contains("position 150"),
        "{taken:?}"
    );
    let acked = increase(&mut c, "a", "one", 1);
    assert_eq!(int(get(&acked, &["position"])), 151);
    let balance = |c: &mut Client| {
        int(get(
            &c.ok(
                "find",
                vec![("entity", text("Account")), ("key", text("a"))],
            ),
            &["entity", "balance"],
        ))
    };
    let acknowledged = balance(&mut c);
    assert_eq!(acknowledged, 1 + 147 + 7 + 1);
    drop(c);
    assert!(server.signal(Signal::SIGTERM).success());
    let server = Server::start(dir.path(), &flags);
    assert_eq!(balance(&mut server.client()), acknowledged);
    drop(server);
    let report = verify(&data, &[]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stdout)
    );
}
