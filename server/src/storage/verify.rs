//! `resident verify`: checks a data directory offline, and with `--repair` cuts a
//! damaged log at the damage.
//!
//! Verify changes nothing. It scans every segment, replays the whole log into a state,
//! reads every snapshot, and checks that the newest snapshot plus the log after it
//! equals the replay. Repair is the one place where acknowledged events may be given
//! up, so it only acts on damage verify found, and keeps what it cuts under
//! `DATA/damaged/`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::state::record_ref::{self, RecordRef};
use crate::state::State;
use crate::storage::frame::{self, ScanEnd};
use crate::storage::log;
use crate::storage::recovery::{self, Mode};
use crate::storage::snapshot_files;
use crate::storage::snapshot_format;

/// What verify found.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per thing checked, for people.
    pub lines: Vec<String>,
    /// Lines that describe damage; empty when the directory is sound.
    pub problems: Vec<String>,
    /// The first damaged place in the log, where `--repair` would cut.
    pub cut_at: Option<RecordRef>,
}

impl Report {
    fn ok(&mut self, line: String) {
        self.lines.push(format!("ok       {line}"));
    }

    fn note(&mut self, line: String) {
        self.lines.push(format!("note     {line}"));
    }

    fn problem(&mut self, line: String) {
        self.lines.push(format!("DAMAGED  {line}"));
        self.problems.push(line);
    }
}

/// Checks the log segments, the replay of the whole log, every snapshot, and that the
/// newest snapshot plus the log after it equals that replay.
pub fn verify(data_dir: &Path) -> anyhow::Result<Report> {
    anyhow::ensure!(
        data_dir.is_dir(),
        "{} is not a directory",
        data_dir.display()
    );
    let mut report = Report::default();
    scan_segments(data_dir, &mut report)?;
    let replayed = if report.problems.is_empty() {
        replay_all(data_dir, &mut report)
    } else {
        None
    };
    let snapshots = snapshot_files::list(data_dir)?;
    for (_, path) in &snapshots {
        read_snapshot(path, &mut report);
    }
    if let (Some(full), Some(_)) = (&replayed, snapshots.last()) {
        compare_start_up(data_dir, full, &mut report);
    }
    Ok(report)
}

/// Scans each segment's framing: a torn tail on the last one is a note, any other
/// damage a problem, and the first one where `repair` would cut.
fn scan_segments(data_dir: &Path, report: &mut Report) -> anyhow::Result<()> {
    let numbers = log::list(data_dir)?;
    if numbers.is_empty() {
        report.note(format!(
            "{} holds no log segments (an empty data directory)",
            log::log_dir(data_dir).display()
        ));
    }
    for (i, &number) in numbers.iter().enumerate() {
        let is_last = i + 1 == numbers.len();
        let path = log::log_dir(data_dir).join(record_ref::segment_name(number));
        let bytes = fs::read(&path)?;
        let scanned = frame::scan(&bytes);
        let records = scanned.records.len();
        match scanned.end {
            ScanEnd::Clean => report.ok(format!(
                "{}: {records} records, {} bytes",
                path.display(),
                bytes.len()
            )),
            ScanEnd::TornTail { offset, reason } if is_last => report.note(format!(
                "{}: {records} records, then a torn tail at offset {offset} ({reason}); the \
                 server cuts it at the next start (it was never acknowledged)",
                path.display()
            )),
            ScanEnd::TornTail { offset, reason } | ScanEnd::Corrupt { offset, reason } => {
                report.problem(format!(
                    "{}: damaged at offset {offset} ({reason}) after {records} good records",
                    path.display()
                ));
                report.cut_at.get_or_insert(RecordRef::new(number, offset));
            }
        }
    }
    Ok(())
}

/// The state the whole log replays to, without snapshots.
fn replay_all(data_dir: &Path, report: &mut Report) -> Option<State> {
    match recovery::load(data_dir, Mode::ReadOnly, false) {
        Ok(loaded) => {
            report.ok(format!(
                "the whole log replays: position {}, {} entities",
                loaded.state.position(),
                loaded.state.entity_count_total()
            ));
            Some(loaded.state)
        }
        Err(e) => {
            report.problem(format!("replaying the log failed: {e:#}"));
            None
        }
    }
}

fn read_snapshot(path: &Path, report: &mut Report) {
    match fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| snapshot_format::read(&b))
    {
        Ok((state, header)) => report.ok(format!(
            "{}: position {}, {} entities, log point {}",
            path.display(),
            header.position,
            state.entity_count_total(),
            header.log_at
        )),
        Err(why) => report.problem(format!("{}: {why}", path.display())),
    }
}

/// Start-up as the server does it (the newest usable snapshot, then the log) must
/// build the state the whole log replays to.
fn compare_start_up(data_dir: &Path, full: &State, report: &mut Report) {
    match recovery::load(data_dir, Mode::ReadOnly, true) {
        Ok(loaded) => match loaded.state.difference(full) {
            None => report.ok(format!(
                "start-up from {} plus the log after it equals the replay of the whole log",
                loaded
                    .report
                    .snapshot
                    .map_or("no snapshot".to_string(), |(p, _)| p.display().to_string())
            )),
            Some(difference) => report.problem(format!(
                "start-up from the newest snapshot disagrees with the log: {difference}"
            )),
        },
        Err(e) => report.problem(format!("start-up from the snapshots failed: {e:#}")),
    }
}

/// Cuts the log at the first damage `verify` found, moving the cut part, every later
/// segment and every snapshot past the cut to `DATA/damaged/`. Returns what it did.
pub fn repair(data_dir: &Path, cut_at: RecordRef) -> anyhow::Result<Vec<String>> {
    let damaged_dir = data_dir.join("damaged");
    fs::create_dir_all(&damaged_dir)?;
    let mut done = Vec::new();
    let log_dir = log::log_dir(data_dir);
    let path = log_dir.join(record_ref::segment_name(cut_at.segment()));
    let bytes = fs::read(&path)?;
    let offset = usize::try_from(cut_at.offset())?.min(bytes.len());
    let kept_as = damaged_dir.join(format!(
        "{}.from-{offset}",
        record_ref::segment_name(cut_at.segment())
    ));
    fs::write(&kept_as, &bytes[offset..])?;
    fs::File::open(&damaged_dir)?.sync_all()?;
    log::cut(&path, cut_at.offset())?;
    done.push(format!(
        "cut {} at offset {offset}; the {} bytes after it are in {}",
        path.display(),
        bytes.len() - offset,
        kept_as.display()
    ));
    for number in log::list(data_dir)? {
        if number > cut_at.segment() {
            done.push(move_aside(
                &log_dir.join(record_ref::segment_name(number)),
                &damaged_dir,
            )?);
        }
    }
    for (_, snapshot_path) in snapshot_files::list(data_dir)? {
        let header = snapshot_files::header_of(&snapshot_path);
        if header.map_or(true, |h| h.log_at > cut_at) {
            done.push(move_aside(&snapshot_path, &damaged_dir)?);
        }
    }
    Ok(done)
}

fn move_aside(path: &PathBuf, damaged_dir: &Path) -> anyhow::Result<String> {
    let name = path.file_name().unwrap_or_default();
    let to = damaged_dir.join(name);
    fs::rename(path, &to)?;
    Ok(format!("moved {} to {}", path.display(), to.display()))
}
