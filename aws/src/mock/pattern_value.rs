//! A value an `allowedPattern` accepts, for placeholder answers that must pass a parameter's
//! check (`--auto-mock` answering `{{ ssm:/name }}` defaults).
//!
//! The pattern, translated from Java as [`Pattern`] translates it, is parsed by `regex-syntax`
//! and walked once: literals as written, a class's first character among `a`, `0`, `A` (else
//! its first printable one), each repetition its minimum (once for `*`, none for `?`), each
//! alternation's first branch that can match where it stands (`^` only at the start, nothing
//! after `$`). The result is checked with [`Pattern`] itself; a pattern whose walk does not
//! give a match (look-around, back-references, a word boundary in the way) gives none.

use regex_syntax::hir::{Class, Hir, HirKind, Look};
use runbook_engine::params::{Pattern, from_java};

/// Longest value made, so that a pattern like `a{4000}` cannot make a huge placeholder.
const MAX_LEN: usize = 4096;

/// A value `pattern` (an `allowedPattern`, Java syntax) matches, if one can be made.
pub fn value_matching(pattern: &str) -> Option<String> {
    let hir = regex_syntax::ParserBuilder::new().build().parse(&from_java(pattern)).ok()?;
    let mut walk = Walk::default();
    walk.hir(&hir)?;
    let compiled = Pattern::new(pattern).ok()?;
    compiled.is_match(&walk.out).then_some(walk.out)
}

#[derive(Clone, Default)]
struct Walk {
    out: String,
    /// A `$` was passed: nothing more may follow.
    ended: bool,
}

impl Walk {
    fn push(&mut self, text: &str) -> Option<()> {
        if text.is_empty() {
            return Some(());
        }
        if self.ended || self.out.len() + text.len() > MAX_LEN {
            return None;
        }
        self.out.push_str(text);
        Some(())
    }

    fn hir(&mut self, hir: &Hir) -> Option<()> {
        match hir.kind() {
            HirKind::Empty => Some(()),
            HirKind::Literal(literal) => self.push(std::str::from_utf8(&literal.0).ok()?),
            HirKind::Class(class) => self.push(&class_char(class)?.to_string()),
            HirKind::Look(look) => match look {
                Look::Start | Look::StartLF | Look::StartCRLF => self.out.is_empty().then_some(()),
                Look::End | Look::EndLF | Look::EndCRLF => {
                    self.ended = true;
                    Some(())
                }
                _ => Some(()),
            },
            HirKind::Repetition(repetition) => {
                let times = match (repetition.min, repetition.max) {
                    // An optional part is left out; a part that may repeat is there once.
                    (0, Some(0 | 1)) => 0,
                    (0, _) => 1,
                    (min, _) => min,
                };
                for _ in 0..times {
                    self.hir(&repetition.sub)?;
                }
                Some(())
            }
            HirKind::Capture(capture) => self.hir(&capture.sub),
            HirKind::Concat(items) => items.iter().try_for_each(|item| self.hir(item)),
            HirKind::Alternation(branches) => {
                let found = branches.iter().find_map(|branch| {
                    let mut attempt = self.clone();
                    attempt.hir(branch).map(|()| attempt)
                })?;
                *self = found;
                Some(())
            }
        }
    }
}

/// The character a class gives: `a`, `0` or `A` when it has one, else its first printable
/// one.
fn class_char(class: &Class) -> Option<char> {
    match class {
        Class::Unicode(class) => {
            let ranges = class.ranges();
            let has = |c: char| ranges.iter().any(|range| range.start() <= c && c <= range.end());
            ['a', '0', 'A'].into_iter().find(|&c| has(c)).or_else(|| {
                // The first printable character, looking a little way into each range.
                ranges.iter().find_map(|range| {
                    (range.start()..=range.end())
                        .take(256)
                        .find(|c| !c.is_control() && !c.is_whitespace())
                })
            })
        }
        Class::Bytes(class) => {
            let has = |b: u8| class.ranges().iter().any(|r| r.start() <= b && b <= r.end());
            [b'a', b'0', b'A']
                .into_iter()
                .find(|&b| has(b))
                .or_else(|| class.ranges().first().map(regex_syntax::hir::ClassBytesRange::start))
                .filter(u8::is_ascii)
                .map(char::from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fit_the_patterns_of_real_runbooks() {
        let cases = [
            (r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$", "aa-a-0"),
            (r"^[\w+=,.@-]+$", "a"),
            (r"^i-[a-f0-9]{8}(?:[a-f0-9]{9})?$", "i-aaaaaaaa"),
            (
                r"^arn:(?:aws|aws-us-gov|aws-cn):kms:(?:[a-z]{2}(?:-gov)?-[a-z]+-\d):\d{12}:(?:(?:^(alias/)[a-zA-Z0-9:/_-]+$)|(?:key/(?i:[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})))$",
                "arn:aws:kms:aa-a-0:000000000000:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
            ),
            (r"^(Yes|No)$", "Yes"),
            (r"^\d{1,5}$", "0"),
            (r"^$|^[^/]+$", ""),
            ("sg-", "sg-"),
            (r"^.*$", "a"),
            (r"^[^a0A]$", "!"),
            (r"\bword\b", "word"),
        ];
        for (pattern, expected) in cases {
            assert_eq!(value_matching(pattern).as_deref(), Some(expected), "{pattern}");
        }
    }

    #[test]
    fn patterns_no_walk_can_satisfy_give_nothing() {
        for pattern in
            [r"^(?=x)y$", r"(a)\1", r"a^b", r"[", "a{5000}", r"^a\bb$", r"[^\x00-\x{10FFFF}]"]
        {
            assert_eq!(value_matching(pattern), None, "{pattern}");
        }
    }
}
