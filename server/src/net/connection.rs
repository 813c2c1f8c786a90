//! Reads and writes frames on one client socket, within the frame limit, the memory
//! budget and the deadlines.
//!
//! The body's bytes are taken from the [`Budget`] as they arrive, before they are read,
//! so a client announcing a large frame and sending nothing costs no memory, and all
//! half-sent frames together cost at most the budget. A frame that has begun must arrive
//! whole by its deadline.

use std::io;
use std::time::Duration;

use resident_protocol::{error_code, frame};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::error::ServerError;
use crate::net::budget::{Budget, Held};
use crate::net::deadline::Deadline;

/// A body up to this size is counted against the budget whole, before it is read.
const SMALL_BODY_BYTES: usize = 256 * 1024;

/// A bigger one is counted in steps of this size as its bytes arrive, plus one step for
/// the whole: the allocator backs big buffers with transparent huge pages, so the memory
/// a partly filled body takes goes up in these steps, from wherever the buffer begins.
const HUGE_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// A frame's body, whole, with the budget it holds.
pub struct Body {
    pub bytes: Vec<u8>,
    pub held: Held,
    /// The frame's deadline, which what comes next (room to decode it) keeps to as well.
    pub deadline: Deadline,
}

/// What came in.
pub enum Incoming {
    Frame(Body),
    /// The peer closed, possibly in the middle of a frame: nothing to answer.
    Closed,
    /// Refused before the body was whole: answer, then close (the stream is out of step).
    Refused(ServerError),
}

pub struct Connection {
    stream: BufReader<UnixStream>,
    frame_bytes_max: u32,
}

impl Connection {
    pub fn new(stream: UnixStream, frame_bytes_max: u32) -> Self {
        Connection {
            stream: BufReader::new(stream),
            frame_bytes_max,
        }
    }

    /// Waits until a frame begins (its first byte is here): true, or false once the
    /// peer closed. Cancel-safe: what arrives stays buffered.
    pub async fn begun(&mut self) -> io::Result<bool> {
        Ok(!self.stream.fill_buf().await?.is_empty())
    }

    /// Reads one frame, which must be whole by `deadline`.
    pub async fn read(&mut self, budget: &Budget, mut deadline: Deadline) -> io::Result<Incoming> {
        let mut len = [0u8; 4];
        match deadline.within(self.stream.read_exact(&mut len)).await {
            Err(_) => return Ok(Incoming::Refused(late(deadline.span()))),
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Incoming::Closed),
            Ok(read) => {
                read?;
            }
        }
        let len = u32::from_be_bytes(len);
        if let Err(e) = frame::check_len(len, self.frame_bytes_max) {
            let error = ServerError::new(error_code::TOO_LARGE, e.to_string());
            return Ok(Incoming::Refused(error));
        }
        self.read_body(len as usize, budget, deadline).await
    }

    /// Reads a body of `len` bytes by `deadline`, taking its memory from `budget` first.
    async fn read_body(
        &mut self,
        len: usize,
        budget: &Budget,
        mut deadline: Deadline,
    ) -> io::Result<Incoming> {
        let (step, alignment) = if len <= SMALL_BODY_BYTES {
            (len, 0)
        } else {
            (HUGE_PAGE_BYTES, HUGE_PAGE_BYTES)
        };
        let mut body = Vec::new();
        let mut held = Held::default();
        let mut counted = 0;
        while body.len() < len {
            if body.len() == counted {
                let more = (len - counted).min(step);
                let extra = if counted == 0 { alignment } else { 0 };
                if let Err(short) = budget
                    .take(&mut held, (more + extra) as u64, &mut deadline)
                    .await
                {
                    let what = format!("a frame of {len} bytes");
                    return Ok(Incoming::Refused(short.error(&what)));
                }
                // Room for the whole body once the first bytes are counted, so it is
                // never copied as it grows; its pages fill as bytes arrive.
                if counted == 0 && body.try_reserve_exact(len).is_err() {
                    return Ok(Incoming::Refused(ServerError::limit(format!(
                        "residentd cannot reserve {len} bytes for a frame now; retry"
                    ))));
                }
                counted += more;
            }
            let rest = (counted - body.len()) as u64;
            let mut stream = (&mut self.stream).take(rest);
            match deadline.within(stream.read_buf(&mut body)).await {
                Err(_) => return Ok(Incoming::Refused(late(deadline.span()))),
                Ok(Ok(0)) => return Ok(Incoming::Closed),
                Ok(read) => {
                    read?;
                }
            }
        }
        Ok(Incoming::Frame(Body {
            bytes: body,
            held,
            deadline,
        }))
    }

    /// Writes one whole frame, length prefix included (see [`crate::cbor::answer`]),
    /// within `deadline`: a client that does not take its answer cannot hold the task.
    pub async fn write(&mut self, frame: &[u8], mut deadline: Deadline) -> io::Result<()> {
        let stream = self.stream.get_mut();
        let written = async {
            stream.write_all(frame).await?;
            stream.flush().await
        };
        deadline
            .within(written)
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
    }
}

fn late(frame_time: Duration) -> ServerError {
    let ms = frame_time.as_millis();
    ServerError::limit(format!(
        "a frame must arrive whole within {ms} ms of its first byte, a connection's first \
         frame within {ms} ms of connecting (frame_timeout_ms); closing the connection"
    ))
}
