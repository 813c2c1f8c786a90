//! The process's one connection, kept across requests (PHP-FPM workers live long), with
//! the per-connection memory of which schemas were registered and the reconnect policy.
//!
//! No Zend symbols here: `engine/call.rs` hands in plain CBOR values and gets plain
//! results back.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use resident_protocol::{frame, op, Value};

use crate::client::connection::{CallError, Connection, Settings};
use crate::client::failure::Problem;

/// A schema body to send with `register` before the first use of a class on a connection.
pub struct Registration<'a> {
    /// The PHP class it came from; what the per-connection cache is keyed on.
    pub class: &'a str,
    /// `{entities: [...], events: [...]}` as php-lib's Registry returned it.
    pub body: &'a Value,
}

#[derive(Default)]
pub struct Client {
    conn: Option<Connection>,
    /// Classes whose schema this connection has registered.
    registered: HashSet<String>,
    /// php-lib's Registry answers (parsed), per `method:class`. Cleared with the
    /// connection: a new connection may face a fresh server, and re-asking php-lib is cheap.
    answers: HashMap<String, Rc<dyn Any>>,
}

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client::default());
}

/// Runs `f` on the process's client. Never call PHP code inside `f`: PHP could call back
/// into the extension and find the client borrowed.
pub fn with<T>(f: impl FnOnce(&mut Client) -> T) -> T {
    CLIENT.with(|c| f(&mut c.borrow_mut()))
}

impl Client {
    pub fn cached(&self, key: &str) -> Option<Rc<dyn Any>> {
        self.answers.get(key).cloned()
    }

    pub fn remember(&mut self, key: String, answer: Rc<dyn Any>) {
        self.answers.insert(key, answer);
    }

    /// Registers what `needs` lists (once per connection), then sends `request`.
    pub fn exchange(
        &mut self,
        settings: impl Fn() -> Settings,
        needs: &[Registration<'_>],
        request: &[(&str, Value)],
    ) -> Result<Value, Problem> {
        let body = self.exchange_raw(settings, needs, request)?;
        frame::decode_body(&body).map_err(Problem::unreadable)
    }

    /// [`Client::exchange`] returning the answer's frame body undecoded (its `id` and
    /// `ok: true` checked), for decoding straight into PHP values.
    ///
    /// If the socket turns out broken on a connection that had worked, the server probably
    /// restarted: reconnect once and do it all again. Resending is safe: commits are
    /// idempotent by event id, and reads change nothing.
    pub fn exchange_raw(
        &mut self,
        settings: impl Fn() -> Settings,
        needs: &[Registration<'_>],
        request: &[(&str, Value)],
    ) -> Result<Vec<u8>, Problem> {
        let mut retried = false;
        loop {
            let conn = match &mut self.conn {
                Some(conn) => conn,
                None => self.conn.insert(Connection::open(&settings())?),
            };
            match Self::try_exchange(conn, &mut self.registered, needs, request) {
                Ok(answer) => return Ok(answer),
                Err(CallError::Refused(p)) => return Err(p),
                Err(CallError::Fatal(p)) => {
                    self.disconnect();
                    return Err(p);
                }
                Err(CallError::Broken(why)) => {
                    let proven = self.conn.as_ref().is_some_and(|c| c.proven);
                    self.disconnect();
                    if retried || !proven {
                        let s = settings();
                        return Err(Problem::connection(format!(
                            "lost the connection to residentd at {}: {why}; is it running \
                             (resident ping)? Its log says why it closed the connection",
                            s.socket
                        )));
                    }
                    retried = true;
                }
            }
        }
    }

    fn try_exchange(
        conn: &mut Connection,
        registered: &mut HashSet<String>,
        needs: &[Registration<'_>],
        request: &[(&str, Value)],
    ) -> Result<Vec<u8>, CallError> {
        for need in needs {
            if registered.contains(need.class) {
                continue;
            }
            let mut register = vec![("op", Value::from(op::REGISTER))];
            if let Value::Map(entries) = need.body {
                for (k, v) in entries {
                    if let Some(k) = k.as_text() {
                        if k != "op" && k != "id" {
                            register.push((k, v.clone()));
                        }
                    }
                }
            }
            conn.call(register)?;
            registered.insert(need.class.to_owned());
        }
        conn.call_raw(request.to_vec())
    }

    /// Forgets the connection and everything learnt on it.
    pub fn disconnect(&mut self) {
        self.conn = None;
        self.registered.clear();
        self.answers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_socket::TempSocket;
    use resident_protocol::map;
    use std::io::Write;
    use std::os::unix::net::UnixListener;

    /// Answers every request with `{ok: true, op: <its op>}`, on `conns` connections in
    /// turn, closing each after `per_conn` requests. Returns the ops it saw.
    fn echo_server(path: &str, per_conn: Vec<usize>) -> std::thread::JoinHandle<Vec<String>> {
        let listener = UnixListener::bind(path).unwrap();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            for n in per_conn {
                let (mut s, _) = listener.accept().unwrap();
                for _ in 0..n {
                    let req = frame::read_frame(&mut s, 1 << 20).unwrap();
                    let op = map::get_text(&req, "op").unwrap().to_owned();
                    seen.push(op.clone());
                    let answer = map::build(vec![
                        ("id", map::get(&req, "id").unwrap().clone()),
                        ("ok", Value::from(true)),
                        ("op", Value::from(op)),
                    ]);
                    s.write_all(&frame::encode(&answer)).unwrap();
                }
            }
            seen
        })
    }

    #[test]
    fn registers_once_and_reconnects_once_after_a_restart() {
        let socket = TempSocket::new("echo.sock");
        let path = socket.path.clone();
        // First connection: hello, register, find, find; then the "server restarts".
        // Second connection: hello, register (cache cleared), find.
        let server = echo_server(&path, vec![4, 3]);
        let settings = || Settings {
            socket: path.clone(),
            timeout_ms: 1000,
        };
        let body = map::build(vec![("entities", Value::Array(vec![]))]);
        let needs = [Registration {
            class: "App\\Account",
            body: &body,
        }];
        let find = [("op", Value::from("find"))];
        let mut client = Client::default();
        for _ in 0..3 {
            let answer = client.exchange(settings, &needs, &find).unwrap();
            assert_eq!(map::get_text(&answer, "op"), Some("find"));
        }
        let seen = server.join().unwrap();
        assert_eq!(
            seen,
            ["hello", "register", "find", "find", "hello", "register", "find"]
        );
    }

    #[test]
    fn never_resends_a_request_the_server_closed_the_connection_for() {
        let socket = TempSocket::new("too-large.sock");
        let path = socket.path.clone();
        let listener = UnixListener::bind(&path).unwrap();
        // Answers hello and one request, then does what residentd does with a frame over
        // its limit: reads the length, answers `too_large` with a null id, and closes. Then
        // counts the connections that come back.
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            for _ in 0..2 {
                let req = frame::read_frame(&mut s, 1 << 20).unwrap();
                let answer = map::build(vec![
                    ("id", map::get(&req, "id").unwrap().clone()),
                    ("ok", Value::from(true)),
                ]);
                s.write_all(&frame::encode(&answer)).unwrap();
            }
            let mut len = [0u8; 4];
            std::io::Read::read_exact(&mut s, &mut len).unwrap();
            let error = map::build(vec![
                ("code", Value::from("too_large")),
                (
                    "message",
                    Value::from("frame of 4000027 bytes exceeds the limit"),
                ),
            ]);
            let refusal = map::build(vec![
                ("id", Value::Null),
                ("ok", Value::from(false)),
                ("error", error),
            ]);
            s.write_all(&frame::encode(&refusal)).unwrap();
            drop(s);
            listener.set_nonblocking(true).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            std::iter::from_fn(|| listener.accept().ok()).count()
        });
        let settings = || Settings {
            socket: path.clone(),
            timeout_ms: 1000,
        };
        let mut client = Client::default();
        client
            .exchange(settings, &[], &[("op", Value::from("count"))])
            .unwrap();
        let big = [
            ("op", Value::from("commit")),
            ("x", Value::from("y".repeat(4_000_000))),
        ];
        let err = client.exchange(settings, &[], &big).unwrap_err();
        assert_eq!(err.code, "too_large", "{}", err.message);
        assert!(err.message.contains("exceeds the limit"), "{}", err.message);
        assert_eq!(server.join().unwrap(), 0, "the request was sent again");
    }

    #[test]
    fn does_not_retry_on_a_connection_that_never_worked() {
        let socket = TempSocket::new("flaky.sock");
        let path = socket.path.clone();
        let server = echo_server(&path, vec![1]); // answers hello, then closes
        let settings = || Settings {
            socket: path.clone(),
            timeout_ms: 1000,
        };
        let mut client = Client::default();
        let err = client
            .exchange(settings, &[], &[("op", Value::from("count"))])
            .unwrap_err();
        assert!(
            err.message.contains("lost the connection"),
            "{}",
            err.message
        );
        server.join().unwrap();
    }
}
