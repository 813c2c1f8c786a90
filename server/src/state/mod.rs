//! The in-memory state: streams, entities, the event-id index and the schema.
//!
//! Pure and built on persistent maps, so a clone is O(1): the writer validates a batch
//! against a clone and publishes it as a new version, while readers keep the version
//! they loaded, and a snapshot is written from a clone while commits go on. Nothing
//! here does I/O.
//!
//! Events themselves stay in the log: a stream holds where each of its events was
//! recorded ([`RecordRef`], 8 bytes), and stream reads fetch them from the log files
//! (from the page cache, mostly). That keeps memory and snapshots proportional to the
//! entities, not to the history.
//!
//! The layer holds everything the state is made of, all of it pure: values and their
//! total order, the schema, entities and their projection rules, indexes, the
//! persistent maps they are built on, and [`RecordRef`], where an event is in the log.
//! It imports only [`crate::cbor`] and [`crate::error`].

pub mod apply;
pub mod entity;
pub mod event;
pub mod index;
pub mod interval;
pub mod keyed;
pub mod order;
pub mod projection;
pub mod record_ref;
pub mod schema;
pub mod stream_refs;
pub mod sumtree;
pub mod value;

use std::sync::Arc;

use crate::error::ServerError;
use crate::state::entity::Entity;
use crate::state::index::{FieldIndex, Indexes};
use crate::state::keyed::KeyedMap;
use crate::state::projection::{Table, Tables};
use crate::state::record_ref::RecordRef;
use crate::state::schema::{EntityDef, Schema};
use crate::state::stream_refs::StreamRefs;

/// Event ids are remembered for idempotent resends in two generations of this many:
/// a resend is recognised while its events are among the last 50,000–100,000
/// recorded. Clients resend right after a reconnect, so the window is generous, and
/// bounded so that memory and snapshots do not grow with the history.
#[cfg(not(test))]
pub const EVENT_IDS_GENERATION: usize = 50_000;
/// Small in unit tests, so that they cross generations.
#[cfg(test)]
pub const EVENT_IDS_GENERATION: usize = 8;

/// Where an event id was recorded, for idempotent resends.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLocation {
    pub stream: Arc<str>,
    pub version: u64,
    pub position: u64,
    /// The commit record holding the event.
    pub at: RecordRef,
}

pub type EventIds = KeyedMap<EventLocation>;

/// Fields are visible to the crate for [`crate::storage::snapshot_format`], which writes and reads
/// them whole; everything else goes through the methods.
///
/// Streams and remembered event ids are [`KeyedMap`]s rather than imbl hash maps, whose
/// nodes reserve 32 slots however few they hold (~1 KB per stream).
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Position of the last event; the next event gets `position + 1`.
    pub(crate) position: u64,
    pub(crate) schema: Arc<Schema>,
    /// Counts accepted schema changes; 0 before the first `register`.
    pub(crate) schema_version: u64,
    /// Where each stream's events were recorded; a stream's version is its length.
    pub(crate) streams: KeyedMap<StreamRefs>,
    /// The newer generation of remembered event ids; see [`EVENT_IDS_GENERATION`].
    pub(crate) event_ids: EventIds,
    pub(crate) event_ids_previous: EventIds,
    pub(crate) tables: Tables,
    /// The declared indexes over `tables`, always in step with them: the writer updates
    /// both in the same state version, so a reader never sees one without the other.
    pub(crate) indexes: Indexes,
    pub(crate) event_counts: imbl::HashMap<String, u64>,
}

impl State {
    pub fn position(&self) -> u64 {
        self.position
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The definition of a registered entity type; reads of an unknown type are refused
    /// with `schema`.
    pub fn entity_def(&self, entity: &str) -> Result<&EntityDef, ServerError> {
        self.schema
            .entities
            .get(entity)
            .ok_or_else(|| ServerError::schema(format!("entity type {entity} is not registered")))
    }

    pub fn schema_version(&self) -> u64 {
        self.schema_version
    }

    pub fn stream_version(&self, stream: &str) -> u64 {
        self.streams
            .get(stream)
            .map_or(0, |events| events.len() as u64)
    }

    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// `(version, record)` of the events of `stream` with `version >= from`, at most
    /// `limit`; the events are read from the log by [`crate::storage::event_reader`].
    pub fn stream_refs(&self, stream: &str, from: u64, limit: usize) -> Vec<(u64, RecordRef)> {
        let Some(refs) = self.streams.get(stream) else {
            return Vec::new();
        };
        let skip = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        refs.iter_from(skip)
            .take(limit)
            .zip(skip as u64 + 1..)
            .map(|(at, version)| (version, at))
            .collect()
    }

    pub fn event_location(&self, id: &str) -> Option<&EventLocation> {
        self.event_ids
            .get(id)
            .or_else(|| self.event_ids_previous.get(id))
    }

    pub fn event_count(&self, event_type: &str) -> u64 {
        self.event_counts.get(event_type).copied().unwrap_or(0)
    }

    pub fn table(&self, entity_type: &str) -> Option<&Table> {
        self.tables.get(entity_type)
    }

    /// The index on `field` of `entity_type`, when the schema declares one.
    pub fn index(&self, entity_type: &str, field: &str) -> Option<&FieldIndex> {
        let indexes = self.indexes.get(entity_type)?;
        indexes.iter().find(|(f, _)| f == field).map(|(_, i)| i)
    }

    pub fn entity(&self, entity_type: &str, id: &str) -> Option<&Arc<Entity>> {
        self.tables.get(entity_type)?.get(id)
    }

    pub fn entity_count(&self, entity_type: &str) -> u64 {
        self.tables.get(entity_type).map_or(0, |t| t.len() as u64)
    }

    pub fn entity_count_total(&self) -> u64 {
        self.tables.values().map(|t| t.len() as u64).sum()
    }

    /// The first difference from `other`, or `None` when the two are the same state:
    /// for checking that a snapshot plus its tail equals a replay of the whole log.
    pub fn difference(&self, other: &State) -> Option<String> {
        let differs = |what: &str| Some(format!("the states differ in {what}"));
        if self.position != other.position {
            return Some(format!(
                "the states are at positions {} and {}",
                self.position, other.position
            ));
        }
        if self.schema != other.schema || self.schema_version != other.schema_version {
            return differs("their schema");
        }
        if self.streams != other.streams {
            return differs("their streams");
        }
        if self.event_ids != other.event_ids || self.event_ids_previous != other.event_ids_previous
        {
            return differs("their remembered event ids");
        }
        if self.event_counts != other.event_counts {
            return differs("their event counts");
        }
        for (name, table) in self.tables.iter() {
            if other.tables.get(name) != Some(table) {
                return differs(&format!("the entities of {name}"));
            }
        }
        if self.tables.len() != other.tables.len() {
            return differs("their entity types");
        }
        if !self.indexes_agree_with_tables() || !other.indexes_agree_with_tables() {
            return differs("their indexes");
        }
        None
    }

    /// Rebuilds every index from the tables and compares: true when they agree, down to
    /// each entry pointing at the table's current entity. For tests; O(n log n).
    pub fn indexes_agree_with_tables(&self) -> bool {
        self.schema.entities.iter().all(|(name, def)| {
            let rebuilt = index::build(def, self.tables.get(name));
            let current = self.indexes.get(name).cloned().unwrap_or_default();
            rebuilt.len() == current.len()
                && rebuilt.iter().all(|(field, index)| {
                    current.iter().any(|(f, c)| {
                        f == field
                            && c.len() == index.len()
                            && c.iter()
                                .zip(index.iter())
                                .all(|((ka, va), (kb, vb))| ka == kb && Arc::ptr_eq(va, vb))
                    })
                })
        })
    }
}
