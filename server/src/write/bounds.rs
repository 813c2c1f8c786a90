//! What a new commit may store: nothing a client could not read back. Every entity it
//! changes must fit in one answer (a `find` of it) and hold only values every client can
//! decode, and the commit's own answer, which carries those entities, must fit too.
//!
//! Only new commits are held to this: the log replays as it was accepted, so a limit
//! lowered later, or an old value, never stops a start.

use crate::error::ServerError;
use crate::state::projection::Changes;
use crate::state::value::unstorable;

/// The most an answer wraps around one entity: `{id, ok, entity}` for `find`, with the
/// `version` for `load`.
const ENTITY_ANSWER_BYTES: usize = 64;

/// The most a commit's answer takes besides its entities' maps: its own fields, and per
/// stream and per entity the keys around them.
const COMMIT_ANSWER_BYTES: usize = 64;
const PER_STREAM_BYTES: usize = 32;
const PER_ENTITY_BYTES: usize = 32;

/// Refuses `changes` when an entity they make could not be answered in `answer_bytes_max`
/// bytes or holds a value no client may read, or when the commit's answer (naming
/// `streams` with their versions) would be larger than that.
pub fn check(
    changes: &Changes,
    streams: &[(String, u64)],
    answer_bytes_max: usize,
) -> Result<(), ServerError> {
    let entity_bytes_max = answer_bytes_max.saturating_sub(ENTITY_ANSWER_BYTES);
    let mut answer = COMMIT_ANSWER_BYTES
        + streams
            .iter()
            .map(|(stream, _)| stream.len() + PER_STREAM_BYTES)
            .sum::<usize>();
    for ((entity_type, id), after) in changes.with_after() {
        answer += entity_type.len() + id.len() + PER_ENTITY_BYTES;
        let Some(entity) = after else {
            continue;
        };
        let bytes = entity.encoded().len();
        if bytes > entity_bytes_max {
            return Err(ServerError::limit(format!(
                "commit: {entity_type} {id} would take {bytes} bytes, more than one answer \
                 carries ({entity_bytes_max}, within frame_bytes_max {answer_bytes_max}); \
                 keep less in one entity"
            )));
        }
        for (field, value) in entity.fields() {
            if let Some(why) = unstorable(value) {
                return Err(ServerError::bad_request(format!(
                    "commit: {entity_type} {id} field {field} {why}"
                )));
            }
        }
        answer += bytes;
    }
    if answer > answer_bytes_max {
        return Err(ServerError::limit(format!(
            "commit: its answer would carry about {answer} bytes of the entities it changes, \
             more than frame_bytes_max ({answer_bytes_max}); commit fewer events at once"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use resident_protocol::{Value, VALUE_DEPTH_MAX};

    use crate::testkit::*;
    use crate::write::commit::{CommitRequest, Expected::Any};

    fn bounded(request: CommitRequest, answer_bytes_max: usize) -> CommitRequest {
        CommitRequest {
            answer_bytes_max,
            ..request
        }
    }

    #[test]
    fn entity_fields_no_client_could_read_are_refused_and_nothing_changes() {
        let mut s = bank();
        open(&mut s, "a");
        let before = s.clone();
        // Event data is checked when a request is parsed; what the rules make of it
        // is checked here, whatever its source.
        let nan = new_event("n", "RateSet", vec![("rate", Value::Float(f64::NAN))]);
        let err = run(&mut s, &write("a", Any, vec![nan])).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(
            err.message.contains("Account a field rate"),
            "{}",
            err.message
        );
        let deep = (0..VALUE_DEPTH_MAX).fold(Value::from(1), |v, _| Value::Array(vec![v]));
        let pushed = new_event("p", "Tagged", vec![("tag", deep)]);
        let err = run(&mut s, &write("a", Any, vec![pushed])).unwrap_err();
        assert!(err.message.contains("field tags nests"), "{}", err.message);
        assert_eq!(s.difference(&before), None);
    }

    #[test]
    fn entities_and_answers_must_fit_the_frame_limit() {
        let mut s = bank();
        let long = |key: &str, n: usize| {
            write(
                key,
                Any,
                vec![new_event(
                    &format!("{key}-open"),
                    "AccountOpened",
                    vec![("name", Value::from("x".repeat(n)))],
                )],
            )
        };
        let err = run(&mut s, &bounded(long("a", 1000), 1000)).unwrap_err();
        assert_eq!(err.code, "limit");
        assert!(
            err.message.contains("Account a would take"),
            "{}",
            err.message
        );
        run(&mut s, &bounded(long("a", 700), 1000)).unwrap();
        let both = new_streams(["b", "c"].map(|key| {
            let name = vec![("name", Value::from("y".repeat(600)))];
            (key.to_string(), vec![new_event(key, "AccountOpened", name)])
        }));
        let err = run(&mut s, &bounded(both.clone(), 1000)).unwrap_err();
        assert!(
            err.message.contains("commit fewer events"),
            "{}",
            err.message
        );
        run(&mut s, &bounded(both, 2000)).unwrap();
    }
}
