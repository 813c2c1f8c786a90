//! The log on disk: numbered segment files under `DATA/log/`, the last one open for
//! appends and rotated once it reaches its size limit.
//!
//! Record framing and damage detection are [`crate::storage::frame`]'s job; this module owns the
//! files: which exist, where the next record lands ([`RecordRef`]), appending with the
//! configured [`Fsync`], reading a record back for a stream read, and turning a full
//! disk into a refused batch instead of a dead writer.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::state::record_ref::{
    segment_name, RecordRef, SEGMENT_BYTES_CEILING, SEGMENT_NUMBER_MAX,
};
use crate::storage::frame::{self, ScanEnd, RECORD_HEADER_BYTES};
use crate::storage::fsync::{Flusher, Fsync};
use crate::storage::owner_only;

/// The size at which a segment is rotated, unless configured.
pub const SEGMENT_BYTES_DEFAULT: u64 = 64 * 1024 * 1024;

pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("log")
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "log file {path} is damaged at offset {offset} ({reason}) and {after}; refusing to \
         start rather than drop acknowledged data. `resident verify --data {data}` reports \
         the damage; `resident verify --data {data} --repair` cuts the log there (the cut \
         part is kept under {data}/damaged/), losing every event after offset {offset}"
    )]
    Corrupt {
        path: PathBuf,
        data: PathBuf,
        offset: u64,
        reason: String,
        after: &'static str,
    },
    #[error("{path}: not a log segment name (expected 20 digits and .log)")]
    StrayFile { path: PathBuf },
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The segment numbers under `DATA/log/`, in order.
pub fn list(data_dir: &Path) -> Result<Vec<u64>, LogError> {
    let dir = log_dir(data_dir);
    let mut numbers = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(numbers),
        Err(e) => return Err(io_err(&dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(&dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| n.ends_with(".log")) else {
            continue;
        };
        let number = name
            .strip_suffix(".log")
            .filter(|stem| stem.len() == 20)
            .and_then(|stem| stem.parse::<u64>().ok())
            .filter(|n| (1..=SEGMENT_NUMBER_MAX).contains(n))
            .ok_or_else(|| LogError::StrayFile { path: entry.path() })?;
        numbers.push(number);
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// One segment's bytes and the records found in it.
pub struct SegmentRead {
    pub number: u64,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// Body ranges of the valid records, into `bytes`.
    pub records: Vec<Range<usize>>,
    /// `(offset, reason)` of a torn tail; only the last segment may have one.
    pub torn: Option<(u64, String)>,
}

impl SegmentRead {
    pub fn record_ref(&self, body: &Range<usize>) -> RecordRef {
        RecordRef::new(self.number, (body.start - RECORD_HEADER_BYTES) as u64)
    }
}

/// Reads and scans one segment. Damage followed by valid records, or any damage in a
/// segment that is not the last, is corruption: a crash only ever tears the end.
pub fn read(data_dir: &Path, number: u64, is_last: bool) -> Result<SegmentRead, LogError> {
    let path = log_dir(data_dir).join(segment_name(number));
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    let scanned = frame::scan(&bytes);
    let corrupt = |offset, reason, after| LogError::Corrupt {
        path: path.clone(),
        data: data_dir.to_path_buf(),
        offset,
        reason,
        after,
    };
    let torn = match scanned.end {
        ScanEnd::Clean => None,
        ScanEnd::Corrupt { offset, reason } => {
            return Err(corrupt(offset, reason, "valid records follow"))
        }
        ScanEnd::TornTail { offset, reason } if !is_last => {
            return Err(corrupt(offset, reason, "later segments follow"))
        }
        ScanEnd::TornTail { offset, reason } => Some((offset, reason)),
    };
    Ok(SegmentRead {
        number,
        path,
        bytes,
        records: scanned.records,
        torn,
    })
}

/// Cuts a torn tail found by [`read`] off the file, durably.
pub fn cut(path: &Path, offset: u64) -> Result<(), LogError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    file.set_len(offset).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

/// Reads the record body at `at`, checking its frame and checksum.
pub fn read_record(data_dir: &Path, at: RecordRef) -> io::Result<Vec<u8>> {
    let mut file = File::open(log_dir(data_dir).join(segment_name(at.segment())))?;
    file.seek(SeekFrom::Start(at.offset()))?;
    frame::read_record(file)
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The disk is full: the partial write was rolled back, nothing of the batch is in
    /// the log, and a later append may succeed once space is freed.
    #[error("disk full writing {path}: {source}")]
    DiskFull { path: PathBuf, source: io::Error },
    /// Anything else, including every fsync failure: the log can no longer be trusted
    /// to hold what the kernel said it wrote, so the writer stops writing.
    #[error("writing {path} failed: {source}")]
    Fatal { path: PathBuf, source: io::Error },
}

fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::ENOSPC) | Some(nix::libc::EDQUOT)
    )
}

/// The open log: the last segment, positioned for appends.
pub struct Log {
    data_dir: PathBuf,
    number: u64,
    file: File,
    len: u64,
    segment_bytes_max: u64,
    fsync: Fsync,
    flusher: Option<Flusher>,
}

impl Log {
    /// Opens segment `number` (creating it when new) for appends at its end, `len`.
    pub fn open(
        data_dir: &Path,
        number: u64,
        segment_bytes_max: u64,
        fsync: Fsync,
    ) -> Result<Log, LogError> {
        assert!(segment_bytes_max > 0 && segment_bytes_max <= SEGMENT_BYTES_CEILING);
        let dir = log_dir(data_dir);
        owner_only::create_dir(&dir).map_err(io_err(&dir))?;
        let (file, len) = open_segment(&dir, number)?;
        let flusher = match fsync {
            Fsync::Every(interval) => Some(
                Flusher::start(file.try_clone().map_err(io_err(&dir))?, interval)
                    .map_err(io_err(&dir))?,
            ),
            Fsync::Always | Fsync::Never => None,
        };
        Ok(Log {
            data_dir: data_dir.to_path_buf(),
            number,
            file,
            len,
            segment_bytes_max,
            fsync,
            flusher,
        })
    }

    /// A log whose writes fail (its file is open read-only), to test what the writer
    /// does when the disk fails.
    #[cfg(test)]
    pub fn failing_for_tests(data_dir: &Path) -> Log {
        let mut log = Log::open(data_dir, 1, SEGMENT_BYTES_DEFAULT, Fsync::Always).unwrap();
        log.file = File::open(log.path()).unwrap();
        log
    }

    /// A log whose writes succeed and whose fsyncs fail: its "file" is a pipe, which
    /// takes writes and refuses fdatasync (EINVAL), through the very calls a failing
    /// disk would fail.
    #[cfg(test)]
    pub fn unsyncable_for_tests(data_dir: &Path, fsync: Fsync) -> (Log, File) {
        let mut log = Log::open(data_dir, 1, SEGMENT_BYTES_DEFAULT, fsync).unwrap();
        let (read_end, write_end) = nix::unistd::pipe().unwrap();
        log.file = File::from(write_end);
        if let Some(flusher) = &log.flusher {
            flusher.switch(log.file.try_clone().unwrap()).unwrap();
        }
        (log, File::from(read_end))
    }

    pub fn path(&self) -> PathBuf {
        log_dir(&self.data_dir).join(segment_name(self.number))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where the next appended byte lands.
    pub fn end(&self) -> RecordRef {
        RecordRef::new(self.number, self.len)
    }

    /// Starts a new segment when the current one is full. Called between batches, so a
    /// batch never spans two segments.
    pub fn rotate_if_full(&mut self) -> Result<(), AppendError> {
        if self.len < self.segment_bytes_max {
            return Ok(());
        }
        let fatal = |path: PathBuf| move |source| AppendError::Fatal { path, source };
        // The finished segment must be durable before anything lands in the next one,
        // or a crash could keep the later records and lose the earlier.
        if self.fsync != Fsync::Never {
            self.file.sync_data().map_err(fatal(self.path()))?;
        }
        let number = self.number + 1;
        assert!(number <= SEGMENT_NUMBER_MAX, "out of segment numbers");
        let dir = log_dir(&self.data_dir);
        let (file, len) = open_segment(&dir, number).map_err(|e| match e {
            LogError::Io { path, source } if is_disk_full(&source) => {
                AppendError::DiskFull { path, source }
            }
            LogError::Io { path, source } => AppendError::Fatal { path, source },
            other => AppendError::Fatal {
                path: dir.clone(),
                source: io::Error::other(other.to_string()),
            },
        })?;
        if let Some(flusher) = &self.flusher {
            let clone = file.try_clone().map_err(fatal(self.path()))?;
            flusher.switch(clone).map_err(fatal(self.path()))?;
        }
        self.file = file;
        self.number = number;
        self.len = len;
        tracing::info!(segment = %self.path().display(), "started a new log segment");
        Ok(())
    }

    /// Appends framed records: one write per group commit, then the fsync its setting
    /// asks for. A failed fsync is never retried: after one, the kernel may have
    /// dropped the dirty pages, so a retry could report success for data that is gone.
    pub fn append(&mut self, framed: &[u8]) -> Result<(), AppendError> {
        let path = self.path();
        if let Some(flusher) = &self.flusher {
            if let Some(why) = flusher.failure() {
                return Err(AppendError::Fatal {
                    path,
                    source: io::Error::other(format!("an earlier background fsync failed: {why}")),
                });
            }
        }
        if let Err(source) = self.file.write_all(framed) {
            // Take back whatever part of the batch reached the file, so that no record
            // of a refused batch can surface at the next start.
            if let Err(undo) = self.file.set_len(self.len) {
                return Err(AppendError::Fatal {
                    path,
                    source: io::Error::other(format!("{source}; then cutting it back: {undo}")),
                });
            }
            return Err(if is_disk_full(&source) {
                AppendError::DiskFull { path, source }
            } else {
                AppendError::Fatal { path, source }
            });
        }
        match self.fsync {
            Fsync::Always => self
                .file
                .sync_data()
                .map_err(|source| AppendError::Fatal { path, source })?,
            Fsync::Every(_) => {
                if let Some(flusher) = &self.flusher {
                    flusher.mark_dirty();
                }
            }
            Fsync::Never => {}
        }
        self.len += framed.len() as u64;
        Ok(())
    }

    /// Makes everything appended durable, whatever the setting: at a clean stop.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Opens a segment for appending, creating it (and making its name durable) if new.
fn open_segment(dir: &Path, number: u64) -> Result<(File, u64), LogError> {
    let path = dir.join(segment_name(number));
    let created = !path.exists();
    let file = owner_only::options()
        .read(true)
        .append(true)
        .create(true)
        .open(&path)
        .map_err(io_err(&path))?;
    if created {
        // The new file's directory entry must be durable before any record in it is.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
    }
    let len = file.metadata().map_err(io_err(&path))?.len();
    Ok((file, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::frame::frame_record;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        frame_record(body, &mut out);
        out
    }

    #[test]
    fn appends_rotate_by_size_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), 1, 40, Fsync::Always).unwrap();
        let mut refs = Vec::new();
        for i in 0..5u8 {
            log.rotate_if_full().unwrap();
            let body = vec![i + 1; 20];
            refs.push(log.end());
            log.append(&framed(&body)).unwrap();
        }
        assert_eq!(list(dir.path()).unwrap(), vec![1, 2, 3]);
        for (i, at) in refs.iter().enumerate() {
            assert_eq!(read_record(dir.path(), *at).unwrap(), vec![i as u8 + 1; 20]);
        }
        let last = read(dir.path(), 3, true).unwrap();
        assert_eq!(last.records.len(), 1);
        assert_eq!(last.record_ref(&last.records[0]), refs[4]);
        drop(log);
        let reopened = Log::open(dir.path(), 3, 40, Fsync::Never).unwrap();
        assert_eq!(reopened.end(), RecordRef::new(3, 28));
    }

    #[test]
    fn damage_in_a_segment_that_is_not_the_last_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), 1, 10, Fsync::Always).unwrap();
        log.append(&framed(b"one")).unwrap();
        log.rotate_if_full().unwrap();
        log.append(&framed(b"two")).unwrap();
        let first = log_dir(dir.path()).join(segment_name(1));
        let mut bytes = fs::read(&first).unwrap();
        bytes.truncate(bytes.len() - 1);
        fs::write(&first, &bytes).unwrap();
        let err = read(dir.path(), 1, false)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains("later segments follow"), "{err}");
        assert!(err.contains("resident verify --data"), "{err}");
        let torn = read(dir.path(), 1, true).unwrap();
        assert_eq!(torn.torn.map(|t| t.0), Some(0));
    }

    #[test]
    fn stray_files_in_the_log_directory_are_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(log_dir(dir.path())).unwrap();
        fs::write(log_dir(dir.path()).join("7.log"), b"").unwrap();
        fs::write(log_dir(dir.path()).join("notes.txt"), b"").unwrap();
        let err = list(dir.path()).unwrap_err().to_string();
        assert!(err.contains("7.log"), "{err}");
    }
}
