//! Answers straight into PHP values: the frame body is read with the streaming reader of
//! `cbor.rs` and every item becomes a zval at once — no intermediate value tree — and
//! entities are hydrated by writing the declared property slots of the called class.
//!
//! Hydration is PDO FETCH_CLASS's: the class is instantiated without its constructor
//! (property defaults apply), then each field the class declares as a public property is
//! written into that property's slot; other fields are skipped. The property lookups are
//! made once per class per answer (`fields::FieldCache`). A value that the declared type
//! takes as is (or an int for a float property, converted as PHP does) is written
//! directly; anything else goes through the engine's property write under the declaring
//! class's scope, which coerces it exactly as a PHP assignment would or throws the
//! engine's `TypeError` naming the property — an object is never left holding a value
//! its declared type refuses.

use std::mem::{offset_of, size_of};

use ext_php_rs::boxed::ZBox;
use ext_php_rs::ffi::{zend_object, zend_property_info, zval};
use ext_php_rs::types::{ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::ClassEntry;
use resident_protocol::Value;

use crate::client::cbor::{self, DecodeError, Item, Key, RawKey, Reader};
use crate::client::failure::{Failure, Problem};
use crate::client::fields::{self, FieldCache, Fit};
use crate::engine::convert;
use crate::engine::objects;

impl From<DecodeError> for Failure {
    fn from(e: DecodeError) -> Self {
        Problem::unreadable(e).into()
    }
}

fn table_error(e: ext_php_rs::error::Error) -> Failure {
    Problem::protocol(format!("cannot build a PHP array: {e}")).into()
}

/// Capacity asked for up front; larger arrays grow as they fill (a hostile length cannot
/// make us allocate far ahead of the bytes actually read).
fn capacity(n: usize) -> u32 {
    n.min(1 << 16) as u32
}

/// The PHP value of the next item.
pub fn value(r: &mut Reader<'_>, depth: usize) -> Result<Zval, Failure> {
    let item = r.next()?;
    build(item, r, depth)
}

/// The PHP value of `item` (its header already read at `depth`): maps become arrays.
pub fn build(item: Item<'_>, r: &mut Reader<'_>, depth: usize) -> Result<Zval, Failure> {
    let mut zv = Zval::new();
    match item {
        Item::Null => {}
        Item::Bool(b) => zv.set_bool(b),
        Item::Int(i) => zv.set_long(i),
        Item::Float(f) => zv.set_double(f),
        Item::Text(s) => zv.set_string(s, false).map_err(table_error)?,
        Item::Array(n) => {
            let depth = cbor::nest(depth, r.position())?;
            let mut ht = ZendHashTable::with_capacity(capacity(n));
            for _ in 0..n {
                ht.push(value(r, depth)?).map_err(table_error)?;
            }
            zv.set_hashtable(ht);
        }
        Item::Map(n) => {
            let depth = cbor::nest(depth, r.position())?;
            let mut ht = ZendHashTable::with_capacity(capacity(n));
            for _ in 0..n {
                let key = r.key()?;
                let v = value(r, depth)?;
                match key {
                    // `insert` turns numeric strings into integer keys, as PHP does.
                    Key::Text(k) => ht.insert(k, v),
                    Key::Int(i) => ht.insert_at_index(i, v),
                }
                .map_err(table_error)?;
            }
            zv.set_hashtable(ht);
        }
    }
    Ok(zv)
}

/// Calls `each(key, value header, reader)` for every text-keyed field of an answer map;
/// `each` must consume the value (build or skip it). Refuses trailing bytes.
fn answer_fields(
    body: &[u8],
    op: &str,
    mut each: impl FnMut(&str, Item<'_>, &mut Reader<'_>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut r = Reader::new(body);
    let Item::Map(n) = r.next()? else {
        return Err(Problem::protocol(format!("`{op}` answer is not a map")).into());
    };
    for _ in 0..n {
        let key = r.key()?;
        let item = r.next()?;
        match key {
            Key::Text(k) => each(k, item, &mut r)?,
            Key::Int(_) => r.skip_contents(item, 1)?,
        }
    }
    if !r.at_end() {
        return Err(Problem::protocol(format!(
            "`{op}` answer: {} bytes after the answer map",
            body.len() - r.position()
        ))
        .into());
    }
    Ok(())
}

/// `entities` of an answer (the list's header already read at depth 1), hydrated into `ce`.
fn entity_list(
    ce: &'static ClassEntry,
    item: Item<'_>,
    r: &mut Reader<'_>,
    op: &str,
) -> Result<ZBox<ZendHashTable>, Failure> {
    let Item::Array(n) = item else {
        return Err(Problem::protocol(format!("`{op}` answer: `entities` is not a list")).into());
    };
    let depth = cbor::nest(1, r.position())?;
    let mut hydrator = Hydrator::new(ce);
    let mut list = ZendHashTable::with_capacity(capacity(n));
    for _ in 0..n {
        let item = r.next()?;
        list.push(hydrator.entity(item, r, depth)?)
            .map_err(table_error)?;
    }
    Ok(list)
}

/// The `all` answer: its `entities`, as objects of `ce`.
pub fn all(ce: &'static ClassEntry, body: &[u8]) -> Result<ZBox<ZendHashTable>, Failure> {
    let mut out = None;
    answer_fields(body, "all", |key, item, r| {
        if key == "entities" {
            out = Some(entity_list(ce, item, r, "all")?);
            Ok(())
        } else {
            Ok(r.skip_contents(item, 1)?)
        }
    })?;
    out.ok_or_else(|| Problem::protocol("`all` answer lacks the field `entities`").into())
}

/// The `find` answer: its `entity` as an object of `ce`, or `None` for null.
pub fn find(ce: &'static ClassEntry, body: &[u8]) -> Result<Option<Zval>, Failure> {
    let mut out = None;
    answer_fields(body, "find", |key, item, r| {
        match (key, item) {
            ("entity", Item::Null) => out = Some(None),
            ("entity", item) => out = Some(Some(Hydrator::new(ce).entity(item, r, 1)?)),
            (_, item) => r.skip_contents(item, 1)?,
        }
        Ok(())
    })?;
    out.ok_or_else(|| Problem::protocol("`find` answer lacks the field `entity`").into())
}

/// The `query` answer without `id` and `ok`, with `entities` hydrated into `ce`.
pub fn query(ce: &'static ClassEntry, body: &[u8]) -> Result<Zval, Failure> {
    let mut out = ZendHashTable::with_capacity(4);
    answer_fields(body, "query", |key, item, r| {
        let value = match (key, item) {
            ("id" | "ok", item) => return Ok(r.skip_contents(item, 1)?),
            ("entities", item @ Item::Array(_)) => {
                let mut zv = Zval::new();
                zv.set_hashtable(entity_list(ce, item, r, "query")?);
                zv
            }
            (_, item) => build(item, r, 1)?,
        };
        out.insert(key, value).map_err(table_error)
    })?;
    let mut zv = Zval::new();
    zv.set_hashtable(out);
    Ok(zv)
}

/// An object of `ce` from an entity map already decoded (the aggregate states of `load`
/// and `commit` answers): every public property the class declares is set from the field
/// of the same name; fields the class does not declare are skipped.
pub fn state(ce: &'static ClassEntry, entity: &Value) -> Result<Zval, Failure> {
    Hydrator::new(ce).entity_of_value(entity)
}

/// Where a field goes in objects of the class being hydrated.
#[derive(Clone, Copy)]
struct Slot {
    info: &'static zend_property_info,
    /// Byte offset of the property's zval from the start of the object, when it is one of
    /// the class's default property slots (else writes take the engine's path).
    offset: Option<usize>,
}

/// Makes objects of one class from entity maps, remembering the property lookups.
struct Hydrator {
    ce: &'static ClassEntry,
    fields: FieldCache<Slot>,
}

impl Hydrator {
    fn new(ce: &'static ClassEntry) -> Self {
        Hydrator {
            ce,
            fields: FieldCache::new(),
        }
    }

    /// The slot of the public, non-static property `name` that `ce` declares.
    fn resolve(ce: &ClassEntry, name: &str) -> Option<Slot> {
        let info = objects::public_property(ce, name)?;
        let base = offset_of!(zend_object, properties_table);
        let size = size_of::<zval>();
        let count = usize::try_from(ce.default_properties_count).unwrap_or(0);
        let offset = info.offset as usize;
        let index = offset.saturating_sub(base) / size;
        let valid = offset >= base && base + index * size == offset && index < count;
        Some(Slot {
            info,
            offset: valid.then_some(offset),
        })
    }

    /// The slot for the `index`-th field, named `name` (its bytes as read).
    #[inline]
    fn slot(&mut self, index: usize, name: &[u8], at: usize) -> Result<Option<Slot>, Failure> {
        let ce = self.ce;
        self.fields
            .get(index, name, |name| Self::resolve(ce, name))
            .map_err(|_| {
                DecodeError {
                    offset: at,
                    reason: "text is not valid UTF-8",
                }
                .into()
            })
    }

    /// An object from the entity map whose header `item` was read at `depth`.
    fn entity(
        &mut self,
        item: Item<'_>,
        r: &mut Reader<'_>,
        depth: usize,
    ) -> Result<Zval, Failure> {
        let Item::Map(n) = item else {
            return Err(Problem::protocol("an entity in the answer is not a map").into());
        };
        let depth = cbor::nest(depth, r.position())?;
        let mut zv = objects::instantiate(self.ce)?;
        let obj = objects::made(&mut zv, self.ce)?;
        for i in 0..n {
            let at = r.position();
            let slot = match r.raw_key()? {
                RawKey::Text(name) => self.slot(i, name, at)?.map(|s| (s, name)),
                RawKey::Int(_) => None,
            };
            match slot {
                Some((slot, name)) => put(obj, slot, name, value(r, depth)?)?,
                None => r.skip(depth)?,
            }
        }
        Ok(zv)
    }

    /// An object from an entity map already decoded.
    fn entity_of_value(&mut self, entity: &Value) -> Result<Zval, Failure> {
        let mut zv = objects::instantiate(self.ce)?;
        let obj = objects::made(&mut zv, self.ce)?;
        if let Value::Map(entries) = entity {
            for (i, (k, v)) in entries.iter().enumerate() {
                let Some(name) = k.as_text() else { continue };
                if let Some(slot) = self.slot(i, name.as_bytes(), 0)? {
                    put(obj, slot, name.as_bytes(), convert::to_zval(v))?;
                }
            }
        }
        Ok(zv)
    }
}

/// Writes `value` into the property of `slot`, named `name` (UTF-8: a key only has a slot
/// once [`FieldCache::get`] checked it).
fn put(obj: &mut ZendObject, slot: Slot, name: &[u8], mut value: Zval) -> Result<(), Failure> {
    // SAFETY: the low byte of `type_info` is the zval's type code.
    let code = (unsafe { value.u1.type_info } & 0xff) as u8;
    let offset = match (fields::fit(slot.info.type_.type_mask, code), slot.offset) {
        (Fit::AsIs, Some(offset)) => offset,
        (Fit::AsFloat, Some(offset)) => {
            let i = value.long().unwrap_or_default();
            value.set_double(i as f64);
            offset
        }
        _ => {
            // SAFETY: a property info points at its declaring class, alive with the object's.
            let scope = unsafe { &*slot.info.ce.cast_const() };
            let name = std::str::from_utf8(name).unwrap_or_default();
            return objects::write_property(obj, scope, name, value);
        }
    };
    // SAFETY: `offset` was checked to be one of the class's property slots, and `obj` is
    // a fresh object of that class (`instantiate`), so the slot holds its default or is
    // undefined. The assignment releases what it held; the new zval's `u2` is 0, which
    // marks the property initialised, as the engine's own first write does. The type
    // check above is the one the engine makes (`Fit::AsIs` only when the declared type
    // includes the value's), and readonly properties may be initialised once, as here.
    unsafe {
        let p = std::ptr::from_mut(obj)
            .cast::<u8>()
            .add(offset)
            .cast::<Zval>();
        *p = value;
    }
    Ok(())
}
