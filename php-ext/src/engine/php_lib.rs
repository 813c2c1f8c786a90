//! Calls into php-lib, the Composer package: `registry.rs` asks its schema registry,
//! `builder.rs` starts its query builder.

use ext_php_rs::types::{ZendCallable, Zval};

use crate::client::failure::{Failure, Problem};
use crate::engine::objects;

/// `$class::$method($arg)`, a static method of php-lib. An exception it throws (an unknown
/// class, a bad attribute) propagates unchanged.
pub fn call_static(class: &str, method: &str, arg: &str) -> Result<Zval, Failure> {
    if objects::find_class(class).is_none() {
        if objects::pending() {
            return Err(Failure::PhpPending);
        }
        return Err(Problem::schema(
            "php-lib is not loaded: require 'php-lib/vendor/autoload.php'",
        )
        .into());
    }
    let callable = ZendCallable::try_from_name(&format!("{class}::{method}"))
        .map_err(|e| Problem::php_lib(format!("{class}::{method} cannot be called: {e}")))?;
    callable.try_call(vec![&arg]).map_err(|e| {
        if objects::pending() {
            Failure::PhpPending
        } else {
            Problem::php_lib(format!("{class}::{method}('{arg}') failed: {e}")).into()
        }
    })
}
