//! A real `residentd` refuses to store what no client could read back.

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
