//! What one fsync per commit allows on a disk:
//!
//!   fsync-probe --dir DIR [--count 300] [--bytes 200] [--tsv]
//!
//! appends --bytes to a new file in DIR and fdatasyncs, --count times, then prints the
//! median and p99 in µs and 1e6 / median, the commits per second of a store that fsyncs
//! once per commit. With --tsv: median_us p99_us commits_per_s, tab-separated.

use std::path::PathBuf;
use std::process::ExitCode;

use resident_bench::{args, hist, probe};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fsync-probe: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let a = args::parse(
        std::env::args().skip(1),
        &["dir", "count", "bytes"],
        &["tsv"],
    )?;
    let dir = PathBuf::from(a.required("dir")?);
    let count = a.number("count", 300, 1, 100_000)?;
    let bytes = a.number("bytes", 200, 1, 1 << 20)?;
    let times = probe::fdatasync_micros(&dir, count, bytes)?;
    let median = hist::percentile_sorted(&times, 50.0).unwrap_or(0);
    let p99 = hist::percentile_sorted(&times, 99.0).unwrap_or(0);
    // A median under 1 µs means no disk at all (tmpfs); say so rather than divide by 0.
    let ceiling = 1e6 / median.max(1) as f64;
    if a.switch("tsv") {
        println!("{median}\t{p99}\t{ceiling:.1}");
    } else {
        println!(
            "append {bytes} B + fdatasync in {}: median {median} µs, p99 {p99} µs over {count} \
             → one fsync per commit allows {ceiling:.0} commits/s",
            dir.display()
        );
    }
    Ok(())
}
