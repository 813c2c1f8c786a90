//! `query` over the wire against a real `residentd`: the index, pages and cursors.

use nix::sys::signal::Signal;
use resident_protocol::{map, Value};

mod common;

use common::*;

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
