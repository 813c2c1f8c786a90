//! The single writer: one OS thread that owns the log and the authoritative state.
//!
//! Commits and schema registrations queue on a bounded channel. The writer takes all
//! that is queued (group commit), validates each against a working copy of the state —
//! a failing one writes nothing and does not disturb the others — appends every record
//! in one write, fsyncs once, and only then publishes the new state and answers. So no
//! reader sees a write before it is durable and no acknowledged write is lost.
//!
//! A full disk refuses the batch (`disk_full`) with nothing of it in the log, and later
//! batches try again (logged sparingly: [`crate::write::disk_full_log`]). Any other failed write or fsync is fatal for writing (the kernel
//! may have dropped the pages, so a retry could lie): every later write is answered
//! `unavailable`, reads go on.
//!
//! After publishing, the writer hands a clone of the state to the snapshot thread when
//! the schedule says so; the clone is O(1), so commits do not wait for snapshots.

use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::{mpsc, oneshot};

use crate::error::ServerError;
use crate::state::record_ref::RecordRef;
use crate::state::schema::SchemaPart;
use crate::state::State;
use crate::storage::event_reader::LogRecords;
use crate::storage::frame;
use crate::storage::log::{AppendError, Log};
use crate::storage::record;
use crate::storage::snapshot_writer::Snapshotter;
use crate::write::commit::{self, CommitOutcome, CommitRequest};
use crate::write::disk_full_log::{self, DiskFullLog};
use crate::write::register::{self, RegisterOutcome};

/// When the writer takes a snapshot on its own.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotSchedule {
    /// After this many events since the last snapshot.
    pub every_events: u64,
    /// Or after this long, when there were events since.
    pub every: Duration,
}

/// Requests waiting for the writer. A full queue makes clients wait (backpressure)
/// instead of letting memory grow.
pub const QUEUE_DEPTH_MAX: usize = 4096;

/// Requests handled in one group commit; bounds the latency one batch adds.
pub const BATCH_REQUESTS_MAX: usize = 1024;

enum Command {
    Commit(
        Box<CommitRequest>,
        oneshot::Sender<Result<CommitOutcome, ServerError>>,
    ),
    Register(
        Box<SchemaPart>,
        oneshot::Sender<Result<RegisterOutcome, ServerError>>,
    ),
    /// The current state and the log point it holds, for a snapshot on request.
    SnapshotPoint(oneshot::Sender<(State, RecordRef)>),
    /// Finish what is queued before this, then stop.
    Stop,
}

/// A cheap, clonable way to reach the writer.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Command>,
}

/// Owns the writer thread, to stop and join it.
pub struct Writer {
    handle: WriterHandle,
    thread: thread::JoinHandle<()>,
}

fn gone() -> ServerError {
    ServerError::unavailable("the writer has stopped (the server is shutting down)")
}

impl WriterHandle {
    pub async fn commit(&self, request: CommitRequest) -> Result<CommitOutcome, ServerError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Commit(Box::new(request), reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub async fn register(&self, part: SchemaPart) -> Result<RegisterOutcome, ServerError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Register(Box::new(part), reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// The published state and where the log stands after it: what a snapshot taken
    /// now holds. Queued behind the commits before it.
    pub async fn snapshot_point(&self) -> Result<(State, RecordRef), ServerError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::SnapshotPoint(reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    }
}

impl Writer {
    /// Starts the writer thread with the recovered state, which must already be the
    /// published one.
    pub fn spawn(
        state: State,
        log: Log,
        published: Arc<ArcSwap<State>>,
        snapshots: Option<(Snapshotter, SnapshotSchedule)>,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH_MAX);
        let snapshot_position = state.position();
        let mut core = Core {
            state,
            log,
            published,
            failed: None,
            disk_full_log: DiskFullLog::default(),
            snapshots,
            snapshot_position,
            snapshot_time: Instant::now(),
        };
        let thread = thread::Builder::new()
            .name("resident-writer".to_string())
            .spawn(move || core.run(rx))?;
        Ok(Writer {
            handle: WriterHandle { tx },
            thread,
        })
    }

    pub fn handle(&self) -> WriterHandle {
        self.handle.clone()
    }

    /// Lets the writer finish everything queued so far, then joins it.
    pub async fn stop(self) {
        let _ = self.handle.tx.send(Command::Stop).await;
        drop(self.handle);
        let thread = self.thread;
        let joined = tokio::task::spawn_blocking(move || thread.join()).await;
        if !matches!(joined, Ok(Ok(()))) {
            tracing::error!("the writer thread ended abnormally");
        }
    }
}

struct Core {
    state: State,
    log: Log,
    published: Arc<ArcSwap<State>>,
    /// Why the log failed; set forever after a failed append.
    failed: Option<String>,
    disk_full_log: DiskFullLog,
    snapshots: Option<(Snapshotter, SnapshotSchedule)>,
    /// Position and time of the last scheduled snapshot.
    snapshot_position: u64,
    snapshot_time: Instant,
}

/// An answer held back until the batch is durable.
enum Pending {
    Commit(
        oneshot::Sender<Result<CommitOutcome, ServerError>>,
        Result<CommitOutcome, ServerError>,
    ),
    Register(
        oneshot::Sender<Result<RegisterOutcome, ServerError>>,
        Result<RegisterOutcome, ServerError>,
    ),
    SnapshotPoint(oneshot::Sender<(State, RecordRef)>),
}

/// A batch being applied: a working copy of the state, and the framed records of its
/// writes, to be appended at `base`.
struct Work {
    state: State,
    framed: Vec<u8>,
    base: RecordRef,
    recorded_at: String,
}

impl Work {
    /// Applies a commit to the batch's state and frames its record; events of earlier
    /// commits of the batch are read back from `framed` (resends), others from the log
    /// in `data_dir`.
    fn commit(
        &mut self,
        data_dir: &Path,
        request: &CommitRequest,
    ) -> Result<CommitOutcome, ServerError> {
        let at = RecordRef::new(
            self.base.segment(),
            self.base.offset() + self.framed.len() as u64,
        );
        let recorded = LogRecords::with_pending(data_dir, self.base, &self.framed);
        let (outcome, events) =
            commit::execute(&mut self.state, request, &self.recorded_at, at, &recorded)?;
        if !events.is_empty() {
            frame::frame_record(&record::encode_commit(&events), &mut self.framed);
        }
        Ok(outcome)
    }

    /// Applies a registration to the batch's state and frames its record, if it changed
    /// the schema.
    fn register(&mut self, part: &SchemaPart) -> Result<RegisterOutcome, ServerError> {
        let (outcome, schema) = register::execute(&mut self.state, part)?;
        if let Some(schema) = schema {
            frame::frame_record(&record::encode_schema(&schema), &mut self.framed);
        }
        Ok(outcome)
    }
}

impl Core {
    fn run(&mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH_REQUESTS_MAX {
                match rx.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(_) => break,
                }
            }
            if self.process(batch) {
                break;
            }
        }
        if let Err(e) = self.log.sync() {
            tracing::error!(error = %e, "the last fsync at stop failed");
        }
        tracing::debug!("writer stopped");
    }

    /// Handles one batch; returns true when a `Stop` was in it.
    fn process(&mut self, batch: Vec<Command>) -> bool {
        let refused = self.rotate();
        let mut work = Work {
            state: self.state.clone(),
            framed: Vec::new(),
            base: self.log.end(),
            recorded_at: humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
        };
        let mut pending = Vec::with_capacity(batch.len());
        let mut stop = false;
        for command in batch {
            let refusal = refused
                .clone()
                .or_else(|| (self.failed.is_some() || stop).then(|| self.refusal(stop)));
            match command {
                Command::Stop => stop = true,
                // Answered after this batch is durable: the point must be too.
                Command::SnapshotPoint(reply) => pending.push(Pending::SnapshotPoint(reply)),
                Command::Commit(request, reply) => {
                    let result = match refusal {
                        Some(r) => Err(r),
                        None => work.commit(self.log.data_dir(), &request),
                    };
                    pending.push(Pending::Commit(reply, result));
                }
                Command::Register(part, reply) => {
                    // One that changes nothing in the durable state is answered now,
                    // whatever becomes of this batch (a full disk, a failed writer).
                    if let Some(outcome) = register::unchanged(&self.state, &part) {
                        drop(reply.send(Ok(outcome)));
                        continue;
                    }
                    let result = match refusal {
                        Some(r) => Err(r),
                        None => work.register(&part),
                    };
                    pending.push(Pending::Register(reply, result));
                }
            }
        }
        let failure = self.append(work);
        self.answer(pending, failure);
        self.maybe_snapshot();
        stop
    }

    /// Starts a new segment when the last one is full; the refusal for the whole batch
    /// when that fails.
    fn rotate(&mut self) -> Option<ServerError> {
        if self.failed.is_some() {
            return None;
        }
        self.log
            .rotate_if_full()
            .err()
            .map(|e| self.append_failed(e))
    }

    /// Appends the batch's records in one write and, once they are durable, publishes
    /// its state. The failure that answers every write of the batch when that failed.
    fn append(&mut self, work: Work) -> Option<ServerError> {
        if work.framed.is_empty() {
            return None;
        }
        match self.log.append(&work.framed) {
            Ok(()) => {
                self.state = work.state;
                self.published.store(Arc::new(self.state.clone()));
                if let Some(refused) = self.disk_full_log.written() {
                    tracing::info!(
                        batches_refused = refused,
                        "writes resumed: the disk has space again"
                    );
                }
                None
            }
            Err(e) => Some(self.append_failed(e)),
        }
    }

    /// Sends the batch's answers. A client that went away no longer needs its answer;
    /// the write stands. After a failed append every write of the batch gets the failure.
    fn answer(&self, pending: Vec<Pending>, failure: Option<ServerError>) {
        for p in pending {
            match p {
                Pending::Commit(reply, result) => {
                    drop(reply.send(failure.clone().map_or(result, Err)))
                }
                Pending::Register(reply, result) => {
                    drop(reply.send(failure.clone().map_or(result, Err)))
                }
                Pending::SnapshotPoint(reply) => {
                    drop(reply.send((self.state.clone(), self.log.end())))
                }
            }
        }
    }

    /// The answer to a batch whose append failed, marking the writer failed unless the
    /// disk was merely full.
    fn append_failed(&mut self, e: AppendError) -> ServerError {
        match e {
            AppendError::DiskFull { .. } => {
                if let Some(refused) = self.disk_full_log.refused(Instant::now()) {
                    tracing::warn!(
                        error = %e,
                        batches_refused = refused,
                        "refusing writes: disk full; reads continue, and writes resume once \
                         space is freed (said at most every {}s, with the batches refused since)",
                        disk_full_log::WARN_EVERY.as_secs()
                    );
                }
                ServerError::disk_full(format!(
                    "{e}; nothing of this commit was recorded: free space and retry"
                ))
            }
            AppendError::Fatal { .. } => {
                self.failed = Some(e.to_string());
                tracing::error!(error = %e, "WRITING THE LOG FAILED: refusing all further writes until restart; reads continue");
                self.refusal(false)
            }
        }
    }

    /// Hands a clone of the state to the snapshot thread when one is due.
    fn maybe_snapshot(&mut self) {
        let Some((snapshotter, schedule)) = &self.snapshots else {
            return;
        };
        let events = self.state.position() - self.snapshot_position;
        let due = events >= schedule.every_events
            || (events > 0 && self.snapshot_time.elapsed() >= schedule.every);
        if due && snapshotter.schedule(self.state.clone(), self.log.end()) {
            self.snapshot_position = self.state.position();
            self.snapshot_time = Instant::now();
        }
    }

    fn refusal(&self, stopping: bool) -> ServerError {
        match &self.failed {
            Some(why) if !stopping => ServerError::unavailable(format!(
                "writing the log failed earlier ({why}); this server accepts no more writes \
                 until it is restarted, and reads go on"
            )),
            _ => gone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use resident_protocol::Value;

    use super::*;
    use crate::testkit::*;
    use crate::write::commit::Expected::Any;

    #[tokio::test]
    async fn a_failed_append_refuses_this_and_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let state = bank();
        let published = Arc::new(ArcSwap::from_pointee(state.clone()));
        let writer = Writer::spawn(
            state,
            Log::failing_for_tests(dir.path()),
            published.clone(),
            None,
        )
        .unwrap();
        let handle = writer.handle();
        let opening = |id: &str| {
            write(
                "a",
                Any,
                vec![new_event(
                    id,
                    "AccountOpened",
                    vec![("name", Value::from("A"))],
                )],
            )
        };
        let err = handle.commit(opening("1")).await.unwrap_err();
        assert_eq!(err.code, "unavailable");
        let err = handle.commit(opening("2")).await.unwrap_err();
        assert_eq!(err.code, "unavailable");
        assert!(err.message.contains("failed earlier"), "{}", err.message);
        assert_eq!(published.load().position(), 0, "nothing was published");
        // A register that changes nothing is still answered; one that would change the
        // schema needs the log and is refused.
        let unchanged = handle.register(bank_part()).await.unwrap();
        assert!(!unchanged.changed);
        let mut part = bank_part();
        part.entities[0].fields.push(field(
            "nickname",
            crate::state::schema::FieldType::String,
            true,
            None,
        ));
        let err = handle.register(part).await.unwrap_err();
        assert_eq!(err.code, "unavailable");
        writer.stop().await;
        let err = handle.commit(opening("3")).await.unwrap_err();
        assert_eq!(err.code, "unavailable");
    }

    #[tokio::test]
    async fn a_failed_fsync_is_never_retried_and_refuses_every_later_write() {
        for fsync in [
            crate::storage::fsync::Fsync::Always,
            crate::storage::fsync::Fsync::Every(std::time::Duration::from_millis(1)),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let state = bank();
            let published = Arc::new(ArcSwap::from_pointee(state.clone()));
            let (log, _pipe) = Log::unsyncable_for_tests(dir.path(), fsync);
            let writer = Writer::spawn(state, log, published.clone(), None).unwrap();
            let handle = writer.handle();
            let opening = |id: &str| {
                write(
                    id,
                    Any,
                    vec![new_event(
                        id,
                        "AccountOpened",
                        vec![("name", Value::from("A"))],
                    )],
                )
            };
            let mut refused = None;
            // Under `every`, the write is answered and the background fsync fails
            // after it: the next write is refused.
            for i in 0..200 {
                match handle.commit(opening(&format!("k{i}"))).await {
                    Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(2)).await,
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            }
            let err = refused.expect("a failed fsync refused writes");
            assert_eq!(err.code, "unavailable", "{fsync}");
            let again = handle.commit(opening("later")).await.unwrap_err();
            assert_eq!(again.code, "unavailable", "{fsync}");
            assert!(
                again.message.contains("failed earlier"),
                "{}",
                again.message
            );
            if fsync == crate::storage::fsync::Fsync::Always {
                assert_eq!(
                    published.load().position(),
                    0,
                    "nothing unsynced was published"
                );
            }
            writer.stop().await;
        }
    }

    #[tokio::test]
    async fn a_commit_failing_validation_does_not_disturb_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), 1, 1 << 20, crate::storage::fsync::Fsync::Always).unwrap();
        let state = State::default();
        let published = Arc::new(ArcSwap::from_pointee(state.clone()));
        let writer = Writer::spawn(state, log, published.clone(), None).unwrap();
        let handle = writer.handle();
        assert!(handle.register(bank_part()).await.unwrap().changed);
        let requests: Vec<_> = (0..50)
            .map(|i| {
                let handle = handle.clone();
                tokio::spawn(async move {
                    let key = format!("k{}", i % 25);
                    handle
                        .commit(write(
                            &key,
                            Any,
                            vec![new_event(
                                &format!("e{i}"),
                                "AccountOpened",
                                vec![("name", Value::from("x"))],
                            )],
                        ))
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for r in requests {
            match r.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.message.split(' ').next_back(), Some("exists")),
            }
        }
        assert_eq!(ok, 25);
        assert_eq!(published.load().position(), 25);
        writer.stop().await;
        let replayed = crate::storage::recovery::load(
            dir.path(),
            crate::storage::recovery::Mode::ReadOnly,
            false,
        )
        .unwrap();
        assert_eq!(replayed.state.position(), 25);
    }
}
