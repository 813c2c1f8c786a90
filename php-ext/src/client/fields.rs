//! The pure half of hydration: which entity fields map to which property slots (looked up
//! once per class per answer), and whether a value fits a declared property type as is.
//!
//! No Zend symbols here; `engine/decode.rs` supplies the property lookups and does the
//! writes.

/// Type-mask bits of `zend_type` (`MAY_BE_*`, 1 << the zval type code), PHP 8.x. The
/// engine uses few of them; the tests spell out the rest.
#[allow(dead_code)]
pub mod may_be {
    pub const NULL: u32 = 1 << 1;
    pub const FALSE: u32 = 1 << 2;
    pub const TRUE: u32 = 1 << 3;
    pub const LONG: u32 = 1 << 4;
    pub const DOUBLE: u32 = 1 << 5;
    pub const STRING: u32 = 1 << 6;
    pub const ARRAY: u32 = 1 << 7;
    /// Every bit `ZEND_TYPE_IS_SET` looks at (`_ZEND_TYPE_MASK`): none set = untyped.
    pub const ANY_TYPE_BIT: u32 = (1 << 25) - 1;
}

/// Zval type codes (`IS_*`) of the values an answer can hold.
#[allow(dead_code)]
pub mod is {
    pub const NULL: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const TRUE: u8 = 3;
    pub const LONG: u8 = 4;
    pub const DOUBLE: u8 = 5;
    pub const STRING: u8 = 6;
    pub const ARRAY: u8 = 7;
}

/// What to do with a value of zval type `type_code` for a property whose `zend_type` has
/// the mask `type_mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The property accepts it unchanged (untyped, or the type includes the value's).
    AsIs,
    /// An int for a property that takes float but not int: PHP converts it, in strict
    /// mode too.
    AsFloat,
    /// Anything else: let the engine's property write decide (coercion or `TypeError`),
    /// exactly as a PHP assignment would.
    Engine,
}

pub fn fit(type_mask: u32, type_code: u8) -> Fit {
    if type_mask & may_be::ANY_TYPE_BIT == 0 {
        return Fit::AsIs;
    }
    if type_code < 32 && type_mask & (1u32 << type_code) != 0 {
        return Fit::AsIs;
    }
    if type_code == is::LONG && type_mask & may_be::DOUBLE != 0 {
        return Fit::AsFloat;
    }
    Fit::Engine
}

/// Field names of one answer's entities → what the class does with them (`None`: the
/// class declares no public property of that name, the field is skipped). Entities of one
/// answer share their keys, usually in the same order, so the `i`-th key is first
/// compared with the `i`-th remembered one.
pub struct FieldCache<T> {
    fields: Vec<(Box<[u8]>, Option<T>)>,
}

/// Most distinct field names remembered per answer; beyond that, lookups are not cached
/// (a hostile answer cannot grow the cache without bound).
pub const FIELDS_CACHED_MAX: usize = 256;

impl<T: Copy> Default for FieldCache<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy> FieldCache<T> {
    pub fn new() -> Self {
        FieldCache { fields: Vec::new() }
    }

    /// What `key`, the `index`-th key of an entity, maps to. `key` is the text's bytes as
    /// read: it is checked to be UTF-8 when it is new (a key equal to a remembered one is
    /// valid), then `resolve` is asked, once per distinct key.
    #[inline]
    pub fn get(
        &mut self,
        index: usize,
        key: &[u8],
        resolve: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, std::str::Utf8Error> {
        if let Some((k, t)) = self.fields.get(index) {
            if **k == *key {
                return Ok(*t);
            }
        }
        if let Some((_, t)) = self.fields.iter().find(|(k, _)| **k == *key) {
            return Ok(*t);
        }
        let t = resolve(std::str::from_utf8(key)?);
        if self.fields.len() < FIELDS_CACHED_MAX {
            self.fields.push((key.into(), t));
        }
        Ok(t)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.fields.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untyped_properties_take_anything() {
        for code in [
            is::NULL,
            is::FALSE,
            is::TRUE,
            is::LONG,
            is::DOUBLE,
            is::STRING,
            is::ARRAY,
        ] {
            assert_eq!(fit(0, code), Fit::AsIs);
        }
    }

    #[test]
    fn typed_properties_take_their_types_and_ints_as_floats() {
        let int = may_be::LONG;
        let float = may_be::DOUBLE;
        let nullable_string = may_be::STRING | may_be::NULL;
        let bool_ = may_be::FALSE | may_be::TRUE;
        assert_eq!(fit(int, is::LONG), Fit::AsIs);
        assert_eq!(fit(float, is::LONG), Fit::AsFloat);
        assert_eq!(fit(float | int, is::LONG), Fit::AsIs);
        assert_eq!(fit(may_be::STRING | float, is::LONG), Fit::AsFloat);
        assert_eq!(fit(float, is::DOUBLE), Fit::AsIs);
        assert_eq!(fit(nullable_string, is::NULL), Fit::AsIs);
        assert_eq!(fit(nullable_string, is::STRING), Fit::AsIs);
        assert_eq!(fit(bool_, is::TRUE), Fit::AsIs);
        assert_eq!(fit(may_be::TRUE, is::FALSE), Fit::Engine);
        // Mismatches go to the engine, which coerces ("5" → 5) or throws TypeError.
        assert_eq!(fit(int, is::STRING), Fit::Engine);
        assert_eq!(fit(int, is::DOUBLE), Fit::Engine);
        assert_eq!(fit(may_be::STRING, is::NULL), Fit::Engine);
        assert_eq!(fit(may_be::ARRAY, is::STRING), Fit::Engine);
        // A class type (name bit set, no scalar bits): everything goes to the engine.
        let class_type = 1 << 24;
        assert_eq!(fit(class_type, is::STRING), Fit::Engine);
        assert_eq!(fit(class_type | may_be::NULL, is::NULL), Fit::AsIs);
    }

    #[test]
    fn cache_resolves_each_key_once_whatever_the_order() {
        let mut cache = FieldCache::<u32>::new();
        let mut asked = Vec::new();
        let mut resolve = |k: &str| {
            asked.push(k.to_owned());
            (k != "extra").then_some(k.len() as u32)
        };
        for _ in 0..3 {
            for (i, k) in ["uuid", "name", "extra", "balance"].iter().enumerate() {
                let got = cache.get(i, k.as_bytes(), &mut resolve).unwrap();
                assert_eq!(got, (*k != "extra").then_some(k.len() as u32));
            }
        }
        // A different order and a missing key.
        assert_eq!(cache.get(0, b"balance", &mut resolve), Ok(Some(7)));
        assert_eq!(cache.get(1, b"uuid", &mut resolve), Ok(Some(4)));
        // A new key must be UTF-8; it is not remembered.
        assert!(cache.get(0, &[0xff], &mut resolve).is_err());
        assert_eq!(asked, ["uuid", "name", "extra", "balance"]);
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn cache_is_bounded() {
        let mut cache = FieldCache::<usize>::new();
        for i in 0..FIELDS_CACHED_MAX + 10 {
            let key = format!("f{i}");
            assert_eq!(cache.get(i, key.as_bytes(), |_| Some(i)), Ok(Some(i)));
        }
        assert_eq!(cache.len(), FIELDS_CACHED_MAX);
        let mut asked = 0;
        let key = format!("f{}", FIELDS_CACHED_MAX + 5);
        cache
            .get(0, key.as_bytes(), |_| {
                asked += 1;
                Some(0)
            })
            .unwrap();
        assert_eq!(asked, 1);
    }
}
