//! `Resident\query()`: sends a spec built by php-lib's `Resident\Query\Builder` and
//! hydrates the rows. (The static shortcuts that start a builder, `Account::where(…)`, are
//! methods of `Resident\Entity`, in `entity.rs`.)

use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use resident_protocol::Value;

use crate::classes::entity;
use crate::client::failure::{Failure, Problem};
use crate::client::values::Rules;
use crate::client::wire;
use crate::engine::call;
use crate::engine::convert;
use crate::engine::decode;
use crate::engine::objects;

/// Runs one query (the wire `query` operation) for the entity class `$class` and returns
/// the server's answer as an array: `entities` (objects of `$class`) and `next` for
/// `select: rows`, else `count`, `exists`, `value` or `values`; `plan` with `explain`.
/// Refusals throw `Resident\Exception\QueryException`. Meant to be called by
/// `Resident\Query\Builder`; `$spec` is its `spec()`.
#[php_function]
#[php(name = "Resident\\query")]
pub fn query(class: String, spec: &ZendHashTable) -> PhpResult<Zval> {
    Ok(run(&class, spec).map_err(in_query)?)
}

fn in_query(f: Failure) -> Failure {
    match f {
        Failure::Problem(p) => Failure::Problem(p.in_query()),
        pending => pending,
    }
}

const NOT_A_SPEC: &str =
    "the query spec must be an array keyed by name, as Resident\\Query\\Builder::spec() makes it";

fn run(class: &str, spec: &ZendHashTable) -> Result<Zval, Failure> {
    let ce = objects::find_class(class).ok_or_else(|| {
        if objects::pending() {
            Failure::PhpPending
        } else {
            Problem::query(format!(
                "Resident\\query(): there is no class {class}: pass an entity class, e.g. \
                 App\\Account::class"
            ))
            .into()
        }
    })?;
    let ce = entity::entity_class(ce)?;
    let entries = match convert::array_to_cbor(spec, "the query spec", Rules::ARGUMENT)? {
        Value::Map(entries) => entries,
        Value::Array(items) if items.is_empty() => Vec::new(),
        _ => return Err(Problem::query(NOT_A_SPEC).into()),
    };
    let body = entity::exchange_for(ce, |name| wire::query(name, &entries), call::exchange_raw)?;
    decode::query(ce, &body)
}

/// Adds `Resident\query` to the module (the macro-made wrapper is private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(query))
}
