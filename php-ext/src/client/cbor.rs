//! A streaming reader of the CBOR residentd answers with, for building PHP values straight
//! from the frame bytes (no intermediate value tree).
//!
//! It reads exactly the data model (PROTOCOL.md): maps, arrays, text, integers, floats
//! (half, single, double), booleans and null, all of definite length. Anything else —
//! indefinite lengths, byte strings, tags, undefined, other simple values, truncated or
//! reserved headers, invalid UTF-8 — is a [`DecodeError`], never a panic. A declared
//! length is checked against the bytes left before anything is sized by it (every item
//! takes at least one byte), and nesting is limited to [`DEPTH_MAX`].
//!
//! No Zend symbols here: `engine/decode.rs` turns [`Item`]s into zvals.

use std::fmt;

/// Deepest nesting of arrays and maps accepted in an answer (the answer map itself is
/// level 1). Stored values nest far less; this only bounds recursion on hostile input.
pub const DEPTH_MAX: usize = 64;

/// One data item's header, with its payload for scalars and text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    Null,
    Bool(bool),
    /// An integer in PHP's range; larger ones come as [`Item::Float`], the closest value
    /// PHP can hold (the server's data model never stores them).
    Int(i64),
    Float(f64),
    Text(&'a str),
    /// An array of this many items, which follow.
    Array(usize),
    /// A map of this many key/value pairs, which follow.
    Map(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset of the offending item in the frame body.
    pub offset: usize,
    pub reason: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.reason, self.offset)
    }
}

impl std::error::Error for DecodeError {}

pub type Result<T> = std::result::Result<T, DecodeError>;

/// The nesting level inside a container entered at `depth`, or an error past [`DEPTH_MAX`].
pub fn nest(depth: usize, offset: usize) -> Result<usize> {
    if depth >= DEPTH_MAX {
        return Err(DecodeError {
            offset,
            reason: "arrays and maps nest too deeply",
        });
    }
    Ok(depth + 1)
}

pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn error(&self, offset: usize, reason: &'static str) -> DecodeError {
        DecodeError { offset, reason }
    }

    /// `n` bytes, or an error naming the item that started at `start`.
    #[inline]
    fn take(&mut self, n: usize, start: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(start, "truncated item"));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[inline]
    fn be<const N: usize>(&mut self, start: usize) -> Result<[u8; N]> {
        let s = self.take(N, start)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// The argument of a header whose additional information is `info` (RFC 8949 §3).
    #[inline(always)]
    fn argument(&mut self, info: u8, start: usize) -> Result<u64> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.be::<1>(start)?[0]),
            25 => u64::from(u16::from_be_bytes(self.be(start)?)),
            26 => u64::from(u32::from_be_bytes(self.be(start)?)),
            27 => u64::from_be_bytes(self.be(start)?),
            31 => {
                return Err(self.error(start, "indefinite-length items are not accepted"));
            }
            _ => return Err(self.error(start, "reserved header value")),
        })
    }

    /// A count of items that each take at least `per_item` bytes, checked against what is
    /// left so that nothing is ever sized by an impossible length.
    #[inline]
    fn count(&self, n: u64, per_item: usize, start: usize) -> Result<usize> {
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() / per_item => Ok(n),
            _ => Err(self.error(start, "length exceeds the frame")),
        }
    }

    /// Reads the next item's header (and the payload of scalars and text).
    #[inline(always)]
    pub fn next(&mut self) -> Result<Item<'a>> {
        let start = self.pos;
        let initial = self.take(1, start)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        match major {
            0 => {
                let n = self.argument(info, start)?;
                Ok(i64::try_from(n).map_or(Item::Float(n as f64), Item::Int))
            }
            1 => {
                let n = self.argument(info, start)?;
                // -1 - n; i64::MIN is -1 - i64::MAX.
                Ok(i64::try_from(n).map_or(Item::Float(-1.0 - n as f64), |n| Item::Int(-1 - n)))
            }
            2 => Err(self.error(start, "byte strings are not part of the data model")),
            3 => {
                let n = self.argument(info, start)?;
                let len = self.count(n, 1, start)?;
                let bytes = self.take(len, start)?;
                std::str::from_utf8(bytes)
                    .map(Item::Text)
                    .map_err(|_| self.error(start, "text is not valid UTF-8"))
            }
            4 => {
                let n = self.argument(info, start)?;
                Ok(Item::Array(self.count(n, 1, start)?))
            }
            5 => {
                let n = self.argument(info, start)?;
                Ok(Item::Map(self.count(n, 2, start)?))
            }
            6 => Err(self.error(start, "tags are not part of the data model")),
            _ => match info {
                20 => Ok(Item::Bool(false)),
                21 => Ok(Item::Bool(true)),
                22 => Ok(Item::Null),
                25 => Ok(Item::Float(f16_to_f64(u16::from_be_bytes(self.be(start)?)))),
                26 => Ok(Item::Float(f64::from(f32::from_be_bytes(self.be(start)?)))),
                27 => Ok(Item::Float(f64::from_be_bytes(self.be(start)?))),
                31 => Err(self.error(
                    start,
                    "unexpected break (indefinite lengths are not accepted)",
                )),
                _ => Err(self.error(start, "simple value outside the data model")),
            },
        }
    }

    /// Reads a map key: text, or an integer (PHP arrays with integer keys).
    #[inline]
    pub fn key(&mut self) -> Result<Key<'a>> {
        let start = self.pos;
        match self.next()? {
            Item::Text(s) => Ok(Key::Text(s)),
            Item::Int(i) => Ok(Key::Int(i)),
            _ => Err(self.error(start, "map key is neither text nor an integer")),
        }
    }

    /// Reads a map key like [`Reader::key`], but leaves text keys unvalidated: for keys
    /// that are compared with known (valid) ones first, and validated only when new.
    #[inline(always)]
    pub fn raw_key(&mut self) -> Result<RawKey<'a>> {
        let start = self.pos;
        match self.bytes.get(start) {
            Some(&initial) if initial >> 5 == 3 => {
                self.pos += 1;
                let n = self.argument(initial & 0x1f, start)?;
                let len = self.count(n, 1, start)?;
                Ok(RawKey::Text(self.take(len, start)?))
            }
            _ => match self.key()? {
                Key::Text(s) => Ok(RawKey::Text(s.as_bytes())),
                Key::Int(i) => Ok(RawKey::Int(i)),
            },
        }
    }

    /// Skips one whole value.
    pub fn skip(&mut self, depth: usize) -> Result<()> {
        let item = self.next()?;
        self.skip_contents(item, depth)
    }

    /// Skips what follows the header `item` (read at `depth`): the items of an array, the
    /// entries of a map; nothing for scalars and text.
    pub fn skip_contents(&mut self, item: Item<'_>, depth: usize) -> Result<()> {
        let n = match item {
            Item::Array(n) => n,
            Item::Map(n) => n * 2,
            _ => return Ok(()),
        };
        let depth = nest(depth, self.pos)?;
        for _ in 0..n {
            self.skip(depth)?;
        }
        Ok(())
    }
}

/// A map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Text(&'a str),
    Int(i64),
}

/// A map key whose text may not be valid UTF-8 yet (see [`Reader::raw_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKey<'a> {
    Text(&'a [u8]),
    Int(i64),
}

/// IEEE 754 half precision, as CBOR encoders emit for floats they can shorten losslessly.
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    let magnitude = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + mant / 1024.0) * 2f64.powi(e - 15),
    };
    sign * magnitude
}

/// The fields every answer is checked for before it is handed on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    pub id: Option<i64>,
    pub ok: Option<bool>,
}

/// Reads `id` and `ok` from an answer body (a map), stopping as soon as both are found
/// (the server sends them first). The rest is checked by whoever decodes it.
pub fn envelope(body: &[u8]) -> Result<Envelope> {
    let mut r = Reader::new(body);
    let Item::Map(n) = r.next()? else {
        return Err(DecodeError {
            offset: 0,
            reason: "answer is not a map",
        });
    };
    let mut env = Envelope::default();
    for _ in 0..n {
        let key = r.key()?;
        let value = r.next()?;
        match (key, value) {
            (Key::Text("id"), Item::Int(i)) => env.id = Some(i),
            (Key::Text("ok"), Item::Bool(b)) => env.ok = Some(b),
            _ => r.skip_contents(value, 1)?,
        }
        if env.id.is_some() && env.ok.is_some() {
            break;
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use resident_protocol::Value;

    fn cbor(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    fn items(bytes: &[u8]) -> Result<Vec<Item<'_>>> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while !r.at_end() {
            out.push(r.next()?);
        }
        Ok(out)
    }

    fn err(bytes: &[u8]) -> &'static str {
        items(bytes).unwrap_err().reason
    }

    #[test]
    fn reads_what_ciborium_writes() {
        let v = Value::Map(vec![
            (Value::from("uuid"), Value::from("5f0c…")),
            (Value::from("n"), Value::from(-7)),
            (Value::from("big"), Value::from(i64::MAX)),
            (Value::from("min"), Value::from(i64::MIN)),
            (Value::from("f"), Value::Float(1.5)),
            (Value::from("g"), Value::Float(0.1)),
            (Value::from("h"), Value::Float(1e300)),
            (
                Value::from("list"),
                Value::Array(vec![Value::Null, Value::Bool(true), Value::Bool(false)]),
            ),
            (Value::from(3), Value::from("int key")),
        ]);
        let bytes = cbor(&v);
        let got = items(&bytes).unwrap();
        assert_eq!(
            got,
            vec![
                Item::Map(9),
                Item::Text("uuid"),
                Item::Text("5f0c…"),
                Item::Text("n"),
                Item::Int(-7),
                Item::Text("big"),
                Item::Int(i64::MAX),
                Item::Text("min"),
                Item::Int(i64::MIN),
                Item::Text("f"),
                Item::Float(1.5),
                Item::Text("g"),
                Item::Float(0.1),
                Item::Text("h"),
                Item::Float(1e300),
                Item::Text("list"),
                Item::Array(3),
                Item::Null,
                Item::Bool(true),
                Item::Bool(false),
                Item::Int(3),
                Item::Text("int key"),
            ]
        );
    }

    #[test]
    fn reads_every_width_of_integers_and_floats() {
        assert_eq!(items(&[0x17]).unwrap(), [Item::Int(23)]);
        assert_eq!(items(&[0x18, 0xff]).unwrap(), [Item::Int(255)]);
        assert_eq!(items(&[0x19, 0x01, 0x00]).unwrap(), [Item::Int(256)]);
        assert_eq!(items(&[0x1a, 0, 1, 0, 0]).unwrap(), [Item::Int(65536)]);
        assert_eq!(
            items(&[0x1b, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap(),
            [Item::Int(1 << 32)]
        );
        // Non-canonical (longer than needed) encodings are still valid CBOR.
        assert_eq!(
            items(&[0x1b, 0, 0, 0, 0, 0, 0, 0, 5]).unwrap(),
            [Item::Int(5)]
        );
        assert_eq!(items(&[0x20]).unwrap(), [Item::Int(-1)]);
        assert_eq!(items(&[0x38, 0x63]).unwrap(), [Item::Int(-100)]);
        // Outside i64: the nearest float, as PHP would hold it.
        assert_eq!(
            items(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).unwrap(),
            [Item::Float(u64::MAX as f64)]
        );
        assert_eq!(
            items(&[0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
            [Item::Float(-1.0 - 9_223_372_036_854_775_808.0)]
        );
        assert_eq!(items(&[0xf9, 0x3c, 0x00]).unwrap(), [Item::Float(1.0)]);
        assert_eq!(items(&[0xf9, 0xc4, 0x00]).unwrap(), [Item::Float(-4.0)]);
        assert_eq!(items(&[0xf9, 0x7b, 0xff]).unwrap(), [Item::Float(65504.0)]);
        assert_eq!(
            items(&[0xf9, 0x00, 0x01]).unwrap(),
            [Item::Float(5.960_464_477_539_063e-8)]
        );
        assert_eq!(
            items(&[0xf9, 0x7c, 0x00]).unwrap(),
            [Item::Float(f64::INFINITY)]
        );
        assert!(matches!(items(&[0xf9, 0x7e, 0x00]).unwrap()[..], [Item::Float(f)] if f.is_nan()));
        assert_eq!(
            items(&[0xfa, 0x47, 0xc3, 0x50, 0x00]).unwrap(),
            [Item::Float(100000.0)]
        );
        assert_eq!(
            items(&[0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]).unwrap(),
            [Item::Float(1.1)]
        );
    }

    #[test]
    fn refuses_what_is_outside_the_data_model() {
        assert_eq!(
            err(&[0x42, 1, 2]),
            "byte strings are not part of the data model"
        );
        assert_eq!(
            err(&[0xc1, 0x1a, 0, 0, 0, 0]),
            "tags are not part of the data model"
        );
        assert_eq!(err(&[0xf7]), "simple value outside the data model"); // undefined
        assert_eq!(err(&[0xf8, 0x20]), "simple value outside the data model");
        assert_eq!(err(&[0xe0]), "simple value outside the data model");
        for indefinite in [0x7f, 0x9f, 0xbf] {
            assert_eq!(
                err(&[indefinite, 0xff]),
                "indefinite-length items are not accepted"
            );
        }
        assert!(err(&[0xff]).starts_with("unexpected break"));
        assert_eq!(err(&[0x1c]), "reserved header value");
        assert_eq!(err(&[0x62, 0xff, 0xfe]), "text is not valid UTF-8");
    }

    #[test]
    fn refuses_truncated_items_and_impossible_lengths() {
        assert_eq!(err(&[0x19, 0x01]), "truncated item");
        assert_eq!(err(&[0xfb, 0, 0]), "truncated item");
        assert_eq!(err(&[0x65, b'a', b'b']), "length exceeds the frame");
        // A huge declared length is refused before anything is sized by it.
        assert_eq!(
            err(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "length exceeds the frame"
        );
        assert_eq!(err(&[0x83, 1, 2]), "length exceeds the frame");
        assert_eq!(err(&[0xa2, 1, 2, 3]), "length exceeds the frame");
        assert_eq!(items(&[0xa2, 1, 2, 3, 4]).unwrap().len(), 5);
        let e = items(&[0x82, 0x01, 0x19]).unwrap_err();
        assert_eq!(e.offset, 2);
        assert_eq!(e.to_string(), "truncated item (at byte 2)");
    }

    #[test]
    fn keys_are_text_or_integers() {
        let mut r = Reader::new(&[0x61, b'a', 0x05, 0xf6]);
        assert_eq!(r.key().unwrap(), Key::Text("a"));
        assert_eq!(r.key().unwrap(), Key::Int(5));
        assert_eq!(
            r.key().unwrap_err().reason,
            "map key is neither text nor an integer"
        );
    }

    #[test]
    fn raw_keys_leave_text_unvalidated() {
        let mut r = Reader::new(&[0x62, 0xff, 0xfe, 0x05, 0x61, b'a', 0xf6, 0x63, b'a']);
        assert_eq!(r.raw_key().unwrap(), RawKey::Text(&[0xff, 0xfe]));
        assert_eq!(r.raw_key().unwrap(), RawKey::Int(5));
        assert_eq!(r.raw_key().unwrap(), RawKey::Text(b"a"));
        assert_eq!(
            r.raw_key().unwrap_err().reason,
            "map key is neither text nor an integer"
        );
        assert_eq!(r.raw_key().unwrap_err().reason, "length exceeds the frame");
        assert_eq!(
            Reader::new(&[0x7f]).raw_key().unwrap_err().reason,
            "indefinite-length items are not accepted"
        );
    }

    #[test]
    fn skips_whole_values_and_limits_depth() {
        let v = Value::Array(vec![
            Value::Map(vec![(
                Value::from("a"),
                Value::Array(vec![1.into(), 2.into()]),
            )]),
            Value::from("after"),
        ]);
        let bytes = cbor(&v);
        let mut r = Reader::new(&bytes);
        assert_eq!(r.next().unwrap(), Item::Array(2));
        r.skip(1).unwrap();
        assert_eq!(r.next().unwrap(), Item::Text("after"));
        assert!(r.at_end());

        let mut deep = vec![0x81; DEPTH_MAX];
        deep.push(0xf6);
        assert!(Reader::new(&deep).skip(0).is_ok());
        let mut deeper = vec![0x81; DEPTH_MAX + 1];
        deeper.push(0xf6);
        assert_eq!(
            Reader::new(&deeper).skip(0).unwrap_err().reason,
            "arrays and maps nest too deeply"
        );
        assert_eq!(nest(DEPTH_MAX - 1, 0), Ok(DEPTH_MAX));
        assert!(nest(DEPTH_MAX, 0).is_err());
    }

    #[test]
    fn envelope_finds_id_and_ok_wherever_they_are() {
        let answer = Value::Map(vec![
            (
                Value::from("entities"),
                Value::Array(vec![Value::Map(vec![])]),
            ),
            (Value::from("id"), Value::from(7)),
            (Value::from("ok"), Value::from(true)),
        ]);
        assert_eq!(
            envelope(&cbor(&answer)).unwrap(),
            Envelope {
                id: Some(7),
                ok: Some(true)
            }
        );
        let refusal = Value::Map(vec![
            (Value::from("id"), Value::from(8)),
            (Value::from("ok"), Value::from(false)),
            (Value::from("error"), Value::Map(vec![])),
        ]);
        assert_eq!(
            envelope(&cbor(&refusal)).unwrap(),
            Envelope {
                id: Some(8),
                ok: Some(false)
            }
        );
        let odd = Value::Map(vec![(Value::from("id"), Value::Array(vec![1.into()]))]);
        assert_eq!(envelope(&cbor(&odd)).unwrap(), Envelope::default());
        assert_eq!(envelope(&[0x01]).unwrap_err().reason, "answer is not a map");
        assert!(envelope(&[0xa1, 0x62, b'i', b'd']).is_err());
    }
}
