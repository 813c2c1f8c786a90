//! Applies a `register` request to a state, or only checks it (`dry_run`). Pure; the
//! writer logs the result.

use std::collections::BTreeMap;

use resident_protocol::Value;

use crate::cbor::answer::{self, Fields};
use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::state::schema::{Schema, SchemaPart};
use crate::state::State;

/// A `register` request: the definitions, and whether only to check them.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterRequest {
    pub part: SchemaPart,
    /// Check and describe the change without recording it (deploy-time schema checks).
    pub dry_run: bool,
}

impl RegisterRequest {
    pub fn parse(request: &Node<'_>) -> Result<RegisterRequest, ServerError> {
        let dry_run = request
            .get("dry_run")?
            .map(|n| n.as_bool())
            .transpose()?
            .unwrap_or(false);
        Ok(RegisterRequest {
            part: SchemaPart::parse(request)?,
            dry_run,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterOutcome {
    pub changed: bool,
    pub schema_version: u64,
}

impl RegisterOutcome {
    /// The answer's fields.
    pub fn fields(&self) -> Fields<'static> {
        answer::values(vec![
            ("changed", Value::Bool(self.changed)),
            ("schema_version", Value::from(self.schema_version)),
        ])
    }
}

/// The answer to `part` when `state` already has all of it: a register that changes
/// nothing needs no writer, so it is answered from any durable state (the extension
/// registers before its first read, and reads must go on when writes fail).
pub fn unchanged(state: &State, part: &SchemaPart) -> Option<RegisterOutcome> {
    (&state.schema().merged(part) == state.schema()).then(|| RegisterOutcome {
        changed: false,
        schema_version: state.schema_version(),
    })
}

/// Merges `part` into the state's schema. Returns the full new schema to log when it
/// changed, `None` when the server already had all of it (a no-op, nothing logged).
pub fn execute(
    state: &mut State,
    part: &SchemaPart,
) -> Result<(RegisterOutcome, Option<Schema>), ServerError> {
    let next = next_schema(state, part)?;
    if let Some(next) = &next {
        state.install_schema(next.clone());
    }
    let outcome = RegisterOutcome {
        changed: next.is_some(),
        schema_version: state.schema_version(),
    };
    Ok((outcome, next))
}

/// What `register` would answer, changing nothing: whether the schema would change, why
/// it would be refused (or null), and the server's current definitions of the types the
/// request names (a type it lacks is left out), so a client can show the difference.
pub fn dry_run(state: &State, part: &SchemaPart) -> Fields<'static> {
    let (changed, refused) = match next_schema(state, part) {
        Ok(next) => (next.is_some(), Value::Null),
        Err(refusal) => (true, Value::from(refusal.message)),
    };
    let schema = state.schema();
    let current = Schema {
        entities: named(&schema.entities, part.entities.iter().map(|e| &e.name)),
        events: named(&schema.events, part.events.iter().map(|e| &e.name)),
    };
    answer::values(vec![
        ("dry_run", Value::Bool(true)),
        ("changed", Value::Bool(changed)),
        ("schema_version", Value::from(state.schema_version())),
        ("refused", refused),
        ("current", current.to_value()),
    ])
}

/// The definitions in `have` of these names, leaving out the names it lacks.
fn named<'a, T: Clone>(
    have: &BTreeMap<String, T>,
    names: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, T> {
    names
        .filter_map(|name| have.get_key_value(name))
        .map(|(name, def)| (name.clone(), def.clone()))
        .collect()
}

/// The schema after merging `part`, checked as a whole and against what is recorded;
/// `None` when the server already has all of it.
fn next_schema(state: &State, part: &SchemaPart) -> Result<Option<Schema>, ServerError> {
    let current = state.schema();
    let next = current.merged(part);
    if &next == current {
        return Ok(None);
    }
    next.validate()?;
    current.check_change(&next, |t| state.event_count(t), |t| state.entity_count(t))?;
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use resident_protocol::Value;

    use super::*;
    use crate::state::schema::{FieldOp, FieldType, Source};
    use crate::testkit::*;

    #[test]
    fn registering_the_same_schema_is_a_no_op() {
        let mut s = bank();
        let (outcome, logged) = execute(&mut s, &bank_part()).unwrap();
        assert_eq!(
            outcome,
            RegisterOutcome {
                changed: false,
                schema_version: 1
            }
        );
        assert!(logged.is_none());
        // A subset is also a no-op: registration merges.
        let subset = SchemaPart {
            entities: vec![account()],
            events: vec![],
        };
        assert!(!execute(&mut s, &subset).unwrap().0.changed);
    }

    #[test]
    fn rules_of_an_event_type_with_events_cannot_change() {
        let mut s = bank();
        open(&mut s, "a");
        run(
            &mut s,
            &write(
                "a",
                crate::write::commit::Expected::Any,
                vec![new_event(
                    "1",
                    "BalanceIncreased",
                    vec![("amount", Value::from(1))],
                )],
            ),
        )
        .unwrap();
        let mut part = bank_part();
        let event = part
            .events
            .iter_mut()
            .find(|e| e.name == "BalanceIncreased")
            .unwrap();
        event.rules[0].fields[0].op = FieldOp::Subtract;
        let err = execute(&mut s, &part).unwrap_err();
        assert_eq!(err.code, "schema");
        assert_eq!(
            err.message,
            "event type BalanceIncreased already has 1 events; its rules changed: field balance op add → subtract"
        );
        assert_eq!(s.schema_version(), 1);

        // An event type without events may change.
        let mut part = bank_part();
        let event = part
            .events
            .iter_mut()
            .find(|e| e.name == "BalanceDecreased")
            .unwrap();
        event.rules[0].fields[0].source = Source::Prop("delta".into());
        assert!(execute(&mut s, &part).unwrap().0.changed);
        assert_eq!(s.schema_version(), 2);
    }

    #[test]
    fn entity_changes_with_entities_are_limited_to_optional_new_fields() {
        let mut s = bank();
        open(&mut s, "a");
        let mut part = bank_part();
        part.entities[0].fields[2].ty = FieldType::Float;
        let err = execute(&mut s, &part).unwrap_err();
        assert!(
            err.message.contains("Account already has 1 entities"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("field balance type int → float"),
            "{}",
            err.message
        );

        let mut part = bank_part();
        part.entities[0]
            .fields
            .push(field("email", FieldType::String, false, None));
        let err = execute(&mut s, &part).unwrap_err();
        assert!(err.message.contains("email"), "{}", err.message);

        let mut part = bank_part();
        part.entities[0]
            .fields
            .push(field("level", FieldType::Int, false, Some(Value::from(3))));
        assert!(execute(&mut s, &part).unwrap().0.changed);
        assert_eq!(
            field_of(&s, "a", "level"),
            Value::from(3),
            "existing entities get the default"
        );
    }

    /// The dry run's answer as name → value.
    fn dry(state: &State, part: &SchemaPart) -> Vec<(&'static str, Value)> {
        answer::decode(&dry_run(state, part))
    }

    fn field_of_answer<'a>(answer: &'a [(&'static str, Value)], name: &str) -> &'a Value {
        &answer.iter().find(|(k, _)| *k == name).unwrap().1
    }

    #[test]
    fn a_dry_run_describes_the_change_and_records_nothing() {
        let mut s = bank();
        open(&mut s, "a");
        let mut part = bank_part();
        part.entities[0]
            .fields
            .push(field("level", FieldType::Int, false, Some(Value::from(3))));
        part.events.push(event_def("Audited", vec![]));
        let answer = dry(&s, &part);
        assert_eq!(field_of_answer(&answer, "changed"), &Value::Bool(true));
        assert_eq!(field_of_answer(&answer, "refused"), &Value::Null);
        assert_eq!(field_of_answer(&answer, "schema_version"), &Value::from(1));
        // `current` holds the server's definitions of the named types it has.
        let current = field_of_answer(&answer, "current");
        let entities = resident_protocol::map::get(current, "entities").unwrap();
        let Value::Array(entities) = entities else {
            panic!("entities is a list")
        };
        let Value::Array(fields) = resident_protocol::map::get(&entities[0], "fields").unwrap()
        else {
            panic!("fields is a list")
        };
        assert_eq!(
            fields.len(),
            account().fields.len(),
            "the server's, without level"
        );
        let Value::Array(events) = resident_protocol::map::get(current, "events").unwrap() else {
            panic!("events is a list")
        };
        assert_eq!(events.len(), bank_part().events.len(), "Audited is new");
        assert_eq!(s.schema_version(), 1, "nothing was installed");
        assert!(s.schema().entities["Account"].field("level").is_none());
        assert!(
            execute(&mut s, &part).unwrap().0.changed,
            "so the real one changes"
        );
    }

    #[test]
    fn a_dry_run_says_why_a_change_would_be_refused_and_when_nothing_changes() {
        let mut s = bank();
        open(&mut s, "a");
        let answer = dry(&s, &bank_part());
        assert_eq!(field_of_answer(&answer, "changed"), &Value::Bool(false));
        assert_eq!(field_of_answer(&answer, "refused"), &Value::Null);

        let mut part = bank_part();
        part.entities[0].fields[2].ty = FieldType::Float;
        let answer = dry(&s, &part);
        assert_eq!(field_of_answer(&answer, "changed"), &Value::Bool(true));
        assert_eq!(
            field_of_answer(&answer, "refused"),
            &Value::from(execute(&mut s, &part).unwrap_err().message),
            "the message the real register refuses with"
        );
    }

    #[test]
    fn dry_run_is_an_optional_bool() {
        let args = |extra: Vec<(&str, Value)>| {
            let mut entries = register_args(&bank_part());
            entries.extend(extra);
            resident_protocol::map::build(entries)
        };
        let parse = |v: &Value| RegisterRequest::parse(&Node::root(v, "register"));
        assert!(!parse(&args(vec![])).unwrap().dry_run);
        assert!(
            parse(&args(vec![("dry_run", Value::Bool(true))]))
                .unwrap()
                .dry_run
        );
        let refused = parse(&args(vec![("dry_run", Value::from("yes"))])).unwrap_err();
        assert_eq!(refused.code, "bad_request");
        assert!(refused.message.contains("dry_run"), "{}", refused.message);
    }

    #[test]
    fn invalid_schemas_are_refused() {
        let mut s = State::default();
        let mut part = bank_part();
        part.events[0].rules[0].entity = "Nope".into();
        assert!(execute(&mut s, &part)
            .unwrap_err()
            .message
            .contains("entity type Nope is not registered"));

        let mut part = bank_part();
        part.events[0].rules[0].fields[0].field = "nope".into();
        assert!(execute(&mut s, &part)
            .unwrap_err()
            .message
            .contains("has no field nope"));

        let mut part = bank_part();
        part.events[2].rules[0].fields[0].field = "name".into(); // add on a string
        assert!(execute(&mut s, &part)
            .unwrap_err()
            .message
            .contains("op add does not apply to field name"));

        let mut part = bank_part();
        part.events[0].rules[0].fields.clear(); // create that never sets the required name
        assert!(execute(&mut s, &part)
            .unwrap_err()
            .message
            .contains("must set it"));
        assert_eq!(s.schema_version(), 0);
    }
}
