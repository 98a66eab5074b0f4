//! YAML text to a [`Node`] tree, on top of the event parser of `granit-parser` (the parser of
//! `serde-saphyr`: pure Rust, no unsafe code, and as lenient as the service's reader about
//! flow collections that close at their parent's indentation, which real runbooks rely on).
//!
//! Scalars are resolved with the YAML 1.2 core schema plus the YAML 1.1 booleans
//! (`yes`/`no`/`on`/`off` in their three casings), because the service reads runbooks with a
//! YAML 1.1 reader and authors write `isCritical: True`. Anchors, aliases and merge keys (`<<`)
//! are applied; duplicate keys are an error, as are alias bombs and absurd nesting.
//!
//! Text in the plain block subset most runbooks are written in goes through [`super::fast`]
//! first, which builds the same tree several times faster; the parser's events read the rest.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Span as YamlSpan, Tag};

use super::{Entry, Keys, MAX_ALIAS_NODES, MAX_DEPTH, Node, NodeKind, Position, Span, SyntaxError};

/// Parses one YAML document into a tree. An empty document is a `Null` node.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    match super::fast::parse(text) {
        Some(node) => Ok(node),
        None => parse_events(text),
    }
}

/// Parses one YAML document through the parser's events: every form YAML has, and its errors.
pub(super) fn parse_events(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = Builder::default();
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| scan_error(&error))?;
        let span = convert_span(span);
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        message: "a runbook is one YAML document, found a second one".into(),
                        span,
                    });
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = Node::new(resolve_scalar(value, style, tag.as_deref()), span);
                builder.value(node, anchor, style == ScalarStyle::Plain)?;
            }
            Event::Alias(anchor) => {
                let node = builder.alias(anchor, span)?;
                builder.value(node, 0, false)?;
            }
            Event::SequenceStart(_, anchor, _) => builder.open(Frame::seq(span, anchor))?,
            Event::MappingStart(_, anchor, _) => builder.open(Frame::map(span, anchor))?,
            Event::SequenceEnd | Event::MappingEnd => builder.close(span)?,
            Event::UnresolvedAlias(name) => {
                return Err(SyntaxError {
                    message: format!("alias `*{name}` to an unknown anchor"),
                    span,
                });
            }
            _ => {}
        }
    }
    // A text with no document (empty, or only comments) is a null at its start, which messages
    // can point at: `Span::default()` is line 0, outside any file.
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(NodeKind::Null, Span::at(super::Position::new(1, 1)))))
}

fn scan_error(error: &ScanError) -> SyntaxError {
    let marker = error.marker();
    let position = Position::new(to_u32(marker.line()), to_u32(marker.col() + 1));
    SyntaxError { message: error.info(), span: Span::at(position) }
}

fn convert_span(span: YamlSpan) -> Span {
    Span::new(
        Position::new(to_u32(span.start.line()), to_u32(span.start.col() + 1)),
        Position::new(to_u32(span.end.line()), to_u32(span.end.col() + 1)),
    )
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A collection being built.
struct Frame {
    span: Span,
    anchor: usize,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        keys: Keys,
        /// A key waiting for its value: text, span, and whether it was a plain `<<`.
        key: Option<(String, Span, bool)>,
        /// Values given to `<<`, merged in when the map ends.
        merges: Vec<Node>,
    },
}

impl Frame {
    fn seq(span: Span, anchor: usize) -> Self {
        Self { span, anchor, kind: FrameKind::Seq(Vec::new()) }
    }

    fn map(span: Span, anchor: usize) -> Self {
        Self {
            span,
            anchor,
            kind: FrameKind::Map {
                entries: Vec::new(),
                keys: Keys::default(),
                key: None,
                merges: Vec::new(),
            },
        }
    }
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: Vec<(usize, Node)>,
    alias_nodes: usize,
}

impl Builder {
    fn open(&mut self, frame: Frame) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span: frame.span,
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), SyntaxError> {
        let Some(frame) = self.stack.pop() else { return Ok(()) };
        let span = Span::new(frame.span.start, end.end.max(frame.span.start));
        let kind = match frame.kind {
            FrameKind::Seq(items) => NodeKind::Seq(items),
            FrameKind::Map { mut entries, merges, .. } => {
                merge_into(&mut entries, &merges);
                NodeKind::Map(entries)
            }
        };
        self.value(Node::new(kind, span), frame.anchor, false)
    }

    fn alias(&mut self, anchor: usize, span: Span) -> Result<Node, SyntaxError> {
        let Some((_, node)) = self.anchors.iter().rev().find(|(id, _)| *id == anchor) else {
            return Err(SyntaxError { message: "alias to an unknown anchor".into(), span });
        };
        self.alias_nodes += count_nodes(node);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(SyntaxError {
                message: format!("aliases expand to more than {MAX_ALIAS_NODES} values"),
                span,
            });
        }
        let mut node = node.clone();
        node.span = span;
        Ok(node)
    }

    /// Adds a finished value to the collection being built (or makes it the root).
    fn value(&mut self, node: Node, anchor: usize, plain: bool) -> Result<(), SyntaxError> {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut frame.kind {
            FrameKind::Seq(items) => items.push(node),
            FrameKind::Map { entries, keys, key, merges } => match key.take() {
                None => {
                    let span = node.span;
                    let text = key_text(node)?;
                    let is_merge = plain && text == "<<";
                    *key = Some((text, span, is_merge));
                }
                Some((_, _, true)) => merges.push(node),
                Some((text, key_span, false)) => {
                    if let Some(first) = keys.find(entries, &text) {
                        return Err(SyntaxError {
                            message: format!(
                                "duplicate key `{text}` (first written at line {})",
                                first.key_span.start.line
                            ),
                            span: key_span,
                        });
                    }
                    entries.push(Entry { key: text, key_span, value: node });
                }
            },
        }
        Ok(())
    }
}

/// Applies YAML merge keys: keys written in the map win over merged ones, and earlier merge
/// sources win over later ones.
fn merge_into(entries: &mut Vec<Entry>, merges: &[Node]) {
    if merges.is_empty() {
        return;
    }
    let mut present: std::collections::BTreeSet<String> =
        entries.iter().map(|entry| entry.key.clone()).collect();
    for source in merges {
        let maps: Vec<&Node> = match &source.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![source],
        };
        for map in maps {
            for entry in map.as_map().unwrap_or_default() {
                if present.insert(entry.key.clone()) {
                    entries.push(entry.clone());
                }
            }
        }
    }
}

/// A key's text, taken from its node (a string key's text is moved, not copied).
pub(super) fn key_text(node: Node) -> Result<String, SyntaxError> {
    match node.kind {
        NodeKind::Null => Ok(String::new()),
        NodeKind::Str(text) => Ok(text),
        NodeKind::Seq(_) | NodeKind::Map(_) => Err(SyntaxError {
            message: "a map key must be text, not a list or a map".into(),
            span: node.span,
        }),
        _ => Ok(node.scalar_text().unwrap_or_default()),
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.kind {
        NodeKind::Seq(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Map(entries) => entries.iter().map(|entry| count_nodes(&entry.value)).sum(),
        _ => 0,
    }
}

/// Resolves a scalar to a typed value. Only plain (unquoted) scalars are typed; a core-schema
/// tag (`!!str`, `!!int`, ...) forces the type; other tags are ignored.
pub(super) fn resolve_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> NodeKind {
    if let Some(tag) = tag.filter(|tag| tag.is_yaml_core_schema()) {
        return match tag.suffix() {
            "int" | "float" | "bool" | "null" => resolve_plain(text),
            _ => NodeKind::Str(text.into_owned()),
        };
    }
    if style == ScalarStyle::Plain { resolve_plain(text) } else { NodeKind::Str(text.into_owned()) }
}

/// Types a plain scalar; the text is copied only when it stays a string and the parser lent it
/// rather than built it.
fn resolve_plain(text: Cow<'_, str>) -> NodeKind {
    // Text that starts with a letter no null, boolean or number starts with is a string: most
    // values (`aws:executeAwsApi`, `GetParameter`, step names) skip the checks below.
    if text
        .as_bytes()
        .first()
        .is_some_and(|first| first.is_ascii_alphabetic() && !b"nNtTfFyYoO".contains(first))
    {
        return NodeKind::Str(text.into_owned());
    }
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return NodeKind::Bool(true);
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return NodeKind::Bool(false);
        }
        _ => {}
    }
    if let Some(value) = parse_int(&text) {
        return NodeKind::Int(value);
    }
    if let Some(value) = parse_float(&text) {
        return NodeKind::Float { value, text: text.as_ref().into() };
    }
    NodeKind::Str(text.into_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    match unsigned {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
        }
        ".nan" | ".NaN" | ".NAN" if unsigned.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    // The core schema's float pattern: digits with an optional fraction and exponent.
    let bytes = unsigned.as_bytes();
    let mut index = 0;
    let int_digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    index += int_digits;
    let mut frac_digits = 0;
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        frac_digits = bytes[index..].iter().take_while(|b| b.is_ascii_digit()).count();
        index += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'-' | b'+')) {
            index += 1;
        }
        let exp_digits = bytes[index..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits == 0 {
            return None;
        }
        index += exp_digits;
    }
    if index != bytes.len() {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        parse(text).expect("valid YAML").to_json()
    }

    #[test]
    fn a_text_with_no_document_is_a_null_at_its_first_line() {
        for text in ["", "# only a comment\n", "\n\n"] {
            let node = parse(text).unwrap();
            assert_eq!(node.to_json(), serde_json::Value::Null);
            assert_eq!(node.span, Span::at(super::super::Position::new(1, 1)), "{text:?}");
        }
    }

    #[test]
    fn scalars_follow_the_core_schema_with_yaml_1_1_booleans() {
        let value = json(
            "a: yes\nb: Off\nc: 10\nd: 0.3\ne: '10'\nf: ~\ng: 1.10\nh: 0x1F\ni: 2020-01-01\nj: y",
        );
        assert_eq!(
            value,
            serde_json::json!({"a": true, "b": false, "c": 10, "d": 0.3, "e": "10", "f": null,
                "g": 1.1, "h": 31, "i": "2020-01-01", "j": "y"})
        );
    }

    #[test]
    fn floats_keep_their_source_text() {
        let node = parse("v: 1.10").unwrap();
        let value = node.get("v").unwrap();
        assert_eq!(value.scalar_text().as_deref(), Some("1.10"));
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let node = parse("mainSteps:\n  - name: first\n    action: aws:sleep\n").unwrap();
        let step = &node.get("mainSteps").unwrap().as_seq().unwrap()[0];
        let action = step.entry("action").unwrap();
        assert_eq!(action.key_span.start, Position::new(3, 5));
        assert_eq!(action.value.span.start, Position::new(3, 13));
        assert_eq!(action.value.span.end, Position::new(3, 22));
    }

    #[test]
    fn merge_keys_are_applied_and_explicit_keys_win() {
        let value = json("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
        assert_eq!(value["derived"], serde_json::json!({"y": 3, "x": 1}));
    }

    #[test]
    fn duplicate_keys_are_found_in_large_maps_too() {
        use std::fmt::Write;
        let mut text = String::new();
        for i in 0..40 {
            let _ = writeln!(text, "k{i}: {i}");
        }
        text.push_str("k3: again\n");
        let error = parse(&text).unwrap_err();
        assert_eq!(error.message, "duplicate key `k3` (first written at line 4)");
        assert_eq!(error.span.start, Position::new(41, 1));
        let merged = json("base: &b {k0: merged, extra: 1}\nmap:\n  <<: *b\n  k0: own\n");
        assert_eq!(merged["map"], serde_json::json!({"k0": "own", "extra": 1}));
    }

    #[test]
    fn duplicate_keys_are_an_error_at_the_second_key() {
        let error = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(error.message, "duplicate key `a` (first written at line 1)");
        assert_eq!(error.span.start, Position::new(3, 1));
    }

    #[test]
    fn alias_bombs_are_stopped() {
        use std::fmt::Write;
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let prev = level - 1;
            let items = vec![format!("*a{prev}"); 9].join(", ");
            writeln!(text, "a{level}: &a{level} [{items}]").unwrap();
        }
        let error = parse(&text).unwrap_err();
        assert!(error.message.contains("aliases expand"), "{}", error.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(5000);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let error = parse("a: [1, 2\nb: 3").unwrap_err();
        assert!(error.span.start.line >= 1);
        assert!(!error.message.is_empty());
    }

    #[test]
    fn a_second_document_is_an_error() {
        let error = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(error.message.contains("second"), "{}", error.message);
    }

    #[test]
    fn empty_text_is_null() {
        assert_eq!(parse("").unwrap().kind, NodeKind::Null);
    }
}
