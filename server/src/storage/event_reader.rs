//! Reads recorded events back from the log, for stream reads and resend answers.
//!
//! The state keeps only where each event was recorded ([`RecordRef`]); the event is in
//! the commit record there. Records just written are in the page cache, and a batch
//! that is not yet written is read from the writer's buffer.

use std::path::Path;
use std::sync::Arc;

use resident_protocol::error_code;

use crate::error::ServerError;
use crate::state::event::StoredEvent;
use crate::state::record_ref::{segment_name, RecordRef};
use crate::storage::frame;
use crate::storage::log;
use crate::storage::record::{self, Record};

/// Where commit records can be read back from.
pub trait RecordSource {
    /// The events of the commit record at `at`.
    fn events_at(&self, at: RecordRef) -> Result<Vec<Arc<StoredEvent>>, ServerError>;
}

/// The log under a data directory, plus the bytes of a batch not yet written, which
/// will land at `pending_at`.
pub struct LogRecords<'a> {
    data_dir: &'a Path,
    pending: Option<(RecordRef, &'a [u8])>,
}

impl<'a> LogRecords<'a> {
    pub fn new(data_dir: &'a Path) -> Self {
        LogRecords {
            data_dir,
            pending: None,
        }
    }

    pub fn with_pending(data_dir: &'a Path, pending_at: RecordRef, framed: &'a [u8]) -> Self {
        LogRecords {
            data_dir,
            pending: Some((pending_at, framed)),
        }
    }
}

impl RecordSource for LogRecords<'_> {
    fn events_at(&self, at: RecordRef) -> Result<Vec<Arc<StoredEvent>>, ServerError> {
        let body = match self.pending {
            Some((base, framed)) if at.segment() == base.segment() && at >= base => {
                let offset = usize::try_from(at.offset() - base.offset()).unwrap_or(usize::MAX);
                frame::record_at(framed, offset)
                    .map(|range| framed[range].to_vec())
                    .map_err(|why| ServerError::internal(format!("no record at {at}: {why}")))?
            }
            _ => log::read_record(self.data_dir, at).map_err(|e| self.unreadable(at, e))?,
        };
        let record = record::decode(&body).map_err(|e| self.damaged(at, &e.message))?;
        match record {
            Record::Commit(events) => Ok(events),
            Record::Schema(_) => Err(ServerError::internal(format!(
                "the record at {at} is a schema record, not a commit"
            ))),
        }
    }
}

impl LogRecords<'_> {
    /// The answer when the record at `at` cannot be read: a segment that is gone was
    /// pruned (`--prune-log`); anything else is damage.
    fn unreadable(&self, at: RecordRef, e: std::io::Error) -> ServerError {
        let path = log::log_dir(self.data_dir).join(segment_name(at.segment()));
        if e.kind() == std::io::ErrorKind::NotFound {
            return ServerError::internal(format!(
                "cannot read the event record at {at}: {} is no longer in the log (removed \
                 by --prune-log?)",
                path.display()
            ));
        }
        self.damaged(at, &e.to_string())
    }

    fn damaged(&self, at: RecordRef, why: &str) -> ServerError {
        let path = log::log_dir(self.data_dir).join(segment_name(at.segment()));
        ServerError::new(
            error_code::DAMAGED,
            format!(
                "the event record at offset {} of {} cannot be read ({why}): the log is \
                 damaged there. The state is unaffected; back the data directory up and run \
                 `resident verify --data {}`",
                at.offset(),
                path.display(),
                self.data_dir.display()
            ),
        )
    }
}

/// Reads records through a source, keeping the last one read: the events looked up one
/// after another (a stream's, a resend's) mostly share their record, which is then read
/// and decoded once.
pub struct LastRecord<'s> {
    source: &'s dyn RecordSource,
    last: Option<(RecordRef, Vec<Arc<StoredEvent>>)>,
}

impl<'s> LastRecord<'s> {
    pub fn new(source: &'s dyn RecordSource) -> Self {
        LastRecord { source, last: None }
    }

    /// The event of the record at `at` that `matches`, if it holds one.
    pub fn find(
        &mut self,
        at: RecordRef,
        matches: impl Fn(&StoredEvent) -> bool,
    ) -> Result<Option<&Arc<StoredEvent>>, ServerError> {
        if self.last.as_ref().map(|(r, _)| *r) != Some(at) {
            self.last = Some((at, self.source.events_at(at)?));
        }
        let events = self
            .last
            .as_ref()
            .map(|(_, e)| e.as_slice())
            .unwrap_or_default();
        Ok(events.iter().find(|e| matches(e)))
    }
}

/// The events of one stream at the given `(version, record)` pairs, in order.
pub fn stream_events(
    source: &dyn RecordSource,
    stream: &str,
    refs: &[(u64, RecordRef)],
) -> Result<Vec<Arc<StoredEvent>>, ServerError> {
    let mut events = Vec::with_capacity(refs.len());
    for_each_stream_event(source, stream, refs, |event| {
        events.push(event.clone());
        Ok(())
    })?;
    Ok(events)
}

/// Hands the events of [`stream_events`] to `each` one at a time, as they are read, so
/// that a caller can stop (at `each`'s first error) before holding them all.
pub fn for_each_stream_event(
    source: &dyn RecordSource,
    stream: &str,
    refs: &[(u64, RecordRef)],
    mut each: impl FnMut(&Arc<StoredEvent>) -> Result<(), ServerError>,
) -> Result<(), ServerError> {
    let mut records = LastRecord::new(source);
    for (version, at) in refs {
        let event = records
            .find(*at, |e| &*e.stream == stream && e.version == *version)?
            .ok_or_else(|| {
                ServerError::internal(format!(
                    "the record at {at} does not hold version {version} of {stream}"
                ))
            })?;
        each(event)?;
    }
    Ok(())
}
