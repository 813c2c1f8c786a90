//! Where the socket is and how long to wait: php.ini, overridden by the environment.

use crate::client::connection::Settings;

pub const SOCKET_DEFAULT: &str = "/run/resident/resident.sock";
pub const TIMEOUT_MS_DEFAULT: u64 = 5000;
/// Long enough for `systemctl restart residentd` of a server with a recent snapshot;
/// short enough that a PHP request does not hang on a server that is really down.
pub const RECONNECT_WAIT_MS_DEFAULT: u64 = 2000;
/// A wait longer than this is taken as this: a PHP request should not hang for minutes.
pub const RECONNECT_WAIT_MS_MAX: u64 = 60_000;

/// The raw settings as PHP holds them, before parsing.
#[derive(Debug, Default)]
pub struct Raw {
    /// `RESIDENT_SOCKET`
    pub env_socket: Option<String>,
    /// `resident.socket`
    pub socket: Option<String>,
    /// `resident.timeout_ms`
    pub timeout_ms: Option<String>,
    /// `resident.reconnect_wait_ms`
    pub reconnect_wait_ms: Option<String>,
}

/// Which setting named the socket in effect, for `phpinfo()`.
pub fn socket_origin(raw: &Raw) -> &'static str {
    match (non_empty(&raw.env_socket), non_empty(&raw.socket)) {
        (Some(_), _) => "RESIDENT_SOCKET",
        (None, Some(_)) => "resident.socket",
        (None, None) => "default",
    }
}

/// `RESIDENT_SOCKET` wins over `resident.socket` so one php.ini can serve several
/// deployments (and tests can point at a temporary server).
pub fn resolve(raw: &Raw) -> Settings {
    let socket = non_empty(&raw.env_socket)
        .or(non_empty(&raw.socket))
        .unwrap_or(SOCKET_DEFAULT)
        .to_owned();
    let timeout_ms = number(&raw.timeout_ms)
        .filter(|t| *t > 0)
        .unwrap_or(TIMEOUT_MS_DEFAULT);
    // 0 is a setting here: it turns the wait off.
    let reconnect_wait_ms = number(&raw.reconnect_wait_ms)
        .unwrap_or(RECONNECT_WAIT_MS_DEFAULT)
        .min(RECONNECT_WAIT_MS_MAX);
    Settings {
        socket,
        timeout_ms,
        reconnect_wait_ms,
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

fn number(s: &Option<String>) -> Option<u64> {
    s.as_deref().and_then(|t| t.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(env: Option<&str>, ini: Option<&str>) -> Raw {
        Raw {
            env_socket: env.map(Into::into),
            socket: ini.map(Into::into),
            ..Raw::default()
        }
    }

    #[test]
    fn environment_overrides_ini_which_overrides_default() {
        let s = |e, i| resolve(&raw(e, i)).socket;
        assert_eq!(s(Some("/e.sock"), Some("/i.sock")), "/e.sock");
        assert_eq!(s(Some(""), Some("/i.sock")), "/i.sock");
        assert_eq!(s(None, None), SOCKET_DEFAULT);
        let o = |e, i| socket_origin(&raw(e, i));
        assert_eq!(o(Some("/e.sock"), Some("/i.sock")), "RESIDENT_SOCKET");
        assert_eq!(o(Some(""), Some("/i.sock")), "resident.socket");
        assert_eq!(o(None, Some("")), "default");
    }

    #[test]
    fn bad_timeouts_fall_back_to_the_default() {
        let t = |v: &str| {
            resolve(&Raw {
                timeout_ms: Some(v.into()),
                ..Raw::default()
            })
            .timeout_ms
        };
        assert_eq!(t("250"), 250);
        assert_eq!(t("0"), TIMEOUT_MS_DEFAULT);
        assert_eq!(t("soon"), TIMEOUT_MS_DEFAULT);
    }

    #[test]
    fn the_reconnect_wait_may_be_turned_off_and_is_bounded() {
        let w = |v: Option<&str>| {
            resolve(&Raw {
                reconnect_wait_ms: v.map(Into::into),
                ..Raw::default()
            })
            .reconnect_wait_ms
        };
        assert_eq!(w(None), RECONNECT_WAIT_MS_DEFAULT);
        assert_eq!(w(Some("0")), 0);
        assert_eq!(w(Some(" 300 ")), 300);
        assert_eq!(w(Some("-1")), RECONNECT_WAIT_MS_DEFAULT);
        assert_eq!(w(Some("999999999")), RECONNECT_WAIT_MS_MAX);
    }
}
