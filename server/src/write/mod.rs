//! The write path: `commit` and `register` requests, each parsed and applied to a state
//! in its own file ([`commit`], [`register`]), and the single writer thread that applies
//! them in batches, appends them to the log, fsyncs and publishes ([`writer`]); what a
//! new commit may store ([`bounds`]). Imports storage and the layers below it.

pub mod bounds;
pub mod commit;
pub mod disk_full_log;
pub mod register;
pub mod writer;
