//! What the integration tests share: a real residentd process, a raw protocol client,
//! and builders for requests; the bank schema itself is the test kit's.
#![allow(dead_code)] // each test binary uses its own subset

pub mod mount;

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use resident_protocol::{map, Value};
use resident_server::testkit;

pub struct Server {
    pub child: Child,
    pub socket: PathBuf,
    pub data: PathBuf,
}

impl Server {
    /// residentd on `dir/run/resident.sock` with data in `dir/data`.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        let (socket, data) = (dir.join("run").join("resident.sock"), dir.join("data"));
        Server::run(residentd(&socket, &data, extra), socket, data)
    }

    /// Like [`Server::start`], with info logging appended to `dir/residentd.log`.
    pub fn start_logged(dir: &Path, extra: &[&str]) -> Server {
        let (socket, data) = (dir.join("run").join("resident.sock"), dir.join("data"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("residentd.log"))
            .unwrap();
        let mut command = residentd(&socket, &data, extra);
        command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(log);
        Server::run(command, socket, data)
    }

    /// Spawns `command` (see [`residentd`]) and waits until it listens on `socket`.
    pub fn run(mut command: Command, socket: PathBuf, data: PathBuf) -> Server {
        let child = command.spawn().expect("residentd starts");
        let server = Server {
            child,
            socket,
            data,
        };
        server.wait_ready();
        server
    }

    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if UnixStream::connect(&self.socket).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "residentd did not start listening on {}",
            self.socket.display()
        );
    }

    /// Runs the `resident` CLI against this server: `resident <command> --socket …`.
    pub fn cli(&self, command: &str) -> std::process::Output {
        resident_cli([
            command.as_ref(),
            "--socket".as_ref(),
            self.socket.as_os_str(),
        ])
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.socket)
    }

    pub fn signal(&mut self, signal: Signal) -> std::process::ExitStatus {
        kill(Pid::from_raw(self.child.id() as i32), signal).unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The residentd command line the tests run: warnings only, stderr kept for the test.
pub fn residentd(socket: &Path, data: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_residentd"));
    command
        .arg("--socket")
        .arg(socket)
        .arg("--data")
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs the `resident` CLI with `args` and waits for it.
pub fn resident_cli<'a>(
    args: impl IntoIterator<Item = &'a std::ffi::OsStr>,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_resident"))
        .args(args)
        .output()
        .expect("resident runs")
}

/// Starts residentd on `dir` as [`Server::start`] would and expects it to refuse: waits
/// for it to exit with a failure and returns its stderr. A server that starts instead is
/// killed and the test fails.
pub fn start_refused(dir: &Path, extra: &[&str]) -> String {
    let (socket, data) = (dir.join("run").join("resident.sock"), dir.join("data"));
    refused(residentd(&socket, &data, extra), Some(&socket))
}

/// Runs `command` (see [`residentd`]) and expects it to exit with a failure, within 30 s
/// and before it listens on `socket` (when given); returns its stderr.
pub fn refused(mut command: Command, socket: Option<&Path>) -> String {
    let mut child = command.spawn().expect("residentd runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child
        .try_wait()
        .expect("residentd can be waited for")
        .is_none()
    {
        let listening = socket.is_some_and(|s| UnixStream::connect(s).is_ok());
        if Instant::now() > deadline || listening {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "residentd started although it should have refused: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success(), "residentd exited 0");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `resident verify --data DATA` with `extra` flags (`--repair`).
pub fn verify(data: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["verify".as_ref(), "--data".as_ref(), data.as_os_str()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    resident_cli(args)
}

pub fn spawn(socket: &Path, data: &Path, extra: &[&str]) -> Child {
    residentd(socket, data, extra)
        .spawn()
        .expect("residentd starts")
}

/// The protocol's client, with the assertions the tests make on every answer.
pub struct Client(pub resident_protocol::client::Client);

impl Client {
    pub fn connect(socket: &Path) -> Client {
        let client = resident_protocol::client::Client::connect(socket, Duration::from_secs(10))
            .expect("connects");
        Client(client)
    }

    /// Any answer to this request, ok or not.
    pub fn call(&mut self, op: &str, args: Vec<(&str, Value)>) -> Value {
        self.0.call(op, args).expect("an answer to this request")
    }

    pub fn ok(&mut self, op: &str, args: Vec<(&str, Value)>) -> Value {
        let response = self.call(op, args);
        assert_eq!(
            map::get(&response, "ok"),
            Some(&Value::Bool(true)),
            "{op}: {response:?}"
        );
        response
    }

    /// Calls and expects a failure; returns the error map.
    pub fn fails(&mut self, op: &str, args: Vec<(&str, Value)>, code: &str) -> Value {
        let response = self.call(op, args);
        assert_eq!(
            map::get(&response, "ok"),
            Some(&Value::Bool(false)),
            "{op}: {response:?}"
        );
        let error = map::get(&response, "error").cloned().unwrap();
        assert_eq!(
            map::get_text(&error, "code"),
            Some(code),
            "{op}: {response:?}"
        );
        error
    }

    /// Writes raw bytes, or a frame as it is.
    pub fn send_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.send_bytes(bytes)
    }

    pub fn send(&mut self, message: &Value) -> std::io::Result<()> {
        self.0.send(message).map_err(std::io::Error::other)
    }

    /// Reads one raw answer, or `None` once the server closed the connection.
    pub fn read_raw(&mut self) -> Option<Value> {
        self.0.read_answer().ok()
    }

    pub fn assert_closed(&mut self) {
        assert!(self.0.is_closed().unwrap(), "connection should be closed");
    }
}

pub fn text(s: &str) -> Value {
    Value::from(s)
}

pub fn obj(entries: Vec<(&str, Value)>) -> Value {
    map::build(entries)
}

pub fn list(items: Vec<Value>) -> Value {
    Value::Array(items)
}

/// The `register` request of the bank in `examples/bank`.
pub fn bank_schema() -> Vec<(&'static str, Value)> {
    testkit::register_args(&testkit::example_bank_part())
}

pub fn event(id: &str, ty: &str, data: Vec<(&str, Value)>) -> Value {
    obj(vec![
        ("id", text(id)),
        ("type", text(ty)),
        ("data", obj(data)),
    ])
}

pub fn commit(key: &str, expected: Value, events: Vec<Value>) -> Vec<(&'static str, Value)> {
    vec![(
        "streams",
        list(vec![obj(vec![
            ("aggregate", text("AccountAggregateRoot")),
            ("id", text(key)),
            ("expected", expected),
            ("events", list(events)),
        ])]),
    )]
}

pub fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| {
        map::get(v, k).unwrap_or_else(|| panic!("no {k} in {v:?}"))
    })
}

pub fn int(v: &Value) -> i128 {
    v.as_integer()
        .map(i128::from)
        .unwrap_or_else(|| panic!("not an int: {v:?}"))
}

pub fn open_and_fund(c: &mut Client, key: &str, amount: i64) {
    c.ok(
        "commit",
        commit(
            key,
            text("none"),
            vec![event(
                &format!("{key}-e1"),
                "AccountOpened",
                vec![("name", text(key))],
            )],
        ),
    );
    c.ok(
        "commit",
        commit(
            key,
            Value::from(1),
            vec![event(
                &format!("{key}-e2"),
                "BalanceIncreased",
                vec![("amount", Value::from(amount))],
            )],
        ),
    );
}

/// A line of `/proc/<pid>/status` in kB, e.g. `VmHWM` (the peak resident memory).
pub fn proc_status_kb(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// The registration of the test kit's full bank: floats, arrays, pushes and pulls.
pub fn full_bank_schema() -> Vec<(&'static str, Value)> {
    testkit::register_args(&testkit::bank_part())
}

/// `inner` wrapped in `levels` arrays.
pub fn nested(levels: usize, inner: Value) -> Value {
    (0..levels).fold(inner, |v, _| Value::Array(vec![v]))
}
