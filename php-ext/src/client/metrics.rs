//! Counters a PHP profiler or APM can read (`Resident\metrics()`): what this process and
//! its current request asked of residentd, how many bytes that took and how long PHP
//! waited for it.
//!
//! Kept per thread like the connection (PHP is single-threaded per request here) and per
//! process: a child made by `fork()` starts from zero, as it starts its own connection.

use std::cell::Cell;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Request frames sent to residentd, `hello` and schema registrations included.
    pub requests: u64,
    /// Frame bytes sent and received, length prefixes included.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Time spent in calls to residentd, connecting and waiting for a restart included.
    pub wait_us: u64,
    /// Connections opened, and of those the ones that replaced a connection this process
    /// had (after a server restart, a timeout or a fork).
    pub connects: u64,
    pub reconnects: u64,
}

impl Counters {
    /// The counters by name, in a fixed order, for PHP arrays and `phpinfo()`.
    pub fn named(&self) -> [(&'static str, u64); 6] {
        [
            ("requests", self.requests),
            ("bytes_sent", self.bytes_sent),
            ("bytes_received", self.bytes_received),
            ("wait_us", self.wait_us),
            ("connects", self.connects),
            ("reconnects", self.reconnects),
        ]
    }
}

#[derive(Clone, Copy)]
struct Metrics {
    /// The process these counters belong to; another one means we are a forked child.
    pid: u32,
    request: Counters,
    process: Counters,
}

thread_local! {
    static METRICS: Cell<Metrics> = Cell::new(Metrics {
        pid: std::process::id(),
        request: Counters::default(),
        process: Counters::default(),
    });
}

/// Adds to both the request's and the process's counters.
pub fn add(f: impl Fn(&mut Counters)) {
    METRICS.with(|m| {
        let mut now = m.get();
        f(&mut now.request);
        f(&mut now.process);
        m.set(now);
    });
}

/// A new PHP request begins (RINIT): its counters start from zero.
pub fn request_started() {
    METRICS.with(|m| {
        let mut now = m.get();
        now.request = Counters::default();
        m.set(now);
    });
}

/// Makes the counters this process's: a forked child drops what its parent counted.
pub fn own(pid: u32) {
    METRICS.with(|m| {
        if m.get().pid != pid {
            m.set(Metrics {
                pid,
                request: Counters::default(),
                process: Counters::default(),
            });
        }
    });
}

/// The current request's counters and the process's.
pub fn read() -> (Counters, Counters) {
    own(std::process::id());
    let m = METRICS.with(Cell::get);
    (m.request, m.process)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_starts_from_zero_and_the_process_keeps_counting() {
        add(|c| c.requests += 2);
        request_started();
        add(|c| c.bytes_sent += 10);
        let (request, process) = read();
        assert_eq!((request.requests, request.bytes_sent), (0, 10));
        assert_eq!((process.requests, process.bytes_sent), (2, 10));
    }

    #[test]
    fn a_forked_child_starts_from_zero() {
        add(|c| c.connects += 1);
        own(std::process::id());
        assert_eq!(read().1.connects, 1, "the same process keeps its counts");
        own(std::process::id().wrapping_add(1)); // as a child would see itself
        add(|c| c.connects += 1);
        let m = METRICS.with(Cell::get);
        assert_eq!((m.request.connects, m.process.connects), (1, 1));
    }
}
