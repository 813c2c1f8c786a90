//! `resident`: the admin CLI. Talks to a running residentd over its socket.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use resident_protocol::{map, Value};
use resident_server::client::Client;

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
}

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
    let mut client = Client::connect(&cli.socket)
        .map_err(|e| format!("cannot connect to {}: {e}", cli.socket.display()))?;
    let (op, args) = match cli.command {
        Command::Ping => (
            "hello",
            vec![
                ("protocol", Value::from(1)),
                ("client", Value::from("resident-cli")),
            ],
        ),
        Command::Stats => ("stats", vec![]),
    };
    let started = std::time::Instant::now();
    let response = client
        .call(op, args)
        .map_err(|e| format!("{}: {e}", cli.socket.display()))?;
    if map::get(&response, "ok").and_then(Value::as_bool) != Some(true) {
        let error = map::get(&response, "error").cloned().unwrap_or(Value::Null);
        return Err(format!(
            "{}: {}",
            map::get_text(&error, "code").unwrap_or("error"),
            map::get_text(&error, "message").unwrap_or("")
        ));
    }
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
    }
    Ok(())
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
