//! residentd: an event-sourced state server. One writer thread owns the log and the
//! authoritative state; readers are served from the last published (durable) state.
//!
//! # Layout
//!
//! The modules stack in layers, top to bottom; each imports only the ones below it, and
//! no imports go round in a cycle (`make layers` checks both):
//!
//! - [`server`] wires everything together at start-up; [`config`] reads the settings.
//! - [`net`]: the socket, its connections, and each request's dispatch by `op`.
//! - [`write`]: `commit` and `register`, and the writer thread. [`query`]: the `query`
//!   operation (parse, plan, run). The two sit side by side.
//! - [`storage`]: everything on disk — the log, snapshots, recovery, verify.
//! - [`state`]: the in-memory state and all it is made of; pure, no I/O.
//! - [`cbor`]: reading request maps, writing answer frames.
//! - [`error`]: the error every layer answers with.
//!
//! (`testkit`, for tests, sits at the top beside `server`.) docs/ARCHITECTURE.md says
//! more.
//!
//! **Write path.** `net::dispatch` parses a `commit` ([`write::commit`]) and queues it
//! for the writer thread ([`write::writer`]). The writer applies everything queued to a
//! copy of the state, appends the records in one write ([`storage::log`]), fsyncs, and
//! only then publishes the new state and answers.
//!
//! **Read path.** `net::dispatch` takes the published state (an `Arc`, no lock, never
//! waiting on the writer) and answers from it: [`net::read_ops`] for `find`, `all`,
//! `load`, …, [`query::run`] for queries. Entities are spliced into the answer as the
//! CBOR bytes they keep ([`cbor::answer`]); stream reads fetch events from the log
//! ([`storage::event_reader`]).

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
