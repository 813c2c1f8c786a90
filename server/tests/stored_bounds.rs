//! A real `residentd` refuses to store what no client could read back, and never writes
//! an answer larger than a client may read: it says what to do instead.

use resident_protocol::{Value, VALUE_DEPTH_MAX};

mod common;

use common::*;

fn message(error: &Value) -> &str {
    get(error, &["message"]).as_text().unwrap()
}

/// A commit of one event of type `ty` to account `key`, with an id of its own.
fn one(key: &str, ty: &str, data: Vec<(&str, Value)>) -> Vec<(&'static str, Value)> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    commit(
        key,
        text("any"),
        vec![event(&format!("{key}-{n}"), ty, data)],
    )
}

/// A server (with `flags`) knowing the full bank, and a client.
fn bank(dir: &std::path::Path, flags: &[&str]) -> (Server, Client) {
    let server = Server::start(dir, flags);
    let mut c = server.client();
    c.ok("register", full_bank_schema());
    (server, c)
}

#[test]
fn values_nested_deeper_than_the_limit_are_refused_naming_the_property() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut c) = bank(dir.path(), &[]);
    c.ok(
        "commit",
        one("a", "AccountOpened", vec![("name", text("A"))]),
    );

    let deep = nested(VALUE_DEPTH_MAX + 1, Value::from(1));
    let error = c.fails(
        "commit",
        one("a", "Tagged", vec![("tag", deep)]),
        "bad_request",
    );
    assert!(message(&error).contains("data tag"), "{error:?}");
    assert!(message(&error).contains("32 levels"), "{error:?}");

    // As deep as allowed, but a push puts it one level deeper in the entity's array.
    let limit = nested(VALUE_DEPTH_MAX, Value::from(1));
    let error = c.fails(
        "commit",
        one("a", "Tagged", vec![("tag", limit.clone())]),
        "bad_request",
    );
    assert!(
        message(&error).contains("Account a field tags"),
        "{error:?}"
    );

    // One level less fits, and reads back.
    let fits = nested(VALUE_DEPTH_MAX - 1, Value::from(1));
    c.ok("commit", one("a", "Tagged", vec![("tag", fits.clone())]));
    let all = c.ok("all", vec![("entity", text("Account"))]);
    let rows = get(&all, &["entities"]).as_array().unwrap();
    assert_eq!(get(&rows[0], &["tags"]), &Value::Array(vec![fits]));
    let read = c.ok(
        "read",
        vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("key", text("a")),
        ],
    );
    assert_eq!(get(&read, &["events"]).as_array().unwrap().len(), 2);
}

#[test]
fn nan_and_infinities_are_refused_naming_the_property() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut c) = bank(dir.path(), &[]);
    c.ok(
        "commit",
        one("a", "AccountOpened", vec![("name", text("A"))]),
    );
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let error = c.fails(
            "commit",
            one("a", "RateSet", vec![("rate", Value::Float(bad))]),
            "bad_request",
        );
        assert!(message(&error).contains("data rate"), "{error:?}");
        assert!(message(&error).contains("NaN and infinite"), "{error:?}");
    }
    c.ok(
        "commit",
        one("a", "RateSet", vec![("rate", Value::Float(0.25))]),
    );
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("a"))],
    );
    assert_eq!(get(&found, &["entity", "rate"]), &Value::Float(0.25));
}

#[test]
fn an_entity_larger_than_one_answer_can_carry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut c) = bank(dir.path(), &["--frame-bytes-max", "4096"]);
    let x = |n: usize| text(&"x".repeat(n));
    c.ok(
        "commit",
        one("big", "AccountOpened", vec![("name", x(2000))]),
    );
    // Each request fits a frame; the entity they would make together does not.
    let error = c.fails(
        "commit",
        one("big", "Tagged", vec![("tag", x(2000))]),
        "limit",
    );
    assert!(message(&error).contains("Account big"), "{error:?}");
    assert!(message(&error).contains("frame_bytes_max"), "{error:?}");
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("big"))],
    );
    assert_eq!(
        get(&found, &["entity", "tags"]),
        &list(vec![]),
        "nothing stored"
    );
    c.ok("commit", one("big", "Tagged", vec![("tag", x(1000))]));
    c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("big"))],
    );
}

#[test]
fn answers_larger_than_the_frame_limit_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, mut c) = bank(dir.path(), &["--frame-bytes-max", "4096"]);
    let name = |i: usize| text(&format!("{i}{}", "n".repeat(1500)));
    for key in ["a", "b", "c"] {
        c.ok("commit", one(key, "AccountOpened", vec![("name", name(0))]));
    }
    for i in 1..4 {
        c.ok("commit", one("a", "Renamed", vec![("name", name(i))]));
    }
    let limit_of = |c: &mut Client, op: &str, args: Vec<(&str, Value)>| {
        let error = c.fails(op, args, "limit");
        let text = message(&error).to_string();
        assert!(text.contains("4096"), "{text}");
        text
    };
    let all = limit_of(&mut c, "all", vec![("entity", text("Account"))]);
    assert!(all.contains("paginate"), "{all}");
    let query = limit_of(&mut c, "query", vec![("entity", text("Account"))]);
    assert!(query.contains("limit"), "{query}");
    let stream = vec![
        ("aggregate", text("AccountAggregateRoot")),
        ("key", text("a")),
    ];
    let read = limit_of(&mut c, "read", stream.clone());
    assert!(read.contains("from"), "{read}");

    // Smaller pieces are answered.
    let page = c.ok(
        "query",
        vec![("entity", text("Account")), ("limit", Value::from(2))],
    );
    assert_eq!(get(&page, &["entities"]).as_array().unwrap().len(), 2);
    let mut first = stream.clone();
    first.push(("limit", Value::from(2)));
    let events = c.ok("read", first);
    assert_eq!(get(&events, &["events"]).as_array().unwrap().len(), 2);

    // A commit whose answer would carry three such entities is refused before it is
    // recorded.
    let streams = ["a", "b", "c"]
        .iter()
        .map(|key| {
            obj(vec![
                ("aggregate", text("AccountAggregateRoot")),
                ("id", text(key)),
                (
                    "events",
                    list(vec![event(&format!("{key}-hit"), "LimitHit", vec![])]),
                ),
            ])
        })
        .collect();
    let error = c.fails("commit", vec![("streams", list(streams))], "limit");
    assert!(message(&error).contains("fewer"), "{error:?}");
    let found = c.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("b"))],
    );
    assert_eq!(
        get(&found, &["entity", "hits"]),
        &Value::from(0),
        "not recorded"
    );
}
