//! A fast path for the block YAML that runbooks are mostly written in: maps and lists laid out
//! by indentation, one-line plain and quoted scalars, literal block scalars (`|`, `|-`) as map
//! values, `{}` and `[]`, comment lines and a leading `---`.
//!
//! It builds the tree that [`super::yaml::parse`] builds from the parser's events, with the same
//! spans (a collection ends where the next token starts, or at the end of the text), at a
//! fraction of the cost. On anything else (flow collections, block scalars, anchors, tags,
//! trailing comments, tabs, a duplicate key, ...) it gives up and the full parser reads the
//! text from the start, so errors and every rarer form keep the full parser's behaviour.

use std::borrow::Cow;

use granit_parser::ScalarStyle;

use super::yaml::{key_text, resolve_scalar};
use super::{Entry, Keys, Node, NodeKind, Position, Span};

/// Nesting past this is left to the full parser, which has the limits and their messages.
const MAX_DEPTH: usize = 64;

/// The text is outside what the fast path reads; the full parser takes over.
struct Bail;

type Read<T> = Result<T, Bail>;

/// The tree of `text`, or `None` when the text is not in the subset this path reads.
pub(super) fn parse(text: &str) -> Option<Node> {
    let mut reader = Reader::new(text);
    reader.document().ok()
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The current line: its byte range and 1-based number.
    line_start: usize,
    line_end: usize,
    line: u32,
    /// Whether the current line is all ASCII, so that a column is a byte offset.
    ascii: bool,
    /// The indentation of the current line once it is known to hold content; `None` at the
    /// end of the text.
    indent: Option<usize>,
    /// Whether the document's content has started, after which a marker (`---`, `...`) or a
    /// directive is left to the full parser.
    in_document: bool,
    /// The entries of the maps being read and the items of the lists being read, innermost
    /// last: a collection's children gather here and move to a list of exactly their number
    /// once it ends, because the tree is kept for the whole run and a growing list would leave
    /// up to three quarters of its room unused (a step's maps have three or four entries).
    entries: Vec<Entry>,
    items: Vec<Node>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let line_end = line_end(bytes, 0);
        Self {
            text,
            bytes,
            line_start: 0,
            line_end,
            line: 1,
            ascii: true,
            indent: None,
            in_document: false,
            entries: Vec::new(),
            items: Vec::new(),
        }
    }

    fn document(&mut self) -> Read<Node> {
        if self.text.starts_with('\u{feff}') {
            return Err(Bail);
        }
        // An explicit start of the document (`---` on a line of its own) changes nothing.
        if self.next_content()? == Some(0) && self.rest(0) == b"---" {
            self.advance_line();
            self.next_content()?;
        }
        match self.indent {
            Some(0) if !is_dash(self.rest(0)) && !is_marker(self.rest(0)) => {}
            _ => return Err(Bail),
        }
        self.in_document = true;
        let root = self.map(self.line_start, 0)?;
        if self.indent.is_some() {
            return Err(Bail);
        }
        Ok(root)
    }

    /// The current line from byte `from` of it (relative to its start).
    fn rest(&self, from: usize) -> &'a [u8] {
        &self.bytes[self.line_start + from..self.line_end]
    }

    /// The position of byte `offset`, which is on the current line.
    fn position(&self, offset: usize) -> Position {
        let column = if self.ascii {
            offset - self.line_start
        } else {
            self.text[self.line_start..offset].chars().count()
        };
        Position::new(self.line, u32::try_from(column + 1).unwrap_or(u32::MAX))
    }

    /// Where the text ends, once the reader is past its last line: the start of the line after
    /// a final line break, or else the end of the last line.
    fn end_of_text(&self) -> Position {
        if self.line_start == self.bytes.len() {
            return Position::new(self.line, 1);
        }
        let last_line = self.text.rfind('\n').map_or(0, |at| at + 1);
        let column = self.text[last_line..].chars().count() + 1;
        Position::new(self.line - 1, u32::try_from(column).unwrap_or(u32::MAX))
    }

    /// Where the token after a collection starts: the current content line's first character,
    /// or the end of the text.
    fn next_token(&self) -> Position {
        match self.indent {
            Some(indent) => self.position(self.line_start + indent),
            None => self.end_of_text(),
        }
    }

    /// Moves to the next line; past a last line without a line break, `line_start` is one
    /// past the end of the text.
    fn advance_line(&mut self) {
        self.line_start = self.line_end + 1;
        self.line_end = line_end(self.bytes, self.line_start.min(self.bytes.len()));
        self.line += 1;
    }

    /// Moves to the first line from the current one that holds content, past blank and comment
    /// lines, and returns its indentation (`None` at the end of the text).
    fn next_content(&mut self) -> Read<Option<usize>> {
        loop {
            if self.line_start >= self.bytes.len() {
                self.indent = None;
                return Ok(None);
            }
            let line = &self.bytes[self.line_start..self.line_end];
            self.ascii = check_line(&self.text[self.line_start..self.line_end])?;
            let indent = line.iter().take_while(|&&byte| byte == b' ').count();
            match line.get(indent) {
                None | Some(b'#') => {}
                Some(_) if indent == 0 && self.in_document && is_marker(line) => {
                    return Err(Bail);
                }
                Some(_) => {
                    self.indent = Some(indent);
                    return Ok(Some(indent));
                }
            }
            self.advance_line();
        }
    }

    /// Moves past the current line, which a scalar ended, and checks that no line below it is
    /// indented deeper than `indent` (which would continue the scalar, or be an error).
    fn after_scalar(&mut self, indent: usize) -> Read<()> {
        self.advance_line();
        match self.next_content()? {
            Some(next) if next > indent => Err(Bail),
            _ => Ok(()),
        }
    }

    /// A collection that starts on its own line, indented by `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Read<Node> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        if is_dash(self.rest(indent)) {
            self.seq(indent, false, depth)
        } else {
            self.map(self.line_start + indent, depth)
        }
    }

    /// A map whose first key starts at byte `first` of the current line; its keys are all at
    /// that column.
    fn map(&mut self, first: usize, depth: usize) -> Read<Node> {
        let indent = first - self.line_start;
        let start = self.position(first);
        let base = self.entries.len();
        let mut keys = Keys::default();
        let mut at = first;
        loop {
            let colon = key_end(&self.bytes[at..self.line_end]).ok_or(Bail)? + at;
            let written = &self.text[at..colon];
            let key_span = Span::new(self.position(at), self.position(colon));
            let key = key_text(Node::new(
                resolve_scalar(Cow::Borrowed(written), ScalarStyle::Plain, None),
                key_span,
            ))
            .map_err(|_| Bail)?;
            if written == "<<" || keys.find(&self.entries[base..], &key).is_some() {
                return Err(Bail);
            }
            let after = colon + 1;
            let end = self.trimmed_end();
            let value = if after >= end {
                let null = Span::at(self.position(colon));
                self.advance_line();
                match self.next_content()? {
                    Some(next) if next > indent => self.block(next, depth + 1)?,
                    Some(next) if next == indent && is_dash(self.rest(next)) => {
                        self.seq(next, true, depth + 1)?
                    }
                    _ => Node::new(NodeKind::Null, null),
                }
            } else {
                let value = after + spaces(&self.bytes[after..end]);
                match &self.bytes[value..end] {
                    b"|" => self.literal(indent, false)?,
                    b"|-" => self.literal(indent, true)?,
                    _ => {
                        let node = self.scalar(value, end)?;
                        self.after_scalar(indent)?;
                        node
                    }
                }
            };
            self.entries.push(Entry { key, key_span, value });
            match self.indent {
                Some(next) if next == indent && !is_dash(self.rest(next)) => {
                    at = self.line_start + next;
                }
                Some(next) if next < indent => break,
                None => break,
                Some(_) => return Err(Bail),
            }
        }
        let entries = self.entries.drain(base..).collect();
        Ok(Node::new(NodeKind::Map(entries), Span::new(start, self.next_token())))
    }

    /// A list whose dashes are at column `indent` of the current line and the lines below.
    /// An `indentless` list is the value of a map key at the same column; its span starts at
    /// its first item rather than at the dash.
    fn seq(&mut self, indent: usize, indentless: bool, depth: usize) -> Read<Node> {
        let mut start = (!indentless).then(|| self.position(self.line_start + indent));
        let base = self.items.len();
        loop {
            let dash = self.line_start + indent;
            let end = self.trimmed_end();
            let gap = spaces(&self.bytes[dash + 1..self.line_end]);
            let content = dash + 1 + gap;
            let item = if content >= end {
                // `- ` with nothing after it is a null whose span the full parser places
                // differently; `-` alone opens a nested collection.
                if gap > 0 || start.is_none() {
                    return Err(Bail);
                }
                self.advance_line();
                match self.next_content()? {
                    Some(next) if next > indent && depth < MAX_DEPTH => {
                        self.block(next, depth + 1)?
                    }
                    _ => return Err(Bail),
                }
            } else {
                start.get_or_insert_with(|| self.position(content));
                let rest = &self.bytes[content..end];
                if is_dash(rest) || depth >= MAX_DEPTH {
                    return Err(Bail);
                }
                if key_end(rest).is_some() {
                    self.map(content, depth + 1)?
                } else {
                    let node = self.scalar(content, end)?;
                    self.after_scalar(indent)?;
                    node
                }
            };
            self.items.push(item);
            match self.indent {
                Some(next) if next == indent && is_dash(self.rest(next)) => {}
                Some(next) if next < indent || (next == indent && indentless) => break,
                None => break,
                Some(_) => return Err(Bail),
            }
        }
        let start = start.ok_or(Bail)?;
        let items = self.items.drain(base..).collect();
        Ok(Node::new(NodeKind::Seq(items), Span::new(start, self.next_token())))
    }

    /// A literal block scalar (`|`, or `|-` to `strip` the last line break) of a key at column
    /// `parent`, whose header ends the current line. Its lines are those indented at least as
    /// deep as its first; its span runs from its first character to the next token.
    fn literal(&mut self, parent: usize, strip: bool) -> Read<Node> {
        self.advance_line();
        if self.line_start >= self.bytes.len() {
            return Err(Bail);
        }
        self.ascii = check_line(&self.text[self.line_start..self.line_end])?;
        let indent = spaces(&self.bytes[self.line_start..self.line_end]);
        if indent <= parent || self.line_start + indent == self.line_end {
            return Err(Bail);
        }
        let start = self.position(self.line_start + indent);
        let mut value = String::new();
        // The scalar ends where the line that ends it starts its text, comment or not.
        let mut end = None;
        'lines: loop {
            value.push_str(&self.text[self.line_start + indent..self.line_end]);
            value.push('\n');
            self.advance_line();
            // Empty lines count only when more content follows (the last break is kept once).
            let mut empty = 0;
            loop {
                if self.line_start >= self.bytes.len() {
                    break 'lines;
                }
                self.ascii = check_line(&self.text[self.line_start..self.line_end])?;
                let line = &self.bytes[self.line_start..self.line_end];
                let leading = spaces(line);
                if leading == line.len() {
                    // Spaces past the indentation would be content; left to the full parser.
                    if leading > indent {
                        return Err(Bail);
                    }
                    empty += 1;
                    self.advance_line();
                } else if leading < indent {
                    end = Some(self.position(self.line_start + leading));
                    break 'lines;
                } else {
                    value.extend(std::iter::repeat_n('\n', empty));
                    break;
                }
            }
        }
        if strip {
            value.pop();
        }
        match self.next_content()? {
            Some(next) if next > parent => return Err(Bail),
            _ => {}
        }
        let end = end.unwrap_or_else(|| self.end_of_text());
        let kind = resolve_scalar(Cow::Owned(value), ScalarStyle::Literal, None);
        Ok(Node::new(kind, Span::new(start, end)))
    }

    /// Where the current line's text ends, before any trailing spaces.
    fn trimmed_end(&self) -> usize {
        let line = &self.bytes[self.line_start..self.line_end];
        self.line_start + line.iter().rposition(|&byte| byte != b' ').map_or(0, |at| at + 1)
    }

    /// A scalar (or `{}`, `[]`) from byte `at` to byte `end` of the current line, after which
    /// there are only spaces.
    fn scalar(&self, at: usize, end: usize) -> Read<Node> {
        let written = &self.text[at..end];
        let span = Span::new(self.position(at), self.position(end));
        let kind = match written.as_bytes() {
            [] => return Err(Bail),
            b"{}" => NodeKind::Map(Vec::new()),
            b"[]" => NodeKind::Seq(Vec::new()),
            [b'\'', .., b'\''] => {
                let value = single_quoted(&written[1..written.len() - 1]).ok_or(Bail)?;
                resolve_scalar(value, ScalarStyle::SingleQuoted, None)
            }
            [b'"', inner @ .., b'"'] if !inner.contains(&b'"') && !inner.contains(&b'\\') => {
                let inner = &written[1..written.len() - 1];
                resolve_scalar(Cow::Borrowed(inner), ScalarStyle::DoubleQuoted, None)
            }
            [first, ..] => {
                let plain = !b"-?:,[]{}#&*!|>'\"%@`".contains(first)
                    || *first == b'-' && written.as_bytes().get(1).is_some_and(|b| *b != b' ');
                if !plain || written.ends_with(':') || has_indicator_pair(written.as_bytes()) {
                    return Err(Bail);
                }
                resolve_scalar(Cow::Borrowed(written), ScalarStyle::Plain, None)
            }
        };
        Ok(Node::new(kind, span))
    }
}

/// The text between single quotes, each doubled quote read as one; `None` when a lone quote
/// closes the scalar before the end.
fn single_quoted(inner: &str) -> Option<Cow<'_, str>> {
    let bytes = inner.as_bytes();
    let mut doubled = false;
    let mut index = 0;
    while let Some(found) = bytes[index..].iter().position(|&byte| byte == b'\'') {
        let at = index + found;
        if bytes.get(at + 1) != Some(&b'\'') {
            return None;
        }
        doubled = true;
        index = at + 2;
    }
    Some(if doubled { Cow::Owned(inner.replace("''", "'")) } else { Cow::Borrowed(inner) })
}

/// Whether plain text holds `: ` or ` #`, which would end the scalar (a key, a comment). One
/// pass over the bytes: a substring search sets up a searcher on each call, which costs more
/// than the few bytes of a typical value.
fn has_indicator_pair(text: &[u8]) -> bool {
    // Most values hold neither `:` nor `#`: a vectorised search skips them whole.
    memchr::memchr2_iter(b':', b'#', text).any(|at| match text[at] {
        b':' => text.get(at + 1) == Some(&b' '),
        _ => at > 0 && text[at - 1] == b' ',
    })
}

/// The end (exclusive) of the line starting at `from`: its line break or the end of the text.
fn line_end(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |at| from + at)
}

/// Checks that a line holds only characters the fast path reads (printable, no tab or carriage
/// return, no byte-order mark or line separator); returns whether it is all ASCII.
fn check_line(line: &str) -> Read<bool> {
    // Without an early exit the compiler checks the bytes many at a time; lines are short.
    if line.bytes().fold(true, |printable, byte| printable & (b' '..=b'~').contains(&byte)) {
        return Ok(true);
    }
    let readable = |c: char| {
        (' '..='~').contains(&c)
            || ('\u{a0}'..='\u{fffd}').contains(&c)
                && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
            || c >= '\u{10000}'
    };
    if line.chars().all(readable) { Ok(false) } else { Err(Bail) }
}

/// Whether a line at column 0 is a document marker or a directive.
fn is_marker(line: &[u8]) -> bool {
    line.starts_with(b"---") || line.starts_with(b"...") || line.starts_with(b"%")
}

/// Whether text starts with a list dash (`-` followed by a space or the end of the line).
fn is_dash(text: &[u8]) -> bool {
    matches!(text, [b'-'] | [b'-', b' ', ..])
}

fn spaces(text: &[u8]) -> usize {
    text.iter().take_while(|&&byte| byte == b' ').count()
}

/// Where a simple key's colon is, when `text` starts with `key:` followed by a space or the end
/// of the line; keys are ASCII names (letters, digits, `_`, `-`, `.`, `/`, `$`) shorter than
/// YAML's limit on implicit keys (1,024 characters), which the full parser enforces.
fn key_end(text: &[u8]) -> Option<usize> {
    let first = *text.first()?;
    if !(first.is_ascii_alphanumeric() || first == b'_' || first == b'$') {
        return None;
    }
    let length = text
        .iter()
        .take_while(|&&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b'$')
        })
        .count();
    match text.get(length..)? {
        [b':'] | [b':', b' ', ..] if length < 1000 => Some(length),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml;
    use super::*;

    /// Checks that the fast path reads `text`, into the full parser's tree.
    fn same(text: &str) {
        let expected = yaml::parse_events(text).expect("valid YAML");
        assert_eq!(parse(text), Some(expected), "{text}");
    }

    #[test]
    fn block_maps_and_lists_match_the_full_parser_span_for_span() {
        same(
            "a: 1\nb:\n  c: 'x'\n  d: \"y\"\ne:\n- f\n-   g: h\n    i:\n# comment\n\n    j: k\nl:\nm: ~\n",
        );
        same("a:\n  - f\n  - g: 1\n    h: 2\n  # c\n  - x: y\nb: 1");
        same(
            "a:\n- b: 1\n  c:\n  - d\n- e\nf: ''\ng: 'it''s'\nh: \"\"\ni: -1\nj: x:y\nk: a b  c\n",
        );
        same("a:");
        same("x: 1\na:\n");
        same("a:\n  - x\n  -   y\n");
        same("a: {}\nb: []\nc:   {}\n1: x\nyes: 2\n0.3: f\n");
        same("# lead\n\na:\n  b: 1\n\n  # c\n");
        same("a:\n  b:\n  - x\n  c: 1\n");
        same("a:\n  -\n    b: 1\n  -\n    - c\nd: é, ü\ne: 'ç'\n");
        same("# c\n---\n# d\na: 1\nb:\n  - x\n");
        same("a: \nb: x  \nc: 'y'  \nd:\n  - z \ne:  \n  f: 1\ng: |  \n  h\n");
        same(
            "a: |\n  line1\n  line2\nb: |-\n    x\n\n    y\n\n# c\nd: |\n  keep\n   # more\n\n\ne: 1\n",
        );
        same("a:\n  b: |\n    x\n  c: |-\n    y\n   \n    z");
        same("a: 'é'\nb: x{{ y }}, [z]\nc:\n  - 'ü ''b'' c'\n  - f: ü\n    e: 1");
    }

    #[test]
    fn the_api_chain_matches_the_full_parser() {
        use std::fmt::Write;
        let mut text = String::from(
            "schemaVersion: '0.3'\nparameters:\n  Seed:\n    type: String\n    default: seed\nmainSteps:\n",
        );
        for index in 1..=20 {
            let _ = write!(
                text,
                "  - name: step{index}\n    action: aws:executeAwsApi\n    inputs:\n      Service: ssm\n      Name: '/chain/{index}/{{{{ Seed }}}}'\n    outputs:\n      - Name: Value\n        Selector: $.Parameter.Value\n        Type: String\n"
            );
        }
        same(&text);
    }

    #[test]
    fn other_forms_go_to_the_full_parser() {
        for text in [
            "",
            "# only a comment\n",
            "- a\n",
            "a: [1, 2]\n",
            "a: {b: 1}\n",
            "a: >\n  text\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: 1 # trailing\n",
            "a: 1\n  continued\n",
            "a:\n  text on its own line\n",
            "a: 1\na: 2\n",
            "<<: {}\n",
            "a: 1\r\n",
            "a:\t1\n",
            "--- a: 1\n",
            "a: >\n  folded\n",
            "a: |+\n  keep\n",
            "a: |2\n   x\n",
            "a: |\n\n  x\n",
            "a: |\n  x\n      \n  y\n",
            "a: |\n    x\n  b: 1\n",
            "a: |\nb: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: b: c\n",
            "a: 'open\n  close'\n",
            "a: \"esc\\n\"\n",
            "a: 'x' y\n",
            "a:\n  - \n",
            "a:\n-\n  b: 1\n",
            "a: - b\n",
            "'q': 1\n",
            "a b: 1\n",
            "\u{feff}a: 1\n",
            "a:\n  b: 1\n - c\n",
            "a: 1\n- b\n",
            "é: 1\n",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
            // Whatever the full parser makes of it stands.
            let _ = yaml::parse(text);
        }
    }

    /// Every YAML file of the repository (examples, test cases) that the fast path reads gives
    /// the full parser's tree.
    #[test]
    fn the_repository_s_yaml_files_read_the_same_both_ways() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("a folder of the repository") {
                let path = entry.expect("a listed file").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        walk(&root.join("runbooks"), &mut files);
        walk(&root.join("tests"), &mut files);
        let mut read = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).expect("readable");
            if let Some(node) = parse(&text) {
                read += 1;
                assert_eq!(yaml::parse_events(&text).ok(), Some(node), "{}", file.display());
            }
        }
        assert!(read > 0, "none of {} files took the fast path", files.len());
    }

    #[test]
    fn keys_past_yaml_s_limit_go_to_the_full_parser() {
        let text = format!("{}: 1\n", "k".repeat(1100));
        assert!(parse(&text).is_none());
        assert!(yaml::parse(&text).is_err());
        same(&format!("{}: 1\n", "k".repeat(900)));
    }

    #[test]
    fn deep_nesting_goes_to_the_full_parser() {
        let mut text = String::new();
        for depth in 0..100 {
            text.push_str(&" ".repeat(depth));
            text.push_str("a:\n");
        }
        assert!(parse(&text).is_none());
        assert!(yaml::parse(&text).is_ok());
    }
}
