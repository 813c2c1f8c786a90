//! Reads and writes frames on one client socket, enforcing the frame limit.
//!
//! The body buffer grows only as bytes actually arrive, so a client announcing a large
//! frame and sending nothing costs no memory; `frame_bytes_max` caps what it can cost.

use resident_protocol::frame::{self, FrameError};
use resident_protocol::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

/// Why no frame could be read.
#[derive(Debug)]
pub enum Incoming {
    Frame(Value),
    /// The peer closed, possibly in the middle of a frame: nothing to answer.
    Closed,
    /// The announced length is over the limit; the body was not read.
    TooLarge {
        len: u32,
        max: u32,
    },
    /// The body is not a CBOR map.
    Malformed(String),
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

    pub async fn read(&mut self) -> std::io::Result<Incoming> {
        let mut len_bytes = [0u8; 4];
        match self.stream.read_exact(&mut len_bytes).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Incoming::Closed),
            Err(e) => return Err(e),
        }
        let len = u32::from_be_bytes(len_bytes);
        if let Err(FrameError::TooLarge { len, max }) = frame::check_len(len, self.frame_bytes_max)
        {
            return Ok(Incoming::TooLarge { len, max });
        }
        let mut body = Vec::new();
        (&mut self.stream)
            .take(u64::from(len))
            .read_to_end(&mut body)
            .await?;
        if body.len() != len as usize {
            return Ok(Incoming::Closed);
        }
        Ok(match frame::decode_body(&body) {
            Ok(value) => Incoming::Frame(value),
            Err(e) => Incoming::Malformed(e.to_string()),
        })
    }

    /// Writes one whole frame, length prefix included (see [`crate::cbor::answer`]).
    pub async fn write(&mut self, frame: &[u8]) -> std::io::Result<()> {
        let stream = self.stream.get_mut();
        stream.write_all(frame).await?;
        stream.flush().await
    }
}
