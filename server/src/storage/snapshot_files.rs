//! Snapshot files under `DATA/snapshots/`: their names, writing one, and retention.
//!
//! Each file is written to a temporary name, fsynced, renamed into place and the
//! directory fsynced: a crash leaves either the whole snapshot or none. After each one,
//! old snapshots beyond the retention setting are removed, and with `prune_log` so are
//! the log segments that the oldest kept snapshot covers. The thread that writes them
//! is [`crate::storage::snapshot_writer`]; the bytes inside,
//! [`crate::storage::snapshot_format`].

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::state::record_ref::{self, RecordRef};
use crate::state::State;
use crate::storage::log;
use crate::storage::owner_only;
use crate::storage::snapshot_format;

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshots")
}

fn file_name(position: u64) -> String {
    format!("{position:020}.snap")
}

/// The snapshot files, oldest first, by the position in their name.
pub fn list(data_dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let dir = dir(data_dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let position = name
            .to_str()
            .and_then(|n| n.strip_suffix(".snap"))
            .filter(|stem| stem.len() == 20)
            .and_then(|stem| stem.parse::<u64>().ok());
        if let Some(position) = position {
            found.push((position, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Removes temporary files left by a snapshot that a crash interrupted.
pub fn remove_leftovers(data_dir: &Path) -> io::Result<()> {
    let dir = dir(data_dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tmp") {
            tracing::info!(file = %path.display(), "removing an unfinished snapshot");
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The header of the snapshot file at `path`, reading only its first record.
pub fn header_of(path: &Path) -> Result<snapshot_format::Header, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let body =
        crate::storage::frame::read_record(file).map_err(|e| format!("no header record: {e}"))?;
    snapshot_format::read_header(&body)
}

/// A snapshot that was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub position: u64,
    pub entities: u64,
    pub bytes: u64,
    pub took_ms: u64,
}

/// Writes `state`, which holds the log up to `log_at`, as a snapshot file.
///
/// A snapshot already at this position and log point holds this very state (the same
/// log up to the same point) and is kept. One at this position with another log point
/// is of a history the log no longer has (records were lost and the position reached
/// again): it is replaced, since loading it would serve a state that was never
/// acknowledged. Either way the answer describes the file on disk.
pub fn write_file(data_dir: &Path, state: &State, log_at: RecordRef) -> io::Result<Written> {
    let started = Instant::now();
    let dir = dir(data_dir);
    owner_only::create_dir(&dir)?;
    let path = dir.join(file_name(state.position()));
    let done = |entities, bytes| Written {
        path: path.clone(),
        position: state.position(),
        entities,
        bytes,
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    if let Ok(existing) = header_of(&path) {
        if existing.log_at == log_at {
            return Ok(done(existing.entities, fs::metadata(&path)?.len()));
        }
        tracing::warn!(
            file = %path.display(),
            old_log_point = %existing.log_at,
            new_log_point = %log_at,
            "replacing a snapshot of a history the log no longer holds"
        );
    }
    let temp = dir.join(format!("{}.tmp", file_name(state.position())));
    let result = (|| {
        let file = owner_only::create_file(&temp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let bytes = snapshot_format::write(state, log_at, &mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&temp, &path)?;
        File::open(&dir)?.sync_all()?;
        Ok(bytes)
    })();
    match result {
        Ok(bytes) => Ok(done(state.entity_count_total(), bytes)),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// How many snapshots to keep, and whether covered log segments go too.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub keep: usize,
    pub prune_log: bool,
}

/// Applies `retention` after a snapshot was written.
pub fn prune(data_dir: &Path, retention: Retention) -> io::Result<()> {
    assert!(retention.keep >= 1, "the newest snapshot is always kept");
    let all = list(data_dir)?;
    let cut = all.len().saturating_sub(retention.keep);
    for (_, path) in &all[..cut] {
        tracing::info!(file = %path.display(), "removing an old snapshot");
        fs::remove_file(path)?;
    }
    if !retention.prune_log {
        return Ok(());
    }
    // Segments wholly before the oldest kept snapshot's log point are covered by it.
    let Some((_, oldest)) = all.get(cut) else {
        return Ok(());
    };
    let Ok(header) = header_of(oldest) else {
        return Ok(());
    };
    let log_dir = log::log_dir(data_dir);
    for number in log::list(data_dir).map_err(io::Error::other)? {
        if number >= header.log_at.segment() {
            break;
        }
        let path = log_dir.join(record_ref::segment_name(number));
        tracing::info!(file = %path.display(), "removing a log segment covered by a snapshot");
        fs::remove_file(&path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::frame::frame_record;
    use crate::storage::fsync::Fsync;
    use crate::storage::log::Log;

    #[test]
    fn a_snapshot_at_a_used_position_with_another_log_point_replaces_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = State {
            position: 7,
            ..State::default()
        };
        write_file(dir.path(), &state, RecordRef::new(1, 100)).unwrap();
        let same = write_file(dir.path(), &state, RecordRef::new(1, 100)).unwrap();
        assert_eq!(
            header_of(&same.path).unwrap().log_at,
            RecordRef::new(1, 100)
        );
        // Another history reached position 7 at another log point: the file on disk
        // must be the new one, never the stale one.
        let written = write_file(dir.path(), &state, RecordRef::new(1, 90)).unwrap();
        assert_eq!(
            header_of(&written.path).unwrap().log_at,
            RecordRef::new(1, 90)
        );
        assert_eq!(written.bytes, fs::metadata(&written.path).unwrap().len());
        assert_eq!(list(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn retention_keeps_the_newest_and_prunes_the_segments_they_cover() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), 1, 16, Fsync::Never).unwrap();
        let mut state = State::default();
        for position in 1..=4u64 {
            log.rotate_if_full().unwrap();
            let mut framed = Vec::new();
            frame_record(&[position as u8; 20], &mut framed);
            log.append(&framed).unwrap();
            state.position = position;
            // Each snapshot's log point is the start of the next segment.
            write_file(dir.path(), &state, RecordRef::new(position + 1, 0)).unwrap();
        }
        assert_eq!(list(dir.path()).unwrap().len(), 4);
        let header = header_of(&list(dir.path()).unwrap()[1].1).unwrap();
        assert_eq!(header.position, 2);
        assert_eq!(header.log_at, RecordRef::new(3, 0));

        prune(
            dir.path(),
            Retention {
                keep: 3,
                prune_log: false,
            },
        )
        .unwrap();
        let kept: Vec<u64> = list(dir.path()).unwrap().iter().map(|(p, _)| *p).collect();
        assert_eq!(kept, vec![2, 3, 4]);
        assert_eq!(log::list(dir.path()).unwrap(), vec![1, 2, 3, 4]);

        prune(
            dir.path(),
            Retention {
                keep: 2,
                prune_log: true,
            },
        )
        .unwrap();
        let kept: Vec<u64> = list(dir.path()).unwrap().iter().map(|(p, _)| *p).collect();
        assert_eq!(kept, vec![3, 4]);
        // The oldest kept snapshot (position 3) resumes at segment 4: 1 to 3 are covered.
        assert_eq!(log::list(dir.path()).unwrap(), vec![4]);
    }
}
