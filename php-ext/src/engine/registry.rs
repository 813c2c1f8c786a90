//! Asks php-lib's `Resident\Schema\Registry` about a class, once per class and connection.

use std::any::Any;
use std::rc::Rc;

use ext_php_rs::types::ZendCallable;
use resident_protocol::Value;

use crate::client::failure::{Failure, Problem};
use crate::client::process;
use crate::client::schema::{self, AggregateSchema, EntitySchema, EventSchema};
use crate::engine::convert;
use crate::engine::objects;

const REGISTRY: &str = "Resident\\Schema\\Registry";

fn ask<T: Any>(
    method: &str,
    class: &str,
    parse: fn(&Value, &str) -> Result<T, Problem>,
) -> Result<Rc<T>, Failure> {
    let key = format!("{method}:{class}");
    if let Some(hit) = process::with(|c| c.cached(&key)).and_then(|v| v.downcast::<T>().ok()) {
        return Ok(hit);
    }
    if objects::find_class(REGISTRY).is_none() {
        if objects::pending() {
            return Err(Failure::PhpPending);
        }
        return Err(Problem::schema(
            "php-lib is not loaded: require 'php-lib/vendor/autoload.php'",
        )
        .into());
    }
    let callable = ZendCallable::try_from_name(&format!("{REGISTRY}::{method}"))
        .map_err(|e| Problem::schema(format!("{REGISTRY}::{method} cannot be called: {e}")))?;
    // php-lib may throw (an unknown class, a bad attribute): that exception propagates.
    let answer = callable.try_call(vec![&class]).map_err(|e| {
        if objects::pending() {
            Failure::PhpPending
        } else {
            Problem::schema(format!("{REGISTRY}::{method}('{class}') failed: {e}")).into()
        }
    })?;
    let answer = convert::to_cbor(&answer, &format!("{REGISTRY}::{method}('{class}')"))?;
    let parsed = Rc::new(parse(&answer, class)?);
    process::with(|c| c.remember(key, parsed.clone()));
    Ok(parsed)
}

pub fn entity(class: &str) -> Result<Rc<EntitySchema>, Failure> {
    ask("entity", class, schema::entity)
}

pub fn event(class: &str) -> Result<Rc<EventSchema>, Failure> {
    ask("event", class, schema::event)
}

pub fn aggregate(class: &str) -> Result<Rc<AggregateSchema>, Failure> {
    ask("aggregate", class, schema::aggregate)
}
