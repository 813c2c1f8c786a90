//! `residentd`: parse settings, set up logging, run the server.

use std::io::IsTerminal;

use clap::Parser;
use resident_server::config::{Args, Config};

/// The state is millions of small allocations made and freed by the writer while other
/// threads free old versions; mimalloc's per-thread heaps handle that pattern far better
/// than glibc's malloc (replay and commit throughput, measured in bench/).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = Config::load(Args::parse()).and_then(|config| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(resident_server::server::run(config))
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("residentd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
