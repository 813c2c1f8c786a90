//! The names of the operations, as the `op` key of a request carries them. One list, so
//! the server's dispatcher, the extension, the CLI and the tests cannot drift apart;
//! PROTOCOL.md describes each.

pub const HELLO: &str = "hello";
pub const REGISTER: &str = "register";
pub const COMMIT: &str = "commit";
pub const FIND: &str = "find";
pub const ALL: &str = "all";
pub const COUNT: &str = "count";
pub const LOAD: &str = "load";
pub const READ: &str = "read";
pub const QUERY: &str = "query";
pub const STATS: &str = "stats";
pub const SNAPSHOT: &str = "snapshot";
