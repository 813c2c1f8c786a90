//! The `commit` request: parsed from the wire, then turned into numbered events against
//! a state: idempotency, expected versions, then the projection rules; and its answer.
//! Pure; the writer supplies the clock.

use std::collections::HashSet;
use std::sync::Arc;

use resident_protocol::{map, Value};

use crate::cbor::answer::{Field, Fields};
use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::state::entity::Entity;
use crate::state::event::{stream_name, StoredEvent};
use crate::state::projection::{self, EntityKey};
use crate::state::record_ref::RecordRef;
use crate::state::schema::MetaKey;
use crate::state::State;
use crate::storage::event_reader::{LastRecord, RecordSource};
use crate::write::bounds;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The stream must be at exactly this version; 0 means it must not exist yet.
    Version(u64),
    Any,
}

impl Expected {
    /// As a request and a conflict's details say it: the version, or `"any"`.
    pub fn to_value(self) -> Value {
        match self {
            Expected::Version(v) => Value::from(v),
            Expected::Any => Value::from("any"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: String,
    pub event_type: String,
    /// A map with text keys.
    pub data: Value,
    /// The client's meta entries; the server adds `recorded_at`.
    pub meta: Vec<(Value, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamWrite {
    pub aggregate: String,
    pub key: String,
    pub expected: Expected,
    pub events: Vec<NewEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommitRequest {
    pub streams: Vec<StreamWrite>,
    /// The largest answer the client reads (its frame limit): a commit that would make
    /// an entity, or its own answer, larger is refused (see [`crate::write::bounds`]).
    pub answer_bytes_max: usize,
}

impl CommitRequest {
    pub fn event_count(&self) -> usize {
        self.streams.iter().map(|s| s.events.len()).sum()
    }

    /// A request with no bound on its answer, as tests and tools build them.
    pub fn new(streams: Vec<StreamWrite>) -> CommitRequest {
        CommitRequest {
            streams,
            answer_bytes_max: usize::MAX,
        }
    }

    /// Parses a `commit` request, refusing more than `events_max` events before
    /// building any; its answer may take `answer_bytes_max` bytes.
    pub fn parse(
        root: &Node<'_>,
        events_max: usize,
        answer_bytes_max: usize,
    ) -> Result<CommitRequest, ServerError> {
        let streams_node = root.require("streams")?;
        if streams_node.is_empty()? {
            return Err(streams_node.error("must not be empty"));
        }
        // Count before building anything, so an oversized commit costs no allocation.
        let mut event_count = 0usize;
        for s in streams_node.items()? {
            event_count = event_count.saturating_add(s.require("events")?.len()?);
        }
        if event_count > events_max {
            return Err(ServerError::limit(format!(
                "commit: {event_count} events exceed the limit of {} per commit",
                events_max
            )));
        }
        let streams = streams_node.items()?;
        Ok(CommitRequest {
            streams: streams
                .iter()
                .map(StreamWrite::parse)
                .collect::<Result<_, _>>()?,
            answer_bytes_max,
        })
    }
}

impl StreamWrite {
    fn parse(s: &Node<'_>) -> Result<StreamWrite, ServerError> {
        let expected = Expected::parse(s)?;
        let events_node = s.require("events")?;
        if events_node.is_empty()? {
            return Err(events_node.error("must not be empty"));
        }
        let events = events_node.items()?;
        let events = events
            .iter()
            .map(NewEvent::parse)
            .collect::<Result<_, _>>()?;
        Ok(StreamWrite {
            aggregate: s.name("aggregate")?.to_string(),
            key: s.name("id")?.to_string(),
            expected,
            events,
        })
    }
}

impl Expected {
    /// A stream's `expected`: a version, `"any"` (the default) or `"none"` (version 0).
    fn parse(s: &Node<'_>) -> Result<Expected, ServerError> {
        let Some(node) = s.get("expected")? else {
            return Ok(Expected::Any);
        };
        Ok(match node.value {
            Value::Text(t) if t == "any" => Expected::Any,
            Value::Text(t) if t == "none" => Expected::Version(0),
            _ => Expected::Version(node.as_u64().map_err(|_| {
                node.error("must be a stream version (unsigned integer), \"any\" or \"none\"")
            })?),
        })
    }
}

impl NewEvent {
    fn parse(e: &Node<'_>) -> Result<NewEvent, ServerError> {
        let data = match e.get("data")? {
            None => Value::Map(Vec::new()),
            Some(d) => {
                check_plain_map(&d)?;
                d.value.clone()
            }
        };
        let meta = match e.get("meta")? {
            None => Vec::new(),
            Some(m) => {
                check_plain_map(&m)?;
                m.expect_text_map()?.to_vec()
            }
        };
        Ok(NewEvent {
            id: e.name("id")?.to_string(),
            event_type: e.name("type")?.to_string(),
            data,
            meta,
        })
    }
}

/// Event data and meta: a text-keyed map of values every client can read back.
fn check_plain_map(node: &Node<'_>) -> Result<(), ServerError> {
    for (k, v) in node.expect_text_map()? {
        if let Some(why) = crate::state::value::unstorable(v) {
            let key = k.as_text().unwrap_or_default();
            return Err(node.error(&format!("{key} {why}")));
        }
    }
    Ok(())
}

/// Each stream a commit wrote, with its version after the commit.
pub type StreamVersions = Vec<(String, u64)>;

/// What a commit answers.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitOutcome {
    pub position: u64,
    pub duplicate: bool,
    pub streams: StreamVersions,
    pub entities: Vec<(EntityKey, Option<Arc<Entity>>)>,
}

/// Each touched entity with its state in `state` (`None` once deleted), for the answer.
fn current_states(state: &State, touched: Vec<EntityKey>) -> Vec<(EntityKey, Option<Arc<Entity>>)> {
    touched
        .into_iter()
        .map(|(entity_type, id)| {
            let current = state.entity(&entity_type, &id).cloned();
            ((entity_type, id), current)
        })
        .collect()
}

impl CommitOutcome {
    /// The answer's fields; each entity's state is spliced in ready-encoded.
    pub fn fields(&self) -> Fields<'_> {
        let streams = self
            .streams
            .iter()
            .map(|(s, v)| {
                map::build(vec![
                    ("stream", Value::from(s.as_str())),
                    ("version", Value::from(*v)),
                ])
            })
            .collect();
        let entities = self
            .entities
            .iter()
            .map(|((t, id), state)| {
                Field::Map(vec![
                    ("entity", Value::from(t.as_str()).into()),
                    ("id", Value::from(id.as_str()).into()),
                    ("state", Field::entity(state.as_deref())),
                ])
            })
            .collect();
        vec![
            ("position", Value::from(self.position).into()),
            ("duplicate", Value::Bool(self.duplicate).into()),
            ("streams", Value::Array(streams).into()),
            ("entities", Field::List(entities)),
        ]
    }
}

/// Applies `request` to `state`, its events to be recorded in the commit record `at`.
/// On success `state` holds the result and the new events are returned for the log
/// (none for a duplicate, whose earlier events are read back from `recorded`); on error
/// `state` is untouched.
pub fn execute(
    state: &mut State,
    request: &CommitRequest,
    recorded_at: &str,
    at: RecordRef,
    recorded: &dyn RecordSource,
) -> Result<(CommitOutcome, Vec<Arc<StoredEvent>>), ServerError> {
    if let Some(outcome) = duplicate_of(state, request, recorded)? {
        return Ok((outcome, Vec::new()));
    }
    let (events, streams) = numbered_events(state, request, recorded_at)?;
    // All or nothing, in place: see `State::apply_commit`.
    let touched = state.apply_commit_checked(&events, at, |changes| {
        bounds::check(changes, &streams, request.answer_bytes_max)
    })?;
    let outcome = CommitOutcome {
        position: state.position(),
        duplicate: false,
        streams,
        entities: current_states(state, touched),
    };
    Ok((outcome, events))
}

/// The request's events with their positions and stream versions, once every stream is
/// at its expected version; and each stream's version after them.
fn numbered_events(
    state: &State,
    request: &CommitRequest,
    recorded_at: &str,
) -> Result<(Vec<Arc<StoredEvent>>, StreamVersions), ServerError> {
    let mut seen_streams = HashSet::new();
    let mut events = Vec::with_capacity(request.event_count());
    let mut position = state.position();
    let mut stream_versions = Vec::with_capacity(request.streams.len());
    for write in &request.streams {
        let stream = stream_name(&write.aggregate, &write.key);
        if !seen_streams.insert(stream.clone()) {
            return Err(ServerError::bad_request(format!(
                "commit: stream {stream} appears twice; put all its events in one entry"
            )));
        }
        let actual = state.stream_version(&stream);
        if let Expected::Version(expected) = write.expected {
            if expected != actual {
                return Err(ServerError::conflict(
                    &stream,
                    write.expected.to_value(),
                    actual,
                ));
            }
        }
        let stream: Arc<str> = Arc::from(stream);
        let mut version = actual;
        for new in &write.events {
            position += 1;
            version += 1;
            events.push(Arc::new(stored(
                new,
                write,
                &stream,
                version,
                position,
                recorded_at,
            )));
        }
        stream_versions.push((stream.to_string(), version));
    }
    Ok((events, stream_versions))
}

/// `new` as recorded: numbered, in its stream, with the server's `recorded_at` and none
/// of the client's meta under a name the server sets.
fn stored(
    new: &NewEvent,
    write: &StreamWrite,
    stream: &Arc<str>,
    version: u64,
    position: u64,
    recorded_at: &str,
) -> StoredEvent {
    let mut meta = new.meta.clone();
    meta.retain(|(k, _)| {
        !MetaKey::SET_BY_SERVER
            .iter()
            .any(|m| k.as_text() == Some(m.name()))
    });
    meta.push((Value::from("recorded_at"), Value::from(recorded_at)));
    StoredEvent {
        id: new.id.clone(),
        event_type: new.event_type.clone(),
        stream: stream.clone(),
        aggregate: write.aggregate.clone(),
        key: write.key.clone(),
        version,
        position,
        data: new.data.clone(),
        meta: Value::Map(meta),
    }
}

/// A resend of a commit whose events are all recorded answers as the first time did;
/// one that reuses only some ids, or reuses an id for another event (another stream,
/// type or data), is a client bug and refused, naming the first event.
fn duplicate_of(
    state: &State,
    request: &CommitRequest,
    recorded: &dyn RecordSource,
) -> Result<Option<CommitOutcome>, ServerError> {
    let mut ids = HashSet::new();
    let mut known = Vec::new();
    let mut total = 0usize;
    for write in &request.streams {
        for new in &write.events {
            total += 1;
            if !ids.insert(new.id.as_str()) {
                return Err(ServerError::bad_request(format!(
                    "commit: event id {} appears twice in the commit",
                    new.id
                )));
            }
            if let Some(location) = state.event_location(&new.id) {
                known.push((write, new, location));
            }
        }
    }
    if known.is_empty() {
        return Ok(None);
    }
    if known.len() != total {
        return Err(ServerError::bad_request(format!(
            "commit: {} of its {total} event ids were already recorded; resend the whole commit or use new ids",
            known.len()
        )));
    }
    let mut position = 0;
    let mut streams: Vec<(String, u64)> = Vec::new();
    let mut touched = Vec::new();
    let mut seen = HashSet::new();
    let mut records = LastRecord::new(recorded);
    for (write, new, location) in known {
        position = position.max(location.position);
        match streams.iter_mut().find(|(s, _)| **s == *location.stream) {
            Some((_, v)) => *v = (*v).max(location.version),
            None => streams.push((location.stream.to_string(), location.version)),
        }
        let event = records
            .find(location.at, |e| e.id == new.id)?
            .ok_or_else(|| {
                ServerError::internal(format!("event {} is not in its record", new.id))
            })?;
        same_event(event, write, new)?;
        for key in projection::targets(state.schema(), event) {
            if seen.insert(key.clone()) {
                touched.push(key);
            }
        }
    }
    let entities = current_states(state, touched);
    Ok(Some(CommitOutcome {
        position,
        duplicate: true,
        streams,
        entities,
    }))
}

/// A resend repeats the first commit: each event id names the same event, in the same
/// stream, of the same type, with the same data. (Meta is not compared: the server
/// sets part of it.)
fn same_event(
    recorded: &StoredEvent,
    write: &StreamWrite,
    new: &NewEvent,
) -> Result<(), ServerError> {
    let stream = stream_name(&write.aggregate, &write.key);
    let differs = if *recorded.stream != stream {
        format!("this commit puts it in stream {stream}")
    } else if recorded.event_type != new.event_type {
        format!("as a {} event, not {}", recorded.event_type, new.event_type)
    } else if recorded.data != new.data {
        format!("as a {} event with other data", recorded.event_type)
    } else {
        return Ok(());
    };
    Err(ServerError::bad_request(format!(
        "commit: event id {} was already recorded in stream {} at version {}, {differs}. \
         A resend must repeat the first commit; a new event needs a new id",
        new.id, recorded.stream, recorded.version
    )))
}

#[cfg(test)]
mod tests {
    use resident_protocol::Value;

    use super::Expected::{Any, Version};
    use super::*;
    use crate::testkit::*;

    fn bump(id: &str) -> NewEvent {
        new_event(id, "BalanceIncreased", vec![("amount", Value::from(1))])
    }

    #[test]
    fn expected_versions() {
        let mut s = bank();
        let opened = write(
            "a",
            Version(0),
            vec![new_event(
                "o",
                "AccountOpened",
                vec![("name", Value::from("A"))],
            )],
        );
        run(&mut s, &opened).unwrap();
        let err = run(&mut s, &write("a", Version(0), vec![bump("x")])).unwrap_err();
        assert_eq!(err.code, "conflict");
        assert_eq!(
            err.details,
            vec![
                ("stream", Value::from("AccountAggregateRoot-a")),
                ("expected", Value::from(0)),
                ("actual", Value::from(1)),
            ]
        );
        let err = run(&mut s, &write("a", Version(5), vec![bump("x")])).unwrap_err();
        assert_eq!(err.details[1], ("expected", Value::from(5)));
        run(&mut s, &write("a", Version(1), vec![bump("y")])).unwrap();
        let outcome = run(&mut s, &write("a", Any, vec![bump("z")])).unwrap();
        assert_eq!(
            outcome.streams,
            vec![("AccountAggregateRoot-a".to_string(), 3)]
        );
        assert_eq!(outcome.position, 3);
    }

    #[test]
    fn a_conflict_on_one_stream_refuses_the_whole_commit() {
        let mut s = bank();
        open(&mut s, "a");
        open(&mut s, "b");
        let request = CommitRequest::new(vec![
            StreamWrite {
                aggregate: AGGREGATE.into(),
                key: "a".into(),
                expected: Version(1),
                events: vec![bump("1")],
            },
            StreamWrite {
                aggregate: AGGREGATE.into(),
                key: "b".into(),
                expected: Version(7),
                events: vec![bump("2")],
            },
        ]);
        assert_eq!(run(&mut s, &request).unwrap_err().code, "conflict");
        assert_eq!(field_of(&s, "a", "balance"), Value::from(0));
        assert_eq!(s.position(), 2);
    }

    #[test]
    fn a_commit_failing_on_a_later_event_changes_nothing() {
        let mut s = bank();
        open(&mut s, "a");
        let before = s.clone();
        let request = CommitRequest::new(vec![
            StreamWrite {
                aggregate: AGGREGATE.into(),
                key: "a".into(),
                expected: Any,
                events: vec![bump("1"), bump("2")],
            },
            StreamWrite {
                aggregate: AGGREGATE.into(),
                key: "missing".into(),
                expected: Any,
                events: vec![bump("3")],
            },
        ]);
        assert_eq!(run(&mut s, &request).unwrap_err().code, "not_found");
        assert_eq!(s.difference(&before), None);
        assert_eq!(s.event_location("1"), None);
    }

    #[test]
    fn a_full_resend_is_a_duplicate_and_a_partial_one_is_refused() {
        let mut s = bank();
        open(&mut s, "a");
        let first = write("a", Version(1), vec![bump("1"), bump("2")]);
        let outcome = run(&mut s, &first).unwrap();
        run(&mut s, &write("a", Any, vec![bump("3")])).unwrap();
        let again = run(&mut s, &first).unwrap();
        assert!(again.duplicate);
        assert_eq!(again.position, outcome.position);
        assert_eq!(again.streams, outcome.streams);
        assert_eq!(
            field_of(&s, "a", "balance"),
            Value::from(3),
            "nothing applied twice"
        );
        let state = again.entities[0].1.as_ref().unwrap();
        assert_eq!(
            state.get("balance"),
            Some(&Value::from(3)),
            "current state is returned"
        );
        assert_eq!(s.position(), 4);

        let partial = write("a", Any, vec![bump("2"), bump("4")]);
        let err = run(&mut s, &partial).unwrap_err();
        assert_eq!(err.code, "bad_request");
        let twice = write("a", Any, vec![bump("5"), bump("5")]);
        assert_eq!(run(&mut s, &twice).unwrap_err().code, "bad_request");
        assert_eq!(s.position(), 4);
    }

    #[test]
    fn an_event_id_reused_for_another_event_is_refused_naming_the_first() {
        let mut s = bank();
        open(&mut s, "a");
        open(&mut s, "b");
        let first = write("a", Any, vec![bump("x")]);
        run(&mut s, &first).unwrap();
        let at = s.clone();
        let mut other_amount = bump("x");
        other_amount.data = data(vec![("amount", Value::from(99))]);
        let mut other_type = bump("x");
        other_type.event_type = "BalanceDecreased".into();
        for (reuse, says) in [
            (
                write("b", Any, vec![bump("x")]),
                "this commit puts it in stream AccountAggregateRoot-b",
            ),
            (
                write("a", Any, vec![other_amount]),
                "as a BalanceIncreased event with other data",
            ),
            (
                write("a", Any, vec![other_type]),
                "as a BalanceIncreased event, not BalanceDecreased",
            ),
        ] {
            let err = run(&mut s, &reuse).unwrap_err();
            assert_eq!(err.code, "bad_request");
            assert!(
                err.message.contains(
                    "event id x was already recorded in stream AccountAggregateRoot-a at version 2"
                ),
                "{}",
                err.message
            );
            assert!(err.message.contains(says), "{}", err.message);
            assert_eq!(s.difference(&at), None, "nothing applied");
        }
        // A true resend stays idempotent.
        assert!(run(&mut s, &first).unwrap().duplicate);
    }

    #[test]
    fn recorded_at_is_set_by_the_server() {
        let mut s = bank();
        let mut event = new_event("o", "AccountOpened", vec![("name", Value::from("A"))]);
        event.meta = vec![
            (Value::from("recorded_at"), Value::from("forged")),
            (Value::from("position"), Value::from(123456)),
            (Value::from("version"), Value::from(7)),
            (Value::from("event_id"), Value::from("forged")),
            (Value::from("correlation_id"), Value::from("c1")),
        ];
        let (_, events) = execute(
            &mut s,
            &write("a", Any, vec![event]),
            RECORDED_AT,
            RecordRef::new(1, 0),
            &MemoryRecords::default(),
        )
        .unwrap();
        assert_eq!(
            events[0].meta_value("recorded_at"),
            Value::from(RECORDED_AT)
        );
        assert_eq!(events[0].meta_value("correlation_id"), Value::from("c1"));
        // The event's own position, version and id are the server's; a client's
        // values under those names in meta are dropped, never stored or read back.
        for name in ["position", "version", "event_id"] {
            assert_eq!(events[0].meta_value(name), Value::Null, "{name}");
        }
    }
}
