//! The process's one connection, kept across requests (PHP-FPM workers live long), with
//! the per-connection memory of which schemas were registered, the reconnect policy
//! (`reconnect.rs`) and fork safety.
//!
//! No Zend symbols here: `engine/call.rs` hands in plain CBOR values and gets plain
//! results back.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use resident_protocol::{frame, map, op, Value};

use crate::client::connection::{CallError, Connection, Settings};
use crate::client::failure::Problem;
use crate::client::{metrics, reconnect};

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
    /// The process that opened `conn`. A child made by `fork()` (pcntl_fork, queue
    /// workers) inherits the socket; were both to use it, their requests and answers
    /// would interleave on one stream. The child leaves it to its parent and opens its own.
    pid: u32,
    /// True once this process had a connection: the next one is counted as a reconnect.
    had_connection: bool,
    /// Classes whose schema this connection has registered.
    registered: HashSet<String>,
    /// php-lib's Registry answers (parsed), per `method:class`. Cleared with the
    /// connection: a new connection may face a fresh server, and re-asking php-lib is cheap.
    answers: HashMap<String, Rc<dyn Any>>,
}

/// What `phpinfo()` shows of this process's connection.
pub struct Status {
    pub server: String,
    pub position: Option<u64>,
}

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client::default());
}

/// Runs `f` on the process's client. Never call PHP code inside `f`: PHP could call back
/// into the extension and find the client borrowed.
pub fn with<T>(f: impl FnOnce(&mut Client) -> T) -> T {
    CLIENT.with(|c| f(&mut c.borrow_mut()))
}

/// The connection this process holds, if any; never opens one. `None` also when the
/// client is in use (it cannot be while PHP code runs).
pub fn status() -> Option<Status> {
    CLIENT.with(|c| c.try_borrow().ok()?.status())
}

impl Client {
    pub fn cached(&self, key: &str) -> Option<Rc<dyn Any>> {
        self.answers.get(key).cloned()
    }

    pub fn remember(&mut self, key: String, answer: Rc<dyn Any>) {
        self.answers.insert(key, answer);
    }

    fn status(&self) -> Option<Status> {
        let conn = self.conn.as_ref()?;
        (self.pid == std::process::id()).then(|| Status {
            server: conn.server.clone(),
            position: conn.position,
        })
    }

    /// Registers what `needs` lists (once per connection), then sends `request`; notes the
    /// `position` of the answer for `phpinfo()`.
    pub fn exchange(
        &mut self,
        settings: impl Fn() -> Settings,
        needs: &[Registration<'_>],
        request: &[(&str, Value)],
    ) -> Result<Value, Problem> {
        let body = self.exchange_raw(settings, needs, request)?;
        let answer = frame::decode_body(&body).map_err(Problem::unreadable)?;
        let position = map::get_i64(&answer, "position").and_then(|p| u64::try_from(p).ok());
        if let (Some(conn), Some(position)) = (&mut self.conn, position) {
            conn.position = Some(position);
        }
        Ok(answer)
    }

    /// [`Client::exchange`] returning the answer's frame body undecoded (its `id` and
    /// `ok: true` checked), for decoding straight into PHP values. Its time counts as
    /// time spent waiting on residentd.
    pub fn exchange_raw(
        &mut self,
        settings: impl Fn() -> Settings,
        needs: &[Registration<'_>],
        request: &[(&str, Value)],
    ) -> Result<Vec<u8>, Problem> {
        let started = Instant::now();
        let result = self.exchange_resending(settings, needs, request);
        let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        metrics::add(|c| c.wait_us += took);
        result
    }

    /// If the socket turns out broken, the server probably restarted: reconnect (waiting
    /// for it, see `reconnect.rs`) and do it all again, which is safe for every request.
    fn exchange_resending(
        &mut self,
        settings: impl Fn() -> Settings,
        needs: &[Registration<'_>],
        request: &[(&str, Value)],
    ) -> Result<Vec<u8>, Problem> {
        self.leave_a_parents_connection();
        let mut resends = 0;
        let mut broke_at = None;
        loop {
            let conn = match &mut self.conn {
                Some(conn) => conn,
                None => {
                    let fresh = self.connect(&settings(), broke_at)?;
                    self.conn.insert(fresh)
                }
            };
            match Self::try_exchange(conn, &mut self.registered, needs, request) {
                Ok(answer) => return Ok(answer),
                Err(CallError::Refused(p)) => return Err(p),
                Err(CallError::Fatal(p)) => {
                    self.disconnect();
                    return Err(p);
                }
                Err(CallError::Broken(why)) => {
                    let proven = conn.proven;
                    self.disconnect();
                    let s = settings();
                    let since = *broke_at.get_or_insert_with(Instant::now);
                    if !reconnect::may_resend(resends, proven, reconnect::deadline(&s, since)) {
                        return Err(Problem::connection(format!(
                            "lost the connection to residentd at {}: {why}; is it running \
                             (resident ping)? Its log says why it closed the connection",
                            s.socket
                        )));
                    }
                    resends += 1;
                }
            }
        }
    }

    /// Opens a connection, waiting for the server up to `reconnect_wait_ms` from `since`
    /// (the moment the last one broke), or from now.
    fn connect(
        &mut self,
        settings: &Settings,
        since: Option<Instant>,
    ) -> Result<Connection, Problem> {
        let deadline = reconnect::deadline(settings, since.unwrap_or_else(Instant::now));
        let conn = reconnect::open(settings, deadline)?;
        let reconnect = u64::from(self.had_connection);
        metrics::add(|c| {
            c.connects += 1;
            c.reconnects += reconnect;
        });
        self.had_connection = true;
        self.pid = std::process::id();
        Ok(conn)
    }

    /// In a forked child: forgets the parent's connection. Dropping it closes only this
    /// process's copy of the socket; the parent's connection goes on undisturbed.
    fn leave_a_parents_connection(&mut self) {
        let pid = std::process::id();
        metrics::own(pid);
        if self.conn.is_some() && self.pid != pid {
            self.disconnect();
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
    use std::os::unix::net::{UnixListener, UnixStream};

    /// Reads one request and answers it `{id, ok: true, op: <its op>}`; returns the op.
    fn answer_one(s: &mut UnixStream) -> String {
        let req = frame::read_frame(s, 1 << 20).unwrap();
        let op = map::get_text(&req, "op").unwrap().to_owned();
        let answer = map::build(vec![
            ("id", map::get(&req, "id").unwrap().clone()),
            ("ok", Value::from(true)),
            ("op", Value::from(op.as_str())),
        ]);
        s.write_all(&frame::encode(&answer)).unwrap();
        op
    }

    /// Answers every request with `{ok: true, op: <its op>}`, on `conns` connections in
    /// turn, closing each after `per_conn` requests. Returns the ops it saw.
    fn echo_server(path: &str, per_conn: Vec<usize>) -> std::thread::JoinHandle<Vec<String>> {
        let listener = UnixListener::bind(path).unwrap();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            for n in per_conn {
                let (mut s, _) = listener.accept().unwrap();
                seen.extend((0..n).map(|_| answer_one(&mut s)));
            }
            seen
        })
    }

    fn settings_for(path: &str, reconnect_wait_ms: u64) -> impl Fn() -> Settings + '_ {
        move || Settings {
            socket: path.to_owned(),
            timeout_ms: 1000,
            reconnect_wait_ms,
        }
    }

    /// Answers `hello` and one `count`, then stops as residentd does:
    /// closes the connection, removes the socket, is away for `away_ms`, then binds the
    /// socket again and answers `hello` and `count` once more.
    fn restarting_server(path: &str, away_ms: u64) -> std::thread::JoinHandle<()> {
        let path = path.to_owned();
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            for round in 0..2 {
                let (mut s, _) = listener.as_ref().unwrap().accept().unwrap();
                answer_one(&mut s);
                answer_one(&mut s);
                if round == 0 {
                    // The listener goes first, as residentd's does: a reconnect racing the
                    // close then finds no socket, never a backlog about to be dropped.
                    drop(listener.take());
                    std::fs::remove_file(&path).unwrap();
                    drop(s);
                    std::thread::sleep(std::time::Duration::from_millis(away_ms));
                    listener = Some(UnixListener::bind(&path).unwrap());
                }
            }
        })
    }

    /// Counts once, lets the server restart, counts again: the second count's outcome.
    fn count_across_a_restart(reconnect_wait_ms: u64) -> Result<Value, Problem> {
        let socket = TempSocket::new("restart.sock");
        let server = restarting_server(&socket.path, 200);
        let settings = settings_for(&socket.path, reconnect_wait_ms);
        let count = [("op", Value::from("count"))];
        let mut client = Client::default();
        client.exchange(&settings, &[], &count).unwrap();
        let second = client.exchange(&settings, &[], &count);
        if second.is_err() {
            // The server is back after its 200 ms and waits for the connection it expects.
            std::thread::sleep(std::time::Duration::from_millis(300));
            client.exchange(&settings, &[], &count).unwrap();
        }
        server.join().unwrap();
        second
    }

    #[test]
    fn waits_for_a_restarting_server_and_resends() {
        count_across_a_restart(2000).unwrap();
        let (_, process) = metrics::read();
        assert_eq!((process.connects, process.reconnects), (2, 1));
        assert_eq!(
            process.requests, 5,
            "hello, count, count (broken), hello, count"
        );
        assert!(process.wait_us >= 200_000, "{process:?}");
    }

    #[test]
    fn without_the_wait_a_restart_fails_the_request() {
        let err = count_across_a_restart(0).unwrap_err();
        assert!(err.message.contains("does not exist"), "{}", err.message);
    }

    #[test]
    fn within_the_wait_resends_are_bounded() {
        let socket = TempSocket::new("hangs-up.sock");
        // Answers hello, then closes on the request, on every connection.
        let server = echo_server(&socket.path, vec![1; 1 + reconnect::RESENDS_MAX as usize]);
        let mut client = Client::default();
        let err = client
            .exchange(
                settings_for(&socket.path, 2000),
                &[],
                &[("op", Value::from("count"))],
            )
            .unwrap_err();
        assert!(
            err.message.contains("lost the connection"),
            "{}",
            err.message
        );
        assert_eq!(
            server.join().unwrap().len(),
            1 + reconnect::RESENDS_MAX as usize
        );
    }

    #[test]
    fn a_forked_child_leaves_the_parents_connection_and_opens_its_own() {
        let socket = TempSocket::new("fork.sock");
        // The parent's connection (hello, count), then the child's (hello, count).
        let server = echo_server(&socket.path, vec![2, 2]);
        let mut client = Client::default();
        let count = [("op", Value::from("count"))];
        let settings = settings_for(&socket.path, 0);
        client.exchange(&settings, &[], &count).unwrap();
        assert!(client.status().is_some());
        client.pid = client.pid.wrapping_add(1); // as the child sees its parent's pid
        assert!(
            client.status().is_none(),
            "the parent's connection is not the child's"
        );
        client.exchange(&settings, &[], &count).unwrap();
        assert_eq!(client.pid, std::process::id());
        assert_eq!(server.join().unwrap(), ["hello", "count", "hello", "count"]);
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
            reconnect_wait_ms: 0,
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
            answer_one(&mut s);
            answer_one(&mut s);
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
            reconnect_wait_ms: 0,
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
            reconnect_wait_ms: 0,
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
