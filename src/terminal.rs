//! Text from outside (what scripts print, error messages, mock answers, names in runbooks)
//! made safe to show on a terminal: control characters are written out visibly, as `ls` and
//! `git` do, so that text cannot move the cursor, ring the bell, recolor the screen or rewrite a
//! line to fake a result. Machine formats (the JSON record) keep the text exact and never go
//! through here.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character (C0, DEL and C1) written as an escape: `\e` for ESC,
/// `\r`, `\n`, `\t`, `\0`, and `\xNN` (`\u{NN}` for C1) for the others. Text without them is
/// returned as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !has_control(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_all_escaped(&mut out, text);
    Cow::Owned(out)
}

/// Appends `text` to `out` as [`escape`] shows it, without a string of its own.
pub fn escape_into(out: &mut String, text: &str) {
    if has_control(text) {
        push_all_escaped(out, text);
    } else {
        out.push_str(text);
    }
}

fn push_all_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        push_escaped(out, c);
    }
}

/// `text` as lines for a terminal: each line escaped as [`escape`] does, the lines joined by a
/// line break and `indent`, so that a multi-line message stays readable and every one of its
/// lines stays under the one it belongs to. A line ending of `\r\n` is a line break; a `\r`
/// anywhere else shows as `\r`.
pub fn escape_lines(text: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.push_str(&escape(line));
    }
    out
}

/// Whether `text` holds a control character. Printable ASCII, nearly all that is shown, is
/// recognised a block of bytes at a time; only other text is decoded character by character.
fn has_control(text: &str) -> bool {
    !text.bytes().all(|byte| (b' '..=b'~').contains(&byte)) && text.chars().any(is_control)
}

fn is_control(c: char) -> bool {
    c.is_control()
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if u32::from(c) < 0x80 && c.is_control() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_show_as_escapes() {
        assert_eq!(
            escape("\x1b[2K\r✔ ok\x07\x7f\u{9b}\0\t"),
            "\\e[2K\\r✔ ok\\x07\\x7f\\u{9b}\\0\\t"
        );
        assert_eq!(escape("a\nb"), "a\\nb");
    }

    #[test]
    fn plain_text_is_not_copied() {
        assert!(matches!(escape("déjà vu ✔ C:\\x"), Cow::Borrowed("déjà vu ✔ C:\\x")));
    }

    #[test]
    fn lines_stay_lines_under_their_indent() {
        assert_eq!(escape_lines("one\r\ntwo\rX\n\x1b[1A", "  "), "one\n  two\\rX\n  \\e[1A");
        assert_eq!(escape_lines("", "  "), "");
    }
}
