//! The syntax layer: YAML and JSON text turned into one tree of [`Node`]s that keeps the
//! source position of every key and value.
//!
//! Both formats produce the same tree, so everything above this layer (the document model,
//! the validator, the executor) is format-agnostic. The tree is deliberately close to JSON:
//! it converts losslessly to [`serde_json::Value`] with [`Node::to_json`].

mod fast;
mod json;
mod yaml;

use std::fmt;

use serde::Serialize;

pub use json::parse as parse_json;
pub use yaml::parse as parse_yaml;

/// A position in a source file: 1-based line and 1-based column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl Position {
    /// A position at `line`, `column` (both 1-based).
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// A range of source text, from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// The first character of the range.
    pub start: Position,
    /// The position just after the last character of the range.
    pub end: Position,
}

impl Span {
    /// A span from `start` to `end`.
    pub const fn new(start: Position, end: Position) -> Self {
        Self { start, end }
    }

    /// An empty span at `position`.
    pub const fn at(position: Position) -> Self {
        Self { start: position, end: position }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.start.line, self.start.column)
    }
}

/// A value in a runbook's source, with the span of its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the value is.
    pub kind: NodeKind,
    /// Where it is written.
    pub span: Span,
}

/// The kinds of value a runbook can hold.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or an empty YAML value.
    Null,
    /// `true` or `false` (and, in YAML, the YAML 1.1 spellings such as `yes`).
    Bool(bool),
    /// A whole number that fits in 64 bits.
    Int(i64),
    /// Any other number. `text` keeps the number as written, so that `0.3` or `1.10` can still
    /// be read as the string the author probably meant.
    Float {
        /// The numeric value.
        value: f64,
        /// The number as written in the source.
        text: Box<str>,
    },
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A map, in source order.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a map.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key, always text (YAML keys such as `1` or `true` are kept as written).
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node of `kind` at `span`.
    pub const fn new(kind: NodeKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// The entries of a map node, or `None`.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a list node, or `None`.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a string node, or `None`.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The entry named `key` of a map node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The whole entry named `key` of a map node (with the key's span).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|entry| entry.key == key)
    }

    /// The value as text when it is a scalar: strings as they are, numbers and booleans as
    /// written. Used where the service is lenient about scalar types (`timeoutSeconds: "600"`).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Str(text) => Some(text.clone()),
            NodeKind::Int(value) => Some(value.to_string()),
            NodeKind::Float { text, .. } => Some(text.to_string()),
            NodeKind::Bool(value) => Some(value.to_string()),
            NodeKind::Null | NodeKind::Seq(_) | NodeKind::Map(_) => None,
        }
    }

    /// A short name of the value's type, for messages ("a string", "a list", ...).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float { .. } => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a map",
        }
    }

    /// The value as JSON. Map order is kept.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(value) => Value::Bool(*value),
            NodeKind::Int(value) => Value::from(*value),
            NodeKind::Float { value, text } => serde_json::Number::from_f64(*value)
                .map_or_else(|| Value::String(text.to_string()), Value::Number),
            NodeKind::Str(text) => Value::String(text.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries.iter().map(|entry| (entry.key.clone(), entry.value.to_json())).collect(),
            ),
        }
    }

    /// Calls `visit` on this node and every node below it, depth first, with the JSON-path-like
    /// location of each (`inputs.Tags[0].Value`), starting from `path`.
    pub fn walk<'a>(&'a self, path: &mut String, visit: &mut impl FnMut(&str, &'a Node)) {
        visit(path, self);
        let len = path.len();
        match &self.kind {
            NodeKind::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(path, "[{index}]");
                    item.walk(path, visit);
                    path.truncate(len);
                }
            }
            NodeKind::Map(entries) => {
                for entry in entries {
                    push_key(path, &entry.key);
                    entry.value.walk(path, visit);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
}

/// Appends `.key` to a field path, or `['key']` when the key is not a plain name.
pub fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str("['");
        path.push_str(&key.replace('\'', "\\'"));
        path.push_str("']");
    }
}

/// A syntax error: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, in lower case without a trailing period.
    pub message: String,
    /// Where the parser stopped.
    pub span: Span,
}

/// Resource limits for parsing, so that hostile input (alias bombs, deep nesting) cannot
/// exhaust memory or the stack.
pub(crate) const MAX_DEPTH: usize = 256;
/// The most nodes that alias expansion may create in one document.
pub(crate) const MAX_ALIAS_NODES: usize = 1_000_000;

/// The keys of a map being built, to find a duplicate without comparing each new key with every
/// earlier one: small maps are searched in place, larger ones through a sorted index, so that
/// loading stays linear in the number of keys.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    index: std::collections::BTreeMap<String, usize>,
    indexed: usize,
}

impl Keys {
    /// Below this many entries a scan is cheaper than keeping the index.
    const SCAN: usize = 16;

    /// The entry of `entries` (the map so far) with key `key`, if there is one.
    pub(crate) fn find<'e>(&mut self, entries: &'e [Entry], key: &str) -> Option<&'e Entry> {
        if entries.len() < Self::SCAN {
            return entries.iter().find(|entry| entry.key == key);
        }
        // Index the entries added since the last call; the first key written wins.
        for (position, entry) in entries.iter().enumerate().skip(self.indexed) {
            self.index.entry(entry.key.clone()).or_insert(position);
        }
        self.indexed = entries.len();
        self.index.get(key).map(|&position| &entries[position])
    }
}

/// Finds the text of a line by its 1-based number, for messages that quote their line.
///
/// It keeps where every 32nd line starts and walks from there: a long runbook has a million
/// lines, and an index of them all would cost more memory than the lookups are worth.
#[derive(Debug)]
pub struct LineIndex {
    /// Byte offset of the start of lines 1, 33, 65, ...
    checkpoints: Vec<usize>,
    /// How many lines the text has (a final line break starts one more, empty line).
    lines: usize,
}

impl LineIndex {
    /// Lines between two checkpoints.
    const STRIDE: usize = 32;

    /// Indexes the lines of `text`.
    pub fn new(text: &str) -> Self {
        let mut checkpoints = vec![0];
        let mut lines = 1;
        for (offset, _) in text.match_indices('\n') {
            if lines % Self::STRIDE == 0 {
                checkpoints.push(offset + 1);
            }
            lines += 1;
        }
        Self { checkpoints, lines }
    }

    /// The text of the 1-based `line`, without its line break.
    pub fn line_text<'a>(&self, text: &'a str, line: u32) -> Option<&'a str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        if index >= self.lines {
            return None;
        }
        let mut start = self.checkpoints[index / Self::STRIDE];
        let bytes = text.as_bytes();
        for _ in 0..index % Self::STRIDE {
            start += bytes[start..].iter().position(|&byte| byte == b'\n')? + 1;
        }
        let end = bytes[start..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(text.len(), |at| start + at);
        Some(text[start..end].trim_end_matches('\r'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_quote_keys_that_are_not_plain_names() {
        let mut path = String::from("inputs");
        push_key(&mut path, "Tags");
        assert_eq!(path, "inputs.Tags");
        push_key(&mut path, "my-key");
        assert_eq!(path, "inputs.Tags['my-key']");
    }

    #[test]
    fn line_index_returns_lines_without_breaks() {
        let text = "a: 1\r\nb: 2\nc: 3";
        let index = LineIndex::new(text);
        assert_eq!(index.line_text(text, 1), Some("a: 1"));
        assert_eq!(index.line_text(text, 3), Some("c: 3"));
        assert_eq!(index.line_text(text, 4), None);
        assert_eq!(index.line_text(text, 0), None);
    }

    #[test]
    fn line_index_finds_every_line_of_a_long_text() {
        let mut text = String::new();
        for n in 1..=100 {
            text.push_str("line ");
            text.push_str(&n.to_string());
            text.push('\n');
        }
        let index = LineIndex::new(&text);
        for n in 1..=100 {
            assert_eq!(index.line_text(&text, n), Some(format!("line {n}").as_str()));
        }
        // The final line break starts an empty line 101; there is no line 102.
        assert_eq!(index.line_text(&text, 101), Some(""));
        assert_eq!(index.line_text(&text, 102), None);
        assert_eq!(index.line_text("", 1), Some(""));
    }
}
