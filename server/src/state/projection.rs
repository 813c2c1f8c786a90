//! Applies an event's projection rules to the entity tables. Pure: no I/O, no clock.
//!
//! The writer and the log replay both come through here, so a state rebuilt from the
//! log is the state that was acknowledged. A commit's changes are worked out first
//! ([`Changes`]) and written only once every event of it applied.

use std::sync::Arc;

use resident_protocol::Value;

use crate::cbor::answer::{Encoded, EncodedRows};
use crate::error::ServerError;
use crate::state::entity::{Draft, Entity};
use crate::state::event::StoredEvent;
use crate::state::schema::{EntityDef, FieldOp, FieldRule, MetaKey, Rule, RuleOp, Schema, Source};
use crate::state::value::{kind, Number};

/// The entities of one type, ordered by id so `all` needs no sort.
pub type Table = imbl::OrdMap<Arc<str>, Arc<Entity>>;

/// `all` splices a whole table into its answer, entity by entity.
impl EncodedRows for Table {
    fn count(&self) -> usize {
        self.len()
    }

    fn first(&self) -> Option<&dyn Encoded> {
        self.values().next().map(|e| &**e as &dyn Encoded)
    }

    fn for_each(&self, f: &mut dyn FnMut(&dyn Encoded)) {
        for e in self.values() {
            f(&**e);
        }
    }
}
/// Every entity table, by entity type.
pub type Tables = imbl::HashMap<String, Table>;

/// An entity a commit touched: `(entity type, id)`.
pub type EntityKey = (String, String);

/// The entity changes of one commit, worked out without touching the tables: each
/// touched entity once, in first-touch order, with its value before the commit and its
/// value now (`None`: absent or deleted). A commit that fails part-way thus leaves the
/// state as it was, and one that succeeds changes the tables in place, with no copy of
/// the state to roll back to (a copy would make every change copy its path of nodes).
#[derive(Debug, Default)]
pub struct Changes {
    order: Vec<EntityKey>,
    before: Vec<Option<Arc<Entity>>>,
    after: std::collections::HashMap<EntityKey, Option<Arc<Entity>>>,
}

impl Changes {
    /// The entity's value as the commit has it so far.
    fn current(&self, tables: &Tables, entity_type: &str, id: &str) -> Option<Arc<Entity>> {
        let key = (entity_type.to_string(), id.to_string());
        match self.after.get(&key) {
            Some(value) => value.clone(),
            None => tables.get(entity_type)?.get(id).cloned(),
        }
    }

    fn set(&mut self, tables: &Tables, key: EntityKey, value: Option<Arc<Entity>>) {
        if !self.after.contains_key(&key) {
            self.before.push(
                tables
                    .get(&key.0)
                    .and_then(|t| t.get(key.1.as_str()))
                    .cloned(),
            );
            self.order.push(key.clone());
        }
        self.after.insert(key, value);
    }

    /// Writes the changes into the tables. Cannot fail.
    pub fn write_into(&self, tables: &mut Tables) {
        for key in &self.order {
            let (entity_type, id) = key;
            match self.after.get(key).cloned().flatten() {
                Some(entity) => {
                    tables
                        .entry(entity_type.clone())
                        .or_default()
                        .insert(Arc::from(id.as_str()), entity);
                }
                None => {
                    if let Some(table) = tables.get_mut(entity_type) {
                        table.remove(id.as_str());
                    }
                }
            }
        }
    }

    /// Each touched entity with its value before the commit.
    pub fn with_before(&self) -> impl Iterator<Item = (&EntityKey, Option<&Arc<Entity>>)> {
        self.order
            .iter()
            .zip(self.before.iter().map(Option::as_ref))
    }

    /// Each touched entity with its value after the commit (`None`: deleted).
    pub fn with_after(&self) -> impl Iterator<Item = (&EntityKey, Option<&Arc<Entity>>)> {
        self.order
            .iter()
            .map(|key| (key, self.after.get(key).and_then(Option::as_ref)))
    }

    pub fn into_keys(self) -> Vec<EntityKey> {
        self.order
    }
}

/// Works out what every rule of `event`'s type does to the entities, on top of the
/// commit's earlier `changes`, and adds it to them. The tables are only read.
pub fn apply_event(
    schema: &Schema,
    tables: &Tables,
    event: &StoredEvent,
    changes: &mut Changes,
) -> Result<(), ServerError> {
    let def = schema.events.get(&event.event_type).ok_or_else(|| {
        ServerError::schema(format!(
            "event type {} has no projection rules registered",
            event.event_type
        ))
    })?;
    for rule in &def.rules {
        let entity_def = schema.entities.get(&rule.entity).ok_or_else(|| {
            ServerError::internal(format!(
                "rule of {} names unknown entity {}",
                def.name, rule.entity
            ))
        })?;
        let id = target_id(rule, event)?;
        let existing = changes.current(tables, &rule.entity, &id);
        let next = apply_rule(entity_def, rule, existing, &id, event)?;
        changes.set(tables, (rule.entity.clone(), id), next);
    }
    Ok(())
}

/// The entities `event`'s rules point at, without changing anything. A duplicate commit
/// answers with their current states.
pub fn targets(schema: &Schema, event: &StoredEvent) -> Vec<EntityKey> {
    let Some(def) = schema.events.get(&event.event_type) else {
        return Vec::new();
    };
    def.rules
        .iter()
        .filter_map(|rule| {
            target_id(rule, event)
                .ok()
                .map(|id| (rule.entity.clone(), id))
        })
        .collect()
}

fn target_id(rule: &Rule, event: &StoredEvent) -> Result<String, ServerError> {
    let Some(prop) = &rule.id_prop else {
        return Ok(event.key.clone());
    };
    match event.prop(prop) {
        Some(Value::Text(id)) if !id.is_empty() => Ok(id.clone()),
        Some(other) => Err(ServerError::bad_request(format!(
            "event {}: prop {prop} holds the {} id and must be non-empty text, got {}",
            event.event_type,
            rule.entity,
            kind(other)
        ))),
        None => Err(ServerError::bad_request(format!(
            "event {} has no prop {prop} (it holds the {} id)",
            event.event_type, rule.entity
        ))),
    }
}

/// The entity's next value under `rule` (`None`: deleted), from its `existing` one.
fn apply_rule(
    def: &EntityDef,
    rule: &Rule,
    existing: Option<Arc<Entity>>,
    id: &str,
    event: &StoredEvent,
) -> Result<Option<Arc<Entity>>, ServerError> {
    match (rule.op, existing) {
        (RuleOp::Create, Some(_)) => Err(ServerError::bad_request(format!(
            "{} {id} already exists",
            def.name
        ))),
        (RuleOp::Update | RuleOp::Delete, None) => Err(ServerError::not_found(format!(
            "{} {id} does not exist",
            def.name
        ))),
        (RuleOp::Delete, Some(_)) => Ok(None),
        (RuleOp::Update | RuleOp::Upsert, Some(current)) => {
            let mut entity = current.draft();
            apply_fields(def, &rule.fields, &mut entity, event)?;
            Ok(Some(Arc::new(entity.finish())))
        }
        (RuleOp::Create | RuleOp::Upsert, None) => {
            let mut entity = new_entity(def, id);
            let set = apply_fields(def, &rule.fields, &mut entity, event)?;
            for field in def
                .fields
                .iter()
                .filter(|f| f.is_required() && f.name != def.id_field)
            {
                if !set.contains(&field.name.as_str()) {
                    return Err(ServerError::bad_request(format!(
                        "event {} creates {} {id} without field {} (not nullable, no default)",
                        event.event_type, def.name, field.name
                    )));
                }
            }
            Ok(Some(Arc::new(entity.finish())))
        }
    }
}

/// A new entity: its id, every default, null for the rest until the rules set them.
fn new_entity(def: &EntityDef, id: &str) -> Draft {
    let mut entity = Draft::default();
    for field in &def.fields {
        let value = if field.name == def.id_field {
            Value::from(id)
        } else {
            field.default.clone().unwrap_or(Value::Null)
        };
        entity.set(&field.name, value);
    }
    entity
}

/// Applies field rules in order; returns the names of the fields they wrote.
fn apply_fields<'r>(
    def: &EntityDef,
    rules: &'r [FieldRule],
    entity: &mut Draft,
    event: &StoredEvent,
) -> Result<Vec<&'r str>, ServerError> {
    let mut written = Vec::with_capacity(rules.len());
    for rule in rules {
        let field = def.field(&rule.field).ok_or_else(|| {
            ServerError::internal(format!(
                "rule names unknown field {}.{}",
                def.name, rule.field
            ))
        })?;
        let fail = |msg: String| {
            ServerError::bad_request(format!(
                "event {}: {} field {}: {msg}",
                event.event_type, def.name, field.name
            ))
        };
        let source = source_value(&rule.source, event)?;
        let current = entity.get(&field.name).cloned().unwrap_or(Value::Null);
        let next = combine(rule.op, current, source).map_err(fail)?;
        let next = field.ty.check(next, field.nullable).map_err(fail)?;
        entity.set(&field.name, next);
        written.push(rule.field.as_str());
    }
    Ok(written)
}

fn source_value(source: &Source, event: &StoredEvent) -> Result<Value, ServerError> {
    Ok(match source {
        Source::Value(v) => v.clone(),
        Source::Prop(p) => event.prop(p).cloned().ok_or_else(|| {
            ServerError::bad_request(format!("event {} has no prop {p}", event.event_type))
        })?,
        Source::Meta(MetaKey::Position) => Value::from(event.position),
        Source::Meta(MetaKey::Version) => Value::from(event.version),
        Source::Meta(MetaKey::EventId) => Value::from(event.id.as_str()),
        Source::Meta(key) => event.meta_value(key.name()),
    })
}

/// One field operation on the current value. Null counts as "nothing yet": adding to
/// it starts from zero, min/max take the new value, push starts a list.
fn combine(op: FieldOp, current: Value, source: Value) -> Result<Value, String> {
    let number = |v: &Value| {
        Number::of(v).ok_or_else(|| format!("{} needs a number, got {}", op.name(), kind(v)))
    };
    match op {
        FieldOp::Set => Ok(source),
        FieldOp::Add | FieldOp::Subtract | FieldOp::Min | FieldOp::Max => {
            let s = number(&source)?;
            let c = if current.is_null() {
                None
            } else {
                Some(number(&current)?)
            };
            let result = match (op, c) {
                (FieldOp::Add, c) => c.unwrap_or(Number::Int(0)).plus(s)?,
                (FieldOp::Subtract, c) => c.unwrap_or(Number::Int(0)).minus(s)?,
                (FieldOp::Min, Some(c)) if c.less_than(s) => c,
                (FieldOp::Max, Some(c)) if s.less_than(c) => c,
                _ => s,
            };
            Ok(result.to_value())
        }
        FieldOp::Push => match current {
            Value::Null => Ok(Value::Array(vec![source])),
            Value::Array(mut items) => {
                items.push(source);
                Ok(Value::Array(items))
            }
            other => Err(format!(
                "push needs an array, the field holds {}",
                kind(&other)
            )),
        },
        FieldOp::Pull => match current {
            Value::Null => Ok(Value::Array(Vec::new())),
            Value::Array(mut items) => {
                items.retain(|item| item != &source);
                Ok(Value::Array(items))
            }
            other => Err(format!(
                "pull needs an array, the field holds {}",
                kind(&other)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use resident_protocol::Value;

    use crate::testkit::*;
    use crate::write::commit::Expected::Any;

    fn apply(
        state: &mut crate::state::State,
        key: &str,
        id: &str,
        ty: &str,
        d: Vec<(&str, Value)>,
    ) -> Result<(), crate::error::ServerError> {
        run(state, &write(key, Any, vec![new_event(id, ty, d)])).map(|_| ())
    }

    #[test]
    fn create_sets_id_defaults_and_props() {
        let mut s = bank();
        open(&mut s, "a");
        assert_eq!(field_of(&s, "a", "uuid"), Value::from("a"));
        assert_eq!(field_of(&s, "a", "name"), Value::from("a"));
        assert_eq!(field_of(&s, "a", "balance"), Value::from(0));
        assert_eq!(field_of(&s, "a", "seen_at"), Value::Null);
        let err = apply(
            &mut s,
            "a",
            "x",
            "AccountOpened",
            vec![("name", Value::from("again"))],
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("bad_request", "Account a already exists")
        );
    }

    #[test]
    fn a_null_prop_sets_a_nullable_field_and_is_refused_elsewhere() {
        let mut s = bank();
        open(&mut s, "a");
        apply(&mut s, "a", "x1", "LowSet", vec![("x", Value::from(4))]).unwrap();
        assert_eq!(field_of(&s, "a", "low"), Value::from(4));
        apply(&mut s, "a", "x2", "LowSet", vec![("x", Value::Null)]).unwrap();
        assert_eq!(field_of(&s, "a", "low"), Value::Null);
        let err = apply(&mut s, "a", "x3", "Renamed", vec![("name", Value::Null)]).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(err.message.contains("name"), "{}", err.message);
        let err = apply(
            &mut s,
            "a",
            "x4",
            "BalanceIncreased",
            vec![("amount", Value::Null)],
        )
        .unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert_eq!(field_of(&s, "a", "name"), Value::from("a"));
        assert_eq!(field_of(&s, "a", "balance"), Value::from(0));
    }

    #[test]
    fn create_without_a_required_prop_names_event_and_prop() {
        let mut s = bank();
        let err = apply(&mut s, "a", "x", "AccountOpened", vec![]).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(
            err.message.contains("AccountOpened") && err.message.contains("name"),
            "{}",
            err.message
        );
        assert!(s.entity("Account", "a").is_none());
    }

    #[test]
    fn update_and_delete_need_the_entity() {
        let mut s = bank();
        let err = apply(
            &mut s,
            "a",
            "x",
            "BalanceIncreased",
            vec![("amount", Value::from(1))],
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("not_found", "Account a does not exist")
        );
        let err = apply(&mut s, "a", "y", "AccountClosed", vec![]).unwrap_err();
        assert_eq!(err.code, "not_found");
        open(&mut s, "a");
        apply(&mut s, "a", "z", "AccountClosed", vec![]).unwrap();
        assert!(s.entity("Account", "a").is_none());
        assert_eq!(s.entity_count("Account"), 0);
    }

    #[test]
    fn upsert_creates_then_updates() {
        let mut s = bank();
        apply(
            &mut s,
            "a",
            "1",
            "AccountTouched",
            vec![("name", Value::from("first"))],
        )
        .unwrap();
        assert_eq!(field_of(&s, "a", "balance"), Value::from(0));
        apply(
            &mut s,
            "a",
            "2",
            "AccountTouched",
            vec![("name", Value::from("second"))],
        )
        .unwrap();
        assert_eq!(field_of(&s, "a", "name"), Value::from("second"));
        assert_eq!(s.entity_count("Account"), 1);
    }

    #[test]
    fn add_and_subtract_stay_int_and_refuse_overflow() {
        let mut s = bank();
        open(&mut s, "a");
        apply(
            &mut s,
            "a",
            "1",
            "BalanceIncreased",
            vec![("amount", Value::from(10))],
        )
        .unwrap();
        apply(
            &mut s,
            "a",
            "2",
            "BalanceDecreased",
            vec![("amount", Value::from(3))],
        )
        .unwrap();
        assert_eq!(field_of(&s, "a", "balance"), Value::from(7));
        apply(
            &mut s,
            "a",
            "3",
            "BalanceIncreased",
            vec![("amount", Value::from(i64::MAX - 7))],
        )
        .unwrap();
        let err = apply(
            &mut s,
            "a",
            "4",
            "BalanceIncreased",
            vec![("amount", Value::from(1))],
        )
        .unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(err.message.contains("overflows"), "{}", err.message);
        assert_eq!(
            field_of(&s, "a", "balance"),
            Value::from(i64::MAX),
            "a refused commit changes nothing"
        );
        let err = apply(
            &mut s,
            "a",
            "5",
            "BalanceIncreased",
            vec![("amount", Value::Float(1.5))],
        )
        .unwrap_err();
        assert!(
            err.message.contains("must be int, got float"),
            "{}",
            err.message
        );
        let err = apply(
            &mut s,
            "a",
            "6",
            "BalanceIncreased",
            vec![("amount", Value::from("ten"))],
        )
        .unwrap_err();
        assert!(err.message.contains("needs a number"), "{}", err.message);
    }

    #[test]
    fn values_are_type_checked() {
        let mut s = bank();
        open(&mut s, "a");
        let err = apply(&mut s, "a", "1", "Renamed", vec![("name", Value::from(5))]).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(
            err.message
                .contains("Account field name: must be string, got int"),
            "{}",
            err.message
        );
        apply(&mut s, "a", "2", "RateSet", vec![("rate", Value::from(2))]).unwrap();
        assert_eq!(
            field_of(&s, "a", "rate"),
            Value::Float(2.0),
            "an int stored in a float field becomes a float"
        );
    }

    #[test]
    fn min_max_push_pull_meta_and_constants() {
        let mut s = bank();
        open(&mut s, "a");
        for (i, x) in [5, 2, 9].into_iter().enumerate() {
            apply(
                &mut s,
                "a",
                &format!("o{i}"),
                "Observed",
                vec![("x", Value::from(x))],
            )
            .unwrap();
        }
        assert_eq!(field_of(&s, "a", "low"), Value::from(2));
        assert_eq!(field_of(&s, "a", "high"), Value::from(9));
        for (i, tag) in ["vip", "new", "vip"].into_iter().enumerate() {
            apply(
                &mut s,
                "a",
                &format!("t{i}"),
                "Tagged",
                vec![("tag", Value::from(tag))],
            )
            .unwrap();
        }
        apply(
            &mut s,
            "a",
            "u",
            "Untagged",
            vec![("tag", Value::from("vip"))],
        )
        .unwrap();
        assert_eq!(
            field_of(&s, "a", "tags"),
            Value::Array(vec![Value::from("new")])
        );
        apply(&mut s, "a", "seen", "Seen", vec![]).unwrap();
        assert_eq!(field_of(&s, "a", "seen_at"), Value::from(RECORDED_AT));
        apply(&mut s, "a", "h1", "LimitHit", vec![]).unwrap();
        apply(&mut s, "a", "h2", "LimitHit", vec![]).unwrap();
        assert_eq!(field_of(&s, "a", "hits"), Value::from(2));
    }

    #[test]
    fn one_event_changes_several_entities() {
        let mut s = bank();
        open(&mut s, "a");
        open(&mut s, "b");
        apply(
            &mut s,
            "a",
            "1",
            "BalanceIncreased",
            vec![("amount", Value::from(10))],
        )
        .unwrap();
        let transfer = vec![
            ("from", Value::from("a")),
            ("to", Value::from("b")),
            ("amount", Value::from(4)),
        ];
        let outcome = run(
            &mut s,
            &write("t", Any, vec![new_event("2", "MoneyTransferred", transfer)]),
        )
        .unwrap();
        assert_eq!(field_of(&s, "a", "balance"), Value::from(6));
        assert_eq!(field_of(&s, "b", "balance"), Value::from(4));
        let touched: Vec<_> = outcome
            .entities
            .iter()
            .map(|((_, id), _)| id.as_str())
            .collect();
        assert_eq!(touched, ["a", "b"]);
        let err = run(
            &mut s,
            &write(
                "t",
                Any,
                vec![new_event(
                    "3",
                    "MoneyTransferred",
                    vec![
                        ("from", Value::from("a")),
                        ("to", Value::from("zz")),
                        ("amount", Value::from(1)),
                    ],
                )],
            ),
        )
        .unwrap_err();
        assert_eq!(err.code, "not_found");
        assert_eq!(
            field_of(&s, "a", "balance"),
            Value::from(6),
            "the first rule's effect was rolled back"
        );
        let err = run(
            &mut s,
            &write(
                "t",
                Any,
                vec![new_event(
                    "4",
                    "MoneyTransferred",
                    vec![("to", Value::from("b")), ("amount", Value::from(1))],
                )],
            ),
        )
        .unwrap_err();
        assert!(
            err.message.contains("MoneyTransferred has no prop from"),
            "{}",
            err.message
        );
    }

    #[test]
    fn later_events_in_a_commit_see_earlier_ones() {
        let mut s = bank();
        let events = vec![
            new_event("1", "AccountOpened", vec![("name", Value::from("A"))]),
            new_event("2", "BalanceIncreased", vec![("amount", Value::from(5))]),
            new_event("3", "BalanceIncreased", vec![("amount", Value::from(6))]),
        ];
        let outcome = run(&mut s, &write("a", Any, events)).unwrap();
        assert_eq!(outcome.position, 3);
        assert_eq!(field_of(&s, "a", "balance"), Value::from(11));
        // And a failing last event undoes the whole commit.
        let events = vec![
            new_event("4", "BalanceIncreased", vec![("amount", Value::from(5))]),
            new_event("5", "BalanceIncreased", vec![]),
        ];
        assert!(run(&mut s, &write("a", Any, events)).is_err());
        assert_eq!(field_of(&s, "a", "balance"), Value::from(11));
        assert_eq!(s.position(), 3);
        assert_eq!(s.stream_version("AccountAggregateRoot-a"), 3);
    }
}
