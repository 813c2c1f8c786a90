//! Everything that can go wrong in a call, as plain data, and the texts PHP users read.
//!
//! Kept free of Zend symbols so the mapping from wire codes to exception classes and the
//! wording of every message can be unit-tested; `classes/exceptions.rs` turns a
//! [`Problem`] into a thrown PHP object.

use resident_protocol::{error_code, map, op, Value};

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

    /// The server answered something this client does not understand: `what` says what,
    /// and the message adds what to do.
    pub fn protocol(what: impl std::fmt::Display) -> Self {
        Self::new(
            Kind::Protocol,
            error_code::MALFORMED,
            format!(
                "{what}. The extension and residentd do not understand each other: install \
                 both from the same release (if they are, report this with residentd's log)"
            ),
        )
    }

    /// php-lib did not answer as this extension expects: `what`, and what to do.
    pub fn php_lib(what: impl std::fmt::Display) -> Self {
        Self::schema(format!(
            "{what}. php-lib and the extension do not fit: install both from the same release"
        ))
    }

    /// An answer that cannot be decoded.
    pub fn unreadable(e: impl std::fmt::Display) -> Self {
        Self::protocol(format!("unreadable answer from residentd: {e}"))
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
            Kind::Connection if code == error_code::DAMAGED => Problem::new(
                kind,
                code,
                format!("residentd cannot read this from its log ({code}): {message}"),
            ),
            Kind::Connection
                if code == error_code::UNAVAILABLE || code == error_code::DISK_FULL =>
            {
                Problem::new(
                    kind,
                    code,
                    format!(
                        "residentd refuses writes ({code}): {message}; reads go on, and \
                         residentd's log says more"
                    ),
                )
            }
            _ => Problem::new(kind, code, message),
        }
    }
}

/// An error answer with a null id: a refusal residentd could not tie to a request, after
/// which it closes the connection (`limit` at the door, a uid outside `--allow-uid`,
/// `malformed`). The server's code and message are the exception's.
pub fn refusal(error: &Value, socket: &str) -> Problem {
    let code = map::get_text(error, "code").unwrap_or(error_code::INTERNAL);
    let message = map::get_text(error, "message").unwrap_or("(no message)");
    refused_connection(code, message, socket)
}

/// A refusal of the connection itself, with a null id or as the answer to `hello` (over
/// the connection limit, a uid outside `--allow-uid`): the server's words, as a
/// `ConnectionException`, unless the code says the request could not be taken at all.
pub fn refused_connection(code: &str, message: &str, socket: &str) -> Problem {
    if protocol_fault(code) {
        return Problem {
            code: code.to_owned(),
            ..Problem::protocol(format!(
                "residentd at {socket} could not take a request and closed the connection \
                 ({code}): {message}"
            ))
        };
    }
    let hint = if code == error_code::LIMIT
        && !message.contains("connections_max")
        && !message.contains("connections-max")
    {
        ": wait and retry, or raise residentd's --connections-max"
    } else {
        ""
    };
    Problem::new(
        Kind::Connection,
        code,
        format!("residentd at {socket} refused the connection: {message}{hint}"),
    )
}

/// A code that says the request could not be taken at all, rather than the connection
/// refused: resending it would fail again.
fn protocol_fault(code: &str) -> bool {
    [
        error_code::MALFORMED,
        error_code::TOO_LARGE,
        error_code::UNKNOWN_OP,
        error_code::INTERNAL,
    ]
    .contains(&code)
}

/// A request larger than the server's `frame_bytes_max` (from `hello`), refused before any
/// of it is sent: the server would close the connection after reading its length.
pub fn too_large(op: &str, len: usize, max: u32) -> Problem {
    let (what, hint) = if op == op::COMMIT {
        (
            "the commit".to_owned(),
            "keep large data (files, blobs) elsewhere and store a reference to it, persist \
             fewer events at a time",
        )
    } else {
        (format!("the {op} request"), "send fewer or smaller values")
    };
    Problem::new(
        Kind::BadRequest,
        error_code::LIMIT,
        format!(
            "{what} is {len} bytes, more than the server's limit of {max} bytes \
             (frame_bytes_max), so it was not sent: {hint}, or raise residentd's \
             --frame-bytes-max"
        ),
    )
}

/// An answer longer than this client accepts (a server that bounds its answers refuses to
/// send it).
pub fn answer_too_large(socket: &str, len: u32, max: u32) -> Problem {
    Problem::new(
        Kind::Protocol,
        error_code::TOO_LARGE,
        format!(
            "residentd at {socket} sent an answer of {len} bytes, more than this client's limit \
             of {max} bytes (frame_bytes_max): ask for fewer or smaller rows (limit(), \
             paginate(), lazy(), or pluck() of one field)"
        ),
    )
}

/// The one place that decides which exception a wire code becomes.
pub fn kind_of(code: &str) -> Kind {
    match code {
        error_code::CONFLICT => Kind::Concurrency,
        error_code::NOT_FOUND => Kind::NotFound,
        error_code::SCHEMA => Kind::Schema,
        error_code::BAD_REQUEST | error_code::LIMIT => Kind::BadRequest,
        error_code::UNAVAILABLE
        | error_code::DISK_FULL
        | error_code::DAMAGED
        | error_code::FORBIDDEN => Kind::Connection,
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
        assert_eq!(kind_of("damaged"), Kind::Connection);
        assert_eq!(kind_of("forbidden"), Kind::Connection);
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
    fn refusals_without_an_id_carry_the_server_code_and_message() {
        let socket = "/run/resident/resident.sock";
        let limit = wire_error(vec![
            ("code", Value::from("limit")),
            (
                "message",
                Value::from("the server has reached its limit of 1024 connections"),
            ),
        ]);
        let p = refusal(&limit, socket);
        assert_eq!((p.kind, p.code.as_str()), (Kind::Connection, "limit"));
        assert_eq!(
            p.message,
            "residentd at /run/resident/resident.sock refused the connection: the server has \
             reached its limit of 1024 connections: wait and retry, or raise residentd's \
             --connections-max"
        );
        // A code this build does not know, as for a uid outside --allow-uid.
        let uid = wire_error(vec![
            ("code", Value::from("forbidden")),
            (
                "message",
                Value::from("uid 33 is not allowed by --allow-uid"),
            ),
        ]);
        let p = refusal(&uid, socket);
        assert_eq!((p.kind, p.code.as_str()), (Kind::Connection, "forbidden"));
        assert!(
            p.message
                .ends_with("refused the connection: uid 33 is not allowed by --allow-uid"),
            "{}",
            p.message
        );
        let malformed = wire_error(vec![
            ("code", Value::from("malformed")),
            ("message", Value::from("frame is not valid CBOR")),
        ]);
        let p = refusal(&malformed, socket);
        assert_eq!((p.kind, p.code.as_str()), (Kind::Protocol, "malformed"));
        assert!(
            p.message.contains("(malformed): frame is not valid CBOR."),
            "{}",
            p.message
        );
    }

    #[test]
    fn too_large_says_how_large_what_the_limit_is_and_what_to_do() {
        let p = too_large("commit", 17_825_893, 16_777_216);
        assert_eq!((p.kind, p.code.as_str()), (Kind::BadRequest, "limit"));
        assert!(
            p.message.starts_with(
                "the commit is 17825893 bytes, more than the server's limit of 16777216 bytes \
                 (frame_bytes_max), so it was not sent: keep large data"
            ),
            "{}",
            p.message
        );
        let p = too_large("query", 20, 10).in_query();
        assert_eq!(p.kind, Kind::Query);
        assert!(p.message.starts_with("the query request is 20 bytes"));
    }

    #[test]
    fn protocol_problems_say_what_to_do() {
        let p = Problem::unreadable("truncated item (at byte 7)");
        assert_eq!((p.kind, p.code.as_str()), (Kind::Protocol, "malformed"));
        assert!(
            p.message.starts_with(
                "unreadable answer from residentd: truncated item (at byte 7). The extension and \
                 residentd do not understand each other: install both from the same release"
            ),
            "{}",
            p.message
        );
        let p = answer_too_large("/s.sock", 30_000_472, 16_777_216);
        assert_eq!((p.kind, p.code.as_str()), (Kind::Protocol, "too_large"));
        assert!(
            p.message.starts_with(
                "residentd at /s.sock sent an answer of 30000472 bytes, more than this client's \
                 limit of 16777216 bytes (frame_bytes_max): ask for fewer or smaller rows"
            ),
            "{}",
            p.message
        );
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
