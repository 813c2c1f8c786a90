//! The extension's section of `phpinfo()` (`php -i`): versions, the settings in effect
//! and, if this process holds a connection, what the server said on it; then this
//! process's counters. It never opens a connection: phpinfo() must answer while residentd
//! is down.

use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};
use resident_protocol::PROTOCOL_VERSION;

use crate::client::{metrics, process, settings};
use crate::engine::call;

/// The MINFO hook. Called by the engine outside any PHP call, where a panic would end the
/// process: nothing here unwraps, and every text is cleared of NUL bytes before the
/// macro makes C strings of it.
pub unsafe extern "C" fn print(_module: *mut ModuleEntry) {
    info_table_start!();
    for (name, value) in rows() {
        row(name, &value);
    }
    for (name, n) in metrics::read().1.named() {
        row(&format!("{name} (this process)"), &n.to_string());
    }
    info_table_end!();
}

fn row(name: &str, value: &str) {
    info_table_row!(name.replace('\0', ""), value.replace('\0', ""));
}

/// Versions, settings and the connection.
fn rows() -> Vec<(&'static str, String)> {
    let raw = call::raw_settings();
    let s = settings::resolve(&raw);
    let mut rows = vec![
        ("Resident support", "enabled".to_owned()),
        ("Version", env!("CARGO_PKG_VERSION").to_owned()),
        ("Protocol version", PROTOCOL_VERSION.to_string()),
        (
            "Socket",
            format!("{} ({})", s.socket, settings::socket_origin(&raw)),
        ),
        ("Timeout", format!("{} ms", s.timeout_ms)),
        ("Reconnect wait", format!("{} ms", s.reconnect_wait_ms)),
    ];
    match process::status() {
        Some(status) => {
            let position = status.position.map_or_else(
                || "not seen yet (commits and stats carry it)".to_owned(),
                |p| p.to_string(),
            );
            rows.push(("Connected", "yes".to_owned()));
            rows.push(("Server", status.server));
            rows.push(("Position (last answer)", position));
        }
        None => rows.push(("Connected", "no".to_owned())),
    }
    rows
}
