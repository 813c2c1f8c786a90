//! `Resident\AggregateRoot`: uuid, stream version and state of one aggregate, and the
//! commits of its events.
//!
//! The uuid, version, state and recorded events live in private properties of the base
//! class (so `var_dump` shows them and subclasses cannot clash with them); objects are
//! made natively by `create()`/`find()`, never by `new`.

use std::rc::Rc;

use ext_php_rs::args::Arg;
use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::flags::{ClassFlags, DataType, MethodFlags, PropertyFlags};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ClassEntry, ExecuteData};
use resident_protocol::Value;

use crate::classes::entity::{self, Entity};
use crate::classes::event::{self, Event};
use crate::client::failure::{Failure, Problem};
use crate::client::process::Registration;
use crate::client::schema::{AggregateSchema, EventSchema};
use crate::client::wire::{self, NewEvent};
use crate::engine::call;
use crate::engine::decode;
use crate::engine::methods::{self, native};
use crate::engine::objects;
use crate::engine::registry;

#[php_class]
#[php(name = "Resident\\AggregateRoot")]
#[php(flags = ClassFlags::Abstract)]
#[php(modifier = aggregate_members)]
pub struct AggregateRoot;

#[php_impl]
impl AggregateRoot {
    /// Always refuses: aggregates are made by `create()` and `find()`.
    pub fn __construct() -> PhpResult<Self> {
        let class = objects::called_class()
            .map(objects::class_name)
            .unwrap_or_default();
        Err(PhpException::from_class::<
            crate::classes::exceptions::BadRequestException,
        >(format!(
            "{class} cannot be made with new: use {class}::create() or {class}::find()"
        )))
    }

    /// A new aggregate with this uuid (a random v4 uuid by default), at version 0.
    pub fn create(uuid: Option<String>) -> PhpResult<Zval> {
        Ok(create(uuid)?)
    }

    /// Loads the aggregate with this uuid (or this state entity's id).
    pub fn find(uuid_or_state: &Zval) -> PhpResult<Zval> {
        Ok(find(uuid_or_state)?)
    }
}

const UUID: &str = "uuid";
const VERSION: &str = "version";
const STATE: &str = "state";
const RECORDED: &str = "recorded";

fn root_ce() -> &'static ClassEntry {
    AggregateRoot::get_metadata().ce()
}

fn private(name: &str, default: fn() -> Zval, stub: &str) -> ClassProperty {
    ClassProperty {
        name: name.into(),
        flags: PropertyFlags::Private,
        default: Some(Box::new(move || Ok(default()))),
        docs: &[],
        ty: None,
        nullable: true,
        readonly: false,
        default_stub: Some(stub.into()),
    }
}

fn aggregate_members(builder: ClassBuilder) -> ClassBuilder {
    let event_arg = || Arg::new("event", DataType::object("Resident\\Event"));
    let this_type = DataType::object("Resident\\AggregateRoot");
    builder
        .property(private(UUID, Zval::null, "null"))
        .property(private(VERSION, || 0i64.into_zval(true).expect("int"), "0"))
        .property(private(STATE, Zval::null, "null"))
        .property(private(RECORDED, Zval::null, "null"))
        .method(
            FunctionBuilder::new("event", event_method)
                .arg(event_arg())
                .returns(this_type, false, false),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("record", record_method)
                .arg(event_arg())
                .returns(this_type, false, false),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("persist", persist_method).returns(this_type, false, false),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("uuid", uuid_method).returns(DataType::String, false, false),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("version", version_method).returns(DataType::Long, false, false),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("state", state_method).returns(
                DataType::object("Resident\\Entity"),
                false,
                true,
            ),
            MethodFlags::Public,
        )
}

fn set(obj: &mut ZendObject, name: &str, value: impl IntoZval) -> Result<(), Failure> {
    let value = value.into_zval(false).map_err(|_| Failure::PhpPending)?;
    objects::write_property(obj, root_ce(), name, value)
}

fn get<'a>(obj: &'a ZendObject, name: &str) -> Option<&'a Zval> {
    objects::read_property(obj, root_ce(), name)
}

/// The uuid, or the "made with new" error.
fn uuid_of(obj: &ZendObject) -> Result<String, Failure> {
    match get(obj, UUID).and_then(Zval::str) {
        Some(uuid) => Ok(uuid.to_owned()),
        None => {
            let class = objects::class_name(obj.get_class_entry());
            Err(Problem::bad_request(format!(
                "this {class} was not made by {class}::create() or {class}::find(); aggregates \
                 cannot be made with new"
            ))
            .into())
        }
    }
}

fn version_of(obj: &ZendObject) -> i64 {
    get(obj, VERSION).and_then(Zval::long).unwrap_or(0)
}

fn schema_of(ce: &ClassEntry) -> Result<Rc<AggregateSchema>, Failure> {
    registry::aggregate(&objects::class_name(ce))
}

/// An aggregate class other than `Resident\AggregateRoot` itself.
fn called_aggregate_class() -> Result<&'static ClassEntry, Failure> {
    objects::called_subclass_of(
        root_ce(),
        "aggregate class (e.g. App\\AccountAggregateRoot::create())",
    )
}

fn create(uuid: Option<String>) -> Result<Zval, Failure> {
    let ce = called_aggregate_class()?;
    let uuid = match uuid {
        Some(u) if u.is_empty() => {
            return Err(Problem::bad_request(
                "an aggregate uuid cannot be empty: pass one, or none for a random uuid",
            )
            .into())
        }
        Some(u) => u,
        None => wire::new_uuid(),
    };
    let mut zv = objects::instantiate(ce)?;
    let obj = objects::made(&mut zv, ce)?;
    set(obj, UUID, text(&uuid)?)?;
    Ok(zv)
}

fn find(uuid_or_state: &Zval) -> Result<Zval, Failure> {
    let ce = called_aggregate_class()?;
    let key = key_of(uuid_or_state)?;
    let schema = schema_of(ce)?;
    let (version, state) = load(ce, &schema, &key)?;
    let mut zv = objects::instantiate(ce)?;
    let obj = objects::made(&mut zv, ce)?;
    set(obj, UUID, text(&key)?)?;
    set(obj, VERSION, version)?;
    set(obj, STATE, state)?;
    Ok(zv)
}

/// The uuid `find()` was given, or the id of the state entity it was given.
fn key_of(uuid_or_state: &Zval) -> Result<String, Failure> {
    if let Some(s) = uuid_or_state.zend_str() {
        return match s.as_str() {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(Problem::bad_request(
                "find() got a uuid that is not valid UTF-8; uuids are text: check where it \
                 came from",
            )
            .into()),
        };
    }
    match uuid_or_state
        .object()
        .filter(|o| o.instance_of(Entity::get_metadata().ce()))
    {
        Some(state) => entity::id_of(state),
        None => {
            Err(Problem::bad_request("find() takes a uuid string or a Resident\\Entity").into())
        }
    }
}

/// The version and state of the aggregate `key` (`load`); an aggregate at version 0 has
/// no events, so it is not found.
fn load(ce: &ClassEntry, schema: &AggregateSchema, key: &str) -> Result<(i64, Zval), Failure> {
    let class = objects::class_name(ce);
    let needs = [Registration {
        class: &class,
        body: &schema.register,
    }];
    let answer = call::exchange(
        &needs,
        &wire::load(&schema.name, key, schema.state.as_deref()),
    )?;
    let version = wire::field(&answer, "version", "load")?
        .as_integer()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| Problem::protocol("`load` answer: `version` is not an integer"))?;
    if version == 0 {
        return Err(Problem::not_found(format!("No {} with uuid {key}", schema.name)).into());
    }
    let state = match wire::field(&answer, "state", "load") {
        Ok(Value::Null) | Err(_) => Zval::null(),
        Ok(state) => hydrate_state(schema, state)?,
    };
    Ok((version, state))
}

fn text(s: &str) -> Result<Zval, Failure> {
    s.into_zval(false)
        .map_err(|e| Problem::bad_request(e.to_string()).into())
}

fn hydrate_state(schema: &AggregateSchema, state: &Value) -> Result<Zval, Failure> {
    let class = schema.state_class.as_deref().ok_or_else(|| {
        Problem::php_lib(format!(
            "Registry::aggregate() names state {:?} but no state_class",
            schema.state
        ))
    })?;
    let ce = objects::find_class(class).ok_or_else(|| {
        Problem::schema(format!(
            "state class {class} of {} is not loaded: check that the autoloader finds it",
            schema.name
        ))
    })?;
    decode::state(ce, state)
}

/// An event object turned into what `commit` sends, plus its schema to register.
fn to_wire(event: &ZendObject, id: String) -> Result<(NewEvent, Rc<EventSchema>, String), Failure> {
    let class = objects::class_name(event.get_class_entry());
    let schema = registry::event(&class)?;
    let data = event::data_of(event)?;
    Ok((
        NewEvent {
            id,
            kind: schema.name.clone(),
            data,
        },
        schema,
        class,
    ))
}

/// Commits `events` to this aggregate's stream at its current version, then takes the new
/// version and state from the answer.
fn commit(this: &mut ZendObject, events: Vec<(String, &ZendObject)>) -> Result<(), Failure> {
    let uuid = uuid_of(this)?;
    let ce = this.get_class_entry();
    let schema = schema_of(ce)?;
    let aggregate_class = objects::class_name(ce);
    let mut wired = Vec::with_capacity(events.len());
    let mut event_schemas = Vec::with_capacity(events.len());
    for (id, event) in events {
        let (new_event, event_schema, class) = to_wire(event, id)?;
        wired.push(new_event);
        event_schemas.push((class, event_schema));
    }
    let mut needs = vec![Registration {
        class: &aggregate_class,
        body: &schema.register,
    }];
    needs.extend(event_schemas.iter().map(|(class, s)| Registration {
        class,
        body: &s.register,
    }));
    let request = wire::commit(&schema.name, &uuid, version_of(this), wired);
    let answer = call::exchange(&needs, &request)?;
    let version = wire::committed_version(&answer, &wire::stream_name(&schema.name, &uuid))?;
    set(this, VERSION, version)?;
    if let Some(state_entity) = &schema.state {
        match wire::committed_entity(&answer, state_entity, &uuid) {
            None => {}
            Some(Value::Null) => set(this, STATE, Zval::null())?,
            Some(state) => {
                let state = hydrate_state(&schema, state)?;
                set(this, STATE, state)?;
            }
        }
    }
    Ok(())
}

fn event_arg(ex: &mut ExecuteData) -> Result<Zval, Failure> {
    let mut arg = Arg::new("event", DataType::object("Resident\\Event"));
    ex.parser()
        .arg(&mut arg)
        .parse()
        .map_err(|_| Failure::PhpPending)?;
    let zv = arg
        .zval()
        .map(|z| z.shallow_clone())
        .ok_or(Failure::PhpPending)?;
    match zv.object() {
        Some(o) if o.instance_of(Event::get_metadata().ce()) => Ok(zv),
        _ => Err(not_an_event()),
    }
}

fn not_an_event() -> Failure {
    Problem::bad_request("the argument must be a Resident\\Event").into()
}

fn return_this(retval: &mut Zval, this: &mut ZendObject) {
    retval.set_object(this);
}

native!(event_method, |ex, retval| (|| {
    let event = event_arg(ex)?;
    let this = methods::this(ex)?;
    let event = event.object().ok_or_else(not_an_event)?;
    commit(this, vec![(wire::new_uuid(), event)])?;
    return_this(retval, this);
    Ok(())
})());

native!(record_method, |ex, retval| (|| {
    let event = event_arg(ex)?;
    let this = methods::this(ex)?;
    uuid_of(this)?;
    // The event id is fixed now, so that a persist() retried after a failure cannot
    // append the same event twice.
    let mut pair = ZendHashTable::new();
    pair.insert("id", wire::new_uuid())
        .map_err(|_| Failure::PhpPending)?;
    pair.insert("event", event)
        .map_err(|_| Failure::PhpPending)?;
    let mut list = ZendHashTable::new();
    if let Some(old) = get(this, RECORDED).and_then(Zval::array) {
        for (_, v) in objects::entries(old) {
            list.push(v.shallow_clone())
                .map_err(|_| Failure::PhpPending)?;
        }
    }
    list.push(pair).map_err(|_| Failure::PhpPending)?;
    let mut zv = Zval::new();
    zv.set_hashtable(list);
    set(this, RECORDED, zv)?;
    return_this(retval, this);
    Ok(())
})());

native!(persist_method, |ex, retval| (|| {
    let this = methods::this(ex)?;
    let recorded = get(this, RECORDED)
        .map(Zval::shallow_clone)
        .unwrap_or_else(Zval::new_array);
    let mut events = Vec::new();
    if let Some(list) = recorded.array() {
        for (_, pair) in objects::entries(list) {
            let id = pair
                .array()
                .and_then(|p| p.get("id"))
                .and_then(Zval::str)
                .map(str::to_owned);
            let event = pair
                .array()
                .and_then(|p| p.get("event"))
                .and_then(Zval::object);
            if let (Some(id), Some(event)) = (id, event) {
                events.push((id, event));
            }
        }
    }
    if !events.is_empty() {
        commit(this, events)?;
        // Cleared only now: a failed commit keeps the events for another persist().
        set(this, RECORDED, Zval::new_array())?;
    }
    return_this(retval, this);
    Ok(())
})());

native!(uuid_method, |ex, retval| (|| {
    let this = methods::this(ex)?;
    *retval = text(&uuid_of(this)?)?;
    Ok(())
})());

native!(version_method, |ex, retval| (|| {
    let this = methods::this(ex)?;
    uuid_of(this)?;
    retval.set_long(version_of(this));
    Ok(())
})());

native!(state_method, |ex, retval| (|| {
    let this = methods::this(ex)?;
    uuid_of(this)?;
    *retval = get(this, STATE)
        .map(Zval::shallow_clone)
        .unwrap_or_else(Zval::null);
    Ok(())
})());
