//! CBOR in and out: typed reading of request maps (and log records) with error paths,
//! and answer frames written by hand around ready-encoded maps. Knows nothing of
//! entities or the state; imports only [`crate::error`].

pub mod answer;
pub mod node;
