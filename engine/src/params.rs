//! Runbook parameters: the values they accept.
//!
//! `allowedPattern` is a Java regular expression in the service. [`Pattern`] compiles it with
//! `fancy-regex`, which has the look-around Java has and real runbooks use, and matches the way
//! Java's `find()` and Go's `MatchString` do: anywhere in the value, unless anchored.

use crate::syntax::{Node, NodeKind};

/// A compiled `allowedPattern`.
#[derive(Debug)]
pub struct Pattern(fancy_regex::Regex);

impl Pattern {
    /// Compiles `pattern`; the error says why it is not a valid regular expression.
    pub fn new(pattern: &str) -> Result<Self, String> {
        fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(1_000_000)
            .build()
            .map(Self)
            .map_err(|error| error.to_string())
    }

    /// Whether `text` matches. A pattern too costly to evaluate counts as no match.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text).unwrap_or(false)
    }
}

/// The text of each item of a value: the items of a list, or the value itself.
pub fn item_texts(node: &Node) -> Vec<String> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().filter_map(Node::scalar_text).collect(),
        _ => node.scalar_text().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_have_java_look_around_and_find_semantics() {
        let pattern = Pattern::new("^(?!.*--)[a-z][a-z0-9-]{0,62}(?<!-)$").unwrap();
        assert!(pattern.is_match("my-bucket"));
        assert!(!pattern.is_match("my--bucket"));
        assert!(!pattern.is_match("bucket-"));
        assert!(Pattern::new("[0-9]+").unwrap().is_match("abc123"));
        assert!(Pattern::new("(unclosed").is_err());
    }
}
