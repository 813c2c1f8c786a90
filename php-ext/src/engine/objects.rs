//! Zend object plumbing: the called class, instantiation without a constructor,
//! declared-property lookups and writes under the declaring class's scope.

use ext_php_rs::convert::IntoZval;
use ext_php_rs::ffi::zend_property_info;
use ext_php_rs::flags::{ClassFlags, PropertyFlags};
use ext_php_rs::types::{ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ClassEntry, ExecutorGlobals};

use crate::client::failure::{Failure, Problem};

/// The class a static method was called on (`Account::all()` → `App\Account`): the
/// engine keeps it in the current frame's `This` (C's `Z_CE(EX(This))`), or the object
/// when the call came through an instance.
pub fn called_class() -> Option<&'static ClassEntry> {
    let eg = ExecutorGlobals::get();
    // SAFETY: during a call the engine keeps the current frame alive and valid.
    let ex = unsafe { eg.current_execute_data.as_ref() }?;
    if let Some(obj) = ex.This.object() {
        return Some(obj.get_class_entry());
    }
    // SAFETY: for a static call `This` holds the called scope in its value.
    unsafe { ex.This.value.ce.cast_const().as_ref() }
}

/// `ce` if it is a proper subclass of `base`, one of our abstract base classes; else the
/// refusal "call this on your `yours`, not on …".
pub fn subclass_of(
    ce: &'static ClassEntry,
    base: &ClassEntry,
    yours: &str,
) -> Result<&'static ClassEntry, Failure> {
    if std::ptr::eq(ce, base) || !ce.instance_of(base) {
        return Err(Problem::bad_request(format!(
            "call this on your {yours}, not on {}",
            class_name(ce)
        ))
        .into());
    }
    Ok(ce)
}

/// [`called_class`], a proper subclass of `base` (see [`subclass_of`]).
pub fn called_subclass_of(base: &ClassEntry, yours: &str) -> Result<&'static ClassEntry, Failure> {
    let ce = called_class().ok_or_else(|| {
        Problem::bad_request(format!(
            "could not tell which class this was called on: call it on your {yours}"
        ))
    })?;
    subclass_of(ce, base, yours)
}

pub fn class_name(ce: &ClassEntry) -> String {
    ce.name().unwrap_or("?").to_owned()
}

/// Finds (and autoloads) a class by name.
pub fn find_class(name: &str) -> Option<&'static ClassEntry> {
    ClassEntry::try_find(name)
}

/// Runs `f` as if code of `scope` were executing, so that private, protected and readonly
/// properties of `scope` can be written — what C's `zend_update_property` does.
pub fn in_scope<T>(scope: &ClassEntry, f: impl FnOnce() -> T) -> T {
    let old = {
        let mut eg = ExecutorGlobals::get_mut();
        std::mem::replace(&mut eg.fake_scope, std::ptr::from_ref(scope).cast_mut())
    };
    let out = f();
    ExecutorGlobals::get_mut().fake_scope = old;
    out
}

pub fn pending() -> bool {
    ExecutorGlobals::has_exception()
}

/// Creates an object of `ce` without running its constructor; userland property defaults
/// are still applied (as PDO's FETCH_CLASS does). Returns the owning zval.
pub fn instantiate(ce: &'static ClassEntry) -> Result<Zval, Failure> {
    let not_instantiable =
        ClassFlags::Abstract | ClassFlags::Interface | ClassFlags::Trait | ClassFlags::Enum;
    if ce.flags().intersects(not_instantiable) {
        return Err(Problem::bad_request(format!(
            "{} cannot be instantiated (abstract, interface, trait or enum): call the method on \
             your concrete class, e.g. App\\Account::all()",
            class_name(ce)
        ))
        .into());
    }
    if ce.flags().contains(ClassFlags::ConstantsUpdated) {
        return ZendObject::new(ce)
            .into_zval(false)
            .map_err(|e| cannot_make(ce, &e.to_string()));
    }
    // Property defaults that are constant expressions still need evaluating; Reflection
    // makes the engine do it (the fast path above is taken once it has).
    let reflection = find_class("ReflectionClass").ok_or_else(|| {
        Problem::schema("PHP's Reflection is missing: Resident needs it to make entity objects")
    })?;
    let r = ZendObject::new(reflection);
    let name = class_name(ce);
    r.try_call_method("__construct", vec![&name])
        .map_err(|_| Failure::PhpPending)?;
    let made = r
        .try_call_method("newInstanceWithoutConstructor", vec![])
        .map_err(|_| Failure::PhpPending)?;
    if made.is_object() {
        Ok(made)
    } else {
        Err(Failure::PhpPending)
    }
}

/// The object in `zv`, which [`instantiate`] made of `ce`.
pub fn made<'a>(zv: &'a mut Zval, ce: &ClassEntry) -> Result<&'a mut ZendObject, Failure> {
    zv.object_mut()
        .ok_or_else(|| cannot_make(ce, "the engine gave no object"))
}

fn cannot_make(ce: &ClassEntry, why: &str) -> Failure {
    Problem::schema(format!(
        "could not make an object of {} ({why}); this is a bug of the extension: report it",
        class_name(ce)
    ))
    .into()
}

/// The declared, non-static property `name` of `ce` if it is public.
pub fn public_property(ce: &ClassEntry, name: &str) -> Option<&'static zend_property_info> {
    let info = property_info(ce, name)?;
    let flags = PropertyFlags::from_bits_truncate(info.flags);
    (flags.contains(PropertyFlags::Public) && !flags.contains(PropertyFlags::Static))
        .then_some(info)
}

fn property_info(ce: &ClassEntry, name: &str) -> Option<&'static zend_property_info> {
    let zv = ce.properties_info.get(name)?;
    // SAFETY: `properties_info` holds pointers to property infos that live as long as the class.
    unsafe {
        zv.ptr::<zend_property_info>()
            .and_then(|p| p.cast_const().as_ref())
    }
}

/// Names of the public, non-static declared properties of `ce`, in declaration order; a
/// name that is not UTF-8 (a Latin-1 source file) is the error, as its bytes.
pub fn public_property_names(ce: &ClassEntry) -> Result<Vec<String>, Vec<u8>> {
    let mut names = Vec::new();
    for (key, zv) in entries(&ce.properties_info) {
        // SAFETY: as in `property_info`.
        let Some(info) = (unsafe {
            zv.ptr::<zend_property_info>()
                .and_then(|p| p.cast_const().as_ref())
        }) else {
            continue;
        };
        let flags = PropertyFlags::from_bits_truncate(info.flags);
        if flags.contains(PropertyFlags::Public) && !flags.contains(PropertyFlags::Static) {
            let Some(name) = key.zend_str() else { continue };
            match name.as_str() {
                Ok(name) => names.push(name.to_owned()),
                Err(_) => return Err(name.as_bytes().to_vec()),
            }
        }
    }
    Ok(names)
}

/// The entries of `ht` in order, each key as a zval (an int or a string). Unlike
/// ext-php-rs's `iter()` and `values()`, which panic on a string key that is not UTF-8.
pub fn entries(ht: &ZendHashTable) -> impl Iterator<Item = (Zval, &Zval)> {
    let mut iter = ht.iter();
    std::iter::from_fn(move || iter.next_zval())
}

/// Writes a property as code of the declaring class would, so readonly properties can be
/// initialised. A failed type check leaves a PHP `TypeError` pending.
pub fn write_property(
    obj: &mut ZendObject,
    scope: &ClassEntry,
    name: &str,
    value: Zval,
) -> Result<(), Failure> {
    in_scope(scope, || obj.set_property(name, value)).map_err(|_| Failure::PhpPending)?;
    if pending() {
        return Err(Failure::PhpPending);
    }
    Ok(())
}

/// Reads a public property straight from the object's property table. Unlike
/// `ZendObject::get_property` (a write-mode fetch) this works on readonly properties and
/// enum cases. `None` for a missing or uninitialized property.
pub fn read_public<'a>(obj: &'a ZendObject, name: &str) -> Option<&'a Zval> {
    let zv = obj.get_properties().ok()?.get(name)?;
    let zv = zv.indirect().unwrap_or(zv);
    (zv.get_type() != ext_php_rs::flags::DataType::Undef).then_some(zv)
}

pub fn read_property<'a>(obj: &'a ZendObject, scope: &ClassEntry, name: &str) -> Option<&'a Zval> {
    in_scope(scope, || obj.get_property::<&Zval>(name).ok())
}
