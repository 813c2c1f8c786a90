//! Just enough RESP (the Redis protocol) for `RPUSH`: encode a command, parse the
//! integer or error line that answers it.

/// Longest reply line accepted; an `RPUSH` answer is a few bytes, an error a sentence.
pub const LINE_MAX: usize = 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// `:N\r\n`
    Integer(i64),
    /// `-ERR …\r\n`
    Error(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum RespError {
    /// No `\r\n` within `LINE_MAX` bytes.
    TooLong,
    /// A reply kind this client never asks for (`+`, `$`, `*`, …), or a bad integer.
    Unexpected(String),
}

/// A command as an array of bulk strings, the form every Redis accepts.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Parses one reply from the start of `buf`: `Ok(None)` while it is incomplete, else the
/// reply and how many bytes it took.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, RespError> {
    let window = &buf[..buf.len().min(LINE_MAX)];
    let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() >= LINE_MAX {
            Err(RespError::TooLong)
        } else {
            Ok(None)
        };
    };
    if end == 0 {
        return Err(RespError::Unexpected("an empty line".into()));
    }
    let line = String::from_utf8_lossy(&buf[1..end]).into_owned();
    let reply = match buf[0] {
        b':' => Reply::Integer(
            line.parse()
                .map_err(|_| RespError::Unexpected(format!(":{line}")))?,
        ),
        b'-' => Reply::Error(line),
        other => return Err(RespError::Unexpected(format!("{}{line}", other as char))),
    };
    Ok(Some((reply, end + 2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_bulk_strings() {
        assert_eq!(
            encode_command(&[b"RPUSH", b"k", b"a b"]),
            b"*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$3\r\na b\r\n"
        );
    }

    #[test]
    fn parses_integers_and_errors() {
        assert_eq!(parse_reply(b":42\r\n"), Ok(Some((Reply::Integer(42), 5))));
        assert_eq!(
            parse_reply(b":-1\r\n:7\r\n"),
            Ok(Some((Reply::Integer(-1), 5)))
        );
        assert_eq!(
            parse_reply(b"-ERR wrong type\r\n"),
            Ok(Some((Reply::Error("ERR wrong type".into()), 17)))
        );
    }

    #[test]
    fn waits_for_the_rest() {
        assert_eq!(parse_reply(b""), Ok(None));
        assert_eq!(parse_reply(b":12"), Ok(None));
        assert_eq!(parse_reply(b":12\r"), Ok(None));
    }

    #[test]
    fn refuses_what_rpush_never_answers() {
        assert!(matches!(
            parse_reply(b"+OK\r\n"),
            Err(RespError::Unexpected(_))
        ));
        assert!(matches!(
            parse_reply(b":x\r\n"),
            Err(RespError::Unexpected(_))
        ));
        assert!(matches!(
            parse_reply(b"\r\n"),
            Err(RespError::Unexpected(_))
        ));
        assert_eq!(parse_reply(&[b'-'; LINE_MAX]), Err(RespError::TooLong));
    }
}
