//! `Resident\Event`: the base of userland events. Its wire data is the object's public
//! properties by name.

use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendObject;
use resident_protocol::Value;

use crate::client::failure::{Failure, Problem};
use crate::client::values::{self, Rules};
use crate::engine::convert;
use crate::engine::objects;

#[php_class]
#[php(name = "Resident\\Event")]
#[php(flags = ClassFlags::Abstract)]
pub struct Event;

#[php_impl]
impl Event {
    /// Does nothing (see fixup.rs); events declare their own constructors.
    pub fn __construct() -> Self {
        Event
    }
}

/// The event's data map: its public properties, each converted to CBOR.
pub fn data_of(event: &ZendObject) -> Result<Value, Failure> {
    let ce = event.get_class_entry();
    let class = objects::class_name(ce);
    let names = objects::public_property_names(ce).map_err(|name| {
        Problem::bad_request(format!(
            "{class} has a public property whose name is not valid UTF-8 (${}); event data \
             is keyed by text: rename the property, or save the file as UTF-8",
            values::escaped(&name)
        ))
    })?;
    let mut fields = Vec::with_capacity(names.len());
    for name in names {
        let path = format!("{class}::${name}");
        let value = objects::read_public(event, &name).ok_or_else(|| {
            Problem::bad_request(format!(
                "{path} is not initialized; every public property of an event is sent: set it \
                 in the constructor, or give it a default"
            ))
        })?;
        fields.push((
            Value::Text(name),
            convert::to_cbor(value, &path, Rules::STORED)?,
        ));
    }
    Ok(Value::Map(fields))
}
