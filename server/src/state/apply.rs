//! Applies recorded changes to a state: a commit's numbered events, and a schema. The
//! writer applies new commits through here and recovery the logged ones, so both build
//! the same state. Pure, like the rest of the state.

use std::sync::Arc;

use crate::error::ServerError;
use crate::state::event::StoredEvent;
use crate::state::index::{self, EntityIndexes};
use crate::state::projection::{self, EntityKey};
use crate::state::record_ref::RecordRef;
use crate::state::schema::Schema;
use crate::state::{EventLocation, State, EVENT_IDS_GENERATION};

impl State {
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
        self.apply_commit_checked(events, at, |_| Ok(()))
    }

    /// [`State::apply_commit`], refused when `check` refuses the entity changes it would
    /// make: how the writer holds new commits to bounds that the log, already accepted,
    /// is not held to when it replays.
    pub fn apply_commit_checked(
        &mut self,
        events: &[Arc<StoredEvent>],
        at: RecordRef,
        check: impl FnOnce(&projection::Changes) -> Result<(), ServerError>,
    ) -> Result<Vec<EntityKey>, ServerError> {
        let changes = self.changes_of(events)?;
        check(&changes)?;
        // Nothing below can fail.
        for event in events {
            self.record_event(event, at);
        }
        if let Some(last) = events.last() {
            self.position = last.position;
        }
        changes.write_into(&mut self.tables);
        self.reindex(&changes);
        Ok(changes.into_keys())
    }

    /// Checks the events' numbers and ids and works out what their rules change,
    /// without changing anything.
    fn changes_of(&self, events: &[Arc<StoredEvent>]) -> Result<projection::Changes, ServerError> {
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
        Ok(changes)
    }

    /// Adds a checked event to its stream, the remembered ids and the counts.
    fn record_event(&mut self, event: &StoredEvent, at: RecordRef) {
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
