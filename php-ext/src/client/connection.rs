//! One blocking Unix-socket connection to residentd: connect, `hello`, request/answer.
//!
//! Blocking is right here: a PHP request is single-threaded and waits for every answer
//! anyway, and a plain `UnixStream` keeps the hot path to one `write` and two `read`s.

use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use resident_protocol::frame;
use resident_protocol::{map, op, Value, FRAME_BYTES_MAX_DEFAULT, PROTOCOL_VERSION};

use crate::client::cbor;
use crate::client::failure::{self, Kind, Problem};
use crate::client::metrics;

/// Where to connect and how long to wait; read from php.ini / the environment by
/// `engine/call.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub socket: String,
    pub timeout_ms: u64,
    /// How long to wait for a server that is not there, or hangs up at once, to come back
    /// (a restart); 0: fail at once. See `client/reconnect.rs`.
    pub reconnect_wait_ms: u64,
}

/// Why [`Connection::open`] failed.
#[derive(Debug)]
pub struct OpenError {
    pub problem: Problem,
    /// What a server that is stopping or starting looks like: the socket is missing or
    /// nobody listens on it, or the server hung up during `hello`. Worth waiting for.
    pub not_serving: bool,
}

/// Why one exchange failed.
#[derive(Debug)]
pub enum CallError {
    /// The socket broke (peer closed, reset, broken pipe): the server may have restarted,
    /// so the caller may reconnect and resend.
    Broken(String),
    /// No answer in time, or any other failure after which the connection is unusable
    /// and resending would not help.
    Fatal(Problem),
    /// The server answered `ok: false`.
    Refused(Problem),
}

pub struct Connection {
    stream: UnixStream,
    settings: Settings,
    next_id: u64,
    frame_bytes_max: u32,
    /// What the server called itself in `hello` (`residentd 0.1.0`).
    pub server: String,
    /// The newest `position` an answer on this connection carried (commits, stats).
    pub position: Option<u64>,
    /// True once an exchange after `hello` succeeded: only then is a broken socket a sign
    /// of a server restart worth one transparent retry.
    pub proven: bool,
}

const CLIENT_NAME: &str = concat!("resident-php/", env!("CARGO_PKG_VERSION"));

/// How long to look for a refusal the server sent before closing, once a write found the
/// socket closed: it is there already or not at all, so this only bounds an odd peer.
const REFUSAL_WAIT_MS: u64 = 200;

impl Connection {
    /// Connects and says `hello`.
    pub fn open(settings: &Settings) -> Result<Connection, OpenError> {
        let path = &settings.socket;
        let stream = UnixStream::connect(path).map_err(|e| OpenError {
            not_serving: match e.kind() {
                ErrorKind::NotFound => true,
                ErrorKind::ConnectionRefused => not_a_socket(path).is_none(),
                _ => false,
            },
            problem: connect_problem(path, &e),
        })?;
        let timeout = Some(Duration::from_millis(settings.timeout_ms.max(1)));
        stream
            .set_read_timeout(timeout)
            .and_then(|()| stream.set_write_timeout(timeout))
            .map_err(|e| OpenError {
                problem: connect_problem(path, &e),
                not_serving: false,
            })?;
        let mut conn = Connection {
            stream,
            settings: settings.clone(),
            next_id: 1,
            frame_bytes_max: FRAME_BYTES_MAX_DEFAULT,
            server: String::new(),
            position: None,
            proven: false,
        };
        let hello = vec![
            ("op", Value::from(op::HELLO)),
            ("protocol", Value::from(PROTOCOL_VERSION)),
            ("client", Value::from(CLIENT_NAME)),
        ];
        let answer = conn.call(hello).map_err(|e| match e {
            CallError::Broken(why) => OpenError {
                problem: closed_during_hello(path, &why),
                not_serving: true,
            },
            // The server turned this connection away and says why (the door's `limit`,
            // `forbidden`): the connection was refused, whatever the code's usual kind.
            CallError::Refused(problem) => OpenError {
                problem: failure::refused_connection(&problem.code, &problem.message, path),
                not_serving: false,
            },
            CallError::Fatal(problem) => OpenError {
                problem,
                not_serving: false,
            },
        })?;
        if let Some(server) = map::get_text(&answer, "server") {
            conn.server = server.to_owned();
        }
        if let Some(max) = map::get(&answer, "limits")
            .and_then(|l| map::get_i64(l, "frame_bytes_max"))
            .and_then(|m| u32::try_from(m).ok())
        {
            conn.frame_bytes_max = max;
        }
        conn.proven = false;
        Ok(conn)
    }

    /// Sends one request (the `id` is added here) and returns the `ok: true` answer.
    pub fn call(&mut self, request: Vec<(&str, Value)>) -> Result<Value, CallError> {
        let body = self.call_raw(request)?;
        frame::decode_body(&body).map_err(|e| CallError::Fatal(self.unreadable(&e)))
    }

    /// Like [`Connection::call`], but returns the `ok: true` answer's frame body
    /// undecoded (only its `id` and `ok` are checked), for decoding straight into PHP
    /// values.
    pub fn call_raw(&mut self, mut request: Vec<(&str, Value)>) -> Result<Vec<u8>, CallError> {
        let id = self.next_id;
        self.next_id += 1;
        request.insert(0, ("id", Value::from(id)));
        let request = map::build(request);
        // Refused here rather than by the server, which would read the length, answer
        // `too_large` and close: the extension would have sent it all for nothing.
        let bytes = frame::encode_within(&request, self.frame_bytes_max).map_err(|len| {
            let op = map::get_text(&request, "op").unwrap_or("request");
            CallError::Refused(failure::too_large(op, len, self.frame_bytes_max))
        })?;
        metrics::add(|c| c.requests += 1);
        if let Err(e) = NoSigPipe(&self.stream).write_all(&bytes) {
            return Err(self.write_failure(&e));
        }
        metrics::add(|c| c.bytes_sent += bytes.len() as u64);
        // Answers come in request order; a stale answer (from a request that timed out)
        // would already have closed this connection, so the next frame is ours.
        let body = self.read_body()?;
        self.answer(id, body)
    }

    /// The answer `body` to request `id`: itself if `ok: true`.
    fn answer(&mut self, id: u64, body: Vec<u8>) -> Result<Vec<u8>, CallError> {
        let envelope = cbor::envelope(&body).map_err(|e| CallError::Fatal(self.unreadable(&e)))?;
        match (envelope.id, envelope.ok) {
            (None, Some(false)) => return Err(self.refusal(&body)),
            (answered, _) if answered.and_then(|a| u64::try_from(a).ok()) != Some(id) => {
                return Err(CallError::Fatal(Problem::protocol(format!(
                    "residentd at {} answered request {id} with the answer to request {}",
                    self.settings.socket,
                    answered.map_or("(none)".to_owned(), |a| a.to_string())
                ))));
            }
            _ => {}
        }
        match envelope.ok {
            Some(true) => {
                self.proven = true;
                Ok(body)
            }
            Some(false) => {
                self.proven = true;
                let answer =
                    frame::decode_body(&body).map_err(|e| CallError::Fatal(self.unreadable(&e)))?;
                let error = map::get(&answer, "error").cloned().unwrap_or(Value::Null);
                Err(CallError::Refused(Problem::from_wire(&error)))
            }
            None => Err(CallError::Fatal(
                self.unreadable(&"the answer has no `ok` field"),
            )),
        }
    }

    /// An error answer with a null id (see [`failure::refusal`]); the server has closed
    /// the connection. On a connection that had worked, a refusal of the connection (a
    /// timeout, a stop) is treated like a broken socket, which is worth one reconnect;
    /// anything else is final.
    fn refusal(&self, body: &[u8]) -> CallError {
        let answer = match frame::decode_body(body) {
            Ok(answer) => answer,
            Err(e) => return CallError::Fatal(self.unreadable(&e)),
        };
        let error = map::get(&answer, "error").unwrap_or(&Value::Null);
        let problem = failure::refusal(error, &self.settings.socket);
        if self.proven && problem.kind == Kind::Connection {
            return CallError::Broken(problem.message);
        }
        CallError::Fatal(problem)
    }

    /// A write that failed. If the socket broke, residentd may have said why before it
    /// closed (a refusal at the door, a request it could not take): that answer is read and
    /// reported, and the request is not sent again.
    fn write_failure(&mut self, e: &io::Error) -> CallError {
        let broken = self.io_failure(e);
        if !matches!(broken, CallError::Broken(_)) {
            return broken;
        }
        // The server has closed its end: what it sent is here already, or never comes.
        let waiting = self
            .stream
            .set_read_timeout(Some(Duration::from_millis(REFUSAL_WAIT_MS)))
            .ok()
            .and_then(|()| self.read_body().ok());
        match waiting.map(|body| (cbor::envelope(&body), body)) {
            Some((Ok(cbor::Envelope { id: None, .. }), body)) => self.refusal(&body),
            _ => broken,
        }
    }

    /// Reads one frame body (its length checked against the limit before any byte of it
    /// is read), without zero-filling the buffer first.
    fn read_body(&mut self) -> Result<Vec<u8>, CallError> {
        let mut len = [0u8; 4];
        if let Err(e) = self.stream.read_exact(&mut len) {
            return Err(if e.kind() == ErrorKind::UnexpectedEof {
                CallError::Broken("connection closed by residentd".into())
            } else {
                self.io_failure(&e)
            });
        }
        let len = u32::from_be_bytes(len);
        if frame::check_len(len, self.frame_bytes_max).is_err() {
            return Err(CallError::Fatal(failure::answer_too_large(
                &self.settings.socket,
                len,
                self.frame_bytes_max,
            )));
        }
        let len = len as usize;
        let mut body: Vec<u8> = Vec::with_capacity(len);
        while body.len() < len {
            let spare = body.spare_capacity_mut();
            // SAFETY: `recv` writes at most `len - body.len()` bytes, the length of `spare`,
            // into the memory `spare` describes; the socket outlives the call.
            let n = unsafe {
                libc::recv(
                    self.stream.as_raw_fd(),
                    spare.as_mut_ptr().cast(),
                    spare.len(),
                    0,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(self.io_failure(&e));
            }
            if n == 0 {
                return Err(CallError::Broken(
                    "connection closed by residentd in the middle of an answer".into(),
                ));
            }
            // SAFETY: `recv` initialised the next `n` bytes.
            unsafe { body.set_len(body.len() + n as usize) };
        }
        metrics::add(|c| c.bytes_received += 4 + len as u64);
        Ok(body)
    }

    fn unreadable(&self, e: &dyn std::fmt::Display) -> Problem {
        Problem::protocol(format!(
            "unreadable answer from residentd at {}: {e}",
            self.settings.socket
        ))
    }

    fn io_failure(&self, e: &io::Error) -> CallError {
        match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => CallError::Fatal(timeout_problem(
                &self.settings.socket,
                self.settings.timeout_ms,
            )),
            ErrorKind::BrokenPipe
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
            | ErrorKind::NotConnected => CallError::Broken(e.to_string()),
            _ => CallError::Fatal(Problem::connection(format!(
                "I/O error on the Resident socket {}: {e}; the connection is closed, and the \
                 next call opens a new one",
                self.settings.socket
            ))),
        }
    }
}

/// Writes with `send(MSG_NOSIGNAL)`: a write to a socket the server closed must come back
/// as `EPIPE` (and lead to a reconnect), not kill the PHP process with `SIGPIPE` in SAPIs
/// that do not ignore it.
struct NoSigPipe<'a>(&'a UnixStream);

impl Write for NoSigPipe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: the pointer and length describe `buf`, which outlives the call.
        let n = unsafe {
            libc::send(
                self.0.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Says what is wrong with the socket and what to do about it.
pub fn connect_problem(path: &str, e: &io::Error) -> Problem {
    let message = match e.kind() {
        ErrorKind::NotFound => format!(
            "Resident socket {path} does not exist: is residentd running? Start it, or set \
             resident.socket / RESIDENT_SOCKET"
        ),
        ErrorKind::ConnectionRefused => match not_a_socket(path) {
            Some(what) => format!(
                "Resident socket path {path} is a {what}, not a socket: set resident.socket / \
                 RESIDENT_SOCKET to the socket residentd listens on (its --socket)"
            ),
            None => format!(
                "Resident socket {path} refused the connection: the socket file is stale and \
                 no residentd is listening on it; start residentd"
            ),
        },
        ErrorKind::PermissionDenied => format!(
            "Permission denied on the Resident socket {path}: the PHP process's user needs to \
             be in the socket's group (or residentd's allow-list)"
        ),
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            return timeout_problem(path, 0);
        }
        _ if path.is_empty() => {
            "Resident socket path is empty: set resident.socket or RESIDENT_SOCKET".to_owned()
        }
        _ => format!(
            "Cannot connect to the Resident socket {path}: {e}; check resident.socket / \
             RESIDENT_SOCKET"
        ),
    };
    Problem::connection(message)
}

/// What is at `path` if it exists and is not a socket (connecting to it is refused as to
/// a stale socket).
fn not_a_socket(path: &str) -> Option<&'static str> {
    let kind = std::fs::metadata(path).ok()?.file_type();
    Some(match kind {
        k if k.is_socket() => return None,
        k if k.is_dir() => "directory",
        k if k.is_file() => "regular file",
        _ => "special file",
    })
}

/// The server hung up during `hello` without a word. A refused uid was closed that way
/// before residentd sent its reason; a stop does the same.
fn closed_during_hello(path: &str, why: &str) -> Problem {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    Problem::connection(format!(
        "residentd at {path} closed the connection during hello ({why}): it may not allow \
         this process's user (uid {uid}; see residentd's --allow-uid), or it was stopping; \
         residentd's log says which"
    ))
}

pub fn timeout_problem(path: &str, timeout_ms: u64) -> Problem {
    Problem::connection(format!(
        "residentd at {path} did not answer: timed out after {timeout_ms} ms \
         (resident.timeout_ms); it is overloaded or stopped, or the request needs longer: \
         check that it runs, or raise resident.timeout_ms"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_socket::TempSocket;
    use std::os::unix::net::UnixListener;

    fn settings(socket: &str, timeout_ms: u64) -> Settings {
        Settings {
            socket: socket.to_owned(),
            timeout_ms,
            reconnect_wait_ms: 0,
        }
    }

    #[test]
    fn missing_socket_says_start_residentd() {
        let e = Connection::open(&settings("/nonexistent/resident.sock", 100))
            .err()
            .unwrap();
        assert!(
            e.not_serving,
            "a restarting server removes its socket for a moment"
        );
        let p = e.problem;
        assert_eq!(p.code, "connection");
        assert!(
            p.message
                .contains("/nonexistent/resident.sock does not exist"),
            "{}",
            p.message
        );
        assert!(p.message.contains("RESIDENT_SOCKET"));
    }

    #[test]
    fn stale_socket_file_is_refused() {
        let socket = TempSocket::new("stale.sock");
        let path = socket.path.clone();
        drop(UnixListener::bind(&path).unwrap()); // leaves the file, nobody listens
        let e = Connection::open(&settings(&path, 100)).err().unwrap();
        assert!(
            e.not_serving,
            "a stopping server has closed its socket already"
        );
        let p = e.problem;
        assert!(p.message.contains("refused"), "{}", p.message);
        assert!(p.message.contains(&path));
    }

    #[test]
    fn a_path_that_is_not_a_socket_says_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file.sock");
        std::fs::write(&file, b"").unwrap();
        let dir_path = dir.path().to_string_lossy().into_owned();
        let file_path = file.to_string_lossy().into_owned();
        for (path, what) in [(dir_path, "directory"), (file_path, "regular file")] {
            let e = Connection::open(&settings(&path, 100)).err().unwrap();
            assert!(!e.not_serving, "no server comes to a {what}");
            let p = e.problem;
            assert!(
                p.message.starts_with(&format!(
                    "Resident socket path {path} is a {what}, not a socket"
                )),
                "{}",
                p.message
            );
        }
    }

    #[test]
    fn silent_server_times_out_with_the_limit_in_the_message() {
        let socket = TempSocket::new("silent.sock");
        let path = socket.path.clone();
        let _listener = UnixListener::bind(&path).unwrap();
        let e = Connection::open(&settings(&path, 50)).err().unwrap();
        assert!(
            !e.not_serving,
            "a server that hangs is not waited for twice"
        );
        let p = e.problem;
        assert!(p.message.contains("timed out after 50 ms"), "{}", p.message);
    }

    /// A fake server that answers `hello` and the requests after it with `answers` (the
    /// first is hello's), then closes.
    fn serve(path: &str, answers: Vec<Value>) -> std::thread::JoinHandle<()> {
        let listener = UnixListener::bind(path).unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            for mut answer in answers {
                let req = frame::read_frame(&mut s, 1 << 20).unwrap();
                if let Value::Map(entries) = &mut answer {
                    entries.insert(
                        0,
                        (Value::from("id"), map::get(&req, "id").unwrap().clone()),
                    );
                }
                if s.write_all(&frame::encode(&answer)).is_err() {
                    return; // the client hung up
                }
            }
        })
    }

    fn refusal_frame(code: &str, message: &str) -> Vec<u8> {
        frame::encode(&map::build(vec![
            ("id", Value::Null),
            ("ok", Value::from(false)),
            (
                "error",
                map::build(vec![
                    ("code", Value::from(code)),
                    ("message", Value::from(message)),
                ]),
            ),
        ]))
    }

    #[test]
    fn a_refusal_at_the_door_is_reported_with_the_servers_code_and_message() {
        // The server refuses at once; the client's hello may or may not be written before
        // it closes.
        for read_hello_first in [false, true] {
            let socket = TempSocket::new("door.sock");
            let path = socket.path.clone();
            let listener = UnixListener::bind(&path).unwrap();
            let server = std::thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                if read_hello_first {
                    frame::read_frame(&mut s, 1 << 20).unwrap();
                }
                s.write_all(&refusal_frame("limit", "the server has reached its limit"))
                    .unwrap();
            });
            let e = Connection::open(&settings(&path, 1000)).err().unwrap();
            server.join().unwrap();
            assert!(!e.not_serving, "a refusal is final");
            let p = e.problem;
            assert_eq!((p.kind, p.code.as_str()), (Kind::Connection, "limit"));
            assert!(
                p.message.starts_with(&format!(
                    "residentd at {path} refused the connection: the server has reached its \
                     limit"
                )),
                "{}",
                p.message
            );
        }
    }

    #[test]
    fn a_hang_up_during_hello_points_at_allow_uid_and_the_log() {
        let socket = TempSocket::new("hangup.sock");
        let path = socket.path.clone();
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || drop(listener.accept().unwrap()));
        let e = Connection::open(&settings(&path, 1000)).err().unwrap();
        server.join().unwrap();
        assert!(
            e.not_serving,
            "a stopping server hangs up on connections it had not served"
        );
        let p = e.problem;
        assert_eq!(p.kind, Kind::Connection);
        assert!(
            p.message.contains("closed the connection during hello")
                && p.message.contains("--allow-uid")
                && p.message.contains("residentd's log"),
            "{}",
            p.message
        );
    }

    #[test]
    fn a_request_over_the_servers_frame_limit_is_refused_before_sending() {
        let socket = TempSocket::new("limit.sock");
        let path = socket.path.clone();
        let hello = map::build(vec![
            ("ok", Value::from(true)),
            (
                "limits",
                map::build(vec![("frame_bytes_max", Value::from(100))]),
            ),
        ]);
        let ok = map::build(vec![("ok", Value::from(true))]);
        let server = serve(&path, vec![hello, ok]);
        let mut conn = Connection::open(&settings(&path, 1000)).unwrap();
        let big = vec![
            ("op", Value::from("commit")),
            ("x", Value::from("y".repeat(100))),
        ];
        match conn.call(big) {
            Err(CallError::Refused(p)) => {
                assert_eq!((p.kind, p.code.as_str()), (Kind::BadRequest, "limit"));
                assert!(p.message.starts_with("the commit is 1"), "{}", p.message);
                assert!(p.message.contains("limit of 100 bytes"), "{}", p.message);
            }
            other => panic!("{other:?}"),
        }
        // Nothing was sent: the server's next frame is the next request.
        conn.call(vec![("op", Value::from("count"))]).unwrap();
        server.join().unwrap();
    }

    #[test]
    fn an_answer_over_the_limit_says_to_ask_for_less() {
        let socket = TempSocket::new("big-answer.sock");
        let path = socket.path.clone();
        let big = map::build(vec![
            ("ok", Value::from(true)),
            (
                "x",
                Value::from("y".repeat(FRAME_BYTES_MAX_DEFAULT as usize)),
            ),
        ]);
        let server = serve(
            &path,
            vec![map::build(vec![("ok", Value::from(true))]), big],
        );
        let mut conn = Connection::open(&settings(&path, 5000)).unwrap();
        match conn.call(vec![("op", Value::from("all"))]) {
            Err(CallError::Fatal(p)) => {
                assert_eq!(p.code, "too_large");
                assert!(p.message.contains("limit(), paginate()"), "{}", p.message);
            }
            other => panic!("{other:?}"),
        }
        drop(conn);
        server.join().unwrap();
    }

    #[test]
    fn call_returns_answer_and_maps_refusals() {
        let socket = TempSocket::new("fake.sock");
        let path = socket.path.clone();
        let server = serve(
            &path,
            vec![
                map::build(vec![
                    ("ok", Value::from(true)),
                    ("server", Value::from("fake")),
                ]),
                map::build(vec![("ok", Value::from(true)), ("count", Value::from(3))]),
                map::build(vec![
                    ("ok", Value::from(false)),
                    (
                        "error",
                        map::build(vec![
                            ("code", Value::from("schema")),
                            ("message", Value::from("no such entity")),
                        ]),
                    ),
                ]),
            ],
        );
        let mut conn = Connection::open(&settings(&path, 1000)).unwrap();
        assert_eq!(conn.server, "fake", "what hello said, for phpinfo()");
        assert!(!conn.proven);
        let answer = conn.call(vec![("op", Value::from("count"))]).unwrap();
        assert_eq!(map::get_i64(&answer, "count"), Some(3));
        assert!(conn.proven);
        match conn.call(vec![("op", Value::from("count"))]) {
            Err(CallError::Refused(p)) => assert_eq!(p.message, "no such entity"),
            other => panic!("{other:?}"),
        }
        server.join().unwrap();
        assert!(matches!(
            conn.call(vec![("op", Value::from("count"))]),
            Err(CallError::Broken(_))
        ));
    }
}
