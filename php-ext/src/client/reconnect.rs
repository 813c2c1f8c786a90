//! Coming back after a server restart: how long to wait for a server that is not there,
//! and when a request may be sent again.
//!
//! During `systemctl restart residentd` the socket first refuses connections, then is
//! missing until the new server has loaded its state and bound it again. Rather than fail
//! every PHP request of that moment, the client tries again with a short backoff, for at
//! most `resident.reconnect_wait_ms`, and then fails with the usual message.
//!
//! Resending is safe for every request the extension sends: a commit is idempotent by its
//! event ids (residentd answers a resend as it answered the first), reads and `hello`
//! change nothing, `register` of a schema the server has is a no-op, and a second
//! `snapshot` writes the same state again.

use std::time::{Duration, Instant};

use crate::client::connection::{Connection, Settings};
use crate::client::failure::Problem;

/// The first pause between attempts; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_millis(5);
const BACKOFF_MAX: Duration = Duration::from_millis(100);

/// Resends of one request after broken sockets, within the wait. A restart costs one
/// (two when the new connection meets the old server still stopping); more means the
/// server closes the connection on this very request.
pub const RESENDS_MAX: u32 = 3;

/// Until when an exchange may wait for the server: `reconnect_wait_ms` after `since`;
/// `None` when the wait is off.
pub fn deadline(settings: &Settings, since: Instant) -> Option<Instant> {
    (settings.reconnect_wait_ms > 0)
        .then(|| since + Duration::from_millis(settings.reconnect_wait_ms))
}

/// Opens a connection, trying again until `deadline` while the server is not serving.
pub fn open(settings: &Settings, deadline: Option<Instant>) -> Result<Connection, Problem> {
    let mut pause = BACKOFF_FIRST;
    loop {
        let e = match Connection::open(settings) {
            Ok(conn) => return Ok(conn),
            Err(e) => e,
        };
        let Some(deadline) = deadline.filter(|_| e.not_serving) else {
            return Err(e.problem);
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(waited(e.problem, settings));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(BACKOFF_MAX);
    }
}

/// Whether a request may be sent again, for the `resends + 1`th time, after the socket
/// broke on a connection that had (`proven`) or had not answered a request yet.
pub fn may_resend(resends: u32, proven: bool, deadline: Option<Instant>) -> bool {
    match deadline {
        // Without the wait: once, and only where a working connection broke.
        None => proven && resends == 0,
        Some(deadline) => resends < RESENDS_MAX && Instant::now() < deadline,
    }
}

fn waited(mut problem: Problem, settings: &Settings) -> Problem {
    problem.message = format!(
        "{} (waited {} ms for it: resident.reconnect_wait_ms)",
        problem.message, settings.reconnect_wait_ms
    );
    problem
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_socket::TempSocket;
    use resident_protocol::{frame, map, Value};
    use std::io::Write;
    use std::os::unix::net::UnixListener;

    fn settings(socket: &str, reconnect_wait_ms: u64) -> Settings {
        Settings {
            socket: socket.to_owned(),
            timeout_ms: 1000,
            reconnect_wait_ms,
        }
    }

    fn wait_from_now(s: &Settings) -> Option<Instant> {
        deadline(s, Instant::now())
    }

    #[test]
    fn waits_for_a_server_that_comes_back() {
        let socket = TempSocket::new("restart.sock");
        let path = socket.path.clone();
        let started = Instant::now();
        let server = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            let listener = UnixListener::bind(&path).unwrap();
            let (mut s, _) = listener.accept().unwrap();
            let hello = frame::read_frame(&mut s, 1 << 20).unwrap();
            let answer = map::build(vec![
                ("id", map::get(&hello, "id").unwrap().clone()),
                ("ok", Value::from(true)),
                ("server", Value::from("back")),
            ]);
            s.write_all(&frame::encode(&answer)).unwrap();
        });
        let s = settings(&socket.path, 2000);
        let conn = open(&s, wait_from_now(&s)).unwrap();
        assert_eq!(conn.server, "back");
        assert!(started.elapsed() >= Duration::from_millis(150));
        server.join().unwrap();
    }

    #[test]
    fn gives_up_when_the_wait_is_over_and_says_so() {
        let s = settings("/nonexistent/resident.sock", 200);
        let started = Instant::now();
        let p = open(&s, wait_from_now(&s)).err().unwrap();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
        assert!(p.message.contains("does not exist"), "{}", p.message);
        assert!(
            p.message
                .ends_with("(waited 200 ms for it: resident.reconnect_wait_ms)"),
            "{}",
            p.message
        );
    }

    #[test]
    fn does_not_wait_when_the_wait_is_off_or_a_restart_would_not_help() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file.sock");
        std::fs::write(&file, b"").unwrap();
        let not_a_socket = settings(&file.to_string_lossy(), 5000);
        let off = settings("/nonexistent/resident.sock", 0);
        for s in [not_a_socket, off] {
            let started = Instant::now();
            let p = open(&s, wait_from_now(&s)).err().unwrap();
            assert!(started.elapsed() < Duration::from_millis(100), "{s:?}");
            assert!(!p.message.contains("waited"), "{}", p.message);
        }
    }

    #[test]
    fn resends_once_without_the_wait_and_within_it_a_few_times() {
        let soon = Some(Instant::now() + Duration::from_secs(60));
        let past = Some(Instant::now() - Duration::from_millis(1));
        assert!(may_resend(0, true, None));
        assert!(
            !may_resend(0, false, None),
            "a connection that never worked"
        );
        assert!(!may_resend(1, true, None));
        assert!(may_resend(0, false, soon));
        assert!(may_resend(RESENDS_MAX - 1, true, soon));
        assert!(!may_resend(RESENDS_MAX, true, soon));
        assert!(!may_resend(0, true, past), "the wait is over");
    }
}
