//! JSON written byte for byte as `serde_json::to_writer_pretty` writes it (two spaces a level,
//! `"key": value`, empty arrays and objects closed on their line, numbers formatted by
//! `serde_json`), by a serializer of its own. A long run's record is millions of lines, most of
//! them short strings with nothing to escape: this writer collects the text in memory, handing it
//! to the output in large pieces, finds the bytes to escape eight at a time and copies the runs
//! between them whole, and writes each line break with its indentation, a comma and a key at
//! once; the stock printer writes them a few bytes at a time through its formatter.
//!
//! Used by `runbook run --output json` for the record, and open to programs that write records
//! of their own; `tests/record_json.rs` holds it to the stock printer's output, for arbitrary
//! values and for real records.

use std::fmt;
use std::io::{self, Write};

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

/// Writes `value` as indented JSON to `writer`, byte for byte as `serde_json::to_writer_pretty`.
pub fn write<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut out = Pretty {
        text: Vec::with_capacity(FLUSH_AT + 4096),
        sink: writer,
        depth: 0,
        fields: vec![Field::NONE; FIELDS].into_boxed_slice(),
    };
    value.serialize(&mut out)?;
    out.flush()
}

/// How much text is collected before it is handed to the writer.
const FLUSH_AT: usize = 64 * 1024;

/// A comma, a newline, then enough spaces for any depth a record reaches in one slice; deeper
/// levels write the rest in pieces.
const BREAK: &[u8; LINE + 1] = b",\n                               ";

/// How much of [`BREAK`] a line starts with (from the comma or from the newline): enough for
/// fifteen levels.
const LINE: usize = 32;

/// How long a field's line [`Pretty`] remembers may be, and a comma before it.
const FIELD_LINE: usize = 48;

/// The serializer: the text not yet written, where it goes, and how deep in arrays and objects
/// the next value is.
struct Pretty<W> {
    text: Vec<u8>,
    sink: W,
    depth: usize,
    /// Lines of fields written before, by the address of the field's name: a record writes the
    /// same few dozen fields thousands of times.
    fields: Box<[Field]>,
}

/// How many field lines [`Pretty`] remembers.
const FIELDS: usize = 256;

/// How many slots from the one its hash names a field's line may take.
const PROBES: usize = 8;

/// The line of a field whose name needs no escape, from its newline to its value, at a depth:
/// what a `&'static str` holds never changes, so its address and length stand for the name.
#[derive(Clone, Copy)]
struct Field {
    address: usize,
    len: usize,
    depth: usize,
    /// A comma, then the line: the newline, the indentation, the quoted name and `": "`.
    text: [u8; FIELD_LINE + 1],
    /// How long the line is.
    used: usize,
}

impl Field {
    const NONE: Self = Self { address: 0, len: 0, depth: 0, text: [b','; FIELD_LINE + 1], used: 0 };
}

impl<W: Write> Pretty<W> {
    #[cold]
    fn flush(&mut self) -> serde_json::Result<()> {
        self.sink.write_all(&self.text).map_err(serde_json::Error::io)?;
        self.text.clear();
        Ok(())
    }

    /// Starts a line at the current depth, after a comma unless it is the first item. Lines
    /// start every item, so the text is handed on here.
    #[inline]
    fn line(&mut self, first: bool) -> serde_json::Result<()> {
        if self.text.len() >= FLUSH_AT {
            self.flush()?;
        }
        let start = usize::from(first);
        let end = self.text.len() + 2 - start + self.depth * 2;
        // A copy of known size, cut back to the depth: shorter than a call to copy the rest.
        if end - self.text.len() <= LINE {
            self.text.extend_from_slice(&BREAK[start..start + LINE]);
            self.text.truncate(end);
        } else {
            if !first {
                self.text.push(b',');
            }
            self.indent(end);
        }
        Ok(())
    }

    /// Writes a newline and indentation until the text is `end` long, in pieces as long as
    /// [`BREAK`] has; for lines deeper than it reaches in one.
    #[cold]
    fn indent(&mut self, end: usize) {
        self.text.push(b'\n');
        while self.text.len() < end {
            let piece = (end - self.text.len()).min(LINE - 1);
            self.text.extend_from_slice(&BREAK[2..2 + piece]);
        }
    }

    /// Opens an array or object; one that will have no items closes at once.
    fn open(&mut self, bracket: [u8; 2], len: Option<usize>) -> Compound<'_, W> {
        if len == Some(0) {
            self.text.extend_from_slice(&bracket);
            return Compound { out: self, state: State::Closed };
        }
        self.text.push(bracket[0]);
        self.depth += 1;
        Compound { out: self, state: State::First }
    }

    /// A field's line: its name and the `": "` after it, copied whole once written.
    #[allow(clippy::inline_always, reason = "a call per field is a sixth of what the field costs")]
    #[inline(always)]
    fn key(&mut self, state: &mut State, key: &'static str) -> serde_json::Result<()> {
        if self.text.len() >= FLUSH_AT {
            self.flush()?;
        }
        let first = *state == State::First;
        *state = State::Rest;
        let address = key.as_ptr().addr();
        // Fibonacci hashing: the top bits of the address times 2^64 over the golden ratio; then
        // the next few slots, as fields whose hashes meet take them.
        let mut slot = (address ^ self.depth).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize)
            >> (usize::BITS - FIELDS.ilog2());
        for _ in 0..PROBES {
            let field = &self.fields[slot];
            if (field.address, field.len, field.depth) == (address, key.len(), self.depth) {
                let from = usize::from(first);
                let end = self.text.len() + 1 - from + field.used;
                self.text.extend_from_slice(&field.text[from..from + FIELD_LINE]);
                self.text.truncate(end);
                return Ok(());
            }
            if field.address == 0 {
                break;
            }
            slot = (slot + 1) % FIELDS;
        }
        if !first {
            self.text.push(b',');
        }
        self.new_field(slot, key);
        Ok(())
    }

    /// Writes the line of a field not met before at this depth, and remembers it in `slot`
    /// if that is free.
    #[cold]
    #[inline(never)]
    fn new_field(&mut self, slot: usize, key: &'static str) {
        let start = self.text.len();
        self.indent(start + 1 + self.depth * 2);
        string(&mut self.text, key);
        self.text.extend_from_slice(b": ");
        let line = &self.text[start..];
        // An escape makes the name longer.
        let plain = line.len() == 2 * self.depth + key.len() + 5;
        let field = &mut self.fields[slot];
        // The line is copied after a comma, from a copy of `FIELD_LINE` bytes.
        if plain && line.len() < FIELD_LINE && field.address == 0 {
            field.text[1..=line.len()].copy_from_slice(line);
            field.used = line.len();
            (field.address, field.len, field.depth) = (key.as_ptr().addr(), key.len(), self.depth);
        }
    }

    /// Formats a number the way `serde_json` does.
    fn number(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> serde_json::Result<()> {
        write(&mut self.text).map_err(serde_json::Error::io)
    }
}

/// Where an open array or object is: closed already (it had no items), before its first item,
/// or after one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    First,
    Rest,
}

/// An open array or object.
struct Compound<'a, W> {
    out: &'a mut Pretty<W>,
    state: State,
}

impl<W: Write> Compound<'_, W> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        self.out.line(self.state == State::First)?;
        self.state = State::Rest;
        value.serialize(&mut *self.out)
    }

    #[inline]
    fn close(self, bracket: u8) -> serde_json::Result<()> {
        if self.state == State::Closed {
            return Ok(());
        }
        self.out.depth -= 1;
        if self.state == State::Rest {
            self.out.line(true)?;
        }
        self.out.text.push(bracket);
        Ok(())
    }

    /// Closes the object an enum variant's value was wrapped in.
    fn close_variant(self, bracket: u8) -> serde_json::Result<()> {
        let out = &mut *self.out;
        let state = self.state;
        Compound { out: &mut *out, state }.close(bracket)?;
        Compound { out, state: State::Rest }.close(b'}')
    }
}

/// Writes `text` as a JSON string.
fn string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 10);
    out.push(b'"');
    contents(out, text);
    out.push(b'"');
}

/// Writes `text` escaped for a JSON string. Most texts need no escape and are short: up to
/// sixteen bytes they are checked and copied a word at a time (two overlapping words past
/// eight), in copies of known size, where a copy of any size is a call.
#[allow(clippy::inline_always, reason = "a call per string is a fifth of what the string costs")]
#[inline(always)]
fn contents(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if bytes.len() > 16 {
        return long_contents(out, bytes);
    }
    if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        if needs_escape(u64::from_le_bytes(*first)) | needs_escape(u64::from_le_bytes(*last)) != 0 {
            return escaped(out, bytes);
        }
        let end = out.len() + bytes.len();
        out.extend_from_slice(first);
        out.truncate(end - 8);
        out.extend_from_slice(last);
    } else if !bytes.is_empty() {
        let word = short_word(bytes);
        if needs_escape(word) != 0 {
            return escaped(out, bytes);
        }
        let end = out.len() + bytes.len();
        out.extend_from_slice(&word.to_le_bytes());
        out.truncate(end);
    }
}

/// Writes `bytes`, more than sixteen of them, escaped: they are checked eight at a time (the
/// last word again, over bytes already checked when the length is not a multiple of eight) and
/// copied whole when none needs an escape.
#[inline(never)]
fn long_contents(out: &mut Vec<u8>, bytes: &[u8]) {
    let (words, _) = bytes.as_chunks::<8>();
    let last = bytes.last_chunk::<8>().map_or(0, |last| needs_escape(u64::from_le_bytes(*last)));
    let found =
        words.iter().fold(last, |found, word| found | needs_escape(u64::from_le_bytes(*word)));
    if found == 0 {
        out.extend_from_slice(bytes);
    } else {
        escaped(out, bytes);
    }
}

/// `bytes` (one to seven of them) padded to a word with letters, which never need an escape,
/// read without a loop.
fn short_word(bytes: &[u8]) -> u64 {
    const PADDING: u64 = 0x6161_6161_6161_6161;
    let len = bytes.len();
    let word = if len >= 4 {
        // Two overlapping halves: the bytes they share are the same.
        let half = |at: usize| {
            u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()))
        };
        half(0) | half(len - 4) << (8 * (len - 4))
    } else {
        let byte = |at: usize| u64::from(bytes[at]) << (8 * at);
        byte(0) | byte(len / 2) | byte(len - 1)
    };
    word | PADDING << (8 * len)
}

/// Writes `bytes`, some of which need an escape, a word at a time: the runs between the bytes
/// to escape are copied as words cut back to them.
#[cold]
fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let len = rest.len().min(8);
        let word = rest
            .first_chunk::<8>()
            .map_or_else(|| short_word(rest), |word| u64::from_le_bytes(*word));
        let mut flags = exact_escapes(word);
        // The bytes of the word written so far.
        let mut done = 0;
        while flags != 0 {
            let at = (flags.trailing_zeros() / 8) as usize;
            let end = out.len() + at - done;
            out.extend_from_slice(&(word >> (8 * done)).to_le_bytes());
            out.truncate(end);
            escape(out, rest[at]);
            done = at + 1;
            flags &= flags - 1;
        }
        if done < len {
            let end = out.len() + len - done;
            out.extend_from_slice(&(word >> (8 * done)).to_le_bytes());
            out.truncate(end);
        }
        rest = &rest[len..];
    }
}

/// The high bit of each byte of `word` that is a control character, `"` or `\`, and of no
/// other: each byte is tested without a carry into the next.
fn exact_escapes(word: u64) -> u64 {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const QUOTES: u64 = 0x2222_2222_2222_2222;
    const BACKSLASHES: u64 = 0x5C5C_5C5C_5C5C_5C5C;
    const CONTROL: u64 = 0xE0E0_E0E0_E0E0_E0E0;
    let zero = |v: u64| !(((v & LOW) + LOW) | v | LOW);
    zero(word & CONTROL) | zero(word ^ QUOTES) | zero(word ^ BACKSLASHES)
}

/// The high bit of each byte of `word` that is a control character, `"` or `\`, and possibly
/// of bytes after such a byte (borrows carry upward), never of bytes before the first.
fn needs_escape(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    let below = |word: u64, limit: u64| word.wrapping_sub(ONES * limit) & !word;
    (below(word, 0x20) | below(word ^ QUOTES, 1) | below(word ^ BACKSLASHES, 1)) & HIGH
}

/// The escape of `byte`, as `serde_json` writes it.
fn escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0C => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            let hex = [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xF)]];
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex[0], hex[1]]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// Writes what `Display` writes as a JSON string, escaping it piece by piece.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        contents(self.0, piece);
        Ok(())
    }
}

fn collect<T: fmt::Display + ?Sized>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
    use std::fmt::Write as _;
    out.push(b'"');
    write!(Escaping(out), "{value}").map_err(ser::Error::custom)?;
    out.push(b'"');
    Ok(())
}

/// The integers narrower than 64 bits, written as the 64-bit ones they widen to, in both
/// serializers.
macro_rules! widened_integers {
    () => {
        fn serialize_i8(self, value: i8) -> serde_json::Result<()> {
            self.serialize_i64(value.into())
        }

        fn serialize_i16(self, value: i16) -> serde_json::Result<()> {
            self.serialize_i64(value.into())
        }

        fn serialize_i32(self, value: i32) -> serde_json::Result<()> {
            self.serialize_i64(value.into())
        }

        fn serialize_u8(self, value: u8) -> serde_json::Result<()> {
            self.serialize_u64(value.into())
        }

        fn serialize_u16(self, value: u16) -> serde_json::Result<()> {
            self.serialize_u64(value.into())
        }

        fn serialize_u32(self, value: u32) -> serde_json::Result<()> {
            self.serialize_u64(value.into())
        }
    };
}

/// Arrays (sequences, tuples and tuple structs), item by item.
macro_rules! arrays {
    ($($kind:ident::$item:ident),*) => {$(
        impl<W: Write> ser::$kind for Compound<'_, W> {
            type Ok = ();
            type Error = serde_json::Error;

            fn $item<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
                self.item(value)
            }

            fn end(self) -> serde_json::Result<()> {
                self.close(b']')
            }
        }
    )*};
}

impl<'a, W: Write> ser::Serializer for &'a mut Pretty<W> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Compound<'a, W>;
    type SerializeTuple = Compound<'a, W>;
    type SerializeTupleStruct = Compound<'a, W>;
    type SerializeTupleVariant = Compound<'a, W>;
    type SerializeMap = Compound<'a, W>;
    type SerializeStruct = Compound<'a, W>;
    type SerializeStructVariant = Compound<'a, W>;

    fn serialize_bool(self, value: bool) -> serde_json::Result<()> {
        self.text.extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    widened_integers!();

    fn serialize_i64(self, value: i64) -> serde_json::Result<()> {
        self.number(|text| CompactFormatter.write_i64(text, value))
    }

    fn serialize_i128(self, value: i128) -> serde_json::Result<()> {
        self.number(|text| CompactFormatter.write_i128(text, value))
    }

    fn serialize_u64(self, value: u64) -> serde_json::Result<()> {
        self.number(|text| CompactFormatter.write_u64(text, value))
    }

    fn serialize_u128(self, value: u128) -> serde_json::Result<()> {
        self.number(|text| CompactFormatter.write_u128(text, value))
    }

    fn serialize_f32(self, value: f32) -> serde_json::Result<()> {
        if !value.is_finite() {
            return self.serialize_unit();
        }
        self.number(|text| CompactFormatter.write_f32(text, value))
    }

    fn serialize_f64(self, value: f64) -> serde_json::Result<()> {
        if !value.is_finite() {
            return self.serialize_unit();
        }
        self.number(|text| CompactFormatter.write_f64(text, value))
    }

    fn serialize_char(self, value: char) -> serde_json::Result<()> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> serde_json::Result<()> {
        string(&mut self.text, value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> serde_json::Result<()> {
        ser::Serializer::collect_seq(self, value)
    }

    fn serialize_none(self) -> serde_json::Result<()> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> serde_json::Result<()> {
        self.text.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> serde_json::Result<()> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> serde_json::Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        let mut object = self.open(*b"{}", None);
        ser::SerializeMap::serialize_entry(&mut object, variant, value)?;
        object.close(b'}')
    }

    fn serialize_seq(self, len: Option<usize>) -> serde_json::Result<Compound<'a, W>> {
        Ok(self.open(*b"[]", len))
    }

    fn serialize_tuple(self, len: usize) -> serde_json::Result<Compound<'a, W>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> serde_json::Result<Compound<'a, W>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> serde_json::Result<Compound<'a, W>> {
        self.text.push(b'{');
        self.depth += 1;
        self.key(&mut State::First, variant)?;
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> serde_json::Result<Compound<'a, W>> {
        Ok(self.open(*b"{}", len))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> serde_json::Result<Compound<'a, W>> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> serde_json::Result<Compound<'a, W>> {
        self.text.push(b'{');
        self.depth += 1;
        self.key(&mut State::First, variant)?;
        self.serialize_map(Some(len))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        collect(&mut self.text, value)
    }
}

arrays!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl<W: Write> ser::SerializeTupleVariant for Compound<'_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        self.item(value)
    }

    fn end(self) -> serde_json::Result<()> {
        self.close_variant(b']')
    }
}

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> serde_json::Result<()> {
        self.out.line(self.state == State::First)?;
        self.state = State::Rest;
        key.serialize(Key(&mut self.out.text))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        value.serialize(&mut *self.out)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> serde_json::Result<()> {
        self.serialize_key(key)?;
        value.serialize(&mut *self.out)
    }

    fn end(self) -> serde_json::Result<()> {
        self.close(b'}')
    }
}

impl<W: Write> ser::SerializeStruct for Compound<'_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        self.out.key(&mut self.state, key)?;
        value.serialize(&mut *self.out)
    }

    fn end(self) -> serde_json::Result<()> {
        self.close(b'}')
    }
}

impl<W: Write> ser::SerializeStructVariant for Compound<'_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> serde_json::Result<()> {
        self.close_variant(b'}')
    }
}

/// A map key, and the `": "` after it: a string, or a number, `bool` or `char` written as one,
/// as `serde_json` allows.
struct Key<'a>(&'a mut Vec<u8>);

impl Key<'_> {
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> serde_json::Result<()> {
        self.0.push(b'"');
        write(self.0).map_err(serde_json::Error::io)?;
        self.0.extend_from_slice(b"\": ");
        Ok(())
    }
}

fn key_must_be_a_string() -> serde_json::Error {
    ser::Error::custom("key must be a string")
}

fn float_key_must_be_finite() -> serde_json::Error {
    ser::Error::custom("float key must be finite (got NaN or +/-inf)")
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = ser::Impossible<(), serde_json::Error>;
    type SerializeTuple = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = ser::Impossible<(), serde_json::Error>;
    type SerializeMap = ser::Impossible<(), serde_json::Error>;
    type SerializeStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeStructVariant = ser::Impossible<(), serde_json::Error>;

    fn serialize_str(self, value: &str) -> serde_json::Result<()> {
        self.0.reserve(value.len() + 4);
        self.0.push(b'"');
        contents(self.0, value);
        self.0.extend_from_slice(b"\": ");
        Ok(())
    }

    fn serialize_char(self, value: char) -> serde_json::Result<()> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bool(self, value: bool) -> serde_json::Result<()> {
        self.serialize_str(if value { "true" } else { "false" })
    }

    widened_integers!();

    fn serialize_i64(self, value: i64) -> serde_json::Result<()> {
        self.quoted(|text| CompactFormatter.write_i64(text, value))
    }

    fn serialize_i128(self, value: i128) -> serde_json::Result<()> {
        self.quoted(|text| CompactFormatter.write_i128(text, value))
    }

    fn serialize_u64(self, value: u64) -> serde_json::Result<()> {
        self.quoted(|text| CompactFormatter.write_u64(text, value))
    }

    fn serialize_u128(self, value: u128) -> serde_json::Result<()> {
        self.quoted(|text| CompactFormatter.write_u128(text, value))
    }

    fn serialize_f32(self, value: f32) -> serde_json::Result<()> {
        if !value.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.quoted(|text| CompactFormatter.write_f32(text, value))
    }

    fn serialize_f64(self, value: f64) -> serde_json::Result<()> {
        if !value.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.quoted(|text| CompactFormatter.write_f64(text, value))
    }

    fn serialize_bytes(self, _value: &[u8]) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> serde_json::Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> serde_json::Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> serde_json::Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> serde_json::Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        collect(self.0, value)?;
        self.0.extend_from_slice(b": ");
        Ok(())
    }
}
