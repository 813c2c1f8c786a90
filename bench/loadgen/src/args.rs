//! `--name value` and `--switch` flags, parsed by hand to keep the crate's dependencies
//! to the protocol and CBOR.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

#[derive(Debug)]
pub struct Args {
    values: HashMap<String, String>,
    switches: HashSet<String>,
}

/// Parses `args` (without the program name); flags outside `valued` and `switches` are
/// refused, as is a flag given twice.
pub fn parse<I: IntoIterator<Item = String>>(
    args: I,
    valued: &[&str],
    switches: &[&str],
) -> Result<Args, String> {
    let mut parsed = Args {
        values: HashMap::new(),
        switches: HashSet::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let name = arg
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {arg}"))?;
        let fresh = if switches.contains(&name) {
            parsed.switches.insert(name.to_string())
        } else if valued.contains(&name) {
            let value = args
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?;
            parsed.values.insert(name.to_string(), value).is_none()
        } else {
            return Err(format!("unknown flag --{name}"));
        };
        if !fresh {
            return Err(format!("--{name} given twice"));
        }
    }
    Ok(parsed)
}

impl Args {
    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(name)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.text(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// The flag's value parsed, `default` when absent, refused outside `min..=max`.
    pub fn number<T>(&self, name: &str, default: T, min: T, max: T) -> Result<T, String>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.text(name) else {
            return Ok(default);
        };
        let value: T = raw
            .parse()
            .map_err(|_| format!("--{name}: {raw} is not a number"))?;
        if value < min || value > max {
            return Err(format!("--{name}: {raw} is outside {min}..={max}"));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(line: &str) -> Result<Args, String> {
        parse(
            line.split_whitespace().map(String::from),
            &["clients", "socket"],
            &["tsv"],
        )
    }

    #[test]
    fn values_switches_and_defaults() {
        let a = of("--clients 8 --tsv --socket /s").unwrap();
        assert_eq!(a.number("clients", 1, 1, 64), Ok(8));
        assert_eq!(a.required("socket"), Ok("/s"));
        assert!(a.switch("tsv"));
        let b = of("").unwrap();
        assert_eq!(b.number("clients", 1, 1, 64), Ok(1));
        assert!(b.required("socket").is_err());
        assert!(!b.switch("tsv"));
    }

    #[test]
    fn refusals() {
        assert!(of("--clients").is_err());
        assert!(of("--nope 1").is_err());
        assert!(of("clients 1").is_err());
        assert!(of("--tsv --tsv").is_err());
        assert!(of("--clients 1 --clients 2").is_err());
        let a = of("--clients 0").unwrap();
        assert!(a.number("clients", 1, 1, 64).is_err());
        let a = of("--clients x").unwrap();
        assert!(a.number::<usize>("clients", 1, 1, 64).is_err());
    }
}
