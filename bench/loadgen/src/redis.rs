//! A blocking Redis client for the load, speaking RESP by hand: `RPUSH` one event at a
//! time on the client's own lists, each answer read before the next command is sent.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::load::Session;
use crate::resp::{self, Reply};

const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RedisSession {
    stream: UnixStream,
    keys: Vec<String>,
    lengths: Vec<i64>,
    payload: String,
    /// Holds at most one reply line: RPUSH never answers more.
    buf: Vec<u8>,
}

impl RedisSession {
    pub fn connect(
        socket: &Path,
        name: &str,
        streams: usize,
        payload: String,
    ) -> Result<Self, String> {
        let stream = UnixStream::connect(socket)
            .map_err(|e| format!("connecting to {}: {e}", socket.display()))?;
        stream
            .set_read_timeout(Some(ANSWER_TIMEOUT))
            .map_err(|e| e.to_string())?;
        Ok(RedisSession {
            stream,
            keys: (0..streams)
                .map(|s| format!("stream:{name}-s{s}"))
                .collect(),
            lengths: vec![0; streams],
            payload,
            buf: Vec::with_capacity(resp::LINE_MAX),
        })
    }

    fn read_reply(&mut self) -> Result<Reply, String> {
        self.buf.clear();
        let mut chunk = [0u8; 256];
        loop {
            match resp::parse_reply(&self.buf) {
                Ok(Some((reply, used))) if used == self.buf.len() => return Ok(reply),
                Ok(Some(_)) => return Err("redis answered more than was asked".into()),
                Ok(None) => {}
                Err(e) => return Err(format!("redis answer: {e:?}")),
            }
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| format!("reading from redis: {e}"))?;
            if n == 0 {
                return Err("redis closed the connection".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

impl Session for RedisSession {
    fn commit_one(&mut self, stream: usize) -> Result<(), String> {
        let command = resp::encode_command(&[
            b"RPUSH",
            self.keys[stream].as_bytes(),
            self.payload.as_bytes(),
        ]);
        self.stream
            .write_all(&command)
            .map_err(|e| format!("writing to redis: {e}"))?;
        let expected = self.lengths[stream] + 1;
        match self.read_reply()? {
            Reply::Integer(n) if n == expected => {
                self.lengths[stream] = n;
                Ok(())
            }
            Reply::Integer(n) => Err(format!(
                "RPUSH {}: length {n}, expected {expected}",
                self.keys[stream]
            )),
            Reply::Error(e) => Err(format!("RPUSH {}: {e}", self.keys[stream])),
        }
    }
}
