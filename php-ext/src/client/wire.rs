//! Request bodies and answer lookups for the operations the extension uses.
//! See protocol/PROTOCOL.md for the operations themselves.

use resident_protocol::{map, op, Value};

use crate::client::failure::Problem;

pub type Request = Vec<(&'static str, Value)>;

pub fn find(entity: &str, key: &str) -> Request {
    vec![
        ("op", op::FIND.into()),
        ("entity", entity.into()),
        ("key", key.into()),
    ]
}

pub fn all(entity: &str) -> Request {
    vec![("op", op::ALL.into()), ("entity", entity.into())]
}

pub fn count(entity: &str) -> Request {
    vec![("op", op::COUNT.into()), ("entity", entity.into())]
}

/// The arguments of the `query` operation (PROTOCOL.md) a query spec may carry.
pub const QUERY_KEYS: [&str; 8] = [
    "where", "order", "limit", "offset", "after", "select", "field", "explain",
];

/// A `query` request from a spec map (php-lib's `Builder::spec()`); keys outside
/// [`QUERY_KEYS`] are refused here, so a typo is not silently ignored by the server.
pub fn query(entity: &str, spec: &[(Value, Value)]) -> Result<Request, Problem> {
    let r: Request = vec![("op", op::QUERY.into()), ("entity", entity.into())];
    with_keys(
        r,
        spec,
        &QUERY_KEYS,
        "query spec",
        "build the query with Resident\\Query\\Builder",
    )
    .map_err(Problem::query)
}

/// The keys of a `register` request's schema (PROTOCOL.md).
pub const REGISTER_KEYS: [&str; 2] = ["entities", "events"];

/// A `register` request for a schema (`['entities' => […], 'events' => […]]`); with
/// `dry_run` the server only checks it and answers the difference.
pub fn register(schema: &[(Value, Value)], dry_run: bool) -> Result<Request, Problem> {
    let r: Request = vec![("op", op::REGISTER.into()), ("dry_run", dry_run.into())];
    with_keys(
        r,
        schema,
        &REGISTER_KEYS,
        "schema",
        "pass the array Resident\\Schema\\Registry builds",
    )
    .map_err(Problem::bad_request)
}

/// `request` with the entries of `map`, each under one of the `allowed` keys.
fn with_keys(
    mut request: Request,
    map: &[(Value, Value)],
    allowed: &[&'static str],
    what: &str,
    hint: &str,
) -> Result<Request, String> {
    for (k, v) in map {
        let key = k
            .as_text()
            .and_then(|k| allowed.iter().find(|a| **a == k))
            .ok_or_else(|| {
                let shown = match k {
                    Value::Text(t) => format!("'{t}'"),
                    Value::Integer(i) => i128::from(*i).to_string(),
                    other => format!("{other:?}"),
                };
                format!(
                    "the {what} has the key {shown}, which is not one of {}: {hint}",
                    allowed.join(", ")
                )
            })?;
        request.push((key, v.clone()));
    }
    Ok(request)
}

/// A `read` of the events of a stream from version `from`, at most `limit`.
pub fn read(aggregate: &str, key: &str, from: u64, limit: u64) -> Request {
    vec![
        ("op", op::READ.into()),
        ("aggregate", aggregate.into()),
        ("key", key.into()),
        ("from", from.into()),
        ("limit", limit.into()),
    ]
}

pub fn load(aggregate: &str, key: &str, entity: Option<&str>) -> Request {
    let mut r = vec![
        ("op", op::LOAD.into()),
        ("aggregate", aggregate.into()),
        ("key", key.into()),
    ];
    if let Some(entity) = entity {
        r.push(("entity", entity.into()));
    }
    r
}

/// One event to append: its idempotency id, wire type and data map.
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub data: Value,
}

/// A one-stream commit expecting the stream at `expected`.
pub fn commit(aggregate: &str, id: &str, expected: i64, events: Vec<NewEvent>) -> Request {
    let events = events
        .into_iter()
        .map(|e| {
            map::build(vec![
                ("id", e.id.into()),
                ("type", e.kind.into()),
                ("data", e.data),
                ("meta", Value::Map(vec![])),
            ])
        })
        .collect();
    let stream = map::build(vec![
        ("aggregate", aggregate.into()),
        ("id", id.into()),
        ("expected", expected.into()),
        ("events", Value::Array(events)),
    ]);
    vec![
        ("op", op::COMMIT.into()),
        ("streams", Value::Array(vec![stream])),
    ]
}

pub fn stream_name(aggregate: &str, id: &str) -> String {
    format!("{aggregate}-{id}")
}

/// The new version of `stream` in a commit answer.
pub fn committed_version(answer: &Value, stream: &str) -> Result<i64, Problem> {
    match map::get(answer, "streams") {
        Some(Value::Array(streams)) => streams
            .iter()
            .find(|s| map::get_text(s, "stream") == Some(stream))
            .and_then(|s| map::get_i64(s, "version")),
        _ => None,
    }
    .ok_or_else(|| Problem::protocol(format!("commit answer lacks the version of {stream}")))
}

/// The state of one entity in a commit answer: `None` when the commit did not change it,
/// `Some(Null)` when it deleted it.
pub fn committed_entity<'a>(answer: &'a Value, entity: &str, id: &str) -> Option<&'a Value> {
    match map::get(answer, "entities") {
        Some(Value::Array(entities)) => entities
            .iter()
            .find(|e| {
                map::get_text(e, "entity") == Some(entity) && map::get_text(e, "id") == Some(id)
            })
            .map(|e| map::get(e, "state").unwrap_or(&Value::Null)),
        _ => None,
    }
}

/// Looks up a required field of an answer.
pub fn field<'a>(answer: &'a Value, key: &str, op: &str) -> Result<&'a Value, Problem> {
    map::get(answer, key)
        .ok_or_else(|| Problem::protocol(format!("`{op}` answer lacks the field `{key}`")))
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_has_one_stream_with_expected_version_and_events() {
        let r = map::build(commit(
            "AccountAggregateRoot",
            "u1",
            3,
            vec![NewEvent {
                id: "e1".into(),
                kind: "BalanceIncreased".into(),
                data: map::build(vec![("amount", 10.into())]),
            }],
        ));
        let stream = match map::get(&r, "streams") {
            Some(Value::Array(s)) => s[0].clone(),
            _ => panic!(),
        };
        assert_eq!(
            map::get_text(&stream, "aggregate"),
            Some("AccountAggregateRoot")
        );
        assert_eq!(map::get_i64(&stream, "expected"), Some(3));
        let event = match map::get(&stream, "events") {
            Some(Value::Array(e)) => e[0].clone(),
            _ => panic!(),
        };
        assert_eq!(map::get_text(&event, "type"), Some("BalanceIncreased"));
        assert_eq!(
            map::get_i64(map::get(&event, "data").unwrap(), "amount"),
            Some(10)
        );
    }

    #[test]
    fn reads_versions_and_entity_states_from_a_commit_answer() {
        let answer = map::build(vec![
            (
                "streams",
                Value::Array(vec![map::build(vec![
                    ("stream", "A-u1".into()),
                    ("version", 4.into()),
                ])]),
            ),
            (
                "entities",
                Value::Array(vec![map::build(vec![
                    ("entity", "Account".into()),
                    ("id", "u1".into()),
                    ("state", Value::Null),
                ])]),
            ),
        ]);
        assert_eq!(committed_version(&answer, "A-u1").unwrap(), 4);
        assert!(committed_version(&answer, "A-u2").is_err());
        assert_eq!(
            committed_entity(&answer, "Account", "u1"),
            Some(&Value::Null)
        );
        assert_eq!(committed_entity(&answer, "Account", "u2"), None);
    }

    #[test]
    fn query_carries_the_spec_and_refuses_unknown_keys() {
        let spec = vec![
            (Value::from("select"), Value::from("count")),
            (Value::from("limit"), Value::Null),
        ];
        let r = map::build(query("Account", &spec).unwrap());
        assert_eq!(map::get_text(&r, "op"), Some("query"));
        assert_eq!(map::get_text(&r, "entity"), Some("Account"));
        assert_eq!(map::get_text(&r, "select"), Some("count"));
        assert_eq!(map::get(&r, "limit"), Some(&Value::Null));
        let err = query("Account", &[(Value::from("entity"), Value::from("X"))]).unwrap_err();
        assert!(err.message.contains("entity"), "{}", err.message);
    }

    #[test]
    fn register_carries_the_schema_and_the_dry_run_flag() {
        let schema = vec![(Value::from("entities"), Value::Array(vec![]))];
        let r = map::build(register(&schema, true).unwrap());
        assert_eq!(map::get_text(&r, "op"), Some("register"));
        assert_eq!(map::get(&r, "dry_run"), Some(&Value::Bool(true)));
        assert_eq!(map::get(&r, "entities"), Some(&Value::Array(vec![])));
        let err = register(&[(Value::from("op"), Value::from("commit"))], false).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(
            err.message.contains("the schema has the key 'op'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn uuids_are_v4() {
        let u = new_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, new_uuid());
    }
}
