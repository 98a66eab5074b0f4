//! JSON text to a [`Node`] tree: a small recursive-descent parser that records the position of
//! every key and value and rejects duplicate keys (which `serde_json` silently accepts).
//!
//! It follows RFC 8259 strictly, except that a byte-order mark at the start is skipped.

use super::{Entry, Keys, MAX_DEPTH, Node, NodeKind, Position, Span, SyntaxError};

/// Parses a JSON document into a tree.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        offset: 0,
        line: 1,
        line_start: 0,
        column_cache: (0, 0),
    };
    if text.starts_with('\u{feff}') {
        parser.offset = 3;
        parser.line_start = 3;
    }
    parser.skip_whitespace();
    let node = parser.value(0)?;
    parser.skip_whitespace();
    if parser.offset < parser.bytes.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    offset: usize,
    line: u32,
    line_start: usize,
    /// The last offset whose column was computed, and that column's character count, so that
    /// columns on long (minified) lines cost linear time overall.
    column_cache: (usize, usize),
}

impl Parser<'_> {
    fn position(&mut self) -> Position {
        let (mut from, mut chars) = self.column_cache;
        if from < self.line_start || from > self.offset {
            (from, chars) = (self.line_start, 0);
        }
        chars += self.text[from..self.offset].chars().count();
        self.column_cache = (self.offset, chars);
        Position::new(self.line, u32::try_from(chars + 1).unwrap_or(u32::MAX))
    }

    fn error(&mut self, message: &str) -> SyntaxError {
        SyntaxError { message: message.to_string(), span: Span::at(self.position()) }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.offset).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b' ' | b'\t' | b'\r' => self.offset += 1,
                b'\n' => {
                    self.offset += 1;
                    self.line += 1;
                    self.line_start = self.offset;
                }
                _ => break,
            }
        }
    }

    fn expect(&mut self, byte: u8, message: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.offset += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.position();
        let kind = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => NodeKind::Str(self.string()?),
            Some(b't') => self.keyword("true", NodeKind::Bool(true))?,
            Some(b'f') => self.keyword("false", NodeKind::Bool(false))?,
            Some(b'n') => self.keyword("null", NodeKind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("unexpected end of file, expected a JSON value")),
        };
        Ok(Node::new(kind, Span::new(start, self.position())))
    }

    fn keyword(&mut self, word: &str, kind: NodeKind) -> Result<NodeKind, SyntaxError> {
        if self.bytes[self.offset..].starts_with(word.as_bytes()) {
            self.offset += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<NodeKind, SyntaxError> {
        self.offset += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut keys = Keys::default();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.offset += 1;
            return Ok(NodeKind::Map(entries));
        }
        loop {
            self.skip_whitespace();
            let key_start = self.position();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a quoted key"));
            }
            let key = self.string()?;
            let key_span = Span::new(key_start, self.position());
            if let Some(first) = keys.find(&entries, &key) {
                return Err(SyntaxError {
                    message: format!(
                        "duplicate key `{key}` (first written at line {})",
                        first.key_span.start.line
                    ),
                    span: key_span,
                });
            }
            self.skip_whitespace();
            self.expect(b':', "expected `:` after the key")?;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            entries.push(Entry { key, key_span, value });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.offset += 1,
                Some(b'}') => {
                    self.offset += 1;
                    return Ok(NodeKind::Map(entries));
                }
                _ => return Err(self.error("expected `,` or `}` after the value")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<NodeKind, SyntaxError> {
        self.offset += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.offset += 1;
            return Ok(NodeKind::Seq(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.offset += 1,
                Some(b']') => {
                    self.offset += 1;
                    return Ok(NodeKind::Seq(items));
                }
                _ => return Err(self.error("expected `,` or `]` after the value")),
            }
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.offset += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.offset..];
            let stop = rest.find(['"', '\\', '\n']).unwrap_or(rest.len());
            if let Some(control) = rest[..stop].chars().find(|c| (*c as u32) < 0x20) {
                let at = rest.find(control).unwrap_or(0);
                self.offset += at;
                return Err(self.error("control character in a string; escape it"));
            }
            out.push_str(&rest[..stop]);
            self.offset += stop;
            match self.peek() {
                Some(b'"') => {
                    self.offset += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.offset += 1;
                    self.escape(&mut out)?;
                }
                Some(b'\n') => return Err(self.error("line break in a string; escape it as \\n")),
                _ => return Err(self.error("unterminated string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let Some(byte) = self.peek() else { return Err(self.error("unterminated string")) };
        self.offset += 1;
        let c = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(out),
            _ => {
                self.offset -= 1;
                return Err(self.error("unknown escape sequence"));
            }
        };
        out.push(c);
        Ok(())
    }

    fn unicode_escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.offset..].starts_with(b"\\u") {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            self.offset += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        let c = char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))?;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self.text.get(self.offset..self.offset + 4).unwrap_or("");
        let value = (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(digits, 16).ok())
            .flatten()
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        self.offset += 4;
        Ok(value)
    }

    fn number(&mut self) -> Result<NodeKind, SyntaxError> {
        let start = self.offset;
        if self.peek() == Some(b'-') {
            self.offset += 1;
        }
        let digits = |parser: &mut Self| {
            let count =
                parser.bytes[parser.offset..].iter().take_while(|b| b.is_ascii_digit()).count();
            parser.offset += count;
            count
        };
        let int_start = self.offset;
        if digits(self) == 0 {
            return Err(self.error("expected a digit"));
        }
        if self.bytes[int_start] == b'0' && self.offset - int_start > 1 {
            return Err(self.error("leading zeros are not allowed in JSON numbers"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.offset += 1;
            integral = false;
            if digits(self) == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.offset += 1;
            integral = false;
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.offset += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        let text = &self.text[start..self.offset];
        if integral && let Ok(value) = text.parse::<i64>() {
            return Ok(NodeKind::Int(value));
        }
        let value = text.parse::<f64>().map_err(|_| self.error("number out of range"))?;
        Ok(NodeKind::Float { value, text: text.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_with_positions() {
        let node = parse("{\n  \"a\": [1, 2.5, \"x\\u00e9\"],\n  \"b\": {\"c\": null}\n}").unwrap();
        assert_eq!(node.to_json(), serde_json::json!({"a": [1, 2.5, "xé"], "b": {"c": null}}));
        let entry = node.entry("b").unwrap();
        assert_eq!(entry.key_span.start, Position::new(3, 3));
        assert_eq!(entry.value.span.start, Position::new(3, 8));
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let error = parse("{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert_eq!(error.message, "duplicate key `a` (first written at line 1)");
        assert_eq!(error.span.start, Position::new(2, 2));
    }

    #[test]
    fn duplicate_keys_are_found_in_large_maps_too() {
        use std::fmt::Write;
        let mut text = String::from("{");
        for i in 0..40 {
            let _ = writeln!(text, "\"k{i}\": {i},");
        }
        text.push_str("\"k39\": 0}");
        let error = parse(&text).unwrap_err();
        assert_eq!(error.message, "duplicate key `k39` (first written at line 40)");
        assert_eq!(error.span.start, Position::new(41, 1));
    }

    #[test]
    fn errors_name_the_position() {
        let error = parse("{\"a\": 1,,}").unwrap_err();
        assert_eq!(error.span.start, Position::new(1, 9));
        let error = parse("{\"a\": tru}").unwrap_err();
        assert_eq!(error.message, "expected a JSON value");
        assert!(parse("[1] x").is_err());
        assert!(parse("\"abc").is_err());
        assert!(parse("01").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn surrogate_pairs_decode() {
        let node = parse(r#""\ud83d\ude00""#).unwrap();
        assert_eq!(node.as_str(), Some("😀"));
        assert!(parse(r#""\ud83d""#).is_err());
    }

    #[test]
    fn big_integers_become_floats() {
        let node = parse("123456789012345678901234").unwrap();
        assert!(matches!(node.kind, NodeKind::Float { .. }));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        assert!(parse(&"[".repeat(10_000)).is_err());
    }
}
