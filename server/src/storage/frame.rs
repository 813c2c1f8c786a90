//! Log records: framed and checksummed, and how damage in a run of them is judged.
//!
//! A record is `[len u32 BE][crc32c u32 BE][body]`, the CRC taken over the body. The
//! files that hold them are [`crate::storage::log`]'s business; snapshots use the same
//! framing.
//!
//! On open, damage is judged by what follows it: a bad record with no valid record
//! anywhere after it is a torn tail (a write that crashed midway) and is cut off; a bad
//! record followed by a valid one is corruption of acknowledged data, and the server
//! refuses to start rather than drop it.

use std::io::{self, Read};
use std::ops::Range;

pub const RECORD_HEADER_BYTES: usize = 8;

/// The largest record body we ever write or accept; larger lengths in a header are
/// damage, not data. A commit is bounded by the frame limit, which is far below this.
pub const RECORD_BYTES_MAX: u32 = 1 << 30;

/// Appends one framed record to `out`.
pub fn frame_record(body: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|l| *l <= RECORD_BYTES_MAX);
    // The writer only frames records built from bounded requests.
    assert!(
        len.is_some(),
        "record of {} bytes exceeds RECORD_BYTES_MAX",
        body.len()
    );
    let len = len.unwrap_or_default();
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(body).to_be_bytes());
    out.extend_from_slice(body);
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// The last record ends exactly at the end of the bytes.
    Clean,
    /// Damage at `offset` with nothing valid after it: safe to cut off.
    TornTail { offset: u64, reason: String },
    /// Damage at `offset` with valid records after it: never cut automatically.
    Corrupt { offset: u64, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Byte ranges of the valid record bodies, in order.
    pub records: Vec<Range<usize>>,
    pub end: ScanEnd,
}

/// Finds the records in a segment's bytes. Pure, so every damage case is unit-tested.
pub fn scan(bytes: &[u8]) -> Scan {
    let mut records = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        match record_at(bytes, offset) {
            Ok(body) => {
                offset = body.end;
                records.push(body);
            }
            Err(reason) => {
                let offset_u64 = offset as u64;
                let end = if (offset + 1..bytes.len()).any(|o| record_at(bytes, o).is_ok()) {
                    ScanEnd::Corrupt {
                        offset: offset_u64,
                        reason,
                    }
                } else {
                    ScanEnd::TornTail {
                        offset: offset_u64,
                        reason,
                    }
                };
                return Scan { records, end };
            }
        }
    }
    Scan {
        records,
        end: ScanEnd::Clean,
    }
}

/// The body range of a valid record starting at `offset`, or why there is none.
pub fn record_at(bytes: &[u8], offset: usize) -> Result<Range<usize>, String> {
    let rest = bytes.get(offset..).unwrap_or_default();
    let Some(header) = rest.first_chunk::<RECORD_HEADER_BYTES>() else {
        return Err(format!(
            "incomplete record header ({} of {RECORD_HEADER_BYTES} bytes)",
            rest.len()
        ));
    };
    let (len, crc) = header_fields(header)?;
    let body_start = offset + RECORD_HEADER_BYTES;
    let body_end = body_start + len as usize;
    let Some(body) = bytes.get(body_start..body_end) else {
        return Err(format!(
            "incomplete record ({} of {len} bytes)",
            bytes.len().saturating_sub(body_start)
        ));
    };
    if crc32c::crc32c(body) != crc {
        return Err("checksum mismatch".to_string());
    }
    Ok(body_start..body_end)
}

/// A header's body length and checksum, or why it cannot be a record's.
fn header_fields(header: &[u8; RECORD_HEADER_BYTES]) -> Result<(u32, u32), String> {
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 || len > RECORD_BYTES_MAX {
        return Err(format!("impossible record length {len}"));
    }
    Ok((len, crc))
}

/// Reads one record from `input`'s position and returns its body, checked as [`scan`]
/// checks records: for reading a single record back without reading its whole file.
pub fn read_record(mut input: impl Read) -> io::Result<Vec<u8>> {
    let mut header = [0u8; RECORD_HEADER_BYTES];
    input.read_exact(&mut header)?;
    let (len, crc) = header_fields(&header).map_err(io::Error::other)?;
    let mut body = vec![0u8; len as usize];
    input.read_exact(&mut body)?;
    if crc32c::crc32c(&body) != crc {
        return Err(io::Error::other("checksum mismatch"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(bodies: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
        let mut out = Vec::new();
        let mut starts = Vec::new();
        for body in bodies {
            starts.push(out.len());
            frame_record(body, &mut out);
        }
        (out, starts)
    }

    const BODIES: [&[u8]; 3] = [b"first record", b"second", b"the third and last record"];

    #[test]
    fn framing_round_trips() {
        let (bytes, _) = log_of(&BODIES);
        let scanned = scan(&bytes);
        assert_eq!(scanned.end, ScanEnd::Clean);
        let bodies: Vec<&[u8]> = scanned.records.iter().map(|r| &bytes[r.clone()]).collect();
        assert_eq!(bodies, BODIES.to_vec());
        assert_eq!(&bytes[..4], &(BODIES[0].len() as u32).to_be_bytes());
        assert_eq!(&bytes[4..8], &crc32c::crc32c(BODIES[0]).to_be_bytes());
    }

    #[test]
    fn a_cut_at_every_offset_is_a_torn_tail_at_the_last_whole_record() {
        let (bytes, starts) = log_of(&BODIES);
        for cut in 0..=bytes.len() {
            let scanned = scan(&bytes[..cut]);
            let whole = starts
                .iter()
                .zip(BODIES.iter())
                .filter(|(s, b)| **s + RECORD_HEADER_BYTES + b.len() <= cut)
                .count();
            assert_eq!(scanned.records.len(), whole, "cut at {cut}");
            let boundary = if whole == starts.len() {
                bytes.len()
            } else {
                starts[whole]
            };
            if cut == boundary {
                assert_eq!(scanned.end, ScanEnd::Clean, "cut at {cut}");
            } else {
                match scanned.end {
                    ScanEnd::TornTail { offset, .. } => {
                        assert_eq!(offset as usize, boundary, "cut at {cut}")
                    }
                    other => panic!("cut at {cut}: expected a torn tail, got {other:?}"),
                }
            }
        }
    }

    #[test]
    fn a_bad_checksum_on_the_last_record_is_a_torn_tail() {
        let (mut bytes, starts) = log_of(&BODIES);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let scanned = scan(&bytes);
        assert_eq!(scanned.records.len(), 2);
        assert!(
            matches!(scanned.end, ScanEnd::TornTail { offset, .. } if offset as usize == starts[2])
        );
    }

    #[test]
    fn one_record_reads_back_from_a_reader_and_damage_is_refused() {
        let (bytes, starts) = log_of(&BODIES);
        assert_eq!(read_record(&bytes[starts[1]..]).unwrap(), BODIES[1]);
        let mut damaged = bytes.clone();
        damaged[starts[1] + RECORD_HEADER_BYTES] ^= 1;
        let err = read_record(&damaged[starts[1]..]).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        assert!(read_record(&bytes[..4]).is_err(), "a cut header");
        assert!(read_record(&[0u8; 16][..]).is_err(), "a zero length");
    }

    #[test]
    fn trailing_zeros_are_a_torn_tail() {
        let (mut bytes, _) = log_of(&BODIES);
        let end = bytes.len();
        bytes.extend_from_slice(&[0u8; 100]);
        let scanned = scan(&bytes);
        assert_eq!(scanned.records.len(), 3);
        assert!(matches!(scanned.end, ScanEnd::TornTail { offset, .. } if offset as usize == end));
    }

    #[test]
    fn damage_before_valid_records_is_corruption() {
        let (bytes, starts) = log_of(&BODIES);
        for flip in [starts[0] + 9, starts[1], starts[1] + 5, starts[2] - 1] {
            let mut damaged = bytes.clone();
            damaged[flip] ^= 0x40;
            let scanned = scan(&damaged);
            assert!(
                matches!(scanned.end, ScanEnd::Corrupt { .. }),
                "flip at {flip}: {:?}",
                scanned.end
            );
        }
    }
}
