//! Where the socket is and how long to wait: php.ini, overridden by the environment.

use crate::client::connection::Settings;

pub const SOCKET_DEFAULT: &str = "/run/resident/resident.sock";
pub const TIMEOUT_MS_DEFAULT: u64 = 5000;

/// `RESIDENT_SOCKET` wins over `resident.socket` so one php.ini can serve several
/// deployments (and tests can point at a temporary server).
pub fn resolve(
    env_socket: Option<String>,
    ini_socket: Option<String>,
    ini_timeout: Option<String>,
) -> Settings {
    let socket = env_socket
        .filter(|s| !s.is_empty())
        .or(ini_socket.filter(|s| !s.is_empty()))
        .unwrap_or_else(|| SOCKET_DEFAULT.to_owned());
    let timeout_ms = ini_timeout
        .and_then(|t| t.trim().parse::<u64>().ok())
        .filter(|t| *t > 0)
        .unwrap_or(TIMEOUT_MS_DEFAULT);
    Settings { socket, timeout_ms }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_ini_which_overrides_default() {
        let s = |e: Option<&str>, i: Option<&str>| {
            resolve(e.map(Into::into), i.map(Into::into), None).socket
        };
        assert_eq!(s(Some("/e.sock"), Some("/i.sock")), "/e.sock");
        assert_eq!(s(Some(""), Some("/i.sock")), "/i.sock");
        assert_eq!(s(None, None), SOCKET_DEFAULT);
    }

    #[test]
    fn bad_timeouts_fall_back_to_the_default() {
        let t = |v: &str| resolve(None, None, Some(v.into())).timeout_ms;
        assert_eq!(t("250"), 250);
        assert_eq!(t("0"), TIMEOUT_MS_DEFAULT);
        assert_eq!(t("soon"), TIMEOUT_MS_DEFAULT);
    }
}
