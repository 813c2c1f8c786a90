//! SQL-style `like` patterns: `%` matches any run of characters (also none), `_` exactly
//! one character, everything else itself. Case-sensitive and without an escape
//! character, as the protocol defines it.
//!
//! Matching is the greedy two-pointer algorithm with one backtrack point, so it takes
//! O(text × pattern) at worst and never recurses: a hostile pattern cannot blow the stack
//! or take exponential time.

/// One element of a parsed pattern.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A run of literal characters.
    Literal(String),
    /// `_`
    One,
    /// `%` (consecutive ones are merged)
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    tokens: Vec<Token>,
    source: String,
}

impl Pattern {
    pub fn parse(pattern: &str) -> Pattern {
        let mut tokens: Vec<Token> = Vec::new();
        for c in pattern.chars() {
            match c {
                '%' => {
                    if tokens.last() != Some(&Token::Any) {
                        tokens.push(Token::Any);
                    }
                }
                '_' => tokens.push(Token::One),
                c => match tokens.last_mut() {
                    Some(Token::Literal(run)) => run.push(c),
                    _ => tokens.push(Token::Literal(c.to_string())),
                },
            }
        }
        Pattern {
            tokens,
            source: pattern.to_string(),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The literal text every match starts with; empty when the pattern starts with a
    /// wildcard. This is what lets an index serve `like 'Al%'`.
    pub fn literal_prefix(&self) -> &str {
        match self.tokens.first() {
            Some(Token::Literal(run)) => run,
            _ => "",
        }
    }

    /// True when the pattern has no wildcard, so it matches only its own text.
    pub fn is_exact(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// True when the pattern is a literal prefix then `%` (`'Al%'`): it matches exactly
    /// the strings that start with [`Pattern::literal_prefix`].
    pub fn is_prefix(&self) -> bool {
        matches!(&self.tokens[..], [Token::Literal(_), Token::Any])
    }

    pub fn matches(&self, text: &str) -> bool {
        let tokens = &self.tokens;
        let mut t = 0usize; // next token
        let mut s = 0usize; // next byte of text
                            // After the last `%`: the token after it, and where in the text its run ends.
        let mut backtrack: Option<(usize, usize)> = None;
        loop {
            if let Some(token) = tokens.get(t) {
                let rest = &text[s..];
                let advanced = match token {
                    Token::Any => {
                        backtrack = Some((t + 1, s));
                        t += 1;
                        continue;
                    }
                    Token::One => rest.chars().next().map(char::len_utf8),
                    Token::Literal(run) => rest.starts_with(run.as_str()).then_some(run.len()),
                };
                if let Some(bytes) = advanced {
                    t += 1;
                    s += bytes;
                    continue;
                }
            } else if s == text.len() {
                return true;
            }
            // Mismatch: let the last `%` swallow one more character and retry after it.
            let Some((after_any, run_end)) = backtrack else {
                return false;
            };
            let Some(c) = text[run_end..].chars().next() else {
                return false;
            };
            let run_end = run_end + c.len_utf8();
            backtrack = Some((after_any, run_end));
            t = after_any;
            s = run_end;
        }
    }
}

/// The smallest string greater than every string that starts with `prefix`, or `None`
/// when there is none (the prefix is all U+10FFFF). Bytewise order of UTF-8 is code point
/// order, so bumping the last character that can be bumped gives the bound.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut code = u32::from(last) + 1;
        // Skip the surrogate gap, which holds no chars.
        if (0xD800..=0xDFFF).contains(&code) {
            code = 0xE000;
        }
        if let Some(next) = char::from_u32(code) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(pattern: &str, text: &str) -> bool {
        Pattern::parse(pattern).matches(text)
    }

    #[test]
    fn percent_and_underscore() {
        assert!(like("A%", "Alice"));
        assert!(like("A%", "A"));
        assert!(!like("A%", "bA"));
        assert!(like("%ce", "Alice"));
        assert!(!like("%ce", "Alicex"));
        assert!(like("%li%", "Alice"));
        assert!(like("A_ice", "Alice"));
        assert!(!like("A_ice", "Aice"));
        assert!(like("_", "é"), "_ is one character, not one byte");
        assert!(!like("__", "é"));
        assert!(like("%", ""));
        assert!(like("", ""));
        assert!(!like("", "a"));
        assert!(like("a%b%c", "aXXbYYc"));
        assert!(like("a%b%c", "abc"));
        assert!(!like("a%b%c", "acb"));
        assert!(like("%a%a%a%", "banana a"));
        assert!(like("%%a%%", "a"));
        assert!(like("a_%", "ab"));
        assert!(!like("a_%", "a"));
        assert!(!like("alice", "Alice"), "case-sensitive");
    }

    #[test]
    fn backtracking_finds_late_matches() {
        assert!(like("%aab", "aaaab"));
        assert!(like("%ab%ab", "abxabyab"));
        assert!(!like("%ab%abz", "abxabyab"));
        // Long hostile input stays quick: O(n·m).
        let text = "a".repeat(5000);
        assert!(!like("%a%a%a%a%a%b", &text));
    }

    #[test]
    fn prefixes() {
        assert_eq!(Pattern::parse("Al%").literal_prefix(), "Al");
        assert_eq!(Pattern::parse("Al_x%").literal_prefix(), "Al");
        assert_eq!(Pattern::parse("%Al").literal_prefix(), "");
        assert!(Pattern::parse("Alice").is_exact());
        assert!(!Pattern::parse("Al%").is_exact());
        assert!(Pattern::parse("Al%%").is_prefix());
        assert!(!Pattern::parse("Al_%").is_prefix());
        assert!(!Pattern::parse("Al%x").is_prefix());
        assert!(!Pattern::parse("%").is_prefix());
        assert!(!Pattern::parse("Al").is_prefix());
        assert_eq!(prefix_successor("Al").as_deref(), Some("Am"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
        assert_eq!(prefix_successor(""), None);
    }
}
