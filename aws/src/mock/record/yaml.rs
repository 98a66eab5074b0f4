//! The mock file as YAML, in block style, with text quoted only where a YAML reader would take
//! it for something else.

use std::fmt::Write as _;

use serde_json::Value;

/// Writes the entries of a map in block style at `indent`.
pub(super) fn yaml_map<'a>(
    out: &mut String,
    entries: Option<impl Iterator<Item = (&'a String, &'a Value)>>,
    indent: usize,
) {
    for (key, value) in entries.into_iter().flatten() {
        let _ = write!(out, "{:indent$}{}:", "", scalar_text(key));
        yaml_value(out, value, indent);
    }
}

/// Writes `value` after a map key or a list's dash (the cursor is after the `:` or `-`), its
/// block collections indented under `indent`.
pub(super) fn yaml_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            yaml_map(out, Some(map.iter()), indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                let _ = write!(out, "{:width$}-", "", width = indent + 2);
                match item {
                    // A map item starts on the dash's line: `- key: value`.
                    Value::Object(map) if !map.is_empty() => {
                        let mut block = String::new();
                        yaml_map(&mut block, Some(map.iter()), indent + 4);
                        out.push(' ');
                        out.push_str(&block[indent + 4..]);
                    }
                    item => yaml_value(out, item, indent + 2),
                }
            }
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

/// A scalar or empty collection on one line.
pub(super) fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => scalar_text(text),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Words a YAML reader (1.1 booleans included) takes for something other than text.
const YAML_WORDS: &[&str] =
    &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"];

/// Text as a plain scalar when it can only be read back as that text, else double-quoted
/// (JSON's escapes are YAML's).
pub(super) fn scalar_text(text: &str) -> String {
    let plain =
        text.chars().next().is_some_and(|first| first.is_ascii_alphabetic() || first == '/')
            && text.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@' | ':' | ' ')
            })
            && !text.ends_with([':', ' '])
            && !text.contains(": ")
            && !text.contains(" #")
            && !YAML_WORDS.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        return text.to_string();
    }
    let quoted = serde_json::to_string(text).unwrap_or_default();
    // Line and paragraph separators and NEL are line breaks to some YAML readers.
    quoted
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{85}', "\\u0085")
}
