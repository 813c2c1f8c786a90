//! Queries: `Resident\query()`, which sends a spec built by php-lib's
//! `Resident\Query\Builder` and hydrates the rows, and the static shortcuts on
//! `Resident\Entity` (`Account::where(…)`) that start a builder for the called class.
//!
//! The split follows DESIGN.md: php-lib owns the builder (and checks fields, operators
//! and value kinds against the entity class); the extension owns the socket, the schema
//! registration and hydration.

use ext_php_rs::args::Arg;
use ext_php_rs::builders::{ClassBuilder, FunctionBuilder};
use ext_php_rs::convert::IntoZvalDyn;
use ext_php_rs::flags::{DataType, MethodFlags};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendCallable, ZendHashTable, Zval};
use ext_php_rs::zend::{ClassEntry, ExecuteData};
use resident_protocol::Value;

use crate::classes::entity;
use crate::client::failure::{Failure, Problem};
use crate::client::process::Registration;
use crate::client::wire;
use crate::engine::call;
use crate::engine::convert;
use crate::engine::decode;
use crate::engine::methods::native;
use crate::engine::objects;
use crate::engine::registry;

const BUILDER: &str = "Resident\\Query\\Builder";

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

fn run(class: &str, spec: &ZendHashTable) -> Result<Zval, Failure> {
    let ce = objects::find_class(class).ok_or_else(|| {
        if objects::pending() {
            Failure::PhpPending
        } else {
            Problem::query(format!("Resident\\query(): there is no class {class}")).into()
        }
    })?;
    let ce = entity::entity_class(ce)?;
    // The class's own spelling: the registry and its cache are keyed by it.
    let class = &objects::class_name(ce);
    let entries = match convert::array_to_cbor(spec, "the query spec")? {
        Value::Map(entries) => entries,
        Value::Array(items) if items.is_empty() => Vec::new(),
        _ => return Err(Problem::query("the query spec must be an array keyed by name").into()),
    };
    let schema = registry::entity(class)?;
    let request = wire::query(&schema.name, &entries)?;
    let needs = [Registration {
        class,
        body: &schema.register,
    }];
    let body = call::exchange_raw(&needs, &request)?;
    decode::query(ce, &body)
}

/// A `Resident\Query\Builder` for the entity class `ce`.
fn builder_for(ce: &ClassEntry) -> Result<Zval, Failure> {
    if objects::find_class(BUILDER).is_none() {
        if objects::pending() {
            return Err(Failure::PhpPending);
        }
        return Err(Problem::schema(
            "php-lib is not loaded: require 'php-lib/vendor/autoload.php'",
        )
        .into());
    }
    let make = ZendCallable::try_from_name(&format!("{BUILDER}::for"))
        .map_err(|e| Problem::schema(format!("{BUILDER}::for cannot be called: {e}")))?;
    let class = objects::class_name(ce);
    make.try_call(vec![&class]).map_err(|e| {
        if objects::pending() {
            Failure::PhpPending
        } else {
            Problem::schema(format!("{BUILDER}::for('{class}') failed: {e}")).into()
        }
    })
}

/// `Account::<method>(...$args)` = `Builder::for(Account::class)-><method>(...$args)`,
/// passing exactly the arguments given (the builder tells `where('f', 1)` from
/// `where('f', '=', 1)` by their number).
fn start(ex: &mut ExecuteData, retval: &mut Zval, method: Option<&str>) -> Result<(), Failure> {
    // Read before calling PHP: the called class lives in this call's frame.
    let ce = entity::called_entity_class()?;
    // SAFETY: `This.u2` holds the number of arguments passed to this internal call.
    let count = unsafe { ex.This.u2.num_args } as usize;
    let args: Vec<Zval> = (0..count)
        // SAFETY: the engine placed `count` arguments in this frame.
        .filter_map(|i| unsafe { ex.zend_call_arg(i) })
        .map(|zv| zv.shallow_clone())
        .collect();
    let builder = builder_for(ce)?;
    let Some(method) = method else {
        *retval = builder;
        return Ok(());
    };
    let object = builder
        .object()
        .ok_or_else(|| Problem::schema(format!("{BUILDER}::for did not return an object")))?;
    let params: Vec<&dyn IntoZvalDyn> = args.iter().map(|a| a as &dyn IntoZvalDyn).collect();
    let result = object
        .try_call_method(method, params)
        .map_err(|e| Problem::schema(format!("{BUILDER}::{method} cannot be called: {e}")))?;
    if objects::pending() {
        return Err(Failure::PhpPending);
    }
    *retval = result;
    Ok(())
}

native!(query_method, |ex, retval| start(ex, retval, None));

/// A static method that starts a builder and calls its method of the same name.
macro_rules! shortcut {
    ($name:ident, $method:literal) => {
        native!($name, |ex, retval| start(ex, retval, Some($method)));
    };
}
shortcut!(where_method, "where");
shortcut!(where_in_method, "whereIn");
shortcut!(where_not_in_method, "whereNotIn");
shortcut!(where_null_method, "whereNull");
shortcut!(where_not_null_method, "whereNotNull");
shortcut!(order_by_method, "orderBy");

const QUERY_DOCS: &[&str] =
    &[" A query builder for the called entity class: Account::query()->where(…)->get()."];
const WHERE_DOCS: &[&str] = &[
    " Starts a query of the called class: where('balance', '>', 100), where('name', 'Ann')",
    " for =, or a group where(fn ($q) => $q->where(…)->orWhere(…)). See Resident\\Query\\Builder.",
];

/// The static query shortcuts of `Resident\Entity`, each returning a builder for the
/// called class.
pub fn entity_shortcuts(builder: ClassBuilder) -> ClassBuilder {
    let returns = || DataType::object(BUILDER);
    let field = || Arg::new("field", DataType::String);
    let values = || Arg::new("values", DataType::Iterable);
    let static_public = MethodFlags::Public | MethodFlags::Static;
    builder
        .method(
            FunctionBuilder::new("query", query_method)
                .docs(QUERY_DOCS)
                .returns(returns(), false, false),
            static_public,
        )
        .method(
            FunctionBuilder::new("where", where_method)
                .docs(WHERE_DOCS)
                .arg(Arg::new("field", DataType::Mixed))
                .not_required()
                .arg(Arg::new("operator", DataType::Mixed).default("null"))
                .arg(Arg::new("value", DataType::Mixed).default("null"))
                .returns(returns(), false, false),
            static_public,
        )
        .method(
            FunctionBuilder::new("whereIn", where_in_method)
                .docs(&[" Starts a query of the called class: the field is one of the values."])
                .arg(field())
                .arg(values())
                .returns(returns(), false, false),
            static_public,
        )
        .method(
            FunctionBuilder::new("whereNotIn", where_not_in_method)
                .docs(&[" Starts a query of the called class: the field is none of the values."])
                .arg(field())
                .arg(values())
                .returns(returns(), false, false),
            static_public,
        )
        .method(
            FunctionBuilder::new("whereNull", where_null_method)
                .docs(&[" Starts a query of the called class: the field is null."])
                .arg(field())
                .returns(returns(), false, false),
            static_public,
        )
        .method(
            FunctionBuilder::new("whereNotNull", where_not_null_method)
                .docs(&[" Starts a query of the called class: the field is not null."])
                .arg(field())
                .returns(returns(), false, false),
            static_public,
        )
        .method(
            FunctionBuilder::new("orderBy", order_by_method)
                .docs(&[
                    " Starts a query of the called class ordered by the field (ties broken by id).",
                ])
                .arg(field())
                .not_required()
                .arg(Arg::new("direction", DataType::String).default("'asc'"))
                .returns(returns(), false, false),
            static_public,
        )
}

/// Adds `Resident\query` to the module (the macro-made wrapper is private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(query))
}
