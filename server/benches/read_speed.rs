//! A rough clock on the read path: over the wire (a real `residentd`, a raw client that
//! sends a request frame and reads the answer's bytes without decoding them), then the
//! answer frames alone, in process. Run with
//! `cargo bench -p resident-server --bench read_speed`.
//!
//! `RESIDENT_SPEED_ENTITIES` overrides the number of accounts (default 10,000).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use resident_protocol::{frame, map, Value};
use resident_server::testkit;
use resident_server::write::commit::CommitRequest;

fn entities() -> usize {
    std::env::var("RESIDENT_SPEED_ENTITIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path) -> (Server, UnixStream) {
    let socket = dir.join("resident.sock");
    let child = Command::new(env!("CARGO_BIN_EXE_residentd"))
        .arg("--socket")
        .arg(&socket)
        .arg("--data")
        .arg(dir.join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("residentd starts");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(stream) = UnixStream::connect(&socket) {
            return (server, stream);
        }
        assert!(Instant::now() < deadline, "residentd did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(s: &str) -> Value {
    Value::from(s)
}

fn request(op: &str, args: Vec<(&str, Value)>) -> Vec<u8> {
    let mut entries = vec![("id", Value::from(1)), ("op", text(op))];
    entries.extend(args);
    frame::encode(&map::build(entries))
}

/// Sends a request and reads the answer's body bytes, undecoded.
fn raw_call(stream: &mut UnixStream, request: &[u8], body: &mut Vec<u8>) {
    stream.write_all(request).unwrap();
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).unwrap();
    body.resize(u32::from_be_bytes(len) as usize, 0);
    stream.read_exact(body).unwrap();
}

fn call(stream: &mut UnixStream, request: &[u8]) -> Value {
    let mut body = Vec::new();
    raw_call(stream, request, &mut body);
    let answer = frame::decode_body(&body).unwrap();
    assert_eq!(
        map::get(&answer, "ok"),
        Some(&Value::Bool(true)),
        "{answer:?}"
    );
    answer
}

/// How many entities an answer carries.
fn rows(answer: &Value) -> usize {
    map::get(answer, "entities")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// Accounts `keys` of the bank of `examples/bank`, with balances spread by `seed`.
fn accounts(keys: std::ops::Range<usize>, seed: &mut u64) -> CommitRequest {
    testkit::new_streams(keys.map(|i| {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let key = format!("{i:08x}-0000-4000-8000-000000000000");
        let events = testkit::opening(
            &key,
            &format!("Account holder {i}"),
            (*seed % 100_000) as i64,
        );
        (key, events)
    }))
}

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

fn load(stream: &mut UnixStream, n: usize) {
    let bank = testkit::example_bank_part();
    call(stream, &request("register", testkit::register_args(&bank)));
    let mut seed = SEED;
    for batch in 0..n.div_ceil(1000) {
        let commit = accounts(batch * 1000..n.min((batch + 1) * 1000), &mut seed);
        call(stream, &request("commit", testkit::commit_args(&commit)));
    }
}

/// Median and minimum round trip of `request`, and the answer's size.
fn time(name: &str, stream: &mut UnixStream, request: &[u8], runs: usize) {
    let mut body = Vec::new();
    for _ in 0..runs.min(20) {
        raw_call(stream, request, &mut body);
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            raw_call(stream, request, &mut body);
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<40} median {:>10.1?}  min {:>10.1?}  ({} bytes)",
        times[runs / 2],
        times[0],
        body.len()
    );
}

fn main() {
    reads_over_the_wire();
    answer_frames_in_process();
}

fn reads_over_the_wire() {
    let n = entities();
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut stream) = start(dir.path());
    let started = Instant::now();
    load(&mut stream, n);
    println!("loaded {n} accounts in {:.2?}", started.elapsed());

    let all = request("all", vec![("entity", text("Account"))]);
    let answer = call(&mut stream, &all);
    assert_eq!(rows(&answer), n);
    time(&format!("all ({n} entities)"), &mut stream, &all, 200);

    let range = map::build(vec![(
        "and",
        Value::Array(vec![
            map::build(vec![
                ("field", text("balance")),
                ("op", text(">=")),
                ("value", Value::from(25_000)),
            ]),
            map::build(vec![
                ("field", text("balance")),
                ("op", text("<")),
                ("value", Value::from(75_000)),
            ]),
        ]),
    )]);
    let query = request(
        "query",
        vec![
            ("entity", text("Account")),
            ("where", range),
            (
                "order",
                Value::Array(vec![map::build(vec![
                    ("field", text("balance")),
                    ("dir", text("desc")),
                ])]),
            ),
            ("limit", Value::from(50)),
        ],
    );
    let answer = call(&mut stream, &query);
    assert_eq!(rows(&answer), 50.min(n / 2));
    time(
        "query: range, order desc, limit 50",
        &mut stream,
        &query,
        2000,
    );

    let find = request(
        "find",
        vec![
            ("entity", text("Account")),
            ("key", text("00000007-0000-4000-8000-000000000000")),
        ],
    );
    time("find", &mut stream, &find, 5000);
    time(
        "hello (round trip floor)",
        &mut stream,
        &request("hello", vec![]),
        5000,
    );
}

/// The server side alone, in process: the answer frames of `all` and of a 50-row page,
/// spliced from the stored bytes, next to the same frames built the old way (a Value
/// tree per entity, then ciborium), which is what every read cost before.
fn answer_frames_in_process() {
    use resident_server::cbor::answer::{self, Field};
    use resident_server::query::parse::{CmpOp, Dir, Filter, OrderBy, Query, Select};

    let n = entities();
    let mut state = testkit::state_with(&testkit::example_bank_part());
    let mut seed = SEED;
    testkit::run_unrecorded(&mut state, &accounts(0..n, &mut seed)).unwrap();

    let clock = |name: &str, f: &mut dyn FnMut() -> usize| {
        let mut bytes = f();
        let mut times: Vec<Duration> = (0..200)
            .map(|_| {
                let started = Instant::now();
                bytes = std::hint::black_box(f());
                started.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{name:<52} median {:>10.1?}  min {:>10.1?}  ({bytes} bytes)",
            times[100], times[0]
        );
    };
    let table = state.table("Account").unwrap();
    clock(&format!("all, {n} entities, spliced"), &mut || {
        answer::success(1, &[("entities", Field::Table(table))]).len()
    });
    clock(
        &format!("all, {n} entities, Value-built (before)"),
        &mut || {
            let entities = Value::Array(table.values().map(|e| e.to_value()).collect());
            frame::encode(&map::build(vec![
                ("id", Value::from(1)),
                ("ok", Value::Bool(true)),
                ("entities", entities),
            ]))
            .len()
        },
    );
    let query = Query {
        entity: "Account".to_string(),
        filter: Some(Filter::And(vec![
            Filter::Compare {
                field: "balance".to_string(),
                op: CmpOp::Ge,
                value: Value::from(25_000),
            },
            Filter::Compare {
                field: "balance".to_string(),
                op: CmpOp::Lt,
                value: Value::from(75_000),
            },
        ])),
        order: vec![OrderBy {
            field: "balance".to_string(),
            dir: Dir::Desc,
        }],
        limit: Some(50),
        offset: 0,
        after: None,
        select: Select::Rows,
        explain: false,
    };
    let rows_max = 100_000;
    clock("query page of 50: run + splice", &mut || {
        let fields = resident_server::query::run::run(&state, &query, rows_max).unwrap();
        answer::success(1, &fields).len()
    });
    clock("query page of 50: run only", &mut || {
        resident_server::query::run::run(&state, &query, rows_max)
            .unwrap()
            .len()
    });
    let fields = resident_server::query::run::run(&state, &query, rows_max).unwrap();
    clock("query page of 50: splice only", &mut || {
        answer::success(1, &fields).len()
    });
    clock("query page of 50: Value-built encode (before)", &mut || {
        let mut entries = vec![("id", Value::from(1)), ("ok", Value::Bool(true))];
        entries.extend(fields.iter().map(|(k, f)| (*k, answer::to_value(f))));
        frame::encode(&map::build(entries)).len()
    });
}
