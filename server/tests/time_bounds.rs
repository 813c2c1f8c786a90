//! A real `residentd` against clients that hold connections without using them: silent
//! ones, half-sent frames, idle ones; each is closed in its time and its memory bounded.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use resident_protocol::{frame, Value};

mod common;

use common::*;

/// Reads what the server sends until it closes: the frames, then the end.
fn frames_until_closed(stream: &mut UnixStream) -> Vec<Value> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => {}
        // Closed with bytes of ours unread: the frames before the close are still read.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server should close the connection: {e}"),
    }
    let mut frames = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        frames.push(frame::read_frame(&mut rest, u32::MAX).unwrap());
    }
    frames
}

fn message(answer: &Value) -> &str {
    get(answer, &["error", "message"]).as_text().unwrap()
}

#[test]
fn silent_connections_are_closed_and_their_slots_given_to_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--connections-max", "3", "--frame-timeout-ms", "300"],
    );
    // The readiness probe's connection may hold a slot for a moment.
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let mut silent: Vec<UnixStream> = (0..3)
        .map(|_| UnixStream::connect(&server.socket).unwrap())
        .collect();
    for stream in &mut silent {
        let frames = frames_until_closed(stream);
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(get(&frames[0], &["error", "code"]), &text("limit"));
        assert!(
            message(&frames[0]).contains("within 300 ms of connecting"),
            "{frames:?}"
        );
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    server.client().ok("hello", vec![]);
}

#[test]
fn a_half_sent_frame_is_dropped_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--frame-timeout-ms", "300"]);
    let mut c = server.client();
    c.ok("hello", vec![]);
    let started = Instant::now();
    c.send_bytes(&[0, 0, 3, 232, 0xa2, 0x62, b'i', b'd'])
        .unwrap();
    let answer = c.read_raw().expect("an answer before the close");
    let took = started.elapsed();
    assert_eq!(get(&answer, &["error", "code"]), &text("limit"));
    assert!(message(&answer).contains("within 300 ms"), "{answer:?}");
    assert!(took >= Duration::from_millis(250), "refused after {took:?}");
    c.assert_closed();
}

#[test]
fn idle_connections_are_closed_without_a_word_and_busy_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--idle-timeout-ms", "300"]);
    let mut idle = server.client();
    idle.ok("hello", vec![]);
    let mut busy = server.client();
    busy.ok("hello", vec![]);
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(100));
        busy.ok("hello", vec![]);
    }
    // Closed with no frame before the end: one would be read as the next answer.
    idle.assert_closed();
}

#[test]
fn half_sent_frames_hold_no_more_than_the_request_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            "--frame-bytes-max",
            "4194304",
            "--request-memory-max",
            "16777216",
            "--frame-timeout-ms",
            "2000",
        ],
    );
    let pid = server.child.id();
    let before = proc_status_kb(pid, "VmHWM");
    let refused = std::thread::scope(|s| {
        let senders: Vec<_> = (0..24)
            .map(|_| {
                s.spawn(|| {
                    let mut stream = UnixStream::connect(&server.socket).unwrap();
                    stream
                        .set_write_timeout(Some(Duration::from_secs(5)))
                        .unwrap();
                    let mut partial = 4_194_304u32.to_be_bytes().to_vec();
                    partial.resize(4 + 3_500_000, 0x61);
                    let _ = stream.write_all(&partial);
                    frames_until_closed(&mut stream)
                })
            })
            .collect();
        senders
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for frames in &refused {
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(get(&frames[0], &["error", "code"]), &text("limit"));
    }
    let grew_mb = (proc_status_kb(pid, "VmHWM") - before) / 1024;
    // 24 × 3.5 MB were sent; the budget is 16 MiB (plus what the allocator keeps).
    assert!(grew_mb < 40, "peak memory grew by {grew_mb} MB");
    server.client().ok("hello", vec![]);
}
