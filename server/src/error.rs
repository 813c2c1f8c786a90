//! The one error type every operation answers with.
//!
//! Each error carries a stable code from [`resident_protocol::error_code`] because
//! clients map codes to exceptions; the message is for people and may change.

use resident_protocol::{error_code, map, Value};

/// An operation's failure, ready to be sent as `{code, message, …details}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerError {
    pub code: &'static str,
    pub message: String,
    /// Extra fields next to `code` and `message`, e.g. `stream` for a conflict.
    pub details: Vec<(&'static str, Value)>,
}

impl ServerError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ServerError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(error_code::BAD_REQUEST, message)
    }

    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(error_code::SCHEMA, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(error_code::NOT_FOUND, message)
    }

    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(error_code::LIMIT, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(error_code::UNAVAILABLE, message)
    }

    pub fn disk_full(message: impl Into<String>) -> Self {
        Self::new(error_code::DISK_FULL, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(error_code::INTERNAL, message)
    }

    /// A stream was not at the version the client based its decision on.
    pub fn conflict(stream: &str, expected: Value, actual: u64) -> Self {
        let expected_text = match &expected {
            Value::Text(t) => t.clone(),
            Value::Integer(i) => i128::from(*i).to_string(),
            other => format!("{other:?}"),
        };
        ServerError {
            code: error_code::CONFLICT,
            message: format!(
                "stream {stream} is at version {actual}, the commit expected {expected_text}"
            ),
            details: vec![
                ("stream", Value::from(stream)),
                ("expected", expected),
                ("actual", Value::from(actual)),
            ],
        }
    }

    /// The `error` map of a failure response.
    pub fn to_value(&self) -> Value {
        let mut entries = vec![
            ("code", Value::from(self.code)),
            ("message", Value::from(self.message.as_str())),
        ];
        entries.extend(self.details.iter().cloned());
        map::build(entries)
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServerError {}
