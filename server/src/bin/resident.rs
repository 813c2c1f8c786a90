//! `resident`: the admin CLI. Talks to a running residentd over its socket.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use resident_protocol::client::{CallError, Client};
use resident_protocol::{map, op, Value};

#[derive(Parser)]
#[command(name = "resident", version, about = "Admin CLI for residentd")]
struct Cli {
    /// The server's socket
    #[arg(long, global = true, env = "RESIDENT_SOCKET", default_value = resident_server::config::SOCKET_DEFAULT)]
    socket: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks that the server answers, and shows its version and limits
    Ping,
    /// Shows position, counts, connections and uptime
    Stats,
    /// Asks the server to write a snapshot now, and waits until it is on disk
    Snapshot,
    /// Checks a data directory offline (no server needed); exits 1 when anything is damaged
    Verify {
        /// The data directory to check
        #[arg(long, env = "RESIDENT_DATA", default_value = resident_server::config::DATA_DEFAULT)]
        data: PathBuf,
        /// Cut the log at the first damage, giving up every event after it, and move
        /// unusable snapshots aside (all of it is kept under DATA/damaged/). Stop
        /// residentd first.
        #[arg(long)]
        repair: bool,
    },
}

/// A server that has not answered within this is stuck; say so rather than hang.
const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("resident: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    if let Command::Verify { data, repair } = &cli.command {
        return verify(data, *repair);
    }
    let mut client = Client::connect(&cli.socket, ANSWER_TIMEOUT)
        .map_err(|e| format!("cannot connect to {}: {e}", cli.socket.display()))?;
    let started = std::time::Instant::now();
    let response = match cli.command {
        Command::Ping => client.hello("resident-cli"),
        Command::Stats => client.request(op::STATS, vec![]),
        Command::Snapshot => client.request(op::SNAPSHOT, vec![]),
        Command::Verify { .. } => unreachable!("verify needs no server"),
    }
    .map_err(|e| match e {
        CallError::Refused { .. } => e.to_string(),
        _ => format!("{}: {e}", cli.socket.display()),
    })?;
    match cli.command {
        Command::Ping => {
            let server = map::get_text(&response, "server").unwrap_or("?");
            println!(
                "{server} answered on {} in {:?}",
                cli.socket.display(),
                started.elapsed()
            );
        }
        Command::Stats => print_stats(&response),
        Command::Snapshot => println!(
            "snapshot {} written: position {}, {} entities, {} bytes, {} ms",
            map::get_text(&response, "path").unwrap_or("?"),
            map::get_i64(&response, "position").unwrap_or(0),
            map::get_i64(&response, "entities").unwrap_or(0),
            map::get_i64(&response, "bytes").unwrap_or(0),
            map::get_i64(&response, "took_ms").unwrap_or(0),
        ),
        Command::Verify { .. } => {}
    }
    Ok(())
}

fn verify(data: &std::path::Path, repair: bool) -> Result<(), String> {
    if !data.is_dir() {
        return Err(format!("{} is not a directory", data.display()));
    }
    // The lock tells us whether a server is using the directory: verifying under a
    // running server would race its writes, and repairing would corrupt them.
    let _lock = resident_server::storage::lockfile::acquire_for_check(data)
        .map_err(|e| format!("{e:#}"))?;
    let report = resident_server::storage::verify::verify(data).map_err(|e| format!("{e:#}"))?;
    for line in &report.lines {
        println!("{line}");
    }
    if report.problems.is_empty() {
        println!("{} is sound", data.display());
        return Ok(());
    }
    let mendable = resident_server::storage::verify::can_repair(&report);
    match (repair, mendable) {
        (true, true) => {
            let done = resident_server::storage::verify::repair(data, &report)
                .map_err(|e| format!("{e:#}"))?;
            for line in done {
                println!("repaired {line}");
            }
            println!(
                "run `resident verify --data {}` again to check",
                data.display()
            );
            Ok(())
        }
        (true, false) => Err(format!(
            "{} problem(s) found that --repair cannot mend (it cuts a damaged log and moves \
             unusable snapshots aside; these are neither): back {} up and report it",
            report.problems.len(),
            data.display()
        )),
        (false, _) => Err(format!(
            "{} problem(s) found in {}; see above{}",
            report.problems.len(),
            data.display(),
            if mendable {
                "; --repair mends them as said there (back the directory up first)"
            } else {
                ""
            }
        )),
    }
}

/// The check of the segments start-up did not read: its state, and each damage found.
fn print_log_check(storage: &Value) {
    match map::get_text(storage, "log_check") {
        Some("damaged") => println!(
            "log check       DAMAGED in {} segment(s); run `resident verify` (see README, Durability)",
            map::get_i64(storage, "log_damaged_segments").unwrap_or(0)
        ),
        Some(state) => println!("log check       {state}"),
        None => {}
    }
    if let Some(Value::Array(damage)) = map::get(storage, "log_damage") {
        for d in damage {
            println!(
                "  {} at offset {}: {}",
                map::get_text(d, "file").unwrap_or("?"),
                map::get_i64(d, "offset").unwrap_or(0),
                map::get_text(d, "reason").unwrap_or("?")
            );
        }
    }
}

fn print_stats(stats: &Value) {
    let number = |key| map::get_i64(stats, key).unwrap_or(0);
    println!(
        "server          {}",
        map::get_text(stats, "server").unwrap_or("?")
    );
    println!(
        "uptime          {}",
        humantime::format_duration(std::time::Duration::from_secs(
            number("uptime_ms") as u64 / 1000
        ))
    );
    println!("position        {}", number("position"));
    println!("events          {}", number("events"));
    println!("streams         {}", number("streams"));
    println!("schema version  {}", number("schema_version"));
    println!("connections     {}", number("connections"));
    if let Some(storage) = map::get(stats, "storage") {
        let of = |key| map::get_i64(storage, key).unwrap_or(0);
        println!(
            "fsync           {}",
            map::get_text(storage, "fsync").unwrap_or("?")
        );
        println!(
            "log             {} segment(s), {} bytes",
            of("log_segments"),
            of("log_bytes")
        );
        match map::get_i64(storage, "snapshot_position") {
            Some(position) => println!(
                "snapshots       {}, the newest at position {position}",
                of("snapshots")
            ),
            None => println!("snapshots       none yet"),
        }
        print_log_check(storage);
    }
    println!("entities");
    if let Some(Value::Map(entries)) = map::get(stats, "entities") {
        if entries.is_empty() {
            println!("  (none registered)");
        }
        for (name, count) in entries {
            let count = count.as_integer().map(i128::from).unwrap_or(0);
            println!("  {:<14}{count}", name.as_text().unwrap_or("?"));
        }
    }
}
