//! residentd: an event-sourced state server. One writer thread owns the log and the
//! authoritative state; readers are served from the last published (durable) state.
//!
//! Pure logic — schema, projection, state, commit, log framing — lives in modules with
//! no I/O and its own unit tests; the async shell around it is small.

pub mod cbor;
pub mod config;
pub mod error;
pub mod net;
pub mod query;
pub mod server;
pub mod state;
pub mod storage;
pub mod write;

#[doc(hidden)]
pub mod testkit;
