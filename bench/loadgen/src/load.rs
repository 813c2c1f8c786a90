//! The closed-loop load: N client threads, each with its own connection and streams,
//! each waiting for one commit's answer before sending the next, as PHP requests do.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use crate::hist::Histogram;

/// What the load needs from a target: one durable commit of one event, answered.
pub trait Session {
    fn commit_one(&mut self, stream: usize) -> Result<(), String>;
}

pub struct Plan {
    pub clients: usize,
    /// Commits before this are not recorded: connections, caches and the log file warm up.
    pub warmup: Duration,
    pub measure: Duration,
    /// Each client cycles over this many streams of its own.
    pub streams_per_client: usize,
}

pub struct Outcome {
    pub latency: Histogram,
    /// From the end of the warm-up to the last recorded answer.
    pub seconds: f64,
}

impl Outcome {
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.latency.count() as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Runs the plan; `connect(client)` opens client number `client`'s session. The first
/// error of any client stops them all and is returned.
pub fn run<S, F>(plan: &Plan, connect: F) -> Result<Outcome, String>
where
    S: Session,
    F: Fn(usize) -> Result<S, String> + Sync,
{
    let ready = Barrier::new(plan.clients);
    let start = OnceLock::new();
    let stop = AtomicBool::new(false);
    let results: Vec<Result<(Histogram, Option<Instant>), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..plan.clients)
            .map(|client| {
                let (ready, start, stop, connect) = (&ready, &start, &stop, &connect);
                scope.spawn(move || {
                    // Every client connects before any commits, so a slow connect does
                    // not count as throughput lost; a failed one stops the rest.
                    let session = connect(client);
                    if session.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    ready.wait();
                    let t0 = *start.get_or_init(Instant::now);
                    let outcome = drive(session?, plan, t0, stop);
                    if outcome.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    outcome.map_err(|e| format!("client {client}: {e}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a client panicked".into())))
            .collect()
    });
    let mut latency = Histogram::default();
    let mut last = None;
    for result in results {
        let (h, done) = result?;
        latency.merge(&h);
        last = last.max(done);
    }
    let measure_from = *start.get().expect("clients started") + plan.warmup;
    let seconds = last.map_or(0.0, |l| l.duration_since(measure_from).as_secs_f64());
    Ok(Outcome { latency, seconds })
}

/// One client's loop: returns its latencies and when its last recorded answer came.
fn drive<S: Session>(
    mut session: S,
    plan: &Plan,
    t0: Instant,
    stop: &AtomicBool,
) -> Result<(Histogram, Option<Instant>), String> {
    let measure_from = t0 + plan.warmup;
    let until = measure_from + plan.measure;
    let mut latency = Histogram::default();
    let mut last = None;
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let begin = Instant::now();
        if begin >= until {
            break;
        }
        session.commit_one(i % plan.streams_per_client)?;
        let done = Instant::now();
        if begin >= measure_from {
            latency.record(done.duration_since(begin).as_micros() as u64);
            last = Some(done);
        }
        i += 1;
    }
    Ok((latency, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sleepy(Duration);

    impl Session for Sleepy {
        fn commit_one(&mut self, _stream: usize) -> Result<(), String> {
            std::thread::sleep(self.0);
            Ok(())
        }
    }

    fn plan(clients: usize) -> Plan {
        Plan {
            clients,
            warmup: Duration::from_millis(20),
            measure: Duration::from_millis(200),
            streams_per_client: 2,
        }
    }

    #[test]
    fn counts_only_after_the_warm_up() {
        let outcome = run(&plan(4), |_| Ok(Sleepy(Duration::from_millis(10)))).unwrap();
        // 4 clients at <= 100 commits/s each for about 0.2 s.
        let n = outcome.latency.count();
        assert!((40..=84).contains(&n), "{n} commits");
        assert!(
            outcome.seconds >= 0.2 && outcome.seconds < 0.4,
            "{}",
            outcome.seconds
        );
        assert!(outcome.latency.percentile(50.0).unwrap() >= 10_000);
    }

    #[test]
    fn one_failing_client_fails_the_run() {
        let err = run(&plan(3), |c| {
            if c == 1 {
                Err("no socket".to_string())
            } else {
                Ok(Sleepy(Duration::from_millis(1)))
            }
        })
        .err()
        .unwrap();
        assert_eq!(err, "no socket");
    }
}
