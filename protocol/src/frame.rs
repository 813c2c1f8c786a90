//! Length-prefixed CBOR frames: `[len u32 big-endian][CBOR map]`.
//!
//! The blocking reader here serves the extension and the CLI; the server has its own
//! async reader built on [`check_len`] and [`decode_body`] so both sides refuse the same
//! frames for the same reasons.

use std::io::{self, Read, Write};

use ciborium::Value;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: u32, max: u32 },
    #[error("frame is not valid CBOR: {0}")]
    Malformed(String),
    #[error("frame is not a CBOR map")]
    NotAMap,
    #[error("a frame holds exactly one CBOR map; {0} more bytes follow it")]
    Trailing(usize),
    /// Arrays and maps nested deeper than `max` (the frame's map is level 1); `id` is the
    /// request's, when it was seen before the nesting.
    #[error("the request nests arrays and maps deeper than {max} levels")]
    TooDeep { max: usize, id: Option<u64> },
    #[error("connection closed")]
    Closed,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Refuses a announced length before any byte of the body is read or allocated.
pub fn check_len(len: u32, max: u32) -> Result<(), FrameError> {
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(())
}

/// Decodes one frame body; only a map, and nothing after it, is a valid message.
pub fn decode_body(body: &[u8]) -> Result<Value, FrameError> {
    let mut rest = body;
    let value: Value =
        ciborium::de::from_reader(&mut rest).map_err(|e| FrameError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(FrameError::Trailing(rest.len()));
    }
    match value {
        Value::Map(_) => Ok(value),
        _ => Err(FrameError::NotAMap),
    }
}

/// Encodes a message with its length prefix, ready to be written in one call.
pub fn encode(value: &Value) -> Vec<u8> {
    encode_within(value, u32::MAX).expect("a frame is smaller than 4 GiB")
}

/// [`encode`], or the body's length in bytes if it is over `max`: a client checks a request
/// against the server's `frame_bytes_max` before sending any of it.
pub fn encode_within(value: &Value, max: u32) -> Result<Vec<u8>, usize> {
    let mut out = vec![0u8; 4];
    ciborium::ser::into_writer(value, &mut out).expect("writing CBOR to a Vec cannot fail");
    let body = out.len() - 4;
    let len = u32::try_from(body)
        .ok()
        .filter(|len| *len <= max)
        .ok_or(body)?;
    out[..4].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

/// Writes one frame. The whole frame goes out in a single `write_all`.
pub fn write_frame<W: Write>(w: &mut W, value: &Value) -> io::Result<()> {
    w.write_all(&encode(value))?;
    w.flush()
}

/// Reads one frame body, refusing bodies over `max` bytes.
pub fn read_frame<R: Read>(r: &mut R, max: u32) -> Result<Value, FrameError> {
    let mut len_bytes = [0u8; 4];
    match r.read_exact(&mut len_bytes) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len_bytes);
    check_len(len, max)?;
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body)?;
    decode_body(&body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map;

    #[test]
    fn round_trip() {
        let msg = map::build(vec![("id", Value::from(7)), ("op", Value::from("hello"))]);
        let bytes = encode(&msg);
        assert_eq!(
            u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize,
            bytes.len() - 4
        );
        let back = read_frame(&mut &bytes[..], 1024).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn encoding_within_a_limit_refuses_larger_bodies_with_their_length() {
        let msg = map::build(vec![("op", Value::from("x".repeat(100)))]);
        let body = encode(&msg).len() - 4;
        assert_eq!(encode_within(&msg, body as u32).unwrap(), encode(&msg));
        assert_eq!(encode_within(&msg, body as u32 - 1), Err(body));
    }

    #[test]
    fn refuses_oversized_before_reading_body() {
        let bytes = 5000u32.to_be_bytes();
        let err = read_frame(&mut &bytes[..], 4096).unwrap_err();
        assert!(matches!(
            err,
            FrameError::TooLarge {
                len: 5000,
                max: 4096
            }
        ));
    }

    #[test]
    fn refuses_non_map_and_garbage() {
        let mut frame = encode(&Value::from(1));
        frame[..4].copy_from_slice(&1u32.to_be_bytes());
        assert!(matches!(
            read_frame(&mut &frame[..], 64),
            Err(FrameError::NotAMap)
        ));
        let garbage = [0, 0, 0, 2, 0xff, 0xff];
        assert!(matches!(
            read_frame(&mut &garbage[..], 64),
            Err(FrameError::Malformed(_))
        ));
    }

    #[test]
    fn refuses_bytes_after_the_map() {
        let mut frame = encode(&map::build(vec![("id", Value::from(1))]));
        frame.extend_from_slice(&[0xa0, 0xff]);
        let len = (frame.len() - 4) as u32;
        frame[..4].copy_from_slice(&len.to_be_bytes());
        let err = read_frame(&mut &frame[..], 64).unwrap_err();
        assert!(matches!(err, FrameError::Trailing(2)), "{err}");
        assert!(err.to_string().contains("exactly one CBOR map"));
    }

    #[test]
    fn clean_close_is_not_an_error_of_the_peer() {
        assert!(matches!(
            read_frame(&mut &[][..], 64),
            Err(FrameError::Closed)
        ));
    }
}
