//! One small blocking client over the Unix socket, for the `resident` CLI, the server's
//! integration tests and the load generator. (The PHP extension has its own, which
//! decodes answers straight into PHP values.)

use std::io::{self, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use ciborium::Value;

use crate::frame::{self, FrameError};
use crate::{map, op, PROTOCOL_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An answer whose id is not the request's: the stream is out of step.
    #[error("{op}: the answer is for another request: {answer:?}")]
    OutOfStep { op: String, answer: Value },
    /// The server answered, and said no.
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
}

impl CallError {
    /// The server's error code, when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

pub struct Client {
    /// Answers are read through a buffer: a frame's length and body in one read.
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u64,
    answer_bytes_max: u32,
}

impl Client {
    /// Connects; a server that does not answer within `timeout` fails the call instead
    /// of hanging it.
    pub fn connect(socket: &Path, timeout: Duration) -> io::Result<Client> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(timeout))?;
        let writer = stream.try_clone()?;
        Ok(Client {
            reader: BufReader::new(stream),
            writer,
            next_id: 1,
            answer_bytes_max: u32::MAX,
        })
    }

    /// Refuses answers over `max` bytes (by default any size is read).
    pub fn with_answer_bytes_max(mut self, max: u32) -> Client {
        self.answer_bytes_max = max;
        self
    }

    /// Sends `{id, op, …args}` and returns the answer map, whether it says ok or not,
    /// once it is known to answer this request.
    pub fn call(&mut self, op: &str, args: Vec<(&str, Value)>) -> Result<Value, CallError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut entries = vec![("id", Value::from(id)), ("op", Value::from(op))];
        entries.extend(args);
        self.send(&map::build(entries))?;
        let answer = self.read_answer()?;
        if map::get(&answer, "id") != Some(&Value::from(id)) {
            return Err(CallError::OutOfStep {
                op: op.to_string(),
                answer,
            });
        }
        Ok(answer)
    }

    /// As [`Client::call`], with a refusal as an error.
    pub fn request(&mut self, op: &str, args: Vec<(&str, Value)>) -> Result<Value, CallError> {
        let answer = self.call(op, args)?;
        if map::get(&answer, "ok") == Some(&Value::Bool(true)) {
            return Ok(answer);
        }
        let error = map::get(&answer, "error").cloned().unwrap_or(Value::Null);
        Err(CallError::Refused {
            code: map::get_text(&error, "code").unwrap_or("error").to_string(),
            message: map::get_text(&error, "message").unwrap_or("").to_string(),
        })
    }

    /// The opening `hello`, naming this client.
    pub fn hello(&mut self, client: &str) -> Result<Value, CallError> {
        self.request(
            op::HELLO,
            vec![
                ("protocol", Value::from(PROTOCOL_VERSION)),
                ("client", Value::from(client)),
            ],
        )
    }

    /// Writes one frame as it is, for tests that send what a well-behaved client would not.
    pub fn send(&mut self, message: &Value) -> Result<(), FrameError> {
        Ok(frame::write_frame(&mut self.writer, message)?)
    }

    /// Writes raw bytes.
    pub fn send_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Reads the next answer frame, whichever request it answers.
    pub fn read_answer(&mut self) -> Result<Value, FrameError> {
        frame::read_frame(&mut self.reader, self.answer_bytes_max)
    }

    /// True once the server has closed the connection (reads end of stream).
    pub fn is_closed(&mut self) -> io::Result<bool> {
        let mut byte = [0u8; 1];
        Ok(io::Read::read(&mut self.reader, &mut byte)? == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A one-connection server that answers each request with `reply(request)`.
    fn serve(reply: impl Fn(&Value) -> Value + Send + 'static) -> (tempdir::Dir, Client) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("s.sock");
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            while let Ok(request) = frame::read_frame(&mut stream, u32::MAX) {
                frame::write_frame(&mut stream, &reply(&request)).unwrap();
            }
        });
        let client = Client::connect(&path, Duration::from_secs(5)).unwrap();
        (dir, client)
    }

    fn echo_id(ok: bool) -> impl Fn(&Value) -> Value {
        move |request| {
            let id = map::get(request, "id").cloned().unwrap();
            if ok {
                map::build(vec![("id", id), ("ok", Value::Bool(true))])
            } else {
                let error = map::build(vec![
                    ("code", Value::from("limit")),
                    ("message", Value::from("too many")),
                ]);
                map::build(vec![
                    ("id", id),
                    ("ok", Value::Bool(false)),
                    ("error", error),
                ])
            }
        }
    }

    #[test]
    fn numbers_requests_and_checks_the_answer_is_theirs() {
        let (_dir, mut c) = serve(echo_id(true));
        assert!(c.hello("test").is_ok());
        assert_eq!(
            map::get(&c.call(op::STATS, vec![]).unwrap(), "id"),
            Some(&Value::from(2))
        );
        let (_dir, mut c) = serve(|_| map::build(vec![("id", Value::from(99))]));
        assert!(matches!(
            c.call(op::STATS, vec![]),
            Err(CallError::OutOfStep { .. })
        ));
    }

    #[test]
    fn a_refusal_carries_the_code_and_message() {
        let (_dir, mut c) = serve(echo_id(false));
        assert!(c.call(op::STATS, vec![]).is_ok(), "call returns any answer");
        let refused = c.request(op::STATS, vec![]).unwrap_err();
        assert_eq!(refused.code(), Some("limit"));
        assert_eq!(refused.to_string(), "limit: too many");
    }

    #[test]
    fn a_closed_connection_is_seen() {
        let (_dir, mut c) = serve(|_| Value::Null);
        drop(c.send_bytes(&[0, 0, 0, 1, 0xf6]));
        // The server thread's write of a non-map is fine; it then waits for more. Close
        // our writing half and the reader sees the answer, then the end.
        c.writer.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(c.read_answer().is_err(), "null is not a map");
        assert!(c.is_closed().unwrap());
    }

    /// A directory of its own under the system temp dir, removed on drop (the protocol
    /// crate has no dev-dependencies to spare).
    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let path = std::env::temp_dir()
                    .join(format!("resident-protocol-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
