//! Pure Rust, unit-tested, never touching a Zend symbol: everything between a finished
//! request and the bytes of its answer, plus the parsing that needs no PHP.

pub mod cbor;
pub mod connection;
pub mod failure;
pub mod fields;
pub mod metrics;
pub mod process;
pub mod reconnect;
pub mod schema;
pub mod settings;
pub mod values;
pub mod wire;

#[cfg(test)]
mod test_socket;
