//! Reads one source file as tokens: the modules it declares and the paths it names that
//! may lead into the crate (`crate::…`, `super::…`, `self::…`, or a path starting with a
//! name that may be a child module), leaving out every `#[cfg(test)]` item.
//!
//! Tokens rather than text, so comments and strings never count; macro bodies do, since
//! a path in `format!(…)` is a dependency like any other.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// A module declared in a file: `mod name;` (a file of its own) or `mod name { … }`.
#[derive(Debug, PartialEq)]
pub struct ModDecl {
    /// The inline modules of the file it is declared in, outermost first.
    pub within: Vec<String>,
    pub name: String,
    pub inline: bool,
}

/// A path as written (`crate`, `super` and `self` kept), with the inline modules of the
/// file it is written in.
#[derive(Debug, PartialEq)]
pub struct PathUse {
    pub within: Vec<String>,
    pub segments: Vec<String>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Scanned {
    pub mods: Vec<ModDecl>,
    pub paths: Vec<PathUse>,
}

pub fn scan(source: &str) -> Result<Scanned, String> {
    let tokens: TokenStream = source.parse().map_err(|e| format!("{e:?}"))?;
    let mut out = Scanned::default();
    walk(tokens, &[], &mut out);
    Ok(out)
}

fn walk(stream: TokenStream, within: &[String], out: &mut Scanned) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        if is_cfg_test(&tokens, i) {
            i = skip_item(&tokens, i + 2);
            continue;
        }
        match &tokens[i] {
            TokenTree::Ident(id) if id == "mod" => i = module(&tokens, i, within, out),
            TokenTree::Ident(_) if starts_path(&tokens, i) => {
                let (paths, next) = read_path(&tokens, i);
                out.paths.extend(paths.into_iter().map(|segments| PathUse {
                    within: within.to_vec(),
                    segments,
                }));
                i = next;
            }
            TokenTree::Group(group) => {
                walk(group.stream(), within, out);
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// `mod name;` or `mod name { … }` at `tokens[i]`; returns where to go on.
fn module(tokens: &[TokenTree], i: usize, within: &[String], out: &mut Scanned) -> usize {
    let Some(TokenTree::Ident(name)) = tokens.get(i + 1) else {
        return i + 1;
    };
    let name = name.to_string();
    match tokens.get(i + 2) {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => {
            out.mods.push(ModDecl {
                within: within.to_vec(),
                name: name.clone(),
                inline: true,
            });
            let mut inner = within.to_vec();
            inner.push(name);
            walk(body.stream(), &inner, out);
            i + 3
        }
        _ => {
            out.mods.push(ModDecl {
                within: within.to_vec(),
                name,
                inline: false,
            });
            i + 2
        }
    }
}

fn is_punct(token: Option<&TokenTree>, c: char) -> bool {
    matches!(token, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

/// `::` at `tokens[i]`.
fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
        && is_punct(tokens.get(i + 1), ':')
}

/// An identifier that begins a path: followed by `::`, and not itself after one.
fn starts_path(tokens: &[TokenTree], i: usize) -> bool {
    is_path_sep(tokens, i + 1) && !(i >= 2 && is_path_sep(tokens, i - 2))
}

/// The path starting at `tokens[i]`, one per leaf of a use tree (`a::{b, c::d}`), and
/// the index after it. A glob or turbofish ends the path.
fn read_path(tokens: &[TokenTree], i: usize) -> (Vec<Vec<String>>, usize) {
    let mut segments = vec![tokens[i].to_string()];
    let mut j = i + 1;
    while is_path_sep(tokens, j) {
        match tokens.get(j + 2) {
            Some(TokenTree::Ident(id)) => {
                segments.push(id.to_string());
                j += 3;
            }
            Some(TokenTree::Group(tree)) if tree.delimiter() == Delimiter::Brace => {
                let paths = use_tree(tree.stream())
                    .into_iter()
                    .map(|rest| [segments.clone(), rest].concat())
                    .collect();
                return (paths, j + 3);
            }
            _ => return (vec![segments], j + 2),
        }
    }
    (vec![segments], j)
}

/// The leaves of `{a, b::c, self}` below their common prefix; `self` is the prefix.
fn use_tree(stream: TokenStream) -> Vec<Vec<String>> {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    tokens
        .split(|t| is_punct(Some(t), ','))
        .filter_map(|part| match part.first() {
            Some(TokenTree::Ident(id)) if id == "self" => Some(vec![Vec::new()]),
            Some(TokenTree::Ident(_)) => Some(read_path(part, 0).0),
            Some(TokenTree::Group(group)) => Some(use_tree(group.stream())),
            _ => None,
        })
        .flatten()
        .collect()
}

/// `#[cfg(test)]` at `tokens[i]`.
fn is_cfg_test(tokens: &[TokenTree], i: usize) -> bool {
    if !is_punct(tokens.get(i), '#') {
        return false;
    }
    match tokens.get(i + 1) {
        Some(TokenTree::Group(attr)) if attr.delimiter() == Delimiter::Bracket => {
            let text: String = attr.stream().to_string().split_whitespace().collect();
            text == "cfg(test)"
        }
        _ => false,
    }
}

/// The index after the item starting at `tokens[i]` (more attributes, then up to its
/// `;` or its braced body).
fn skip_item(tokens: &[TokenTree], mut i: usize) -> usize {
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == ';' => return i + 1,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return i + 1,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str) -> Vec<String> {
        scan(source)
            .unwrap()
            .paths
            .iter()
            .map(|p| {
                let mut text = p.within.join("/");
                if !text.is_empty() {
                    text.push('|');
                }
                text + &p.segments.join("::")
            })
            .collect()
    }

    #[test]
    fn use_trees_expand_to_one_path_per_leaf() {
        assert_eq!(
            paths("use crate::state::{self, entity::{Draft, Entity}, State};"),
            [
                "crate::state",
                "crate::state::entity::Draft",
                "crate::state::entity::Entity",
                "crate::state::State"
            ]
        );
        assert_eq!(
            paths("use super::*; use crate::a::b as c;"),
            ["super", "crate::a::b"]
        );
    }

    #[test]
    fn paths_in_bodies_and_macros_count_but_not_comments_strings_or_path_middles() {
        let source = r#"
            /// See [`crate::doc::Link`].
            fn f() -> crate::x::T {
                // crate::comment::Gone
                let s = "crate::string::Gone";
                tracing::info!("{}", crate::y::name());
                std::sync::Arc::new(Vec::<u8>::new())
            }
        "#;
        assert_eq!(
            paths(source),
            [
                "crate::x::T",
                "tracing::info",
                "crate::y::name",
                "std::sync::Arc::new",
                "Vec"
            ]
        );
    }

    #[test]
    fn test_items_are_left_out() {
        let source = r#"
            #[cfg(test)]
            mod tests { use crate::gone::A; }
            #[cfg(test)]
            #[allow(unused)]
            use crate::gone::B;
            #[cfg(not(test))]
            const N: usize = crate::kept::N;
            #[cfg(test)]
            mod testkit;
        "#;
        assert_eq!(paths(source), ["crate::kept::N"]);
        assert!(scan(source).unwrap().mods.is_empty());
    }

    #[test]
    fn modules_are_declared_inline_or_in_files() {
        let scanned =
            scan("pub mod a; mod b { pub(crate) mod c; fn f() { super::a::g() } }").unwrap();
        let decls: Vec<_> = scanned
            .mods
            .iter()
            .map(|m| (m.within.join("/"), m.name.as_str(), m.inline))
            .collect();
        assert_eq!(
            decls,
            [
                ("".into(), "a", false),
                ("".into(), "b", true),
                ("b".into(), "c", false)
            ]
        );
        assert_eq!(
            paths("mod b { fn f() { super::a::g() } }"),
            ["b|super::a::g"]
        );
    }
}
