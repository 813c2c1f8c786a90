//! Settings from flags, `RESIDENT_*` variables, a TOML file and defaults — in that
//! order of precedence — merged into one [`Config`].

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;
use serde::Deserialize;

use crate::state::record_ref::SEGMENT_BYTES_CEILING;
use crate::storage::fsync::Fsync;
use crate::storage::log::SEGMENT_BYTES_DEFAULT;

pub const SOCKET_DEFAULT: &str = "/run/resident/resident.sock";
pub const DATA_DEFAULT: &str = "/var/lib/resident";
pub const CONNECTIONS_MAX_DEFAULT: usize = 1024;
pub const EVENTS_PER_COMMIT_MAX_DEFAULT: usize = 10_000;
pub const ROWS_MAX_DEFAULT: usize = 100_000;
pub const SOCKET_MODE_DEFAULT: u32 = 0o660;
pub const SNAPSHOT_EVERY_EVENTS_DEFAULT: u64 = 1_000_000;
pub const SNAPSHOT_EVERY_MINUTES_DEFAULT: u64 = 60;
pub const SNAPSHOTS_KEEP_DEFAULT: usize = 2;
pub const FRAME_TIMEOUT_MS_DEFAULT: u64 = 10_000;
pub const IDLE_TIMEOUT_MS_DEFAULT: u64 = 300_000;
/// Unless set, requests in flight may hold this many of the largest frames.
pub const REQUEST_MEMORY_FRAMES_DEFAULT: u64 = 16;
/// The least `request_memory_max`, in largest frames: one such frame's bytes and the
/// strings decoded from them must fit.
pub const REQUEST_MEMORY_FRAMES_MIN: u64 = 4;

/// Frames above this are refused even if configured: a commit must fit one log record.
pub const FRAME_BYTES_MAX_CEILING: u32 = 256 * 1024 * 1024;

/// residentd — the Resident state server.
#[derive(Debug, Parser, Default)]
#[command(
    name = "residentd",
    version,
    about = "residentd, the Resident state server: an event-sourced application state in memory"
)]
pub struct Args {
    /// Unix socket to listen on [default: /run/resident/resident.sock]
    #[arg(long, env = "RESIDENT_SOCKET")]
    pub socket: Option<PathBuf>,
    /// Data directory holding the log [default: /var/lib/resident]
    #[arg(long, env = "RESIDENT_DATA")]
    pub data: Option<PathBuf>,
    /// TOML file with the same settings (snake_case keys, e.g. frame_bytes_max)
    #[arg(long, env = "RESIDENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Largest accepted frame, in bytes [default: 16777216]
    #[arg(long)]
    pub frame_bytes_max: Option<u32>,
    /// Most simultaneous client connections [default: 1024]
    #[arg(long)]
    pub connections_max: Option<usize>,
    /// Most events in one commit [default: 10000]
    #[arg(long)]
    pub events_per_commit_max: Option<usize>,
    /// Most rows one read may return [default: 100000]
    #[arg(long)]
    pub rows_max: Option<usize>,
    /// Memory that requests being read and decoded may hold, all connections together, in bytes [default: 16 × frame_bytes_max]
    #[arg(long)]
    pub request_memory_max: Option<u64>,
    /// A frame must arrive whole within this of its first byte (a connection's first frame: of connecting), and an answer be taken within it [default: 10000]
    #[arg(long)]
    pub frame_timeout_ms: Option<u64>,
    /// A connection with no request for this long (to twice as long) is closed; clients reconnect [default: 300000]
    #[arg(long)]
    pub idle_timeout_ms: Option<u64>,
    /// Socket file mode, octal [default: 660]
    #[arg(long, value_parser = parse_mode)]
    pub socket_mode: Option<u32>,
    /// Group of the socket file, e.g. www-data, so PHP-FPM's user may connect [default: the server's group]
    #[arg(long)]
    pub socket_group: Option<String>,
    /// Only these uids may connect (repeatable); anyone with access to the socket when absent
    #[arg(long = "allow-uid")]
    pub allow_uid: Vec<u32>,
    /// Durability: always | every <ms> | never (see the README for what each can lose) [default: always]
    #[arg(long)]
    pub fsync: Option<String>,
    /// A log segment is closed and a new one started past this size, in bytes [default: 67108864]
    #[arg(long)]
    pub segment_bytes: Option<u64>,
    /// Take a snapshot after this many events [default: 1000000]
    #[arg(long)]
    pub snapshot_every_events: Option<u64>,
    /// Take a snapshot after this many minutes, if there were events [default: 60]
    #[arg(long)]
    pub snapshot_every_minutes: Option<u64>,
    /// Snapshots kept; older ones are removed [default: 2]
    #[arg(long)]
    pub snapshots_keep: Option<usize>,
    /// Remove log segments the oldest kept snapshot covers (stream reads of their events then fail) [default: false]
    #[arg(long)]
    pub prune_log: bool,
}

fn parse_mode(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("{text:?} is not an octal file mode such as 660"))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    socket: Option<PathBuf>,
    data: Option<PathBuf>,
    frame_bytes_max: Option<u32>,
    connections_max: Option<usize>,
    events_per_commit_max: Option<usize>,
    rows_max: Option<usize>,
    request_memory_max: Option<u64>,
    frame_timeout_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    socket_mode: Option<String>,
    socket_group: Option<String>,
    allow_uid: Option<Vec<u32>>,
    fsync: Option<String>,
    segment_bytes: Option<u64>,
    snapshot_every_events: Option<u64>,
    snapshot_every_minutes: Option<u64>,
    snapshots_keep: Option<usize>,
    prune_log: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub socket: PathBuf,
    pub data: PathBuf,
    pub frame_bytes_max: u32,
    pub connections_max: usize,
    pub events_per_commit_max: usize,
    pub rows_max: usize,
    pub request_memory_max: u64,
    pub frame_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    pub socket_mode: u32,
    pub socket_group: Option<String>,
    pub allow_uid: Vec<u32>,
    pub fsync: Fsync,
    pub segment_bytes: u64,
    pub snapshot_every_events: u64,
    pub snapshot_every_minutes: u64,
    pub snapshots_keep: usize,
    pub prune_log: bool,
}

impl Config {
    pub fn load(args: Args) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let file_mode = file
            .socket_mode
            .as_deref()
            .map(parse_mode)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let frame_bytes_max = args
            .frame_bytes_max
            .or(file.frame_bytes_max)
            .unwrap_or(resident_protocol::FRAME_BYTES_MAX_DEFAULT);
        let config = Config {
            socket: args
                .socket
                .or(file.socket)
                .unwrap_or_else(|| SOCKET_DEFAULT.into()),
            data: args
                .data
                .or(file.data)
                .unwrap_or_else(|| DATA_DEFAULT.into()),
            frame_bytes_max,
            connections_max: args
                .connections_max
                .or(file.connections_max)
                .unwrap_or(CONNECTIONS_MAX_DEFAULT),
            events_per_commit_max: args
                .events_per_commit_max
                .or(file.events_per_commit_max)
                .unwrap_or(EVENTS_PER_COMMIT_MAX_DEFAULT),
            rows_max: args.rows_max.or(file.rows_max).unwrap_or(ROWS_MAX_DEFAULT),
            request_memory_max: args
                .request_memory_max
                .or(file.request_memory_max)
                .unwrap_or(u64::from(frame_bytes_max) * REQUEST_MEMORY_FRAMES_DEFAULT),
            frame_timeout_ms: args
                .frame_timeout_ms
                .or(file.frame_timeout_ms)
                .unwrap_or(FRAME_TIMEOUT_MS_DEFAULT),
            idle_timeout_ms: args
                .idle_timeout_ms
                .or(file.idle_timeout_ms)
                .unwrap_or(IDLE_TIMEOUT_MS_DEFAULT),
            socket_mode: args
                .socket_mode
                .or(file_mode)
                .unwrap_or(SOCKET_MODE_DEFAULT),
            socket_group: args.socket_group.or(file.socket_group),
            allow_uid: if args.allow_uid.is_empty() {
                file.allow_uid.unwrap_or_default()
            } else {
                args.allow_uid
            },
            fsync: match args.fsync.or(file.fsync) {
                Some(text) => text.parse().map_err(anyhow::Error::msg)?,
                None => Fsync::Always,
            },
            segment_bytes: args
                .segment_bytes
                .or(file.segment_bytes)
                .unwrap_or(SEGMENT_BYTES_DEFAULT),
            snapshot_every_events: args
                .snapshot_every_events
                .or(file.snapshot_every_events)
                .unwrap_or(SNAPSHOT_EVERY_EVENTS_DEFAULT),
            snapshot_every_minutes: args
                .snapshot_every_minutes
                .or(file.snapshot_every_minutes)
                .unwrap_or(SNAPSHOT_EVERY_MINUTES_DEFAULT),
            snapshots_keep: args
                .snapshots_keep
                .or(file.snapshots_keep)
                .unwrap_or(SNAPSHOTS_KEEP_DEFAULT),
            prune_log: args.prune_log || file.prune_log.unwrap_or(false),
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (64..=FRAME_BYTES_MAX_CEILING).contains(&self.frame_bytes_max),
            "frame_bytes_max must be between 64 and {FRAME_BYTES_MAX_CEILING}"
        );
        anyhow::ensure!(
            self.connections_max > 0,
            "connections_max must be at least 1"
        );
        anyhow::ensure!(
            self.events_per_commit_max > 0,
            "events_per_commit_max must be at least 1"
        );
        anyhow::ensure!(self.rows_max > 0, "rows_max must be at least 1");
        let memory_min = u64::from(self.frame_bytes_max) * REQUEST_MEMORY_FRAMES_MIN;
        anyhow::ensure!(
            self.request_memory_max >= memory_min,
            "request_memory_max must be at least {REQUEST_MEMORY_FRAMES_MIN} × frame_bytes_max \
             ({memory_min})"
        );
        anyhow::ensure!(
            self.frame_timeout_ms > 0 && self.idle_timeout_ms > 0,
            "frame_timeout_ms and idle_timeout_ms must be at least 1"
        );
        anyhow::ensure!(
            (4096..=SEGMENT_BYTES_CEILING).contains(&self.segment_bytes),
            "segment_bytes must be between 4096 and {SEGMENT_BYTES_CEILING}"
        );
        anyhow::ensure!(
            self.snapshot_every_events > 0 && self.snapshot_every_minutes > 0,
            "snapshot_every_events and snapshot_every_minutes must be at least 1"
        );
        anyhow::ensure!(self.snapshots_keep > 0, "snapshots_keep must be at least 1");
        Ok(())
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is invalid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resident.toml");
        std::fs::write(
            &path,
            "socket = \"/tmp/file.sock\"\nrows_max = 5\nsocket_mode = \"600\"\nsocket_group = \"www-data\"\nfsync = \"every 20ms\"\nsnapshots_keep = 3\n",
        )
        .unwrap();
        let args = Args {
            config: Some(path),
            rows_max: Some(7),
            ..Args::default()
        };
        let config = Config::load(args).unwrap();
        assert_eq!(config.socket, PathBuf::from("/tmp/file.sock"));
        assert_eq!(config.rows_max, 7);
        assert_eq!(config.socket_mode, 0o600);
        assert_eq!(config.socket_group.as_deref(), Some("www-data"));
        assert_eq!(config.data, PathBuf::from(DATA_DEFAULT));
        assert_eq!(
            config.fsync,
            Fsync::Every(std::time::Duration::from_millis(20))
        );
        assert_eq!(config.snapshots_keep, 3);
        assert_eq!(config.segment_bytes, SEGMENT_BYTES_DEFAULT);
        let bad = Args {
            fsync: Some("sometimes".into()),
            ..Args::default()
        };
        let err = Config::load(bad).unwrap_err().to_string();
        assert!(err.contains("always, never, or every"), "{err}");
        assert_eq!(
            config.frame_bytes_max,
            resident_protocol::FRAME_BYTES_MAX_DEFAULT
        );
    }

    #[test]
    fn connection_time_and_request_memory() {
        let defaults = Config::load(Args::default()).unwrap();
        assert_eq!(defaults.frame_timeout_ms, FRAME_TIMEOUT_MS_DEFAULT);
        assert_eq!(defaults.idle_timeout_ms, IDLE_TIMEOUT_MS_DEFAULT);
        assert_eq!(defaults.request_memory_max, 256 * 1024 * 1024);
        // Unset, the memory follows the frame limit.
        let small = Config::load(Args {
            frame_bytes_max: Some(1024),
            ..Args::default()
        })
        .unwrap();
        assert_eq!(small.request_memory_max, 16 * 1024);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resident.toml");
        std::fs::write(
            &path,
            "frame_timeout_ms = 2500\nidle_timeout_ms = 60000\nrequest_memory_max = 100000000\n",
        )
        .unwrap();
        let args = Args {
            config: Some(path),
            idle_timeout_ms: Some(5),
            ..Args::default()
        };
        let config = Config::load(args).unwrap();
        assert_eq!(config.frame_timeout_ms, 2500);
        assert_eq!(config.idle_timeout_ms, 5);
        assert_eq!(config.request_memory_max, 100_000_000);

        let refused = |args: Args| Config::load(args).unwrap_err().to_string();
        let err = refused(Args {
            request_memory_max: Some(1 << 20),
            ..Args::default()
        });
        assert!(err.contains("request_memory_max must be at least"), "{err}");
        let err = refused(Args {
            frame_timeout_ms: Some(0),
            ..Args::default()
        });
        assert!(err.contains("frame_timeout_ms"), "{err}");
    }
}
