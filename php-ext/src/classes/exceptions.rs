//! `Resident\Exception\…`: the classes, and turning a [`Failure`] into a thrown object.
//!
//! The details (`errorCode()`, and the stream and versions of a conflict) live in
//! protected properties read by small native methods, so the objects stay ordinary PHP
//! exceptions (see `engine/fixup.rs`) that userland may also construct and extend.

use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::{DataType, MethodFlags, PropertyFlags};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::{ce, ClassEntry, ExecuteData};

use resident_protocol::error_code;

use crate::client::failure::{Failure, Kind, Problem};
use crate::engine::methods;
use crate::engine::objects;

/// SPL's RuntimeException, looked up in the compiler's class table: this runs in MINIT,
/// before the executor (and `ClassEntry::try_find`) has a class table.
fn runtime_exception() -> &'static ClassEntry {
    // SAFETY: MINIT runs single-threaded; the compiler's class table lives for the process.
    let table = unsafe {
        (*std::ptr::addr_of!(ext_php_rs::ffi::compiler_globals))
            .class_table
            .as_ref()
    }
    .expect("the class table exists in MINIT");
    let entry = table
        .get("runtimeexception")
        .expect("SPL registers RuntimeException before extensions load");
    // SAFETY: class table entries are pointers to class entries that live for the process.
    unsafe {
        entry
            .ptr::<ClassEntry>()
            .and_then(|p| p.cast_const().as_ref())
    }
    .expect("a class entry")
}

/// Base of every Resident exception; `errorCode()` is the stable wire code.
#[php_class]
#[php(name = "Resident\\Exception\\ResidentException")]
#[php(extends(ce = runtime_exception, stub = "\\RuntimeException"))]
#[php(modifier = resident_exception_members)]
pub struct ResidentException;

#[php_impl]
impl ResidentException {}

/// The socket is missing, refuses, times out, or the server refuses writes.
#[php_class]
#[php(name = "Resident\\Exception\\ConnectionException")]
#[php(extends(ResidentException))]
pub struct ConnectionException;

/// An expected stream version did not match: reload and retry.
#[php_class]
#[php(name = "Resident\\Exception\\ConcurrencyException")]
#[php(extends(ResidentException))]
#[php(modifier = concurrency_exception_members)]
pub struct ConcurrencyException;

#[php_class]
#[php(name = "Resident\\Exception\\NotFound")]
#[php(extends(ResidentException))]
pub struct NotFound;

#[php_class]
#[php(name = "Resident\\Exception\\SchemaException")]
#[php(extends(ResidentException))]
pub struct SchemaException;

/// The server or the client broke the protocol (malformed, too_large, unknown_op, internal).
#[php_class]
#[php(name = "Resident\\Exception\\ProtocolException")]
#[php(extends(ResidentException))]
pub struct ProtocolException;

/// The request was refused as invalid (bad_request) or too big (limit).
#[php_class]
#[php(name = "Resident\\Exception\\BadRequestException")]
#[php(extends(ResidentException))]
pub struct BadRequestException;

/// A query was refused: an unknown field, operator or direction, a value of the wrong
/// kind (checked by php-lib's `Resident\Query\Builder` before sending), or anything the
/// server's `bad_request`/`limit` answer to the `query` operation names.
#[php_class]
#[php(name = "Resident\\Exception\\QueryException")]
#[php(extends(BadRequestException))]
pub struct QueryException;

/// Every exception class, for `engine/fixup.rs`.
pub fn all_classes() -> [&'static ClassEntry; 8] {
    [
        ResidentException::get_metadata().ce(),
        ConnectionException::get_metadata().ce(),
        ConcurrencyException::get_metadata().ce(),
        NotFound::get_metadata().ce(),
        SchemaException::get_metadata().ce(),
        ProtocolException::get_metadata().ce(),
        BadRequestException::get_metadata().ce(),
        QueryException::get_metadata().ce(),
    ]
}

fn protected(name: &str, ty: DataType, default: fn() -> Zval, stub: &str) -> ClassProperty {
    ClassProperty {
        name: name.into(),
        flags: PropertyFlags::Protected,
        default: Some(Box::new(move || Ok(default()))),
        docs: &[],
        ty: Some(ty),
        nullable: true,
        readonly: false,
        default_stub: Some(stub.into()),
    }
}

/// Internal classes may only have non-refcounted defaults, so text properties start as
/// null and their getters answer "" for it.
fn empty_string() -> Zval {
    Zval::null()
}

fn zero() -> Zval {
    0i64.into_zval(true).expect("an int converts")
}

fn resident_exception_members(builder: ClassBuilder) -> ClassBuilder {
    builder
        .property(protected(
            "errorCode",
            DataType::String,
            empty_string,
            "null",
        ))
        .method(
            FunctionBuilder::new("errorCode", error_code).returns(DataType::String, false, false),
            MethodFlags::Public,
        )
}

fn concurrency_exception_members(builder: ClassBuilder) -> ClassBuilder {
    builder
        .property(protected("stream", DataType::String, empty_string, "null"))
        .property(protected("expectedVersion", DataType::Long, zero, "0"))
        .property(protected("actualVersion", DataType::Long, zero, "0"))
        .method(
            FunctionBuilder::new("stream", stream).returns(DataType::String, false, false),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("expectedVersion", expected_version).returns(
                DataType::Long,
                false,
                false,
            ),
            MethodFlags::Public,
        )
        .method(
            FunctionBuilder::new("actualVersion", actual_version).returns(
                DataType::Long,
                false,
                false,
            ),
            MethodFlags::Public,
        )
}

fn getter(
    ex: &mut ExecuteData,
    retval: &mut Zval,
    scope: &ClassEntry,
    name: &str,
) -> Result<(), Failure> {
    let this = methods::this(ex)?;
    match objects::read_property(this, scope, name) {
        Some(v) if !v.is_null() => *retval = v.shallow_clone(),
        // Thrown by php-lib's query builder, which cannot set the code: a query refused
        // on this side is the same refusal the server would have answered.
        _ if name == "errorCode" && this.instance_of(QueryException::get_metadata().ce()) => {
            let _ = retval.set_string(error_code::BAD_REQUEST, false);
        }
        _ if name == "stream" || name == "errorCode" => {
            let _ = retval.set_string("", false);
        }
        _ => retval.set_long(0),
    }
    Ok(())
}

methods::native!(error_code, |ex, retval| getter(
    ex,
    retval,
    ResidentException::get_metadata().ce(),
    "errorCode"
));
methods::native!(stream, |ex, retval| getter(
    ex,
    retval,
    ConcurrencyException::get_metadata().ce(),
    "stream"
));
methods::native!(expected_version, |ex, retval| getter(
    ex,
    retval,
    ConcurrencyException::get_metadata().ce(),
    "expectedVersion"
));
methods::native!(actual_version, |ex, retval| getter(
    ex,
    retval,
    ConcurrencyException::get_metadata().ce(),
    "actualVersion"
));

fn class_for(kind: Kind) -> &'static ClassEntry {
    match kind {
        Kind::Connection => ConnectionException::get_metadata().ce(),
        Kind::Concurrency => ConcurrencyException::get_metadata().ce(),
        Kind::NotFound => NotFound::get_metadata().ce(),
        Kind::Schema => SchemaException::get_metadata().ce(),
        Kind::Protocol => ProtocolException::get_metadata().ce(),
        Kind::BadRequest => BadRequestException::get_metadata().ce(),
        Kind::Query => QueryException::get_metadata().ce(),
    }
}

/// Builds the exception object. Made through the class's own `create_object`
/// (`zend_default_exception_new` after the fixup), so file, line and trace are the caller's.
fn build(p: &Problem) -> Result<Zval, Failure> {
    let mut obj = ZendObject::new(class_for(p.kind));
    set(&mut obj, ce::exception(), "message", p.message.as_str())?;
    let base = ResidentException::get_metadata().ce();
    set(&mut obj, base, "errorCode", p.code.as_str())?;
    if let Some(c) = &p.conflict {
        let scope = ConcurrencyException::get_metadata().ce();
        set(&mut obj, scope, "stream", c.stream.as_str())?;
        set(&mut obj, scope, "expectedVersion", c.expected)?;
        set(&mut obj, scope, "actualVersion", c.actual)?;
    }
    obj.into_zval(false).map_err(|_| Failure::PhpPending)
}

/// Writes the property `name` that `scope` declares.
fn set(
    obj: &mut ZendObject,
    scope: &ClassEntry,
    name: &str,
    value: impl IntoZval,
) -> Result<(), Failure> {
    let value = value.into_zval(false).map_err(|_| Failure::PhpPending)?;
    objects::write_property(obj, scope, name, value)
}

impl From<Failure> for PhpException {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Problem(p) => {
                let class = class_for(p.kind);
                let ex = PhpException::new(p.message.clone(), 0, class);
                match build(&p) {
                    Ok(obj) => ex.with_object(obj),
                    Err(_) => ex,
                }
            }
            // Already pending: `throw()` leaves the engine's exception in flight.
            Failure::PhpPending => PhpException::from_message("pending".into()),
        }
    }
}
