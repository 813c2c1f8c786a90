//! The bank schema and its builders, for every test: the unit tests, `server/tests`, the
//! benchmarks in `server/benches` and `examples/gen_log`. Compiled always (so that those
//! can use it) and hidden from the docs; the server itself never calls it.
//!
//! One bank: [`bank_part`] exercises every rule op, and [`example_bank_part`] is the
//! part of it that `examples/bank` declares (an `Account` with `uuid`, `name` and an
//! indexed `balance`), for the tests and programs that stand in for that application.

use std::sync::Arc;

use resident_protocol::{map, Value};

use crate::error::ServerError;
use crate::state::event::StoredEvent;
use crate::state::record_ref::RecordRef;
use crate::state::schema::*;
use crate::state::State;
use crate::storage::event_reader::RecordSource;
use crate::write::commit::{self, CommitOutcome, CommitRequest, Expected, NewEvent, StreamWrite};
use crate::write::register;

pub const AGGREGATE: &str = "AccountAggregateRoot";
pub const RECORDED_AT: &str = "2026-01-02T03:04:05.123456Z";

pub fn field(name: &str, ty: FieldType, nullable: bool, default: Option<Value>) -> FieldDef {
    FieldDef {
        name: name.to_string(),
        ty,
        nullable,
        default,
    }
}

pub fn set(field: &str, op: FieldOp, source: Source) -> FieldRule {
    FieldRule {
        field: field.to_string(),
        op,
        source,
    }
}

pub fn prop(name: &str) -> Source {
    Source::Prop(name.to_string())
}

pub fn rule(op: RuleOp, id_prop: Option<&str>, fields: Vec<FieldRule>) -> Rule {
    Rule {
        op,
        entity: "Account".to_string(),
        id_prop: id_prop.map(str::to_string),
        fields,
    }
}

pub fn event_def(name: &str, rules: Vec<Rule>) -> EventDef {
    EventDef {
        name: name.to_string(),
        rules,
    }
}

pub fn account() -> EntityDef {
    EntityDef {
        name: "Account".to_string(),
        id_field: "uuid".to_string(),
        fields: vec![
            field("uuid", FieldType::String, false, None),
            field("name", FieldType::String, false, None),
            field("balance", FieldType::Int, false, Some(Value::from(0))),
            field("rate", FieldType::Float, false, Some(Value::Float(0.0))),
            field("tags", FieldType::Array, false, Some(Value::Array(vec![]))),
            field("seen_at", FieldType::String, true, None),
            field("hits", FieldType::Int, false, Some(Value::from(0))),
            field("low", FieldType::Int, true, None),
            field("high", FieldType::Int, true, None),
        ],
        indexes: vec!["balance".to_string()],
    }
}

pub fn bank_part() -> SchemaPart {
    use FieldOp::*;
    use RuleOp::*;
    SchemaPart {
        entities: vec![account()],
        events: vec![
            event_def(
                "AccountOpened",
                vec![rule(Create, None, vec![set("name", Set, prop("name"))])],
            ),
            event_def(
                "AccountTouched",
                vec![rule(Upsert, None, vec![set("name", Set, prop("name"))])],
            ),
            event_def(
                "BalanceIncreased",
                vec![rule(
                    Update,
                    None,
                    vec![set("balance", Add, prop("amount"))],
                )],
            ),
            event_def(
                "BalanceDecreased",
                vec![rule(
                    Update,
                    None,
                    vec![set("balance", Subtract, prop("amount"))],
                )],
            ),
            event_def(
                "RateSet",
                vec![rule(Update, None, vec![set("rate", Set, prop("rate"))])],
            ),
            event_def(
                "Renamed",
                vec![rule(Update, None, vec![set("name", Set, prop("name"))])],
            ),
            event_def(
                "MoneyTransferred",
                vec![
                    rule(
                        Update,
                        Some("from"),
                        vec![set("balance", Subtract, prop("amount"))],
                    ),
                    rule(
                        Update,
                        Some("to"),
                        vec![set("balance", Add, prop("amount"))],
                    ),
                ],
            ),
            event_def(
                "Tagged",
                vec![rule(Update, None, vec![set("tags", Push, prop("tag"))])],
            ),
            event_def(
                "Untagged",
                vec![rule(Update, None, vec![set("tags", Pull, prop("tag"))])],
            ),
            event_def(
                "Seen",
                vec![rule(
                    Update,
                    None,
                    vec![set("seen_at", Set, Source::Meta(MetaKey::RecordedAt))],
                )],
            ),
            event_def(
                "LimitHit",
                vec![rule(
                    Update,
                    None,
                    vec![set("hits", Add, Source::Value(Value::from(1)))],
                )],
            ),
            event_def(
                "Observed",
                vec![rule(
                    Update,
                    None,
                    vec![set("low", Min, prop("x")), set("high", Max, prop("x"))],
                )],
            ),
            event_def(
                "LowSet",
                vec![rule(Update, None, vec![set("low", Set, prop("x"))])],
            ),
            event_def("AccountClosed", vec![rule(Delete, None, vec![])]),
        ],
    }
}

/// The bank of `examples/bank`: [`bank_part`] cut to the fields and events that
/// application declares.
pub fn example_bank_part() -> SchemaPart {
    let mut part = bank_part();
    part.entities[0]
        .fields
        .retain(|f| ["uuid", "name", "balance"].contains(&f.name.as_str()));
    part.events.retain(|e| {
        ["AccountOpened", "BalanceIncreased", "AccountClosed"].contains(&e.name.as_str())
    });
    part
}

/// A state with `part` registered.
pub fn state_with(part: &SchemaPart) -> State {
    let mut state = State::default();
    register::execute(&mut state, part).expect("the schema is valid");
    state
}

/// A state with the bank schema registered.
pub fn bank() -> State {
    state_with(&bank_part())
}

/// The fields of a `register` request for `part`, as a client sends them.
pub fn register_args(part: &SchemaPart) -> Vec<(&'static str, Value)> {
    let schema = Schema::default().merged(part).to_value();
    ["entities", "events"]
        .into_iter()
        .map(|k| (k, map::get(&schema, k).cloned().unwrap_or(Value::Null)))
        .collect()
}

pub fn data(entries: Vec<(&str, Value)>) -> Value {
    map::build(entries)
}

pub fn new_event(id: &str, event_type: &str, entries: Vec<(&str, Value)>) -> NewEvent {
    NewEvent {
        id: id.to_string(),
        event_type: event_type.to_string(),
        data: data(entries),
        meta: Vec::new(),
    }
}

pub fn write(key: &str, expected: Expected, events: Vec<NewEvent>) -> CommitRequest {
    CommitRequest::new(vec![stream_write(key, expected, events)])
}

/// Events for account `key`'s stream.
pub fn stream_write(key: &str, expected: Expected, events: Vec<NewEvent>) -> StreamWrite {
    StreamWrite {
        aggregate: AGGREGATE.to_string(),
        key: key.to_string(),
        expected,
        events,
    }
}

/// A commit creating a stream for each `(account key, events)`.
pub fn new_streams(streams: impl IntoIterator<Item = (String, Vec<NewEvent>)>) -> CommitRequest {
    CommitRequest::new(
        streams
            .into_iter()
            .map(|(key, events)| stream_write(&key, Expected::Version(0), events))
            .collect(),
    )
}

/// The events that open account `key` with `name` and `balance`.
pub fn opening(key: &str, name: &str, balance: i64) -> Vec<NewEvent> {
    vec![
        new_event(
            &format!("{key}-opened"),
            "AccountOpened",
            vec![("name", Value::from(name))],
        ),
        new_event(
            &format!("{key}-funded"),
            "BalanceIncreased",
            vec![("amount", Value::from(balance))],
        ),
    ]
}

/// The fields of a `commit` request for `request`, as a client sends them.
pub fn commit_args(request: &CommitRequest) -> Vec<(&'static str, Value)> {
    let streams = request.streams.iter().map(|s| {
        let events = s.events.iter().map(|e| {
            map::build(vec![
                ("id", Value::from(e.id.as_str())),
                ("type", Value::from(e.event_type.as_str())),
                ("data", e.data.clone()),
                ("meta", Value::Map(e.meta.clone())),
            ])
        });
        map::build(vec![
            ("aggregate", Value::from(s.aggregate.as_str())),
            ("id", Value::from(s.key.as_str())),
            ("expected", s.expected.to_value()),
            ("events", Value::Array(events.collect())),
        ])
    });
    vec![("streams", Value::Array(streams.collect()))]
}

/// Commit records kept in memory, standing in for the log where tests need events
/// read back (resends).
#[derive(Default)]
pub struct MemoryRecords {
    records: std::cell::RefCell<std::collections::HashMap<RecordRef, Vec<Arc<StoredEvent>>>>,
}

impl MemoryRecords {
    pub fn insert(&self, at: RecordRef, events: Vec<Arc<StoredEvent>>) {
        self.records.borrow_mut().insert(at, events);
    }
}

impl RecordSource for MemoryRecords {
    fn events_at(&self, at: RecordRef) -> Result<Vec<Arc<StoredEvent>>, ServerError> {
        self.records
            .borrow()
            .get(&at)
            .cloned()
            .ok_or_else(|| ServerError::internal(format!("no record at {at}")))
    }
}

thread_local! {
    /// The records of [`run`]'s commits, keyed by a ref made from the position.
    static RECORDS: MemoryRecords = MemoryRecords::default();
}

/// The ref [`run`] gives the commit after `position`: unique within one state.
pub fn ref_after(position: u64) -> RecordRef {
    RecordRef::new(1, position)
}

/// Commits, leaving `state` untouched on error.
pub fn run(state: &mut State, request: &CommitRequest) -> Result<CommitOutcome, ServerError> {
    let at = ref_after(state.position());
    RECORDS.with(|records| {
        let (outcome, events) = commit::execute(state, request, RECORDED_AT, at, records)?;
        if !events.is_empty() {
            records.insert(at, events);
        }
        Ok(outcome)
    })
}

/// Commits without keeping the events for resends, as a bulk load wants (a resend of
/// them fails); `state` is untouched on error.
pub fn run_unrecorded(
    state: &mut State,
    request: &CommitRequest,
) -> Result<CommitOutcome, ServerError> {
    let at = ref_after(state.position());
    let nothing = MemoryRecords::default();
    commit::execute(state, request, RECORDED_AT, at, &nothing).map(|(outcome, _)| outcome)
}

/// Opens account `key` named after it.
pub fn open(state: &mut State, key: &str) {
    let id = format!("{key}-opened");
    run(
        state,
        &write(
            key,
            Expected::Any,
            vec![new_event(
                &id,
                "AccountOpened",
                vec![("name", Value::from(key))],
            )],
        ),
    )
    .expect("opening succeeds");
}

pub fn field_of(state: &State, key: &str, name: &str) -> Value {
    let entity = state
        .entity("Account", key)
        .unwrap_or_else(|| panic!("no account {key}"));
    entity
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("account {key} has no field {name}"))
}
