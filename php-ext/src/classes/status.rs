//! `Resident\stats()`, `Resident\snapshot()` and `Resident\ping()`, for tests and
//! operations.

use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;
use resident_protocol::{op, Value};

use crate::engine::call;

/// The server's counters (`stats` op): position, events, streams, entities per type, …
#[php_function]
#[php(name = "Resident\\stats")]
pub fn stats() -> PhpResult<Zval> {
    Ok(call::answer_array(&[("op", Value::from(op::STATS))])?)
}

/// Writes a snapshot now (`snapshot` op) and returns once it is on disk: `path`,
/// `position`, `entities`, `bytes`, `took_ms`. `ConnectionException` (`unavailable`) when
/// one is being written already.
#[php_function]
#[php(name = "Resident\\snapshot")]
pub fn snapshot() -> PhpResult<Zval> {
    Ok(call::answer_array(&[("op", Value::from(op::SNAPSHOT))])?)
}

/// True when residentd answers; false (no exception) when it cannot be reached. It does
/// not wait for a restarting server (`resident.reconnect_wait_ms`): it says how it is now.
#[php_function]
#[php(name = "Resident\\ping")]
pub fn ping() -> bool {
    call::ping(&[
        ("op", Value::from(op::HELLO)),
        ("protocol", Value::from(resident_protocol::PROTOCOL_VERSION)),
    ])
}

/// Adds the functions to the module (the macro-made wrappers are private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(stats))
        .function(wrap_function!(snapshot))
        .function(wrap_function!(ping))
}
