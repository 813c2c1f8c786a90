//! What php-lib's `Resident\Schema\Registry` says about a class, parsed out of its answer.
//!
//! The answers arrive as CBOR values (converted from the PHP arrays by
//! `engine/registry.rs`) so this parsing stays testable without PHP.

use resident_protocol::{map, Value};

use crate::client::failure::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct EntitySchema {
    /// The wire name, e.g. `Account`.
    pub name: String,
    /// The entity field that holds its id (`uuid` unless the class marks another `#[Id]`).
    pub id_field: String,
    pub register: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    pub name: String,
    pub register: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSchema {
    pub name: String,
    /// Wire name of the state entity, if the aggregate declares `#[State]`.
    pub state: Option<String>,
    /// PHP class to hydrate the state into.
    pub state_class: Option<String>,
    pub register: Value,
}

const DEFAULT_ID_FIELD: &str = "uuid";

fn name_of(answer: &Value, method: &str, class: &str) -> Result<String, Problem> {
    map::get_text(answer, "name")
        .map(str::to_owned)
        .ok_or_else(|| {
            Problem::php_lib(format!(
                "Resident\\Schema\\Registry::{method}('{class}') returned no 'name'"
            ))
        })
}

fn register_of(answer: &Value) -> Value {
    map::get(answer, "register")
        .cloned()
        .unwrap_or_else(|| Value::Map(vec![]))
}

/// The `id` field that `register.entities[name == entity]` declares.
pub fn id_field_in(register: &Value, entity: &str) -> Option<String> {
    match map::get(register, "entities")? {
        Value::Array(entities) => entities
            .iter()
            .find(|e| map::get_text(e, "name") == Some(entity))
            .and_then(|e| map::get_text(e, "id"))
            .map(str::to_owned),
        _ => None,
    }
}

pub fn entity(answer: &Value, class: &str) -> Result<EntitySchema, Problem> {
    let name = name_of(answer, "entity", class)?;
    let register = register_of(answer);
    let id_field = map::get_text(answer, "id")
        .map(str::to_owned)
        .or_else(|| id_field_in(&register, &name))
        .unwrap_or_else(|| DEFAULT_ID_FIELD.to_owned());
    Ok(EntitySchema {
        name,
        id_field,
        register,
    })
}

pub fn event(answer: &Value, class: &str) -> Result<EventSchema, Problem> {
    Ok(EventSchema {
        name: name_of(answer, "event", class)?,
        register: register_of(answer),
    })
}

pub fn aggregate(answer: &Value, class: &str) -> Result<AggregateSchema, Problem> {
    Ok(AggregateSchema {
        name: name_of(answer, "aggregate", class)?,
        state: map::get_text(answer, "state").map(str::to_owned),
        state_class: map::get_text(answer, "state_class").map(str::to_owned),
        register: register_of(answer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account_register(id: &str) -> Value {
        map::build(vec![(
            "entities",
            Value::Array(vec![map::build(vec![
                ("name", Value::from("Account")),
                ("id", Value::from(id)),
            ])]),
        )])
    }

    #[test]
    fn entity_id_field_comes_from_its_register_entry() {
        let answer = map::build(vec![
            ("name", Value::from("Account")),
            ("register", account_register("number")),
        ]);
        let s = entity(&answer, "App\\Account").unwrap();
        assert_eq!(
            (s.name.as_str(), s.id_field.as_str()),
            ("Account", "number")
        );
    }

    #[test]
    fn entity_id_field_defaults_to_uuid() {
        let answer = map::build(vec![("name", Value::from("Account"))]);
        assert_eq!(entity(&answer, "App\\Account").unwrap().id_field, "uuid");
    }

    #[test]
    fn aggregate_state_is_optional_and_name_is_not() {
        let answer = map::build(vec![
            ("name", Value::from("AccountAggregateRoot")),
            ("state", Value::from("Account")),
            ("state_class", Value::from("App\\Account")),
        ]);
        let s = aggregate(&answer, "X").unwrap();
        assert_eq!(s.state.as_deref(), Some("Account"));
        assert_eq!(s.state_class.as_deref(), Some("App\\Account"));
        let err = aggregate(&map::build(vec![]), "App\\Root").unwrap_err();
        assert!(
            err.message.contains("Registry::aggregate('App\\Root')"),
            "{}",
            err.message
        );
    }
}
