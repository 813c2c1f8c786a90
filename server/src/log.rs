//! The append-only log: framed, checksummed records in segment files.
//!
//! A record is `[len u32 BE][crc32c u32 BE][body]`, the CRC taken over the body. The
//! interface is deliberately narrow (open and replay, append and sync) so that segment
//! rotation, snapshots or a replicated log can come later without touching callers.
//! Today there is one segment, named after its first position.
//!
//! On open, damage is judged by what follows it: a bad record with no valid record
//! anywhere after it is a torn tail (a write that crashed midway) and is cut off; a bad
//! record followed by a valid one is corruption of acknowledged data, and the server
//! refuses to start rather than drop it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

pub const RECORD_HEADER_BYTES: usize = 8;

/// The largest record body we ever write or accept; larger lengths in a header are
/// damage, not data. A commit is bounded by the frame limit, which is far below this.
pub const RECORD_BYTES_MAX: u32 = 1 << 30;

/// Name of the first (and for now only) segment.
pub const FIRST_SEGMENT: &str = "00000000000000000001.log";

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
fn record_at(bytes: &[u8], offset: usize) -> Result<Range<usize>, String> {
    let rest = bytes.get(offset..).unwrap_or_default();
    let Some(header) = rest.get(..RECORD_HEADER_BYTES) else {
        return Err(format!(
            "incomplete record header ({} of {RECORD_HEADER_BYTES} bytes)",
            rest.len()
        ));
    };
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 || len > RECORD_BYTES_MAX {
        return Err(format!("impossible record length {len}"));
    }
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

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "log file {path} is damaged at offset {offset} ({reason}) and valid records follow; \
         refusing to start rather than drop them. To repair, back the file up and truncate \
         it at offset {offset} (e.g. `cp {path} {path}.bak && truncate -s {offset} {path}`), \
         accepting the loss of everything after it"
    )]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("{dir} holds more than one log segment ({names}); this version reads only one")]
    ManySegments { dir: PathBuf, names: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The open log, positioned for appends.
#[derive(Debug)]
pub struct Log {
    file: File,
    path: PathBuf,
}

/// What opening the log found.
pub struct Opened {
    pub log: Log,
    /// The segment's bytes after any truncation; `records` index into it.
    pub bytes: Vec<u8>,
    pub records: Vec<Range<usize>>,
    /// `(offset, reason)` of a torn tail that was cut off.
    pub truncated: Option<(u64, String)>,
}

impl Log {
    /// Opens (creating if needed) the log under `data_dir/log`, cutting a torn tail.
    pub fn open(data_dir: &Path) -> Result<Opened, LogError> {
        let dir = data_dir.join("log");
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(io_err(&dir))?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".log"))
            .collect();
        names.sort();
        if names.len() > 1 {
            return Err(LogError::ManySegments {
                dir,
                names: names.join(", "),
            });
        }
        let path = dir.join(names.pop().unwrap_or_else(|| FIRST_SEGMENT.to_string()));
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err(&path))?;
        if created {
            // The new file's directory entry must be durable before any record in it is.
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err(&dir))?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err(&path))?;
        let scanned = scan(&bytes);
        let truncated = match scanned.end {
            ScanEnd::Clean => None,
            ScanEnd::Corrupt { offset, reason } => {
                return Err(LogError::Corrupt {
                    path,
                    offset,
                    reason,
                })
            }
            ScanEnd::TornTail { offset, reason } => {
                file.set_len(offset).map_err(io_err(&path))?;
                file.sync_all().map_err(io_err(&path))?;
                bytes.truncate(usize::try_from(offset).unwrap_or(bytes.len()));
                Some((offset, reason))
            }
        };
        Ok(Opened {
            log: Log { file, path },
            bytes,
            records: scanned.records,
            truncated,
        })
    }

    /// A log whose appends fail, to test what the writer does when the disk does.
    #[cfg(test)]
    pub fn failing_for_tests(dir: &Path) -> Log {
        let path = dir.join("read-only.log");
        File::create(&path).expect("create");
        let file = File::open(&path).expect("open read-only");
        Log { file, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends framed records and makes them durable. One call per group commit: one
    /// write, one fdatasync. An error here must be treated as fatal for writes: after a
    /// failed fsync the kernel may have dropped the dirty pages, so a retry could report
    /// success for data that is gone.
    pub fn append(&mut self, framed: &[u8]) -> io::Result<()> {
        self.file.write_all(framed)?;
        self.file.sync_data()
    }
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

    #[test]
    fn open_truncates_a_torn_tail_and_refuses_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, starts) = log_of(&BODIES);
        fs::create_dir_all(dir.path().join("log")).unwrap();
        let path = dir.path().join("log").join(FIRST_SEGMENT);
        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let opened = Log::open(dir.path()).unwrap();
        assert_eq!(opened.records.len(), 2);
        assert_eq!(
            opened.truncated.as_ref().map(|t| t.0),
            Some(starts[2] as u64)
        );
        let mut log = opened.log;
        let mut framed = Vec::new();
        frame_record(b"after the cut", &mut framed);
        log.append(&framed).unwrap();
        drop(log);
        let reopened = Log::open(dir.path()).unwrap();
        assert_eq!(reopened.records.len(), 3);
        assert!(reopened.truncated.is_none());

        let mut damaged = bytes.clone();
        damaged[starts[0] + 10] ^= 1;
        fs::write(&path, &damaged).unwrap();
        let Err(err) = Log::open(dir.path()).map(|_| ()) else {
            panic!("a corrupt log was opened")
        };
        let err = err.to_string();
        assert!(err.contains("offset 0"), "{err}");
        assert!(err.contains("truncate"), "{err}");
        assert_eq!(
            fs::read(&path).unwrap(),
            damaged,
            "a refused log is left as it was"
        );
    }
}
