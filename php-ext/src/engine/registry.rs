//! Asks php-lib's `Resident\Schema\Registry` about a class, once per class and connection.

use std::any::Any;
use std::rc::Rc;

use resident_protocol::Value;

use crate::client::failure::{Failure, Problem};
use crate::client::process;
use crate::client::schema::{self, AggregateSchema, EntitySchema, EventSchema};
use crate::client::values::Rules;
use crate::engine::convert;
use crate::engine::php_lib;

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
    let answer = php_lib::call_static(REGISTRY, method, class)?;
    let answer = convert::to_cbor(
        &answer,
        &format!("{REGISTRY}::{method}('{class}')"),
        Rules::ARGUMENT,
    )?;
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
