//! Durable commit load: N clients, one event per commit, each waiting for its answer.
//!
//!   commit-load --target resident|redis --socket PATH [--clients 1] [--seconds 5]
//!               [--warmup 1] [--payload-bytes 100] [--streams 4] [--tag TEXT] [--tsv]
//!
//! Prints one line: target, clients, events/s, p50 and p99 latency in µs. With --tsv the
//! line is tab-separated for scripts: target clients events_per_s p50_us p99_us commits
//! seconds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resident_bench::args;
use resident_bench::load::{self, Outcome, Plan};
use resident_bench::redis::RedisSession;
use resident_bench::resident::{Resident, ResidentSession};

/// residentd's default --connections-max.
const CLIENTS_MAX: usize = 1024;
const PAYLOAD_BYTES_MAX: usize = 64 * 1024;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("commit-load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let a = args::parse(
        std::env::args().skip(1),
        &[
            "target",
            "socket",
            "clients",
            "seconds",
            "warmup",
            "payload-bytes",
            "streams",
            "tag",
        ],
        &["tsv"],
    )?;
    let target = a.required("target")?.to_string();
    let socket = PathBuf::from(a.required("socket")?);
    let plan = Plan {
        clients: a.number("clients", 1, 1, CLIENTS_MAX)?,
        warmup: Duration::from_secs_f64(a.number("warmup", 1.0, 0.0, 600.0)?),
        measure: Duration::from_secs_f64(a.number("seconds", 5.0, 0.1, 3600.0)?),
        streams_per_client: a.number("streams", 4, 1, 1024)?,
    };
    let payload = payload(a.number("payload-bytes", 100, 1, PAYLOAD_BYTES_MAX)?);
    // Streams and event ids are named after the run, so runs against the same server
    // never collide (a reused event id would be answered as a duplicate, unwritten).
    let tag = a.text("tag").map_or_else(default_tag, str::to_string);
    let name = |client: usize| format!("{tag}-c{client}");

    let outcome = match target.as_str() {
        "resident" => {
            Resident::connect(&socket)?.register_schema()?;
            load::run(&plan, |c| {
                let client = Resident::connect(&socket)?;
                Ok(ResidentSession::new(
                    client,
                    &name(c),
                    plan.streams_per_client,
                    payload.clone(),
                ))
            })?
        }
        "redis" => load::run(&plan, |c| {
            RedisSession::connect(&socket, &name(c), plan.streams_per_client, payload.clone())
        })?,
        other => return Err(format!("--target {other}: resident or redis")),
    };
    print(&target, plan.clients, &outcome, a.switch("tsv"));
    Ok(())
}

/// Printable event data of exactly `bytes` bytes; the same for both targets.
fn payload(bytes: usize) -> String {
    "event-payload-0123456789abcdefghijklmnopqrstuvwxyz-"
        .chars()
        .cycle()
        .take(bytes)
        .collect()
}

fn default_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

fn print(target: &str, clients: usize, o: &Outcome, tsv: bool) {
    let p50 = o.latency.percentile(50.0).unwrap_or(0);
    let p99 = o.latency.percentile(99.0).unwrap_or(0);
    let rate = o.events_per_second();
    let commits = o.latency.count();
    if tsv {
        println!(
            "{target}\t{clients}\t{rate:.1}\t{p50}\t{p99}\t{commits}\t{:.3}",
            o.seconds
        );
    } else {
        println!(
            "{target:<8} {clients:>4} clients {rate:>10.0} events/s   p50 {p50:>7} µs   p99 {p99:>7} µs   ({commits} commits in {:.2} s)",
            o.seconds
        );
    }
}
