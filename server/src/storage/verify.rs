//! `resident verify`: checks a data directory offline, and with `--repair` cuts a
//! damaged log at the damage.
//!
//! Verify changes nothing. It scans every segment, replays the whole log into a state,
//! reads every snapshot, and checks that the newest snapshot plus the log after it
//! equals the replay. Repair is the one place where acknowledged events may be given
//! up, so it only acts on what verify found, and keeps everything it takes away under
//! `DATA/damaged/`: the log cut at its first damage, and snapshots that cannot be used
//! (damaged ones, ones whose log point the log no longer reaches, and a newest one that
//! disagrees with the log).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::state::record_ref::{self, RecordRef};
use crate::state::State;
use crate::storage::frame::{self, ScanEnd};
use crate::storage::log;
use crate::storage::owner_only;
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
    /// Snapshots `--repair` would move to `DATA/damaged/`.
    pub move_aside: Vec<PathBuf>,
    /// Where the last segment's torn tail starts, if it has one.
    torn: Option<RecordRef>,
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
    let numbers = log::list(data_dir)?;
    scan_segments(data_dir, &numbers, &mut report)?;
    let replayed = if report.problems.is_empty() {
        replay_all(data_dir, &mut report)
    } else {
        None
    };
    let snapshots = snapshot_files::list(data_dir)?;
    let mut log_reaches_all = true;
    for (_, path) in &snapshots {
        log_reaches_all &= check_snapshot(data_dir, &numbers, path, &mut report)?;
    }
    // Start-up refuses a log that ends before a snapshot's log point, as said above.
    if let (Some(full), Some(_), true) = (&replayed, snapshots.last(), log_reaches_all) {
        compare_start_up(data_dir, full, &mut report);
    }
    warn_of_covered_cut(&snapshots, &mut report);
    Ok(report)
}

/// Damage that a snapshot covers leaves the server's state whole (it starts from the
/// snapshot); cutting the log there would give up far more than the damage. Says so.
fn warn_of_covered_cut(snapshots: &[(u64, PathBuf)], report: &mut Report) {
    let Some(cut_at) = report.cut_at else {
        return;
    };
    let covering = snapshots.iter().rev().find(|(_, path)| {
        !report.move_aside.contains(path)
            && snapshot_files::header_of(path).is_ok_and(|h| h.log_at > cut_at)
    });
    if let Some((_, path)) = covering {
        report.note(format!(
            "{} covers the damage at {cut_at}: the server starts from it with its state \
             whole, and only reads of the damaged events fail. --repair would cut the log \
             at the damage and move that snapshot aside, giving up every later event; \
             restoring the damaged segment from a backup loses nothing",
            path.display()
        ));
    }
}

/// Scans each segment's framing: a torn tail on the last one is a note, any other
/// damage a problem, and the first one where `repair` would cut.
fn scan_segments(data_dir: &Path, numbers: &[u64], report: &mut Report) -> anyhow::Result<()> {
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
            ScanEnd::TornTail { offset, reason } if is_last => {
                report.note(format!(
                    "{}: {records} records, then a torn tail at offset {offset} ({reason}); the \
                     server cuts it at the next start (it was never acknowledged)",
                    path.display()
                ));
                report.torn = Some(RecordRef::new(number, offset));
            }
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

/// Reads one snapshot whole and checks that the log reaches its log point; false when
/// it does not.
fn check_snapshot(
    data_dir: &Path,
    numbers: &[u64],
    path: &Path,
    report: &mut Report,
) -> anyhow::Result<bool> {
    let read = fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| snapshot_format::read(&b));
    let header = match &read {
        Ok((_, header)) => Ok(header.clone()),
        Err(_) => snapshot_files::header_of(path),
    };
    if let Ok(header) = &header {
        let torn_before = report
            .torn
            .filter(|t| {
                t.segment() == header.log_at.segment() && t.offset() < header.log_at.offset()
            })
            .map(|t| format!("the log ends with a torn tail at {t}"));
        if let Some(end) =
            recovery::log_ends_before(data_dir, numbers, header.log_at)?.or(torn_before)
        {
            report.problem(format!(
                "{}: holds position {} up to log point {}, but {end}: the log lost \
                 acknowledged records, and the server refuses to start. Restore the log from \
                 a backup, or --repair moves this snapshot to {} (the events only it holds \
                 are given up)",
                path.display(),
                header.position,
                header.log_at,
                damaged_dir(data_dir).display()
            ));
            report.move_aside.push(path.to_path_buf());
            return Ok(false);
        }
    }
    match read {
        Ok((state, header)) => report.ok(format!(
            "{}: position {}, {} entities, log point {}",
            path.display(),
            header.position,
            state.entity_count_total(),
            header.log_at
        )),
        Err(why) => {
            report.problem(format!(
                "{}: {why}; the server skips it for an older snapshot or the whole log, and \
                 --repair moves it to {}",
                path.display(),
                damaged_dir(data_dir).display()
            ));
            report.move_aside.push(path.to_path_buf());
        }
    }
    Ok(true)
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
            Some(difference) => {
                let used = loaded.report.snapshot.map(|(path, _)| path);
                report.problem(format!(
                    "start-up from {} disagrees with the log: {difference}; --repair moves \
                     that snapshot to {}, and the server then starts from an older one or \
                     the whole log",
                    used.as_ref()
                        .map_or("no snapshot".to_string(), |p| p.display().to_string()),
                    damaged_dir(data_dir).display()
                ));
                report.move_aside.extend(used);
            }
        },
        Err(e) => report.problem(format!("start-up from the snapshots failed: {e:#}")),
    }
}

pub fn damaged_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("damaged")
}

/// Whether `--repair` can mend what `report` found.
pub fn can_repair(report: &Report) -> bool {
    report.cut_at.is_some() || !report.move_aside.is_empty()
}

/// Mends what `verify` found: cuts the log at its first damage, moving the cut part,
/// every later segment and every snapshot past the cut to `DATA/damaged/`, and moves
/// the snapshots verify found unusable there too. Returns what it did.
pub fn repair(data_dir: &Path, report: &Report) -> anyhow::Result<Vec<String>> {
    let damaged_dir = damaged_dir(data_dir);
    owner_only::create_dir(&damaged_dir)
        .with_context(|| format!("cannot create {}", damaged_dir.display()))?;
    let mut done = Vec::new();
    if let Some(cut_at) = report.cut_at {
        cut_log(data_dir, cut_at, &damaged_dir, &mut done)?;
    }
    for path in &report.move_aside {
        if path.exists() {
            done.push(move_aside(path, &damaged_dir)?);
        }
    }
    Ok(done)
}

fn cut_log(
    data_dir: &Path,
    cut_at: RecordRef,
    damaged_dir: &Path,
    done: &mut Vec<String>,
) -> anyhow::Result<()> {
    let log_dir = log::log_dir(data_dir);
    let path = log_dir.join(record_ref::segment_name(cut_at.segment()));
    let bytes = fs::read(&path)?;
    let offset = usize::try_from(cut_at.offset())?.min(bytes.len());
    let kept_as = free_name(
        damaged_dir,
        &format!(
            "{}.from-{offset}",
            record_ref::segment_name(cut_at.segment())
        ),
    );
    // Durable before the log is cut: the kept bytes are all that is left of them.
    let mut kept = owner_only::create_file(&kept_as)?;
    kept.write_all(&bytes[offset..])?;
    kept.sync_all()?;
    fs::File::open(damaged_dir)?.sync_all()?;
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
                damaged_dir,
            )?);
        }
    }
    for (_, snapshot_path) in snapshot_files::list(data_dir)? {
        let header = snapshot_files::header_of(&snapshot_path);
        if header.map_or(true, |h| h.log_at > cut_at) {
            done.push(move_aside(&snapshot_path, damaged_dir)?);
        }
    }
    Ok(())
}

fn move_aside(path: &Path, damaged_dir: &Path) -> anyhow::Result<String> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let to = free_name(damaged_dir, &name);
    fs::rename(path, &to)?;
    Ok(format!("moved {} to {}", path.display(), to.display()))
}

/// `dir/name`, or `dir/name.N` with the first N not taken: a second repair never
/// overwrites what an earlier one kept.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    std::iter::once(dir.join(name))
        .chain((1..).map(|n| dir.join(format!("{name}.{n}"))))
        .find(|p| !p.exists())
        .unwrap_or_default()
}
