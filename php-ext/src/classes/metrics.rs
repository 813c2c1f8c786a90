//! `Resident\metrics()`: the extension's own counters, for a PHP profiler or APM.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

use crate::client::metrics::{self, Counters};

/// What this PHP request and this process asked of residentd: `['request' => [...],
/// 'process' => [...]]`, each with `requests` (frames sent, `hello` and schema
/// registrations included), `bytes_sent`, `bytes_received`, `wait_us` (time spent in calls
/// to residentd, connecting and waiting for a restart included), `connects` and
/// `reconnects`. `request` starts from zero with every PHP request; `process` counts
/// since the process started (a forked child starts from zero). Talks to nobody.
#[php_function]
#[php(name = "Resident\\metrics")]
pub fn metrics() -> PhpResult<ZBox<ZendHashTable>> {
    let (request, process) = metrics::read();
    let mut both = ZendHashTable::new();
    both.insert("request", as_array(&request)?)?;
    both.insert("process", as_array(&process)?)?;
    Ok(both)
}

fn as_array(counters: &Counters) -> PhpResult<ZBox<ZendHashTable>> {
    let mut array = ZendHashTable::new();
    for (name, n) in counters.named() {
        array.insert(name, i64::try_from(n).unwrap_or(i64::MAX))?;
    }
    Ok(array)
}

/// Adds `Resident\metrics` to the module (the macro-made wrapper is private to this file).
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(metrics))
}
