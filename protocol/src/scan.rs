//! A check of one frame body's CBOR before anything is built from it: well-formed, one
//! map and nothing after it, nested no deeper than a limit; and how many data items it
//! holds, which is what decoding it into values will cost.
//!
//! One pass over the bytes, allocating nothing unless containers nest more than a few
//! levels deep (and then only their count, at most [`DEPTH_CEILING`]), so a hostile
//! frame costs its bytes and no more. The decoder still checks
//! what this leaves out (text being UTF-8); what passes here decodes with memory
//! proportional to [`Shape::items`].

use crate::frame::FrameError;

/// Deepest nesting [`scan`] follows, whatever its caller asks.
pub const DEPTH_CEILING: usize = 128;

/// What a well-formed frame body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Data items, the map itself, keys and container heads included.
    pub items: u64,
    /// The top-level `id`, when it is an unsigned integer: so that even a refusal of the
    /// frame's content can answer the request it came with.
    pub id: Option<u64>,
}

/// An open container: how many items it still holds (`None`: until a break), how many
/// it held so far, and whether they come in key-value pairs.
#[derive(Clone, Copy, Default)]
struct Open {
    left: Option<u64>,
    seen: u64,
    map: bool,
}

/// Scans `body`, which must hold exactly one CBOR map nested at most `depth_max` deep
/// (the map itself is depth 1; at most [`DEPTH_CEILING`]).
pub fn scan(body: &[u8], depth_max: usize) -> Result<Shape, FrameError> {
    let depth_max = depth_max.min(DEPTH_CEILING);
    if body.first().map(|b| b >> 5) != Some(5) {
        return Err(if body.is_empty() {
            malformed("the frame is empty", 0)
        } else {
            FrameError::NotAMap
        });
    }
    let mut stack = Stack::default();
    let mut at = 0;
    let mut shape = Shape { items: 0, id: None };
    let mut id_next = false;
    loop {
        let Some(&initial) = body.get(at) else {
            return Err(malformed("the frame ends before its map does", at));
        };
        if initial == 0xff {
            // A break ends the innermost container, if that one is indefinite.
            match stack.top().copied() {
                Some(Open {
                    left: None,
                    seen,
                    map,
                }) if !map || seen % 2 == 0 => {
                    at += 1;
                    stack.pop();
                }
                _ => return Err(malformed("a break where none may stand", at)),
            }
        } else {
            let start = at;
            let head = head(body, &mut at)?;
            shape.items += 1;
            if stack.len == 1 {
                // Directly in the top-level map: note the value after an `id` key.
                let is_key = stack.inline[0].seen % 2 == 0;
                if !is_key && id_next && shape.id.is_none() && head.major == 0 {
                    shape.id = head.arg;
                }
                id_next = is_key && body.get(start..at + 2) == Some(&[0x62, b'i', b'd'][..]);
            }
            if let Some(open) = item(body, &mut at, head)? {
                if stack.len == depth_max {
                    return Err(FrameError::TooDeep {
                        max: depth_max,
                        id: shape.id,
                    });
                }
                stack.push(open);
                continue;
            }
        }
        // An item is complete: count it in its container, which may complete in turn.
        while let Some(open) = stack.top() {
            open.seen += 1;
            match &mut open.left {
                Some(left) => {
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    stack.pop();
                }
                None => break,
            }
        }
        if stack.len == 0 {
            break;
        }
    }
    if at < body.len() {
        return Err(FrameError::Trailing(body.len() - at));
    }
    Ok(shape)
}

/// Containers held inline; deeper ones go to the heap.
const INLINE: usize = 8;

/// The open containers, innermost last: the first few inline, so that a shallow frame
/// costs neither an allocation nor a large array to clear.
#[derive(Default)]
struct Stack {
    inline: [Open; INLINE],
    deeper: Vec<Open>,
    len: usize,
}

impl Stack {
    fn push(&mut self, open: Open) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = open,
            None => self.deeper.push(open),
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len -= 1;
        if self.len >= INLINE {
            self.deeper.pop();
        }
    }

    fn top(&mut self) -> Option<&mut Open> {
        match self.len {
            0 => None,
            n if n <= INLINE => Some(&mut self.inline[n - 1]),
            _ => self.deeper.last_mut(),
        }
    }
}

/// A data item's initial byte and argument.
#[derive(Clone, Copy)]
struct Head {
    major: u8,
    /// `None`: indefinite length.
    arg: Option<u64>,
}

fn malformed(what: &str, at: usize) -> FrameError {
    FrameError::Malformed(format!("{what} (at byte {at})"))
}

fn head(body: &[u8], at: &mut usize) -> Result<Head, FrameError> {
    let start = *at;
    let initial = body[start];
    let (major, info) = (initial >> 5, initial & 0x1f);
    let size = match info {
        0..=23 => {
            *at += 1;
            return Ok(Head {
                major,
                arg: Some(u64::from(info)),
            });
        }
        24..=27 => 1usize << (info - 24),
        31 if matches!(major, 2..=5) => {
            *at += 1;
            return Ok(Head { major, arg: None });
        }
        _ => return Err(malformed("an invalid initial byte", start)),
    };
    let bytes = body
        .get(start + 1..start + 1 + size)
        .ok_or_else(|| malformed("the frame ends inside a data item", start))?;
    *at = start + 1 + size;
    let arg = bytes.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
    if major == 7 && info == 24 && arg < 32 {
        return Err(malformed("a simple value in two bytes below 32", start));
    }
    Ok(Head {
        major,
        arg: Some(arg),
    })
}

/// Steps over the item `head` starts, up to its content when it is a container, which
/// is then returned to be opened.
fn item(body: &[u8], at: &mut usize, head: Head) -> Result<Option<Open>, FrameError> {
    let left_bytes = (body.len() - *at) as u64;
    let claims = |n: u64, per_item: u64| {
        // Every item takes at least a byte: a count the rest cannot hold is a lie.
        if n > left_bytes / per_item {
            Err(malformed("a length longer than the rest of the frame", *at))
        } else {
            Ok(n)
        }
    };
    Ok(match (head.major, head.arg) {
        (0 | 1 | 7, _) => None,
        (2 | 3, Some(len)) => {
            *at += claims(len, 1)? as usize;
            None
        }
        (2 | 3, None) => {
            string_chunks(body, at, head.major)?;
            None
        }
        (4, n) => open(n.map(|n| claims(n, 1)).transpose()?, false),
        (5, n) => open(n.map(|n| claims(n, 2).map(|n| n * 2)).transpose()?, true),
        (6, _) => Some(Open {
            left: Some(1),
            seen: 0,
            map: false,
        }),
        _ => unreachable!("the major type has three bits"),
    })
}

/// A container to open; an empty definite one is complete as it stands.
fn open(left: Option<u64>, map: bool) -> Option<Open> {
    (left != Some(0)).then_some(Open { left, seen: 0, map })
}

/// The chunks of an indefinite-length string: definite strings of its own major type,
/// up to a break.
fn string_chunks(body: &[u8], at: &mut usize, major: u8) -> Result<(), FrameError> {
    loop {
        match body.get(*at) {
            None => return Err(malformed("the frame ends inside a string", *at)),
            Some(0xff) => {
                *at += 1;
                return Ok(());
            }
            Some(_) => {
                let start = *at;
                let chunk = head(body, at)?;
                match (chunk.major == major, chunk.arg) {
                    (true, Some(len)) if len <= (body.len() - *at) as u64 => *at += len as usize,
                    (true, Some(_)) => {
                        return Err(malformed("a string longer than the frame", start))
                    }
                    _ => return Err(malformed("a string chunk of another kind", start)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map;
    use ciborium::Value;

    fn cbor(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    fn nested(levels: usize) -> Value {
        (0..levels).fold(Value::from(1), |v, _| Value::Array(vec![v]))
    }

    #[test]
    fn counts_items_and_finds_the_id() {
        let msg = map::build(vec![
            ("op", Value::from("find")),
            ("id", Value::from(300)),
            ("x", Value::Array(vec![Value::Null, Value::from("s")])),
        ]);
        // map, 3 keys, op value, id value, array, 2 items
        assert_eq!(
            scan(&cbor(&msg), 8).unwrap(),
            Shape {
                items: 9,
                id: Some(300)
            }
        );
        let no_id = map::build(vec![("id", Value::from(-1)), ("x", Value::from("id"))]);
        assert_eq!(scan(&cbor(&no_id), 8).unwrap().id, None);
    }

    #[test]
    fn agrees_with_the_decoder_on_well_formed_values() {
        let values = [
            map::build(vec![]),
            map::build(vec![
                ("a", Value::Float(1.5)),
                ("b", Value::Bytes(vec![1; 300])),
            ]),
            map::build(vec![("t", Value::Tag(1, Box::new(Value::from(2))))]),
            map::build(vec![("deep", nested(10)), ("big", Value::from(u64::MAX))]),
            map::build(vec![("m", map::build(vec![("k", Value::Bool(true))]))]),
        ];
        for v in values {
            let bytes = cbor(&v);
            assert!(scan(&bytes, 16).is_ok(), "{v:?}");
            assert_eq!(crate::frame::decode_body(&bytes).unwrap(), v);
        }
    }

    #[test]
    fn indefinite_lengths_and_strings() {
        // {_ "a": [_ 1, "b"], "c": (_ "x" "y")}
        let body = [
            0xbf, 0x61, b'a', 0x9f, 0x01, 0x61, b'b', 0xff, 0x61, b'c', 0x7f, 0x61, b'x', 0x61,
            b'y', 0xff, 0xff,
        ];
        assert_eq!(scan(&body, 4).unwrap().items, 7);
        assert!(crate::frame::decode_body(&body).is_ok());
        // A key without its value before the break; a chunk of bytes in a text.
        assert!(scan(&[0xbf, 0x61, b'a', 0xff], 4).is_err());
        assert!(scan(&[0xa1, 0x61, b'a', 0x7f, 0x41, b'x', 0xff], 4).is_err());
    }

    #[test]
    fn refuses_what_is_not_one_well_formed_map() {
        let cases: [(&[u8], &str); 8] = [
            (&[], "empty"),
            (&[0x81, 0x01], "not a CBOR map"),
            (&[0xa1, 0x61, b'a'], "ends before its map"),
            (&[0xa1, 0x61, b'a', 0x1c], "invalid initial byte"),
            (&[0xa1, 0x61, b'a', 0x78, 100, b'x'], "longer than the rest"),
            (
                &[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "longer than the rest",
            ),
            (&[0xa1, 0x61, b'a', 0xff], "break"),
            (&[0xa0, 0xa0], "exactly one CBOR map"),
        ];
        for (body, says) in cases {
            let err = scan(body, 8).unwrap_err().to_string();
            assert!(err.contains(says), "{body:x?}: {err}");
        }
    }

    /// Random damage to a frame: the scan never panics, and never refuses what the
    /// decoder reads as one map (within the depth).
    #[test]
    fn never_stricter_than_the_decoder_and_never_panics() {
        let msg = map::build(vec![
            ("id", Value::from(70_000)),
            ("op", Value::from("commit")),
            (
                "x",
                Value::Array(vec![
                    Value::Float(0.5),
                    Value::from(-3),
                    Value::Bytes(vec![9; 30]),
                    map::build(vec![("k", Value::Null)]),
                ]),
            ),
        ]);
        let good = cbor(&msg);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50_000 {
            let mut body = good.clone();
            for _ in 0..1 + next() % 3 {
                let i = (next() % body.len() as u64) as usize;
                match next() % 3 {
                    0 => body[i] = next() as u8,
                    1 => body.truncate(i),
                    _ => body.insert(i, next() as u8),
                }
                if body.is_empty() {
                    body.push(0xa0);
                }
            }
            let scanned = scan(&body, 16);
            if crate::frame::decode_body(&body).is_ok() {
                assert!(scanned.is_ok(), "{body:x?}: {scanned:?}");
            }
        }
    }

    #[test]
    fn refuses_nesting_deeper_than_asked_keeping_the_id() {
        let msg = |levels| map::build(vec![("id", Value::from(7)), ("x", nested(levels))]);
        assert!(scan(&cbor(&msg(9)), 10).is_ok());
        match scan(&cbor(&msg(10)), 10) {
            Err(FrameError::TooDeep { max: 10, id }) => assert_eq!(id, Some(7)),
            other => panic!("{other:?}"),
        }
        // However deep the input, the scan stops at its ceiling.
        let mut body = vec![0xa1, 0x61, b'x'];
        body.extend(std::iter::repeat_n(0x81, 100_000));
        body.push(0x01);
        assert!(matches!(
            scan(&body, 1000),
            Err(FrameError::TooDeep {
                max: DEPTH_CEILING,
                id: None
            })
        ));
    }
}
