//! Rebuilds the state at start-up: the newest usable snapshot, then the log after it,
//! replayed through the writer's own apply code, so the recovered state is exactly
//! the acknowledged one.
//!
//! A damaged newest snapshot is skipped with a warning for the one before, down to an
//! empty state and the whole log. The log is never skipped: damage in the part replayed
//! stops the start (see [`crate::storage::log::read`]), and so does a log that ends
//! before a snapshot's log point, since the snapshot proves that records were lost.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::state::record_ref::{self, RecordRef};
use crate::state::State;
use crate::storage::log::{self, SegmentRead};
use crate::storage::record::{self, Record};
use crate::storage::snapshot_files;
use crate::storage::snapshot_format;

/// How often a long replay reports progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Records decoded per chunk handed to the applying thread, and chunks decoded ahead:
/// bounds the memory the decoding thread may run ahead with.
const DECODED_CHUNK_RECORDS: usize = 1024;
const DECODED_CHUNKS_AHEAD: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// For the server: cut a torn tail off the log file.
    Start,
    /// For `resident verify`: change nothing on disk.
    ReadOnly,
}

/// What loading did, for the start-up report.
#[derive(Debug, Default)]
pub struct Report {
    /// The snapshot loaded and its position.
    pub snapshot: Option<(PathBuf, u64)>,
    /// Snapshots that could not be used, newest first, with why.
    pub snapshots_skipped: Vec<(PathBuf, String)>,
    pub events_replayed: u64,
    /// The segments before the snapshot's log point, which were not read (see
    /// [`crate::storage::log_check`]).
    pub segments_not_read: Vec<u64>,
    /// `(file, offset, reason)` of a torn tail, cut off in [`Mode::Start`].
    pub torn: Option<(PathBuf, u64, String)>,
    pub took: Duration,
}

pub struct Loaded {
    pub state: State,
    /// Where the next record is appended: the end of the last segment.
    pub log_end: RecordRef,
    pub report: Report,
}

/// Loads the state under `data_dir`, from a snapshot when `use_snapshots`.
pub fn load(data_dir: &Path, mode: Mode, use_snapshots: bool) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let numbers = log::list(data_dir)?;
    let mut report = Report::default();
    let start = if use_snapshots {
        newest_usable_snapshot(data_dir, &numbers, &mut report)?
    } else {
        None
    };
    let (mut state, resume_at) = match start {
        Some(start) => start,
        None => empty_start(data_dir, &numbers, &report)?,
    };
    let replay = segments_to_replay(data_dir, &numbers, resume_at)?;
    report.segments_not_read = numbers
        .iter()
        .copied()
        .filter(|n| *n < resume_at.segment())
        .collect();
    let mut log_end = RecordRef::new(1, 0);
    let mut progress = Progress::new();
    for (i, &number) in replay.iter().enumerate() {
        let read = log::read(data_dir, number, i + 1 == replay.len())?;
        let end = torn_tail(data_dir, &read, resume_at, mode, &mut report)?;
        progress.segments_left = replay.len() - i - 1;
        replay_segment(
            data_dir,
            &read,
            resume_at,
            &mut state,
            &mut report,
            &mut progress,
        )?;
        log_end = RecordRef::new(number, end);
    }
    report.took = started.elapsed();
    Ok(Loaded {
        state,
        log_end,
        report,
    })
}

/// The newest snapshot that reads back whole, and the log point replay resumes at;
/// the ones skipped on the way are in `report`.
///
/// A snapshot whose header reads back proves that the log once reached its log point:
/// when the log ends before it, acknowledged records are gone, and starting from the
/// shorter log (or an older snapshot) would serve a state older than the acknowledged
/// one, so start-up is refused instead.
fn newest_usable_snapshot(
    data_dir: &Path,
    numbers: &[u64],
    report: &mut Report,
) -> anyhow::Result<Option<(State, RecordRef)>> {
    for (position, path) in snapshot_files::list(data_dir)?.into_iter().rev() {
        if let Ok(header) = snapshot_files::header_of(&path) {
            if let Some(end) = log_ends_before(data_dir, numbers, header.log_at)? {
                anyhow::bail!(lost_records(data_dir, &path, &header, &end));
            }
        }
        match usable_snapshot(&path, numbers) {
            Ok((state, header)) => {
                report.snapshot = Some((path, position));
                return Ok(Some((state, header.log_at)));
            }
            Err(why) => {
                tracing::warn!(file = %path.display(), reason = %why, "skipping a snapshot that cannot be used");
                report.snapshots_skipped.push((path, why));
            }
        }
    }
    Ok(None)
}

/// Where the log ends, said for people, when that is before `at`; `None` when the log
/// reaches it. Only file sizes are looked at (a torn tail is judged when it is read).
pub fn log_ends_before(
    data_dir: &Path,
    numbers: &[u64],
    at: RecordRef,
) -> anyhow::Result<Option<String>> {
    let Some(&last) = numbers.last() else {
        return Ok(Some(format!(
            "there is no log in {}",
            log::log_dir(data_dir).display()
        )));
    };
    if at.segment() > last || numbers.contains(&at.segment()) {
        let segment = at.segment().min(last);
        let path = log::log_dir(data_dir).join(record_ref::segment_name(segment));
        let len = std::fs::metadata(&path)
            .with_context(|| format!("cannot read the size of {}", path.display()))?
            .len();
        if segment < at.segment() || len < at.offset() {
            return Ok(Some(format!(
                "the log ends with {} at {len} bytes",
                path.display()
            )));
        }
    }
    Ok(None)
}

/// Why start-up refuses a log that ends before `snapshot`'s log point, and what the
/// operator can do about it.
fn lost_records(
    data_dir: &Path,
    snapshot: &Path,
    header: &snapshot_format::Header,
    log_end: &str,
) -> String {
    format!(
        "snapshot {} holds the state at position {}, up to log point {}, but {log_end}: \
         the log lost acknowledged records (fsync = every or never and a system crash, or a \
         log restored from an older backup). Refusing to start from the shorter log, which \
         would serve a state older than the one acknowledged. {}",
        snapshot.display(),
        header.position,
        header.log_at,
        what_to_do(data_dir)
    )
}

/// The operator's two ways on when the log lost records that a snapshot holds.
fn what_to_do(data_dir: &Path) -> String {
    format!(
        "Nothing was changed. Restore the log files from a backup if you have them; \
         otherwise `resident verify --data {dir} --repair` moves such snapshots to \
         {dir}/damaged/, and the server then starts from the log and older snapshots, \
         without the events the log lost",
        dir = data_dir.display()
    )
}

/// Without a snapshot, replay starts empty at the start of the log, which must hold
/// every segment from the first.
fn empty_start(
    data_dir: &Path,
    numbers: &[u64],
    report: &Report,
) -> anyhow::Result<(State, RecordRef)> {
    if numbers.is_empty() && !report.snapshots_skipped.is_empty() {
        anyhow::bail!(
            "{} holds snapshots but no log: refusing to start empty over them{}",
            data_dir.display(),
            skipped_list(report)
        );
    }
    if let Some(first) = numbers.first().filter(|n| **n != 1) {
        anyhow::bail!(
            "the log in {} starts at segment {first}: earlier segments were pruned, and no \
             usable snapshot covers them{}",
            log::log_dir(data_dir).display(),
            skipped_list(report)
        );
    }
    Ok((State::default(), RecordRef::new(1, 0)))
}

/// The segments from the one holding `resume_at` on, which must be consecutive.
fn segments_to_replay(
    data_dir: &Path,
    numbers: &[u64],
    resume_at: RecordRef,
) -> anyhow::Result<Vec<u64>> {
    let replay: Vec<u64> = numbers
        .iter()
        .copied()
        .filter(|n| *n >= resume_at.segment())
        .collect();
    if let Some(gap) = replay.windows(2).find(|w| w[1] != w[0] + 1) {
        anyhow::bail!(
            "log segments {} and {} of {} are not consecutive: a segment is missing",
            gap[0],
            gap[1],
            log::log_dir(data_dir).display()
        );
    }
    Ok(replay)
}

/// Where the records of `read` end: before a torn tail, which is cut off in
/// [`Mode::Start`] unless it lies before the snapshot's log point.
fn torn_tail(
    data_dir: &Path,
    read: &SegmentRead,
    resume_at: RecordRef,
    mode: Mode,
    report: &mut Report,
) -> anyhow::Result<u64> {
    let Some((offset, reason)) = &read.torn else {
        return Ok(read.bytes.len() as u64);
    };
    if read.number == resume_at.segment() && *offset < resume_at.offset() {
        anyhow::bail!(
            "{} ends at offset {offset} (a torn tail: {reason}), before the newest \
             snapshot's log point {resume_at}: the log lost acknowledged records (fsync = \
             every or never and a system crash?). {}",
            read.path.display(),
            what_to_do(data_dir)
        );
    }
    tracing::warn!(
        file = %read.path.display(),
        offset,
        reason = %reason,
        "cutting a torn tail off the log: an unacknowledged write was interrupted"
    );
    if mode == Mode::Start {
        log::cut(&read.path, *offset)?;
    }
    report.torn = Some((read.path.clone(), *offset, reason.clone()));
    Ok(*offset)
}

/// Says how a long replay goes, every [`PROGRESS_EVERY`].
struct Progress {
    last: Instant,
    segments_left: usize,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            last: Instant::now(),
            segments_left: 0,
        }
    }

    fn tick(&mut self, segment: &Path, report: &Report, state: &State) {
        if self.last.elapsed() >= PROGRESS_EVERY {
            self.last = Instant::now();
            tracing::info!(
                segment = %segment.display(),
                segments_left = self.segments_left,
                events_replayed = report.events_replayed,
                position = state.position(),
                "replaying the log"
            );
        }
    }
}

/// Applies the records of `read` from `resume_at` on to `state`.
///
/// Decoding (CBOR into events) runs on a second thread, a chunk of records ahead of
/// applying: the two take similar time, and neither depends on the other's result.
fn replay_segment(
    data_dir: &Path,
    read: &SegmentRead,
    resume_at: RecordRef,
    state: &mut State,
    report: &mut Report,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(DECODED_CHUNKS_AHEAD);
        scope.spawn(move || {
            let records = read
                .records
                .iter()
                .filter(|body| read.record_ref(body) >= resume_at);
            let mut chunk = Vec::with_capacity(DECODED_CHUNK_RECORDS);
            for body in records {
                let at = read.record_ref(body);
                let bytes = read.bytes.get(body.clone()).unwrap_or_default();
                chunk.push((at, record::decode(bytes)));
                if chunk.len() == DECODED_CHUNK_RECORDS
                    && tx.send(std::mem::take(&mut chunk)).is_err()
                {
                    return; // the applying side stopped at an error
                }
            }
            let _ = tx.send(chunk);
        });
        for (at, decoded) in rx.iter().flatten() {
            let damaged = |what: String| damaged(data_dir, read, at, what);
            let record = decoded.map_err(|e| damaged(format!("cannot be read: {}", e.message)))?;
            apply(state, record, at, report).map_err(damaged)?;
            progress.tick(&read.path, report, state);
        }
        Ok(())
    })
}

/// Applies one logged record, as the writer did when it wrote it.
fn apply(
    state: &mut State,
    record: Record,
    at: RecordRef,
    report: &mut Report,
) -> Result<(), String> {
    match record {
        Record::Commit(events) => {
            state
                .apply_commit(&events, at)
                .map_err(|e| format!("cannot be applied: {}", e.message))?;
            report.events_replayed += events.len() as u64;
        }
        Record::Schema(schema) => {
            schema
                .validate()
                .map_err(|e| format!("holds an invalid schema: {}", e.message))?;
            state.install_schema(schema);
        }
    }
    Ok(())
}

/// A record whose checksum is valid but whose content is not: not a torn write.
fn damaged(data_dir: &Path, read: &SegmentRead, at: RecordRef, what: String) -> anyhow::Error {
    anyhow::anyhow!(
        "log file {} record at offset {} {what}; its checksum is valid, so this is \
         not a torn write: refusing to start. Back the data directory up and report \
         it; `resident verify --data {}` shows the damage",
        read.path.display(),
        at.offset(),
        data_dir.display()
    )
}

fn skipped_list(report: &Report) -> String {
    report
        .snapshots_skipped
        .iter()
        .map(|(path, why)| format!("; {} was skipped: {why}", path.display()))
        .collect()
}

/// A snapshot that reads back whole and whose log point is in a segment the log has.
fn usable_snapshot(
    path: &Path,
    numbers: &[u64],
) -> Result<(State, snapshot_format::Header), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let (state, header) = snapshot_format::read(&bytes)?;
    let at = header.log_at;
    if !numbers.contains(&at.segment()) {
        return Err(format!(
            "its log point {at} is in a segment that is not in the log"
        ));
    }
    Ok((state, header))
}

#[cfg(test)]
mod tests {
    use resident_protocol::Value;

    use super::*;
    use crate::storage::event_reader::LogRecords;
    use crate::storage::frame::frame_record;
    use crate::storage::fsync::Fsync;
    use crate::storage::log::Log;
    use crate::storage::record::{encode_commit, encode_schema};
    use crate::testkit::*;
    use crate::write::commit::Expected::Any;

    /// Writes the bank schema and two accounts' commits to a log, as the writer would.
    fn written_log(dir: &Path, segment_bytes_max: u64) -> State {
        let mut log = Log::open(dir, 1, segment_bytes_max, Fsync::Always).unwrap();
        let mut state = bank();
        let mut framed = Vec::new();
        frame_record(&encode_schema(state.schema()), &mut framed);
        log.append(&framed).unwrap();
        for (key, amount) in [("a", 3), ("b", 4)] {
            log.rotate_if_full().unwrap();
            let events = vec![
                new_event(
                    &format!("{key}1"),
                    "AccountOpened",
                    vec![("name", Value::from(key))],
                ),
                new_event(
                    &format!("{key}2"),
                    "BalanceIncreased",
                    vec![("amount", Value::from(amount))],
                ),
            ];
            let (_, stored) = crate::write::commit::execute(
                &mut state,
                &write(key, Any, events),
                RECORDED_AT,
                log.end(),
                &LogRecords::new(dir),
            )
            .unwrap();
            let mut framed = Vec::new();
            frame_record(&encode_commit(&stored), &mut framed);
            log.append(&framed).unwrap();
        }
        state
    }

    #[test]
    fn replay_rebuilds_the_written_state_across_segments() {
        for segment_bytes_max in [1, 1 << 20] {
            let dir = tempfile::tempdir().unwrap();
            let state = written_log(dir.path(), segment_bytes_max);
            let loaded = load(dir.path(), Mode::Start, true).unwrap();
            assert_eq!(loaded.report.events_replayed, 4);
            let s = loaded.state;
            assert_eq!(s.position(), 4);
            assert_eq!(s.schema(), state.schema());
            assert_eq!(s.schema_version(), 1);
            assert_eq!(field_of(&s, "b", "balance"), Value::from(4));
            assert_eq!(s.difference(&state), None);
            let refs = s.stream_refs("AccountAggregateRoot-a", 1, 10);
            let events = crate::storage::event_reader::stream_events(
                &LogRecords::new(dir.path()),
                "AccountAggregateRoot-a",
                &refs,
            )
            .unwrap();
            assert_eq!(events.len(), 2);
            assert_eq!(events[1].event_type, "BalanceIncreased");
        }
    }

    #[test]
    fn a_snapshot_plus_the_tail_equals_the_whole_log_and_a_damaged_one_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        written_log(dir.path(), 1);
        let full = load(dir.path(), Mode::ReadOnly, false).unwrap();
        // A snapshot after the first account (segments 1 and 2: the schema, then
        // account a); account b, in segment 3, is the tail.
        let mut partial = State::default();
        for n in 1..=2 {
            let read = log::read(dir.path(), n, false).unwrap();
            for body in &read.records {
                match record::decode(&read.bytes[body.clone()]).unwrap() {
                    Record::Commit(events) => {
                        partial
                            .apply_commit(&events, read.record_ref(body))
                            .unwrap();
                    }
                    Record::Schema(schema) => partial.install_schema(schema),
                }
            }
        }
        let first_account_end = RecordRef::new(3, 0);
        snapshot_files::write_file(dir.path(), &partial, first_account_end).unwrap();
        let loaded = load(dir.path(), Mode::Start, true).unwrap();
        assert_eq!(loaded.report.snapshot.as_ref().map(|s| s.1), Some(2));
        assert_eq!(loaded.report.events_replayed, 2);
        assert_eq!(loaded.state.difference(&full.state), None);

        // Snapshots without a log are refused rather than started empty over.
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(snapshot_files::dir(empty.path())).unwrap();
        std::fs::copy(
            snapshot_files::list(dir.path()).unwrap()[0].1.clone(),
            snapshot_files::dir(empty.path()).join("00000000000000000002.snap"),
        )
        .unwrap();
        let err = load(empty.path(), Mode::Start, true)
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("no log"), "{err}");

        // A newer, damaged snapshot is skipped for the good one.
        let newer = snapshot_files::dir(dir.path()).join("00000000000000000004.snap");
        std::fs::write(&newer, b"not a snapshot").unwrap();
        let loaded = load(dir.path(), Mode::Start, true).unwrap();
        assert_eq!(loaded.report.snapshots_skipped.len(), 1);
        assert_eq!(loaded.report.snapshot.as_ref().map(|s| s.1), Some(2));
        assert_eq!(loaded.state.difference(&full.state), None);
    }

    #[test]
    fn a_log_that_ends_before_a_snapshot_s_log_point_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let state = written_log(dir.path(), 1 << 20);
        let end = log::read(dir.path(), 1, true).unwrap().bytes.len() as u64;
        for log_at in [RecordRef::new(1, end + 1), RecordRef::new(2, 0)] {
            snapshot_files::write_file(dir.path(), &state, log_at).unwrap();
            let err = load(dir.path(), Mode::Start, true)
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains("lost acknowledged records"), "{err}");
            assert!(err.contains(&format!("at {end} bytes")), "{err}");
            assert!(err.contains("--repair"), "{err}");
            assert!(
                load(dir.path(), Mode::ReadOnly, false).is_ok(),
                "the log itself is fine"
            );
            std::fs::remove_dir_all(snapshot_files::dir(dir.path())).unwrap();
        }
    }
}
