//! `Resident\register()`: sends a whole schema at once, or checks it (`$dry_run`), for
//! deploy-time schema commands (php-lib's `Resident\Schema\SchemaSync`). Classes are
//! registered by themselves at first use; this is for registering ahead of that.

use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use resident_protocol::Value;

use crate::client::failure::{Failure, Problem};
use crate::client::values::Rules;
use crate::client::wire;
use crate::engine::call;
use crate::engine::convert;

/// Sends `['entities' => […], 'events' => […]]` (the wire `register` body, as
/// `Resident\Schema\Registry` builds it) and returns the answer: `changed` and
/// `schema_version`; with `$dry_run` nothing is recorded and the answer also holds
/// `refused` (why a real register would fail, or null) and `current` (the server's
/// definitions of the named types). A refused real register throws `SchemaException`.
#[php_function]
#[php(name = "Resident\\register")]
#[php(defaults(dry_run = false))]
pub fn register_schema(schema: &ZendHashTable, dry_run: bool) -> PhpResult<Zval> {
    Ok(send(schema, dry_run)?)
}

fn send(schema: &ZendHashTable, dry_run: bool) -> Result<Zval, Failure> {
    let entries = match convert::array_to_cbor(schema, "the schema", Rules::ARGUMENT)? {
        Value::Map(entries) => entries,
        Value::Array(items) if items.is_empty() => Vec::new(),
        _ => return Err(Problem::bad_request("the schema must be an array keyed by name").into()),
    };
    call::answer_array(&wire::register(&entries, dry_run)?)
}

/// Adds `Resident\register` to the module (the macro-made wrapper is private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(register_schema))
}
