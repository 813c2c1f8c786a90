//! A rough clock on the read path over the wire: a real `residentd`, a raw client that
//! sends a request frame and reads the answer's bytes without decoding them. Ignored by
//! default; run with
//! `cargo test --release -p resident-server --test read_speed -- --ignored --nocapture`.
//!
//! `RESIDENT_SPEED_ENTITIES` overrides the number of accounts (default 10,000).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use resident_protocol::{frame, map, Value};

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

fn schema() -> Vec<(&'static str, Value)> {
    let field = |name: &str, ty: &str| {
        map::build(vec![
            ("name", text(name)),
            ("type", text(ty)),
            ("nullable", Value::Bool(false)),
        ])
    };
    let set = |name: &str| {
        map::build(vec![
            ("field", text(name)),
            ("op", text("set")),
            ("prop", text(name)),
        ])
    };
    let account = map::build(vec![
        ("name", text("Account")),
        ("id", text("uuid")),
        (
            "fields",
            Value::Array(vec![
                field("uuid", "string"),
                field("name", "string"),
                field("balance", "int"),
            ]),
        ),
        ("indexes", Value::Array(vec![text("balance")])),
    ]);
    let opened = map::build(vec![
        ("name", text("AccountOpened")),
        (
            "rules",
            Value::Array(vec![map::build(vec![
                ("op", text("create")),
                ("entity", text("Account")),
                ("id", Value::Null),
                ("fields", Value::Array(vec![set("name"), set("balance")])),
            ])]),
        ),
    ]);
    vec![
        ("entities", Value::Array(vec![account])),
        ("events", Value::Array(vec![opened])),
    ]
}

fn load(stream: &mut UnixStream, n: usize) {
    call(stream, &request("register", schema()));
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for batch in 0..n.div_ceil(1000) {
        let streams = (batch * 1000..n.min((batch + 1) * 1000))
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                map::build(vec![
                    ("aggregate", text("AccountAggregateRoot")),
                    (
                        "id",
                        Value::from(format!("{i:08x}-0000-4000-8000-000000000000")),
                    ),
                    ("expected", text("none")),
                    (
                        "events",
                        Value::Array(vec![map::build(vec![
                            ("id", Value::from(format!("ev-{i}"))),
                            ("type", text("AccountOpened")),
                            (
                                "data",
                                map::build(vec![
                                    ("name", Value::from(format!("Account holder {i}"))),
                                    ("balance", Value::from((seed % 100_000) as i64)),
                                ]),
                            ),
                        ])]),
                    ),
                ])
            })
            .collect();
        call(
            stream,
            &request("commit", vec![("streams", Value::Array(streams))]),
        );
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

#[test]
#[ignore = "a benchmark: run in release with --ignored --nocapture"]
fn reads_over_the_wire() {
    let n = entities();
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut stream) = start(dir.path());
    let started = Instant::now();
    load(&mut stream, n);
    println!("loaded {n} accounts in {:.2?}", started.elapsed());

    let all = request("all", vec![("entity", text("Account"))]);
    let answer = call(&mut stream, &all);
    assert_eq!(
        map::get(&answer, "entities")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        n
    );
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
    assert_eq!(
        map::get(&answer, "entities")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        50.min(n / 2)
    );
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
#[test]
#[ignore = "a benchmark: run in release with --ignored --nocapture"]
fn answer_frames_in_process() {
    use resident_server::cbor::answer::{self, Field};
    use resident_server::query::parse::{CmpOp, Dir, Filter, OrderBy, Query, Select};
    use resident_server::state::record_ref::RecordRef;
    use resident_server::state::schema::{
        EntityDef, EventDef, FieldDef, FieldOp, FieldRule, FieldType, Rule, RuleOp, SchemaPart,
        Source,
    };
    use resident_server::state::State;
    use resident_server::storage::event_reader::LogRecords;
    use resident_server::write::commit::{self, CommitRequest, Expected, NewEvent, StreamWrite};

    let n = entities();
    let field = |name: &str, ty| FieldDef {
        name: name.to_string(),
        ty,
        nullable: false,
        default: None,
    };
    let set = |name: &str| FieldRule {
        field: name.to_string(),
        op: FieldOp::Set,
        source: Source::Prop(name.to_string()),
    };
    let part = SchemaPart {
        entities: vec![EntityDef {
            name: "Account".to_string(),
            id_field: "uuid".to_string(),
            fields: vec![
                field("uuid", FieldType::String),
                field("name", FieldType::String),
                field("balance", FieldType::Int),
            ],
            indexes: vec!["balance".to_string()],
        }],
        events: vec![EventDef {
            name: "AccountOpened".to_string(),
            rules: vec![Rule {
                op: RuleOp::Create,
                entity: "Account".to_string(),
                id_prop: None,
                fields: vec![set("name"), set("balance")],
            }],
        }],
    };
    let mut state = State::default();
    resident_server::write::register::execute(&mut state, &part).unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let streams = (0..n)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            StreamWrite {
                aggregate: "AccountAggregateRoot".to_string(),
                key: format!("{i:08x}-0000-4000-8000-000000000000"),
                expected: Expected::Version(0),
                events: vec![NewEvent {
                    id: format!("ev-{i}"),
                    event_type: "AccountOpened".to_string(),
                    data: map::build(vec![
                        ("name", Value::from(format!("Account holder {i}"))),
                        ("balance", Value::from((seed % 100_000) as i64)),
                    ]),
                    meta: Vec::new(),
                }],
            }
        })
        .collect();
    commit::execute(
        &mut state,
        &CommitRequest { streams },
        "2026-01-01T00:00:00.000000Z",
        RecordRef::new(1, 0),
        &LogRecords::new(std::path::Path::new("/nonexistent")),
    )
    .unwrap();

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
