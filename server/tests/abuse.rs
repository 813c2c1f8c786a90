//! A real `residentd` against hostile or broken clients: every bad request gets an
//! answer or a close, and the server carries on.

use resident_protocol::frame;
use resident_protocol::Value;

mod common;

use common::*;

#[test]
fn abuse_gets_an_answer_or_a_close_and_the_server_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--frame-bytes-max", "1024", "--events-per-commit-max", "3"],
    );

    // Malformed CBOR: answered with id null, then closed.
    let mut c = server.client();
    c.send_bytes(&[0, 0, 0, 3, 0xff, 0xfe, 0xfd]).unwrap();
    let answer = c.read_raw().expect("an answer");
    assert_eq!(get(&answer, &["id"]), &Value::Null);
    assert_eq!(get(&answer, &["error", "code"]), &text("malformed"));
    c.assert_closed();

    // A CBOR value that is not a map.
    let mut c = server.client();
    c.send_bytes(&frame::encode(&Value::from(42))).unwrap();
    assert_eq!(
        get(&c.read_raw().unwrap(), &["error", "code"]),
        &text("malformed")
    );
    c.assert_closed();

    // Oversized: answered without reading the body, then closed.
    let mut c = server.client();
    c.send_bytes(&5000u32.to_be_bytes()).unwrap();
    assert_eq!(
        get(&c.read_raw().unwrap(), &["error", "code"]),
        &text("too_large")
    );
    c.assert_closed();

    // Unknown op and a missing id: answered, connection stays open.
    let mut c = server.client();
    c.fails("launch_missiles", vec![], "unknown_op");
    c.send(&obj(vec![("op", text("hello"))])).unwrap();
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
    c.send_bytes(&[0, 0, 0, 50, 0xa1]).unwrap();
    drop(c);

    // Pipelined requests are answered in order.
    let mut c = server.client();
    for id in [10u64, 11, 12] {
        c.send(&obj(vec![("id", Value::from(id)), ("op", text("stats"))]))
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
        c.send_bytes(&frame).unwrap();
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
