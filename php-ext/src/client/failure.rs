//! Everything that can go wrong in a call, as plain data, and the texts PHP users read.
//!
//! Kept free of Zend symbols so the mapping from wire codes to exception classes and the
//! wording of every message can be unit-tested; `classes/exceptions.rs` turns a
//! [`Problem`] into a thrown PHP object.

use resident_protocol::{error_code, map, Value};

/// Which `Resident\Exception\…` class a problem becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connection,
    Concurrency,
    NotFound,
    Schema,
    Protocol,
    BadRequest,
    /// A refused query (`QueryException`, a `BadRequestException`): see [`Problem::in_query`].
    Query,
}

/// Details of a `conflict`, exposed by `ConcurrencyException::stream()` and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub stream: String,
    pub expected: i64,
    pub actual: i64,
}

/// A failure to report to PHP as one of our exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    /// The wire code (`conflict`, `not_found`, …), or for failures found on this side the
    /// code that describes them best (`connection` when no server answered).
    pub code: String,
    pub message: String,
    pub conflict: Option<Conflict>,
}

/// The error type of every native method.
#[derive(Debug)]
pub enum Failure {
    Problem(Problem),
    /// PHP code we called (php-lib, a constructor, a property type check) threw; that
    /// exception is already pending in the engine and must reach the caller unchanged.
    PhpPending,
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure::Problem(p)
    }
}

/// Code used for failures where no server answered at all.
pub const CONNECTION_CODE: &str = "connection";

impl Problem {
    pub fn new(kind: Kind, code: &str, message: impl Into<String>) -> Self {
        Problem {
            kind,
            code: code.to_owned(),
            message: message.into(),
            conflict: None,
        }
    }

    pub fn connection(message: impl Into<String>) -> Self {
        Self::new(Kind::Connection, CONNECTION_CODE, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, error_code::BAD_REQUEST, message)
    }

    pub fn query(message: impl Into<String>) -> Self {
        Self::new(Kind::Query, error_code::BAD_REQUEST, message)
    }

    /// The problem as the answer to a query: a refusal (`bad_request`, `limit`) becomes a
    /// `QueryException`, so callers can tell a bad query from other bad requests; other
    /// kinds are unchanged.
    pub fn in_query(mut self) -> Self {
        if self.kind == Kind::BadRequest {
            self.kind = Kind::Query;
        }
        self
    }

    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(Kind::Schema, error_code::SCHEMA, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, error_code::NOT_FOUND, message)
    }

    /// The server answered something this client does not understand.
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(Kind::Protocol, error_code::MALFORMED, message)
    }

    /// Builds the problem for an `{ok: false, error: {...}}` answer.
    pub fn from_wire(error: &Value) -> Self {
        let code = map::get_text(error, "code").unwrap_or(error_code::INTERNAL);
        let message = map::get_text(error, "message").unwrap_or("(no message)");
        let kind = kind_of(code);
        match kind {
            Kind::Concurrency => {
                let conflict = Conflict {
                    stream: map::get_text(error, "stream").unwrap_or("?").to_owned(),
                    expected: map::get_i64(error, "expected").unwrap_or(-1),
                    actual: map::get_i64(error, "actual").unwrap_or(-1),
                };
                Problem {
                    kind,
                    code: code.to_owned(),
                    message: conflict_message(&conflict),
                    conflict: Some(conflict),
                }
            }
            Kind::Connection => Problem::new(
                kind,
                code,
                format!("residentd refuses writes ({code}): {message}"),
            ),
            _ => Problem::new(kind, code, message),
        }
    }
}

/// The one place that decides which exception a wire code becomes.
pub fn kind_of(code: &str) -> Kind {
    match code {
        error_code::CONFLICT => Kind::Concurrency,
        error_code::NOT_FOUND => Kind::NotFound,
        error_code::SCHEMA => Kind::Schema,
        error_code::BAD_REQUEST | error_code::LIMIT => Kind::BadRequest,
        error_code::UNAVAILABLE | error_code::DISK_FULL => Kind::Connection,
        // malformed, too_large, unknown_op, internal, and codes from a newer server.
        _ => Kind::Protocol,
    }
}

pub fn conflict_message(c: &Conflict) -> String {
    format!(
        "Stream {} is at version {}, expected {}: another writer got there first; \
         load it again and retry (Resident\\Retry::onConflict)",
        c.stream, c.actual, c.expected
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_error(entries: Vec<(&str, Value)>) -> Value {
        map::build(entries)
    }

    #[test]
    fn every_wire_code_has_its_exception() {
        assert_eq!(kind_of("conflict"), Kind::Concurrency);
        assert_eq!(kind_of("not_found"), Kind::NotFound);
        assert_eq!(kind_of("schema"), Kind::Schema);
        assert_eq!(kind_of("bad_request"), Kind::BadRequest);
        assert_eq!(kind_of("limit"), Kind::BadRequest);
        assert_eq!(kind_of("unavailable"), Kind::Connection);
        for code in [
            "malformed",
            "too_large",
            "unknown_op",
            "internal",
            "brand_new",
        ] {
            assert_eq!(kind_of(code), Kind::Protocol, "{code}");
        }
    }

    #[test]
    fn refused_queries_become_query_problems_and_keep_their_code() {
        for code in ["bad_request", "limit"] {
            let p = Problem::from_wire(&wire_error(vec![
                ("code", Value::from(code)),
                ("message", Value::from("unknown field `balanse`")),
            ]))
            .in_query();
            assert_eq!((p.kind, p.code.as_str()), (Kind::Query, code));
        }
        let p = Problem::schema("unknown entity type").in_query();
        assert_eq!(p.kind, Kind::Schema);
    }

    #[test]
    fn conflict_names_stream_and_both_versions() {
        let p = Problem::from_wire(&wire_error(vec![
            ("code", Value::from("conflict")),
            ("message", Value::from("version mismatch")),
            ("stream", Value::from("AccountAggregateRoot-1")),
            ("expected", Value::from(4)),
            ("actual", Value::from(5)),
        ]));
        assert_eq!(p.kind, Kind::Concurrency);
        assert_eq!(
            p.message,
            "Stream AccountAggregateRoot-1 is at version 5, expected 4: another writer got there \
             first; load it again and retry (Resident\\Retry::onConflict)"
        );
        assert_eq!(
            p.conflict,
            Some(Conflict {
                stream: "AccountAggregateRoot-1".into(),
                expected: 4,
                actual: 5
            })
        );
    }

    #[test]
    fn unavailable_says_writes_are_refused() {
        let p = Problem::from_wire(&wire_error(vec![
            ("code", Value::from("unavailable")),
            ("message", Value::from("fsync failed")),
        ]));
        assert_eq!(p.kind, Kind::Connection);
        assert_eq!(p.code, "unavailable");
        assert!(p.message.contains("refuses writes"), "{}", p.message);
        assert!(p.message.contains("fsync failed"));
        let p = Problem::from_wire(&wire_error(vec![
            ("code", Value::from("disk_full")),
            ("message", Value::from("disk full writing x")),
        ]));
        assert_eq!(p.kind, Kind::Connection);
        assert!(p.message.contains("disk full"), "{}", p.message);
    }

    #[test]
    fn other_codes_keep_the_server_message() {
        let p = Problem::from_wire(&wire_error(vec![
            ("code", Value::from("schema")),
            ("message", Value::from("unknown entity type Foo")),
        ]));
        assert_eq!((p.kind, p.code.as_str()), (Kind::Schema, "schema"));
        assert_eq!(p.message, "unknown entity type Foo");
    }
}
