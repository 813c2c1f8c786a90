//! Writes a large data directory for the restart benchmark (bench/restart): the bank
//! schema and `entities × events_per_entity` events, one event per commit record as
//! PHP commits them, interleaved across streams as live traffic would be.
//!
//! It goes through the server's own encoding, framing and segment code, so residentd
//! replays the result exactly as it would a log it wrote itself.
//!
//! `cargo run --release -p resident-server --example gen_log -- --data DIR --entities 1000000 --events-per-entity 10`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use resident_protocol::{map, Value};
use resident_server::state::event::{stream_name, StoredEvent};
use resident_server::storage::frame::frame_record;
use resident_server::storage::fsync::Fsync;
use resident_server::storage::log::{self, Log};
use resident_server::storage::record::{encode_commit, encode_schema};
use resident_server::testkit;

#[derive(Parser)]
struct Args {
    /// An empty or missing data directory
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    entities: u64,
    /// The first opens the account, the rest each add to its balance
    #[arg(long, default_value_t = 10)]
    events_per_entity: u64,
}

/// Bytes gathered before one append: large writes, as group commit makes them.
const WRITE_BYTES: usize = 1 << 20;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        log::list(&args.data)?.is_empty(),
        "{} already holds a log",
        args.data.display()
    );
    let started = Instant::now();
    let mut log = Log::open(&args.data, 1, log::SEGMENT_BYTES_DEFAULT, Fsync::Never)?;
    let mut framed = Vec::new();
    let bank = testkit::state_with(&testkit::example_bank_part());
    frame_record(&encode_schema(bank.schema()), &mut framed);
    let mut position = 0u64;
    for version in 1..=args.events_per_entity {
        for entity in 0..args.entities {
            position += 1;
            let key = uuid(entity, 0);
            let (event_type, data) = if version == 1 {
                (
                    "AccountOpened",
                    vec![("name", Value::from(format!("Account {entity}")))],
                )
            } else {
                ("BalanceIncreased", vec![("amount", Value::from(10))])
            };
            let event = StoredEvent {
                id: uuid(position, 1),
                event_type: event_type.to_string(),
                stream: Arc::from(stream_name(testkit::AGGREGATE, &key)),
                aggregate: testkit::AGGREGATE.to_string(),
                key,
                version,
                position,
                data: map::build(data),
                meta: map::build(vec![(
                    "recorded_at",
                    Value::from("2026-11-26T10:00:00.000000Z"),
                )]),
            };
            frame_record(&encode_commit(&[Arc::new(event)]), &mut framed);
            if framed.len() >= WRITE_BYTES {
                log.rotate_if_full()?;
                log.append(&framed)?;
                framed.clear();
            }
        }
    }
    log.rotate_if_full()?;
    log.append(&framed)?;
    log.sync()?;
    println!(
        "wrote {position} events for {} entities to {} in {:.1} s ({} segments)",
        args.entities,
        args.data.display(),
        started.elapsed().as_secs_f64(),
        log::list(&args.data)?.len()
    );
    Ok(())
}

/// A uuid-shaped id, unique per `(n, kind)` (the last group holds `2n + kind`), and as
/// random-looking in front as real uuid4s are: ids sharing long prefixes would make
/// every key comparison in the server's ordered maps slower than it is with real data.
fn uuid(n: u64, kind: u64) -> String {
    let unique = n * 2 + kind;
    let h = mix(unique);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        0x8000 | ((h >> 48) & 0x3fff),
        unique & 0xffff_ffff_ffff
    )
}

/// The splitmix64 finalizer: spreads consecutive numbers over all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
