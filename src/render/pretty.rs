//! JSON written the way `serde_json`'s pretty printer writes it, two spaces a level, with each
//! line break and its indentation written at once: a long run's record is millions of lines, and
//! the stock printer writes a line's indentation two bytes at a time.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// Writes `value` as indented JSON to `writer`, byte for byte as `serde_json::to_writer_pretty`.
pub(crate) fn write<W: Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, Pretty::default());
    value.serialize(&mut serializer)
}

/// A newline, then enough spaces for any depth a record reaches in one slice; deeper levels write
/// the rest in pieces.
const BREAK: &[u8] = b"\n                                                                ";

#[derive(Default)]
struct Pretty {
    depth: usize,
    /// Whether the open array or object has a value yet: an empty one closes on the same line.
    has_value: bool,
}

impl Pretty {
    fn line<W: Write + ?Sized>(&self, writer: &mut W) -> io::Result<()> {
        let mut spaces = self.depth * 2;
        let first = spaces.min(BREAK.len() - 1);
        writer.write_all(&BREAK[..=first])?;
        spaces -= first;
        while spaces > 0 {
            let piece = spaces.min(BREAK.len() - 1);
            writer.write_all(&BREAK[1..=piece])?;
            spaces -= piece;
        }
        Ok(())
    }

    fn open<W: Write + ?Sized>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: Write + ?Sized>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer)?;
        }
        writer.write_all(bracket)
    }

    fn item<W: Write + ?Sized>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        self.line(writer)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: Write + ?Sized>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(writer, first)
    }

    fn end_array_value<W: Write + ?Sized>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: Write + ?Sized>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(writer, first)
    }

    fn begin_object_value<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: Write + ?Sized>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn both(value: &serde_json::Value) -> (String, String) {
        let mut ours = Vec::new();
        super::write(&mut ours, value).unwrap();
        (String::from_utf8(ours).unwrap(), serde_json::to_string_pretty(value).unwrap())
    }

    #[test]
    fn writes_what_the_stock_pretty_printer_writes() {
        let mut deep = json!("leaf");
        for level in 0..45 {
            deep =
                if level % 2 == 0 { json!({ "k": deep, "e": {} }) } else { json!([deep, [], 1.5]) };
        }
        let samples = [
            json!(null),
            json!({}),
            json!([]),
            json!({"a": 1, "b": [1, 2, {"c": "d\n\"e\""}], "f": {}, "g": [], "h": {"i": [[]]}}),
            json!([{"x": [{}]}, -3, true, "ünï", 1e300]),
            deep,
        ];
        for sample in &samples {
            let (ours, stock) = both(sample);
            assert_eq!(ours, stock);
        }
    }
}
