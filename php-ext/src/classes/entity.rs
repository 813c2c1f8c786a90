//! `Resident\Entity`: the base of userland entity classes; reads answer objects of the
//! class the call was made on (late static binding).

use ext_php_rs::boxed::ZBox;
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::ClassEntry;
use resident_protocol::Value;

use crate::classes::query::entity_shortcuts;
use crate::client::failure::{Failure, Problem};
use crate::client::process::Registration;
use crate::client::wire;
use crate::engine::call;
use crate::engine::decode;
use crate::engine::objects;
use crate::engine::registry;

#[php_class]
#[php(name = "Resident\\Entity")]
#[php(flags = ClassFlags::Abstract)]
#[php(modifier = entity_shortcuts)]
pub struct Entity;

#[php_impl]
impl Entity {
    /// Does nothing (see fixup.rs); entities read from the server skip constructors.
    pub fn __construct() -> Self {
        Entity
    }

    /// Every entity of the called class, ordered by id.
    pub fn all() -> PhpResult<ZBox<ZendHashTable>> {
        Ok(all()?)
    }

    /// The entity with this id, or null.
    pub fn find(id: String) -> PhpResult<Option<Zval>> {
        Ok(find(&id)?)
    }

    /// How many entities of the called class exist.
    pub fn count() -> PhpResult<i64> {
        Ok(count()?)
    }
}

/// The called class, refusing `Resident\Entity` itself.
pub fn called_entity_class() -> Result<&'static ClassEntry, Failure> {
    let ce = objects::called_class().ok_or_else(|| Problem::bad_request("no called class"))?;
    entity_class(ce)
}

/// `ce` if it is a userland entity class (a subclass of `Resident\Entity`).
pub fn entity_class(ce: &'static ClassEntry) -> Result<&'static ClassEntry, Failure> {
    if std::ptr::eq(ce, Entity::get_metadata().ce()) || !ce.instance_of(Entity::get_metadata().ce())
    {
        return Err(Problem::bad_request(format!(
            "call this on your entity class (e.g. App\\Account::all()), not on {}",
            objects::class_name(ce)
        ))
        .into());
    }
    Ok(ce)
}

pub fn exchange_for(
    ce: &ClassEntry,
    request: impl FnOnce(&str) -> wire::Request,
) -> Result<Value, Failure> {
    let class = objects::class_name(ce);
    let schema = registry::entity(&class)?;
    let needs = [Registration {
        class: &class,
        body: &schema.register,
    }];
    call::exchange(&needs, &request(&schema.name))
}

/// [`exchange_for`] returning the answer undecoded, for `decode.rs`.
fn exchange_raw_for(
    ce: &ClassEntry,
    request: impl FnOnce(&str) -> wire::Request,
) -> Result<Vec<u8>, Failure> {
    let class = objects::class_name(ce);
    let schema = registry::entity(&class)?;
    let needs = [Registration {
        class: &class,
        body: &schema.register,
    }];
    call::exchange_raw(&needs, &request(&schema.name))
}

fn all() -> Result<ZBox<ZendHashTable>, Failure> {
    let ce = called_entity_class()?;
    let body = exchange_raw_for(ce, wire::all)?;
    decode::all(ce, &body)
}

fn find(id: &str) -> Result<Option<Zval>, Failure> {
    let ce = called_entity_class()?;
    let body = exchange_raw_for(ce, |name| wire::find(name, id))?;
    decode::find(ce, &body)
}

fn count() -> Result<i64, Failure> {
    let ce = called_entity_class()?;
    let answer = exchange_for(ce, wire::count)?;
    wire::field(&answer, "count", "count")?
        .as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| Problem::protocol("`count` answer: `count` is not an integer").into())
}

/// The id of an entity object: the property the schema names as its id.
pub fn id_of(entity: &ZendObject) -> Result<String, Failure> {
    let ce = entity.get_class_entry();
    let class = objects::class_name(ce);
    let schema = registry::entity(&class)?;
    let id =
        objects::read_public(entity, &schema.id_field).and_then(|v| v.str().map(str::to_owned));
    id.ok_or_else(|| {
        Problem::bad_request(format!(
            "{class}::${} is not set to a string id",
            schema.id_field
        ))
        .into()
    })
}
