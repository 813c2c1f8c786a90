//! Stable error codes. Clients map them to exceptions, so never rename one.

pub const MALFORMED: &str = "malformed";
pub const TOO_LARGE: &str = "too_large";
pub const UNKNOWN_OP: &str = "unknown_op";
pub const BAD_REQUEST: &str = "bad_request";
pub const SCHEMA: &str = "schema";
pub const NOT_FOUND: &str = "not_found";
pub const CONFLICT: &str = "conflict";
pub const LIMIT: &str = "limit";
pub const UNAVAILABLE: &str = "unavailable";
/// The disk is full: the commit was not recorded; retry once space is freed.
pub const DISK_FULL: &str = "disk_full";
/// The log is damaged where the answer's data is; the message names the file and offset.
pub const DAMAGED: &str = "damaged";
/// The connection's peer is not allowed to talk to this server (`--allow-uid`); the
/// server answers once and closes.
pub const FORBIDDEN: &str = "forbidden";
pub const INTERNAL: &str = "internal";
