//! `Resident\read()`: the events of one stream as arrays, for tests and tools (php-lib's
//! `Resident\Testing\AggregateScenario` reads what a command recorded).

use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;

use crate::client::wire;
use crate::engine::call;

/// The events of the stream `<aggregate>-<id>` from version `$from`, at most `$limit`
/// (the server caps it at `rows_max`): `['version' => n, 'events' => [['id', 'type',
/// 'version', 'position', 'data', 'meta'], …]]`. `$aggregate` is the wire name (the
/// short class name or its `#[Alias]`).
#[php_function]
#[php(name = "Resident\\read")]
#[php(defaults(from = 1, limit = 1000))]
pub fn read(aggregate: String, id: String, from: i64, limit: i64) -> PhpResult<Zval> {
    let (from, limit) = (from.max(1) as u64, limit.max(0) as u64);
    Ok(call::answer_array(&wire::read(
        &aggregate, &id, from, limit,
    ))?)
}

/// Adds `Resident\read` to the module (the macro-made wrapper is private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(read))
}
