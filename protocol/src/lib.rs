//! The Resident wire protocol: frames, error codes and helpers for CBOR maps.
//!
//! Shared by `residentd`, the `resident` CLI and the PHP extension so that all three agree
//! on framing and limits. The operations themselves are described in `PROTOCOL.md`.

pub mod client;
pub mod error_code;
pub mod frame;
pub mod map;
pub mod op;
pub mod scan;

pub use ciborium::Value;

/// Version spoken by this build; `hello` exchanges it.
pub const PROTOCOL_VERSION: u64 = 1;

/// Default largest frame body, in bytes. Big enough for a page of entities, small enough
/// that a hostile client cannot make the server allocate without bound.
pub const FRAME_BYTES_MAX_DEFAULT: u32 = 16 * 1024 * 1024;

/// Deepest nesting of arrays and maps allowed in one stored value (an event property or an entity field); answers wrap values in a few more levels, and the extension reads answers nested up to 64.
pub const VALUE_DEPTH_MAX: usize = 32;
