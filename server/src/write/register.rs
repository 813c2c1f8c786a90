//! Applies a `register` request to a state. Pure; the writer logs the result.

use resident_protocol::Value;

use crate::cbor::answer::{self, Fields};
use crate::error::ServerError;
use crate::state::schema::{Schema, SchemaPart};
use crate::state::State;

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
    if let Some(outcome) = unchanged(state, part) {
        return Ok((outcome, None));
    }
    let current = state.schema();
    let next = current.merged(part);
    next.validate()?;
    current.check_change(&next, |t| state.event_count(t), |t| state.entity_count(t))?;
    state.install_schema(next.clone());
    Ok((
        RegisterOutcome {
            changed: true,
            schema_version: state.schema_version(),
        },
        Some(next),
    ))
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
