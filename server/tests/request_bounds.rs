//! A real `residentd` against requests built to cost it memory and time: each is bounded
//! before it is decoded, big ones are decoded off the threads that answer everyone else,
//! and a frame holds exactly one CBOR map.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use resident_protocol::{frame, Value};
use resident_server::query::parse::FILTER_DEPTH_MAX;

mod common;

use common::*;

/// `{id: 1, op: "stats", x: [null × n]}` as one frame: n+25 bytes that a naive decoder
/// turns into n values of 32 bytes each.
fn nulls_frame(n: u32) -> Vec<u8> {
    let mut body = vec![0xa3];
    for (k, v) in [("id", Value::from(1)), ("op", text("stats"))] {
        ciborium::ser::into_writer(&text(k), &mut body).unwrap();
        ciborium::ser::into_writer(&v, &mut body).unwrap();
    }
    ciborium::ser::into_writer(&text("x"), &mut body).unwrap();
    body.push(0x9a);
    body.extend_from_slice(&n.to_be_bytes());
    body.resize(body.len() + n as usize, 0xf6);
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// Sends `frame` on a new connection and returns the answer and how long it took.
fn send_and_time(socket: &std::path::Path, frame: &[u8]) -> (Value, Duration) {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let started = Instant::now();
    s.write_all(frame).unwrap();
    let answer = frame::read_frame(&mut s, u32::MAX).expect("an answer");
    (answer, started.elapsed())
}

/// How long a `hello` takes on an open connection, the worst of a few, while `busy`.
fn hello_latency_while(server: &Server, busy: impl Fn() -> bool) -> Duration {
    let mut c = server.client();
    let mut worst = Duration::ZERO;
    let mut samples = 0;
    while busy() || samples < 3 {
        let started = Instant::now();
        c.ok("hello", vec![]);
        worst = worst.max(started.elapsed());
        samples += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    worst
}

#[test]
fn frames_of_millions_of_nulls_are_refused_quickly_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.client().ok("hello", vec![]);
    let pid = server.child.id();
    let before = proc_status_kb(pid, "VmHWM");
    let frame = nulls_frame(16_777_000);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let (answers, ping) = std::thread::scope(|s| {
        let senders: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let answer = send_and_time(&server.socket, &frame);
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    answer
                })
            })
            .collect();
        let ping = hello_latency_while(&server, || {
            done.load(std::sync::atomic::Ordering::SeqCst) < 4
        });
        let answers: Vec<_> = senders.into_iter().map(|h| h.join().unwrap()).collect();
        (answers, ping)
    });
    for (answer, took) in &answers {
        assert_eq!(get(answer, &["id"]), &Value::from(1), "{answer:?}");
        assert_eq!(
            get(answer, &["error", "code"]),
            &text("limit"),
            "{answer:?}"
        );
        assert!(took < &Duration::from_secs(6), "answered after {took:?}");
    }
    let message = get(&answers[0].0, &["error", "message"]).as_text().unwrap();
    assert!(message.contains("request_memory_max"), "{message}");
    let grew_mb = (proc_status_kb(pid, "VmHWM") - before) / 1024;
    assert!(grew_mb < 200, "peak memory grew by {grew_mb} MB");
    assert!(ping < Duration::from_millis(500), "a hello took {ping:?}");
    server.client().ok("hello", vec![]);
}

#[test]
fn big_frames_are_decoded_off_the_threads_that_answer_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    // Within the budget: each takes a while to decode, and is then answered.
    let frame = nulls_frame(3_000_000);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let ping = std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let (answer, _) = send_and_time(&server.socket, &frame);
                assert_eq!(get(&answer, &["ok"]), &Value::Bool(true), "{answer:?}");
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        hello_latency_while(&server, || {
            done.load(std::sync::atomic::Ordering::SeqCst) < 3
        })
    });
    assert!(ping < Duration::from_millis(100), "a hello took {ping:?}");
}

#[test]
fn a_frame_holds_exactly_one_map_nested_no_deeper_than_requests_need() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut c = server.client();
    let mut body = Vec::new();
    ciborium::ser::into_writer(
        &obj(vec![("id", Value::from(1)), ("op", text("stats"))]),
        &mut body,
    )
    .unwrap();
    body.extend_from_slice(&[0xa0, 0xff]);
    let mut framed = (body.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&body);
    c.send_bytes(&framed).unwrap();
    let answer = c.read_raw().expect("an answer");
    assert_eq!(get(&answer, &["id"]), &Value::Null, "{answer:?}");
    assert_eq!(get(&answer, &["error", "code"]), &text("malformed"));
    let message = get(&answer, &["error", "message"]).as_text().unwrap();
    assert!(message.contains("exactly one CBOR map"), "{message}");
    c.assert_closed();

    // Deeper than any request needs: refused, answered with the request's id, and the
    // connection goes on (the frame itself was whole).
    let mut deep = Value::from(1);
    for _ in 0..100 {
        deep = Value::Array(vec![deep]);
    }
    let mut c = server.client();
    let error = c.fails("stats", vec![("x", deep)], "bad_request");
    let message = get(&error, &["message"]).as_text().unwrap();
    assert!(message.contains("nest"), "{message}");
    c.ok("hello", vec![]);

    // As deep as a request may need: a query's filter one group past its own limit is
    // refused by the query, which says so in its terms.
    let mut filter = obj(vec![
        ("field", text("balance")),
        ("op", text("in")),
        ("value", list(vec![Value::from(1)])),
    ]);
    for _ in 0..FILTER_DEPTH_MAX {
        filter = obj(vec![("and", list(vec![filter]))]);
    }
    let args = vec![("entity", text("Account")), ("where", filter)];
    let error = c.fails("query", args, "bad_request");
    let message = get(&error, &["message"]).as_text().unwrap();
    assert!(message.contains("and/or deeper than"), "{message}");
}
