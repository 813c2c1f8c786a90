//! Load generators for `make bench`: durable commits against residentd and redis-server
//! (`commit-load`), and the cost of one fdatasync on the same disk (`fsync-probe`).

pub mod args;
pub mod hist;
pub mod load;
pub mod probe;
pub mod redis;
pub mod resident;
pub mod resp;
