//! `Resident\Entity`: the base of userland entity classes; reads answer objects of the
//! class the call was made on (late static binding).

use ext_php_rs::args::Arg;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::builders::{ClassBuilder, FunctionBuilder};
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::flags::{ClassFlags, DataType, MethodFlags};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ClassEntry, ExecuteData};
use resident_protocol::Value;

use crate::client::failure::{Failure, Problem};
use crate::client::process::Registration;
use crate::client::wire;
use crate::engine::builder;
use crate::engine::call;
use crate::engine::decode;
use crate::engine::methods::native;
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

/// What the refusal to work on anything else asks for.
const YOURS: &str = "entity class (e.g. App\\Account::all())";

/// The called class, refusing `Resident\Entity` itself.
pub fn called_entity_class() -> Result<&'static ClassEntry, Failure> {
    objects::called_subclass_of(Entity::get_metadata().ce(), YOURS)
}

/// `ce` if it is a userland entity class (a subclass of `Resident\Entity`).
pub fn entity_class(ce: &'static ClassEntry) -> Result<&'static ClassEntry, Failure> {
    objects::subclass_of(ce, Entity::get_metadata().ce(), YOURS)
}

/// Sends the request that `request` makes from the entity name of `ce` through `send`
/// ([`call::exchange`], or [`call::exchange_raw`] for answers that `engine/decode.rs`
/// reads), registering the schema of `ce` first if this connection has not.
pub fn exchange_for<T>(
    ce: &ClassEntry,
    request: impl FnOnce(&str) -> Result<wire::Request, Problem>,
    send: impl FnOnce(&[Registration<'_>], &[(&str, Value)]) -> Result<T, Failure>,
) -> Result<T, Failure> {
    // The class's own spelling (`Resident\query()` gets whatever the caller wrote): the
    // registry and its cache are keyed by it.
    let class = objects::class_name(ce);
    let schema = registry::entity(&class)?;
    let request = request(&schema.name)?;
    let needs = [Registration {
        class: &class,
        body: &schema.register,
    }];
    send(&needs, &request)
}

fn all() -> Result<ZBox<ZendHashTable>, Failure> {
    let ce = called_entity_class()?;
    let body = exchange_for(ce, |name| Ok(wire::all(name)), call::exchange_raw)?;
    decode::all(ce, &body)
}

fn find(id: &str) -> Result<Option<Zval>, Failure> {
    let ce = called_entity_class()?;
    let body = exchange_for(ce, |name| Ok(wire::find(name, id)), call::exchange_raw)?;
    decode::find(ce, &body)
}

fn count() -> Result<i64, Failure> {
    let ce = called_entity_class()?;
    let answer = exchange_for(ce, |name| Ok(wire::count(name)), call::exchange)?;
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
            "{class}::${} is not set to a string id: find() needs an entity whose id is set",
            schema.id_field
        ))
        .into()
    })
}

/// `Account::<method>(...$args)`: a builder for the called class, and its `<method>`
/// called with these arguments.
fn start(ex: &mut ExecuteData, retval: &mut Zval, method: Option<&str>) -> Result<(), Failure> {
    // Read before calling PHP: the called class lives in this call's frame.
    let ce = called_entity_class()?;
    builder::forward(ex, retval, ce, method)
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
fn entity_shortcuts(class: ClassBuilder) -> ClassBuilder {
    let field = || Arg::new("field", DataType::String);
    let values = || Arg::new("values", DataType::Iterable);
    let shortcuts = [
        FunctionBuilder::new("query", query_method).docs(QUERY_DOCS),
        FunctionBuilder::new("where", where_method)
            .docs(WHERE_DOCS)
            .arg(Arg::new("field", DataType::Mixed))
            .not_required()
            .arg(Arg::new("operator", DataType::Mixed).default("null"))
            .arg(Arg::new("value", DataType::Mixed).default("null")),
        FunctionBuilder::new("whereIn", where_in_method)
            .docs(&[" Starts a query of the called class: the field is one of the values."])
            .arg(field())
            .arg(values()),
        FunctionBuilder::new("whereNotIn", where_not_in_method)
            .docs(&[" Starts a query of the called class: the field is none of the values."])
            .arg(field())
            .arg(values()),
        FunctionBuilder::new("whereNull", where_null_method)
            .docs(&[" Starts a query of the called class: the field is null."])
            .arg(field()),
        FunctionBuilder::new("whereNotNull", where_not_null_method)
            .docs(&[" Starts a query of the called class: the field is not null."])
            .arg(field()),
        FunctionBuilder::new("orderBy", order_by_method)
            .docs(&[
                " Starts a query of the called class ordered by the field (ties broken by id).",
            ])
            .arg(field())
            .not_required()
            .arg(Arg::new("direction", DataType::String).default("'asc'")),
    ];
    shortcuts.into_iter().fold(class, |class, method| {
        class.method(
            method.returns(DataType::object(builder::CLASS), false, false),
            MethodFlags::Public | MethodFlags::Static,
        )
    })
}
