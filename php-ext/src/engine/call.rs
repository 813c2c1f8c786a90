//! Glue between the native methods and the process's client: settings from php.ini and
//! the environment, plus the registration list of each request.

use ext_php_rs::zend::ExecutorGlobals;
use resident_protocol::Value;

use crate::client::connection::Settings;
use crate::client::failure::Failure;
use crate::client::process::{self, Registration};
use crate::client::settings::{self, Raw};

/// The settings as PHP holds them. Read only when (re)connecting, and by `phpinfo()`:
/// `ini_values()` copies the whole ini table.
pub fn raw_settings() -> Raw {
    let mut ini = ExecutorGlobals::get().ini_values();
    let mut take = |name: &str| ini.remove(name).flatten();
    Raw {
        env_socket: std::env::var("RESIDENT_SOCKET").ok(),
        socket: take("resident.socket"),
        timeout_ms: take("resident.timeout_ms"),
        reconnect_wait_ms: take("resident.reconnect_wait_ms"),
    }
}

fn current_settings() -> Settings {
    settings::resolve(&raw_settings())
}

/// Sends `request` after registering the schemas in `needs` not yet registered on this
/// connection.
pub fn exchange(needs: &[Registration<'_>], request: &[(&str, Value)]) -> Result<Value, Failure> {
    process::with(|c| c.exchange(current_settings, needs, request)).map_err(Failure::from)
}

/// True when residentd answers now: a probe, so it does not wait for a restart.
pub fn ping(request: &[(&str, Value)]) -> bool {
    let settings = || Settings {
        reconnect_wait_ms: 0,
        ..current_settings()
    };
    process::with(|c| c.exchange(settings, &[], request)).is_ok()
}

/// [`exchange`] returning the answer's frame body undecoded, for `decode.rs`.
pub fn exchange_raw(
    needs: &[Registration<'_>],
    request: &[(&str, Value)],
) -> Result<Vec<u8>, Failure> {
    process::with(|c| c.exchange_raw(current_settings, needs, request)).map_err(Failure::from)
}

/// Sends `request`, which needs no schema, and returns the answer's fields (without `id`
/// and `ok`) as a PHP array: for the functions that hand an answer to PHP as it is.
pub fn answer_array(request: &[(&str, Value)]) -> Result<ext_php_rs::types::Zval, Failure> {
    let fields = match exchange(&[], request)? {
        Value::Map(entries) => entries
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_text(), Some("id") | Some("ok")))
            .collect(),
        other => return Ok(crate::engine::convert::to_zval(&other)),
    };
    Ok(crate::engine::convert::to_zval(&Value::Map(fields)))
}
