//! `Resident\stats()` and `Resident\ping()`, for tests and operations.

use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;
use resident_protocol::{op, Value};

use crate::engine::call;
use crate::engine::convert;

/// The server's counters (`stats` op): position, events, streams, entities per type, …
#[php_function]
#[php(name = "Resident\\stats")]
pub fn stats() -> PhpResult<Zval> {
    let answer = call::exchange(&[], &[("op", Value::from(op::STATS))])?;
    let fields = match answer {
        Value::Map(entries) => entries
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_text(), Some("id") | Some("ok")))
            .collect(),
        other => return Ok(convert::to_zval(&other)),
    };
    Ok(convert::to_zval(&Value::Map(fields)))
}

/// True when residentd answers; false (no exception) when it cannot be reached.
#[php_function]
#[php(name = "Resident\\ping")]
pub fn ping() -> bool {
    call::exchange(
        &[],
        &[
            ("op", Value::from(op::HELLO)),
            ("protocol", Value::from(resident_protocol::PROTOCOL_VERSION)),
        ],
    )
    .is_ok()
}

/// Adds the functions to the module (the macro-made wrappers are private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(stats))
        .function(wrap_function!(ping))
}
