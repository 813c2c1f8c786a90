//! The extension's section of `phpinfo()` (`php -i`): versions, the settings in effect
//! and, if this process holds a connection, what the server said on it. It never opens a
//! connection: phpinfo() must answer while residentd is down.

use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};
use resident_protocol::PROTOCOL_VERSION;

use crate::client::{metrics, process, settings};
use crate::engine::call;

/// The MINFO hook. Called by the engine outside any PHP call, where a panic would end the
/// process: nothing here unwraps, and every text is cleared of NUL bytes before the
/// macros make C strings of it.
pub unsafe extern "C" fn print(_module: *mut ModuleEntry) {
    info_table_start!();
    for (name, value) in rows() {
        info_table_row!(name.replace('\0', ""), value.replace('\0', ""));
    }
    info_table_end!();
}

fn rows() -> Vec<(String, String)> {
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
            rows.push(("Connected", "yes".to_owned()));
            rows.push(("Server", status.server));
            let position = status.position.map_or_else(
                || "not seen yet (commits and stats carry it)".to_owned(),
                |p| p.to_string(),
            );
            rows.push(("Position (last answer)", position));
        }
        None => rows.push(("Connected", "no".to_owned())),
    }
    let mut rows: Vec<(String, String)> = rows
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    let (_, process) = metrics::read();
    rows.extend(
        process
            .named()
            .into_iter()
            .map(|(name, n)| (format!("{name} (this process)"), n.to_string())),
    );
    rows
}
