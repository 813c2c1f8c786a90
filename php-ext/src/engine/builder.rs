//! php-lib's `Resident\Query\Builder`, started for an entity class: what the static query
//! shortcuts of `Resident\Entity` (`Account::where(…)`) hand back.
//!
//! php-lib owns the builder (and checks fields, operators and value kinds against the
//! entity class); the extension owns the socket, the schema registration and hydration.

use ext_php_rs::convert::IntoZvalDyn;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::{ClassEntry, ExecuteData};

use crate::client::failure::{Failure, Problem};
use crate::engine::objects;
use crate::engine::php_lib;

/// The builder's class, as php-lib declares it.
pub const CLASS: &str = "Resident\\Query\\Builder";

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
    let builder = php_lib::call_static(CLASS, "for", &objects::class_name(ce))?;
    let Some(method) = method else {
        *retval = builder;
        return Ok(());
    };
    let object = builder
        .object()
        .ok_or_else(|| Problem::php_lib(format!("{CLASS}::for did not return an object")))?;
    let params: Vec<&dyn IntoZvalDyn> = args.iter().map(|a| a as &dyn IntoZvalDyn).collect();
    let result = object
        .try_call_method(method, params)
        .map_err(|e| Problem::php_lib(format!("{CLASS}::{method} cannot be called: {e}")))?;
    if objects::pending() {
        return Err(Failure::PhpPending);
    }
    *retval = result;
    Ok(())
}
