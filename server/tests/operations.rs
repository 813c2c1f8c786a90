//! The operations over the wire against a real `residentd`: the bank's round trip
//! through every operation, concurrent commits, and the `resident` CLI.

use resident_protocol::Value;

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
fn a_register_dry_run_answers_the_difference_and_records_nothing() {
    use resident_server::state::schema::FieldType;
    use resident_server::testkit;

    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    open_and_fund(&mut c, "a1", 5);
    let dry = |args: Vec<(&'static str, Value)>| {
        let mut args = args;
        args.push(("dry_run", Value::Bool(true)));
        args
    };

    // An allowed change: the server's current definition comes back for the diff.
    let mut part = testkit::example_bank_part();
    part.entities[0]
        .fields
        .push(testkit::field("email", FieldType::String, true, None));
    let answer = c.ok("register", dry(testkit::register_args(&part)));
    assert_eq!(get(&answer, &["changed"]), &Value::Bool(true));
    assert_eq!(get(&answer, &["refused"]), &Value::Null);
    let current = get(&answer, &["current", "entities"]).as_array().unwrap();
    assert_eq!(get(&current[0], &["name"]), &text("Account"));
    assert_eq!(get(&current[0], &["fields"]).as_array().unwrap().len(), 3);

    // A refused change is answered, not failed, with the reason register would give.
    let mut part = testkit::example_bank_part();
    part.entities[0].fields[2].ty = FieldType::Float;
    let answer = c.ok("register", dry(testkit::register_args(&part)));
    let refused = get(&answer, &["refused"]).as_text().unwrap();
    assert!(
        refused.contains("field balance type int → float"),
        "{refused}"
    );

    // Nothing was recorded: after a restart the server has the first schema only.
    drop(c);
    server.signal(nix::sys::signal::Signal::SIGTERM);
    let server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    assert_eq!(int(get(&c.ok("stats", vec![]), &["schema_version"])), 1);
    let answer = c.ok("register", dry(bank_schema()));
    assert_eq!(get(&answer, &["changed"]), &Value::Bool(false));
}
