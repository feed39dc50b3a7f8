//! Shell wildcards for `fileDeleteByWildcard`, matched in Rust rather than
//! translated into SQL: the database only narrows the rows by the pattern's
//! literal prefix (an index range), so no character of a name is ever taken
//! as SQL syntax.
//!
//! Syntax: `*` any run of characters (including `/`, as eZ's REGEXP did),
//! `?` one character, `[abc]` / `[a-z]` / `[!a-z]` (or `[^a-z]`) one
//! character of (or not of) a set, `{x,y}` alternatives. Every other
//! character, `\` included, stands for itself; `[*]` matches a literal `*`.

use super::error::{Error, Result};

/// Alternatives a `{,}` pattern may expand to; beyond that it is refused.
const MAX_ALTERNATIVES: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    AnyRun,
    AnyOne,
    Set { negated: bool, items: Vec<(char, char)> },
}

#[derive(Debug)]
pub struct Wildcard {
    alternatives: Vec<Vec<Token>>,
}

impl Wildcard {
    pub fn parse(pattern: &str) -> Result<Wildcard> {
        let bad = |why: String| Error::InvalidArgument(format!("invalid wildcard '{pattern}': {why}"));
        let expanded = expand_braces(pattern).map_err(bad)?;
        let alternatives = expanded.iter().map(|p| tokens(p)).collect::<std::result::Result<_, _>>().map_err(bad)?;
        Ok(Wildcard { alternatives })
    }

    /// The longest prefix every matching name starts with.
    pub fn literal_prefix(&self) -> String {
        let literal = |alt: &Vec<Token>| -> String {
            alt.iter().map_while(|t| if let Token::Literal(c) = t { Some(*c) } else { None }).collect()
        };
        let mut prefixes = self.alternatives.iter().map(literal);
        let first = prefixes.next().unwrap_or_default();
        prefixes.fold(first, |common, p| {
            let len = common.chars().zip(p.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
            common[..len].to_string()
        })
    }

    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        self.alternatives.iter().any(|alt| match_tokens(alt, &name))
    }
}

/// `a{b,c}d` → `abd`, `acd`; nested braces expand from the inside out.
fn expand_braces(pattern: &str) -> std::result::Result<Vec<String>, String> {
    let Some(open) = pattern.find('{') else {
        if pattern.contains('}') {
            return Err("'}' without '{'".into());
        }
        return Ok(vec![pattern.to_string()]);
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, c) in pattern[open..].char_indices().map(|(i, c)| (i + open, c)) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let close = close.ok_or("'{' without '}'")?;
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    let mut out = Vec::new();
    for pair in bounds.windows(2) {
        let choice = &pattern[pair[0] + 1..pair[1]];
        for expanded in expand_braces(&format!("{head}{choice}{tail}"))? {
            out.push(expanded);
            if out.len() > MAX_ALTERNATIVES {
                return Err(format!("more than {MAX_ALTERNATIVES} alternatives"));
            }
        }
    }
    Ok(out)
}

fn tokens(pattern: &str) -> std::result::Result<Vec<Token>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if out.last() != Some(&Token::AnyRun) {
                    out.push(Token::AnyRun);
                }
            }
            '?' => out.push(Token::AnyOne),
            '[' => {
                let mut j = i + 1;
                let negated = matches!(chars.get(j), Some('!' | '^'));
                if negated {
                    j += 1;
                }
                let mut items = Vec::new();
                // A ']' right after '[' (or '[!') is a member, as in the shell.
                let start = j;
                while j < chars.len() && (chars[j] != ']' || j == start) {
                    if chars.get(j + 1) == Some(&'-') && chars.get(j + 2).is_some_and(|c| *c != ']') {
                        items.push((chars[j], chars[j + 2]));
                        j += 3;
                    } else {
                        items.push((chars[j], chars[j]));
                        j += 1;
                    }
                }
                if j >= chars.len() {
                    return Err("'[' without ']'".into());
                }
                out.push(Token::Set { negated, items });
                i = j;
            }
            c => out.push(Token::Literal(c)),
        }
        i += 1;
    }
    Ok(out)
}

/// Iterative glob matching with one backtrack point (the last `*`), linear
/// enough for any name.
fn match_tokens(tokens: &[Token], name: &[char]) -> bool {
    let (mut t, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match tokens.get(t) {
            Some(Token::AnyRun) => {
                star = Some((t, n));
                t += 1;
                continue;
            }
            Some(Token::AnyOne) => true,
            Some(Token::Literal(c)) => *c == name[n],
            Some(Token::Set { negated, items }) => {
                items.iter().any(|(lo, hi)| (*lo..=*hi).contains(&name[n])) != *negated
            }
            None => false,
        };
        if step {
            t += 1;
            n += 1;
        } else if let Some((st, sn)) = star {
            t = st + 1;
            n = sn + 1;
            star = Some((st, sn + 1));
        } else {
            return false;
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::AnyRun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        Wildcard::parse(p).unwrap().matches(n)
    }

    #[test]
    fn shell_syntax() {
        assert!(m("var/cache/*.cache", "var/cache/a/b.cache"));
        assert!(!m("var/cache/*.cache", "var/cache/a/b.cachex"));
        assert!(m("a?c", "abc") && !m("a?c", "ac"));
        assert!(m("f[0-9].txt", "f7.txt") && !m("f[0-9].txt", "fx.txt"));
        assert!(m("f[!0-9].txt", "fx.txt") && !m("f[^0-9].txt", "f7.txt"));
        assert!(m("x[]]y", "x]y"));
        assert!(m("a/{b,c}/d*", "a/c/dd") && m("a/{b,c}/d*", "a/b/d") && !m("a/{b,c}/d*", "a/e/d"));
        assert!(m("{a,b{1,2}}z", "b2z") && !m("{a,b{1,2}}z", "b3z"));
        assert!(m("*", "") && m("**a", "a"));
        assert!(m("é*", "éclair"));
    }

    #[test]
    fn sql_and_regex_characters_are_data() {
        for name in ["a%b", "a_b", "a\\b", "a.b", "a(b)", "a|b", "a^b$"] {
            assert!(m(name, name), "{name} matches itself");
        }
        assert!(!m("a%b", "axb") && !m("a_b", "axb") && !m("a.b", "axb"));
        assert!(m("[*]", "*") && !m("[*]", "x"));
    }

    #[test]
    fn literal_prefix_narrows_the_query() {
        assert_eq!(Wildcard::parse("var/cache/*.php").unwrap().literal_prefix(), "var/cache/");
        assert_eq!(Wildcard::parse("var/{ab,ac}/x").unwrap().literal_prefix(), "var/a");
        assert_eq!(Wildcard::parse("*x").unwrap().literal_prefix(), "");
        assert_eq!(Wildcard::parse("é{a,b}").unwrap().literal_prefix(), "é");
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in ["a[bc", "a{b", "a}b"] {
            assert!(matches!(Wildcard::parse(bad), Err(Error::InvalidArgument(_))), "{bad}");
        }
        assert!(Wildcard::parse(&"{a,b}".repeat(11)).is_err(), "2^11 alternatives");
    }

    #[test]
    fn backtracking_stays_cheap() {
        let name = "a".repeat(5000);
        assert!(!m(&format!("{}b", "*a".repeat(20)), &name));
    }
}
