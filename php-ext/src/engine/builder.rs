//! php-lib's `Resident\Query\Builder`, started for an entity class: what the static query
//! shortcuts of `Resident\Entity` (`Account::where(…)`) hand back.
//!
//! The split follows DESIGN.md: php-lib owns the builder (and checks fields, operators
//! and value kinds against the entity class); the extension owns the socket, the schema
//! registration and hydration.

use ext_php_rs::convert::IntoZvalDyn;
use ext_php_rs::types::{ZendCallable, Zval};
use ext_php_rs::zend::{ClassEntry, ExecuteData};

use crate::client::failure::{Failure, Problem};
use crate::engine::objects;

/// The builder's class, as php-lib declares it.
pub const CLASS: &str = "Resident\\Query\\Builder";

/// A `Resident\Query\Builder` for the entity class `ce`.
fn builder_for(ce: &ClassEntry) -> Result<Zval, Failure> {
    if objects::find_class(CLASS).is_none() {
        if objects::pending() {
            return Err(Failure::PhpPending);
        }
        return Err(Problem::schema(
            "php-lib is not loaded: require 'php-lib/vendor/autoload.php'",
        )
        .into());
    }
    let make = ZendCallable::try_from_name(&format!("{CLASS}::for"))
        .map_err(|e| Problem::schema(format!("{CLASS}::for cannot be called: {e}")))?;
    let class = objects::class_name(ce);
    make.try_call(vec![&class]).map_err(|e| {
        if objects::pending() {
            Failure::PhpPending
        } else {
            Problem::schema(format!("{CLASS}::for('{class}') failed: {e}")).into()
        }
    })
}

/// `Account::<method>(...$args)` = `Builder::for(Account::class)-><method>(...$args)`,
/// passing exactly the arguments of the call `ex` (the builder tells `where('f', 1)` from
/// `where('f', '=', 1)` by their number); with no method, the builder itself.
pub fn forward(
    ex: &mut ExecuteData,
    retval: &mut Zval,
    ce: &ClassEntry,
    method: Option<&str>,
) -> Result<(), Failure> {
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
        .ok_or_else(|| Problem::schema(format!("{CLASS}::for did not return an object")))?;
    let params: Vec<&dyn IntoZvalDyn> = args.iter().map(|a| a as &dyn IntoZvalDyn).collect();
    let result = object
        .try_call_method(method, params)
        .map_err(|e| Problem::schema(format!("{CLASS}::{method} cannot be called: {e}")))?;
    if objects::pending() {
        return Err(Failure::PhpPending);
    }
    *retval = result;
    Ok(())
}
