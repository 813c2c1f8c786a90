//! The socket side: the listener and its connections ([`listener`], [`connection`], and
//! [`door`] for those turned away), the socket's file ([`socket_file`]), stopping cleanly
//! ([`shutdown`]), the memory all requests in flight share ([`budget`]), the time frames
//! may take ([`deadline`]), and requests: [`request`] checks and decodes each frame,
//! [`dispatch`] reads its `id` and `op` and routes it to the file that parses and runs it
//! ([`read_ops`], [`admin_ops`], or the query and write layers). The operations' names
//! come from `resident_protocol::op`; the CLI's client is
//! `resident_protocol::client`. Imports the write and query layers and below.

pub mod admin_ops;
pub mod budget;
pub mod connection;
pub mod context;
pub mod deadline;
pub mod dispatch;
pub mod door;
pub mod listener;
pub mod read_ops;
pub mod request;
pub mod shutdown;
pub mod socket_file;
