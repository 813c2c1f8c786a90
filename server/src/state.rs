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

use std::sync::Arc;

use crate::entity::Entity;
use crate::error::ServerError;
use crate::event::StoredEvent;
use crate::index::{self, EntityIndexes, FieldIndex, Indexes};
use crate::keyed::KeyedMap;
use crate::projection::{self, EntityKey, Table, Tables};
use crate::schema::{EntityDef, Schema};
use crate::segments::RecordRef;
use crate::stream_refs::StreamRefs;

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

/// Fields are visible to the crate for [`crate::snapshot`], which writes and reads
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
    /// `limit`; the events are read from the log by [`crate::event_reader`].
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

    /// Appends already-numbered events, recorded in the commit record `at`, and applies
    /// their rules. Used by the writer for new commits and by recovery for logged ones,
    /// so both build the same state.
    ///
    /// All or nothing: everything is checked and the entity changes worked out before
    /// anything changes, so an error leaves `self` as it was, and success changes it in
    /// place (no copy to roll back to, which would make each change copy nodes).
    pub fn apply_commit(
        &mut self,
        events: &[Arc<StoredEvent>],
        at: RecordRef,
    ) -> Result<Vec<EntityKey>, ServerError> {
        let mut changes = projection::Changes::default();
        let mut versions: std::collections::HashMap<&str, u64> = Default::default();
        let mut ids = std::collections::HashSet::new();
        let mut position = self.position;
        for event in events {
            // Positions are global and gapless, versions gapless per stream; the writer
            // numbers them so, and a log that says otherwise is not ours to trust.
            if event.position != position + 1 {
                return Err(ServerError::internal(format!(
                    "event {} has position {}, expected {}",
                    event.id,
                    event.position,
                    position + 1
                )));
            }
            let version = match versions.get(&*event.stream) {
                Some(v) => *v,
                None => self.stream_version(&event.stream),
            };
            if event.version != version + 1 {
                return Err(ServerError::internal(format!(
                    "event {} in stream {} has version {}, expected {}",
                    event.id,
                    event.stream,
                    event.version,
                    version + 1
                )));
            }
            versions.insert(&event.stream, event.version);
            if !ids.insert(event.id.as_str()) || self.event_location(&event.id).is_some() {
                return Err(ServerError::bad_request(format!(
                    "event id {} is already recorded",
                    event.id
                )));
            }
            projection::apply_event(&self.schema, &self.tables, event, &mut changes)?;
            position = event.position;
        }
        // Nothing below can fail.
        for event in events {
            self.streams.update(event.stream.clone(), |refs| {
                let mut refs = refs.cloned().unwrap_or_default();
                refs.push(at);
                refs
            });
            self.remember_event_id(event, at);
            // Looked up by &str first: the type name is allocated once, not per event.
            match self.event_counts.get_mut(event.event_type.as_str()) {
                Some(count) => *count += 1,
                None => {
                    self.event_counts.insert(event.event_type.clone(), 1);
                }
            }
        }
        self.position = position;
        changes.write_into(&mut self.tables);
        self.reindex(&changes);
        Ok(changes.into_keys())
    }

    /// Records `event`'s id, moving to a new generation when this one is full. Depends
    /// only on the sequence of events, so replay rebuilds the same window.
    fn remember_event_id(&mut self, event: &StoredEvent, at: RecordRef) {
        if self.event_ids.len() >= EVENT_IDS_GENERATION {
            self.event_ids_previous = std::mem::take(&mut self.event_ids);
        }
        self.event_ids.insert(
            Arc::from(event.id.as_str()),
            EventLocation {
                stream: event.stream.clone(),
                version: event.version,
                position: event.position,
                at,
            },
        );
    }

    /// Brings the indexes of the touched entities from their values before the commit
    /// to their current ones. Once per commit rather than per event: an entity changed
    /// by several events of one commit moves once.
    fn reindex(&mut self, changes: &projection::Changes) {
        for ((entity_type, id), old) in changes.with_before() {
            let Some(indexes) = self.indexes.get_mut(entity_type) else {
                continue;
            };
            // The table's key, so that index entries share it instead of copying the id.
            let (key, new) = match self
                .tables
                .get(entity_type)
                .and_then(|t| t.get_key_value(id.as_str()))
            {
                Some((key, entity)) => (key.clone(), Some(entity)),
                None => (Arc::from(id.as_str()), None),
            };
            index::update(indexes, &key, old, new);
        }
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

    /// Installs a schema that was validated (or read back from the log). Fields added
    /// to an entity type are filled in on its existing entities with their default
    /// (or null), so every entity always holds every field of its type.
    pub fn install_schema(&mut self, schema: Schema) {
        for (name, def) in &schema.entities {
            let Some(table) = self.tables.get(name) else {
                continue;
            };
            let missing: Vec<_> = def
                .fields
                .iter()
                .filter(|f| {
                    table
                        .values()
                        .next()
                        .is_some_and(|e| e.get(&f.name).is_none())
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let mut next = table.clone();
            for (id, entity) in table.iter() {
                let mut e = entity.draft();
                for f in &missing {
                    e.set(
                        &f.name,
                        f.default.clone().unwrap_or(resident_protocol::Value::Null),
                    );
                }
                next.insert(id.clone(), Arc::new(e.finish()));
            }
            self.tables.insert(name.clone(), next);
        }
        // A type whose definition changed may have gained or lost an index, or had a
        // field filled in: rebuild its indexes (O(n log n), and schema changes are rare).
        for (name, def) in &schema.entities {
            if self.schema.entities.get(name) == Some(def) {
                continue;
            }
            let indexes: EntityIndexes = index::build(def, self.tables.get(name));
            if indexes.is_empty() {
                self.indexes.remove(name);
            } else {
                self.indexes.insert(name.clone(), indexes);
            }
        }
        self.schema = Arc::new(schema);
        self.schema_version += 1;
    }
}
