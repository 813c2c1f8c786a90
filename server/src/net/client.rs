//! A small blocking client, for the `resident` CLI.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use resident_protocol::frame::{self, FrameError};
use resident_protocol::{map, Value};

pub struct Client {
    stream: UnixStream,
    next_id: u64,
}

impl Client {
    pub fn connect(socket: &Path) -> std::io::Result<Client> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client { stream, next_id: 1 })
    }

    /// Sends `{id, op, …args}` and returns the response map.
    pub fn call(&mut self, op: &str, args: Vec<(&str, Value)>) -> Result<Value, FrameError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut entries = vec![("id", Value::from(id)), ("op", Value::from(op))];
        entries.extend(args);
        frame::write_frame(&mut self.stream, &map::build(entries))?;
        frame::read_frame(&mut self.stream, u32::MAX)
    }

    pub fn stream(&mut self) -> &mut UnixStream {
        &mut self.stream
    }
}
