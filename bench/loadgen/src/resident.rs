//! A blocking Resident client for the load: one connection, one commit in flight.

use std::path::Path;
use std::time::Duration;

use resident_protocol::client::Client;
use resident_protocol::{map, op, Value};

use crate::load::Session;

/// Answers to commits are a few hundred bytes; anything near this is a bug, not a reply.
const ANSWER_BYTES_MAX: u32 = 1 << 20;
/// A server that does not answer a commit within this is stuck: fail the run, do not hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

const AGGREGATE: &str = "Bench";
const ENTITY: &str = "BenchStream";
const EVENT: &str = "Appended";

pub struct Resident {
    client: Client,
}

fn text(s: &str) -> Value {
    Value::from(s)
}

impl Resident {
    pub fn connect(socket: &Path) -> Result<Resident, String> {
        let client = Client::connect(socket, ANSWER_TIMEOUT)
            .map_err(|e| format!("connecting to {}: {e}", socket.display()))?
            .with_answer_bytes_max(ANSWER_BYTES_MAX);
        let mut client = Resident { client };
        client
            .client
            .hello("commit-load")
            .map_err(|e| format!("hello: {e}"))?;
        Ok(client)
    }

    /// Sends one request and returns its successful answer; a refusal is an error.
    fn call(&mut self, op: &str, args: Vec<(&str, Value)>) -> Result<Value, String> {
        self.client
            .request(op, args)
            .map_err(|e| format!("{op}: {e}"))
    }

    /// The schema every bench commit uses: one entity per stream that counts its events,
    /// so each commit also does the projection work a real one does.
    pub fn register_schema(&mut self) -> Result<(), String> {
        let field = |name: &str, ty: &str, default: Option<Value>| {
            let mut f = vec![
                ("name", text(name)),
                ("type", text(ty)),
                ("nullable", Value::Bool(false)),
            ];
            f.extend(default.map(|d| ("default", d)));
            map::build(f)
        };
        let entity = map::build(vec![
            ("name", text(ENTITY)),
            ("id", text("key")),
            (
                "fields",
                Value::Array(vec![
                    field("key", "string", None),
                    field("events", "int", Some(Value::from(0))),
                ]),
            ),
            ("indexes", Value::Array(vec![])),
        ]);
        let count = map::build(vec![
            ("field", text("events")),
            ("op", text("add")),
            ("value", Value::from(1)),
        ]);
        let rule = map::build(vec![
            ("op", text("upsert")),
            ("entity", text(ENTITY)),
            ("id", Value::Null),
            ("fields", Value::Array(vec![count])),
        ]);
        let event = map::build(vec![
            ("name", text(EVENT)),
            ("rules", Value::Array(vec![rule])),
        ]);
        self.call(
            op::REGISTER,
            vec![
                ("entities", Value::Array(vec![entity])),
                ("events", Value::Array(vec![event])),
            ],
        )
        .map(drop)
    }
}

/// One load client's streams on Resident, with their versions: only this client writes
/// them, so it can expect the exact version as an aggregate does, never a conflict.
pub struct ResidentSession {
    client: Resident,
    keys: Vec<String>,
    versions: Vec<u64>,
    event_prefix: String,
    seq: u64,
    payload: String,
}

impl ResidentSession {
    pub fn new(client: Resident, name: &str, streams: usize, payload: String) -> Self {
        ResidentSession {
            client,
            keys: (0..streams).map(|s| format!("{name}-s{s}")).collect(),
            versions: vec![0; streams],
            event_prefix: name.to_string(),
            seq: 0,
            payload,
        }
    }
}

impl Session for ResidentSession {
    fn commit_one(&mut self, stream: usize) -> Result<(), String> {
        self.seq += 1;
        let event = map::build(vec![
            ("id", text(&format!("{}-e{}", self.event_prefix, self.seq))),
            ("type", text(EVENT)),
            ("data", map::build(vec![("payload", text(&self.payload))])),
        ]);
        let streams = Value::Array(vec![map::build(vec![
            ("aggregate", text(AGGREGATE)),
            ("id", text(&self.keys[stream])),
            ("expected", Value::from(self.versions[stream])),
            ("events", Value::Array(vec![event])),
        ])]);
        let answer = self.client.call(op::COMMIT, vec![("streams", streams)])?;
        // A bench that counted refused or repeated commits would flatter the store.
        let expected = self.versions[stream] + 1;
        let version = map::get(&answer, "streams")
            .and_then(Value::as_array)
            .and_then(|s| s.first())
            .and_then(|s| map::get_i64(s, "version"));
        let duplicate = map::get(&answer, "duplicate") != Some(&Value::Bool(false));
        if version != Some(expected as i64) || duplicate {
            return Err(format!(
                "commit to {}: expected version {expected}, new commit: {answer:?}",
                self.keys[stream]
            ));
        }
        self.versions[stream] = expected;
        Ok(())
    }
}
