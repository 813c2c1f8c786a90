//! Rebuilds the state at start-up by replaying the log through the writer's own apply
//! code, so the recovered state is exactly the acknowledged one.

use std::path::Path;

use crate::log::{Log, RECORD_HEADER_BYTES};
use crate::record::{self, Record};
use crate::state::State;

pub struct Recovered {
    pub state: State,
    pub log: Log,
    pub events_replayed: u64,
}

pub fn recover(data_dir: &Path) -> anyhow::Result<Recovered> {
    let opened = Log::open(data_dir)?;
    let path = opened.log.path().to_path_buf();
    if let Some((offset, reason)) = &opened.truncated {
        tracing::warn!(
            file = %path.display(),
            offset,
            reason = %reason,
            "cut a torn tail off the log: an unacknowledged write was interrupted"
        );
    }
    let mut state = State::default();
    let mut events_replayed = 0u64;
    for range in &opened.records {
        let offset = range.start - RECORD_HEADER_BYTES;
        let body = opened.bytes.get(range.clone()).unwrap_or_default();
        let damaged = |what: String| {
            anyhow::anyhow!(
                "log file {} record at offset {offset} {what}; its checksum is valid, so this \
                 is not a torn write: refusing to start. Back the file up and report it; \
                 truncating the file at offset {offset} would drop this record and all after it",
                path.display()
            )
        };
        match record::decode(body).map_err(|e| damaged(format!("cannot be read: {}", e.message)))? {
            Record::Commit(events) => {
                state
                    .apply_commit(&events)
                    .map_err(|e| damaged(format!("cannot be applied: {}", e.message)))?;
                events_replayed += events.len() as u64;
            }
            Record::Schema(schema) => {
                schema
                    .validate()
                    .map_err(|e| damaged(format!("holds an invalid schema: {}", e.message)))?;
                state.install_schema(schema);
            }
        }
    }
    Ok(Recovered {
        state,
        log: opened.log,
        events_replayed,
    })
}

#[cfg(test)]
mod tests {
    use resident_protocol::Value;

    use super::*;
    use crate::commit::Expected::Any;
    use crate::log::frame_record;
    use crate::record::{encode_commit, encode_schema};
    use crate::testkit::*;

    #[test]
    fn replay_rebuilds_the_written_state() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = bank();
        let mut framed = Vec::new();
        frame_record(&encode_schema(state.schema()), &mut framed);
        for (key, amount) in [("a", 3), ("b", 4)] {
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
            let (_, stored) =
                crate::commit::execute(&mut state, &write(key, Any, events), RECORDED_AT).unwrap();
            frame_record(&encode_commit(&stored), &mut framed);
        }
        let opened = Log::open(dir.path()).unwrap();
        let mut log = opened.log;
        log.append(&framed).unwrap();
        drop(log);

        let recovered = recover(dir.path()).unwrap();
        assert_eq!(recovered.events_replayed, 4);
        let s = recovered.state;
        assert_eq!(s.position(), 4);
        assert_eq!(s.schema(), state.schema());
        assert_eq!(s.schema_version(), 1);
        assert_eq!(field_of(&s, "b", "balance"), Value::from(4));
        assert_eq!(s.entity("Account", "a"), state.entity("Account", "a"));
        assert_eq!(
            s.stream_events("AccountAggregateRoot-a", 1, 10),
            state.stream_events("AccountAggregateRoot-a", 1, 10)
        );
    }
}
