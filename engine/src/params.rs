//! Runbook parameters: binding the values a run starts with (types, defaults, required
//! parameters and constraints, with the service's messages), and the values they accept.
//!
//! `allowedPattern` is a Java regular expression in the service. [`Pattern`] compiles it with
//! `fancy-regex`, which has the look-around Java has and real runbooks use, after translating
//! the two Java habits the Rust syntax reads differently (see [`from_java`]), and matches the
//! way Java's `find()` and Go's `MatchString` do: anywhere in the value, unless anchored.

use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock};

use indexmap::IndexMap;
use serde_json::Value;

use crate::catalog::ValueType;
use crate::document::{Document, Parameter};
use crate::host::{ParameterStore, ScriptCalls};
use crate::record::as_text;
use crate::syntax::{Node, NodeKind};
use crate::template::{Target, Template, has_references};

/// A parameter value the run cannot start with. The messages follow the service's
/// `InvalidAutomationExecutionParametersException` texts where they are known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParameterError {
    /// The parameter at fault.
    pub parameter: String,
    /// What is wrong.
    pub message: String,
}

impl ParameterError {
    fn new(parameter: &str, message: String) -> Self {
        Self { parameter: parameter.to_string(), message }
    }

    pub(crate) fn default_reference(parameter: &str, message: &str) -> Self {
        Self::new(
            parameter,
            format!("Parameter \"{parameter}\" cannot take its default: {message}."),
        )
    }
}

/// Binds the values a run starts with to the runbook's parameters: given values are coerced to
/// their parameter's type, missing ones take their default (`{{ ssm:/name }}` read from
/// `store`), and every value is checked against its parameter's constraints. Defaults that hold
/// other references are returned as written; the executor resolves them.
pub async fn bind_parameters(
    document: &Document,
    given: &IndexMap<String, Value>,
    store: &dyn ParameterStore,
) -> Result<IndexMap<String, Value>, ParameterError> {
    bind_parameters_for_run(document, given, store, None).await
}

/// [`bind_parameters`] for a run whose AWS calls go through `calls`: the Parameter Store reads
/// of defaults are made there, and so recorded with the run's other calls.
pub async fn bind_parameters_for_run(
    document: &Document,
    given: &IndexMap<String, Value>,
    store: &dyn ParameterStore,
    calls: Option<&dyn ScriptCalls>,
) -> Result<IndexMap<String, Value>, ParameterError> {
    if let Some(unknown) = given.keys().find(|name| document.parameter(name).is_none()) {
        let known: Vec<&str> = document.parameters.iter().map(|p| p.name.value.as_str()).collect();
        let mut message = format!("Parameter \"{unknown}\" is not defined in the runbook.");
        if let Some(close) = crate::diagnostic::closest(unknown, known.iter().copied()) {
            let _ = write!(message, " Did you mean \"{close}\"?");
        }
        return Err(ParameterError::new(unknown, message));
    }
    let mut bound = IndexMap::with_capacity(document.parameters.len());
    for parameter in &document.parameters {
        let name = parameter.name.value.as_str();
        let ty = parameter.ty.as_ref().map_or(ValueType::String, |ty| ty.value.value_type());
        let (value, from_default) = match given.get(name) {
            Some(value) => (value.clone(), false),
            None => match &parameter.default {
                None => {
                    return Err(ParameterError::new(
                        name,
                        format!("Missing required parameter: {name} in user inputs."),
                    ));
                }
                Some(default) => (default_value(name, default, store, calls).await?, true),
            },
        };
        if from_default && value.as_str().is_some_and(has_references) {
            bound.insert(name.to_string(), value);
            continue;
        }
        let value = if value.is_null() {
            null_value(ty)
        } else {
            crate::value::coerce(&value, ty).map_err(|problem| {
                ParameterError::new(name, format!("Parameter \"{name}\" has value {problem}."))
            })?
        };
        check_constraints(parameter, &value, from_default)?;
        bound.insert(name.to_string(), value);
    }
    Ok(bound)
}

/// The value of a null default (`default:` with nothing after it): empty.
fn null_value(ty: ValueType) -> Value {
    match ty {
        ValueType::StringList | ValueType::MapList => Value::Array(Vec::new()),
        ValueType::StringMap => Value::Object(serde_json::Map::new()),
        _ => Value::String(String::new()),
    }
}

async fn default_value(
    name: &str,
    default: &Node,
    store: &dyn ParameterStore,
    calls: Option<&dyn ScriptCalls>,
) -> Result<Value, ParameterError> {
    if let Some(text) = default.as_str()
        && let Some(reference) = Template::parse(text).as_whole_reference()
        && let Target::ParameterStore(path) | Target::SecureParameterStore(path) = &reference.target
    {
        let secure = matches!(reference.target, Target::SecureParameterStore(_));
        let value = match calls {
            Some(calls) if secure => store.get_decrypted_for_run(path, calls).await,
            Some(calls) => store.get_for_run(path, calls).await,
            None => store.get(path).await,
        };
        return value.map_err(|message| {
            ParameterError::new(
                name,
                format!("Parameter \"{name}\" cannot read its default {text}: {message}."),
            )
        });
    }
    Ok(default.to_json())
}

fn check_constraints(
    parameter: &Parameter,
    value: &Value,
    from_default: bool,
) -> Result<(), ParameterError> {
    let name = parameter.name.value.as_str();
    let fail = |message: String| Err(ParameterError::new(name, message));
    let items: Vec<String> = match value {
        Value::Array(items) => items.iter().map(as_text).collect(),
        other => vec![as_text(other)],
    };
    if let Some(allowed) = &parameter.allowed_values {
        let allowed: Vec<String> = allowed.value.iter().filter_map(Node::scalar_text).collect();
        // An empty default means "not given"; it is not checked against the list.
        let skip = from_default && value.as_str() == Some("");
        if let Some(item) = items.iter().find(|item| !skip && !allowed.contains(item)) {
            return fail(format!(
                "Parameter \"{name}\" has value \"{item}\" not found in [{}].",
                allowed.join(", ")
            ));
        }
    }
    let empty = value.as_str() == Some("");
    if let Some(pattern) = parameter.allowed_pattern.as_ref().filter(|_| !empty) {
        let cached = Pattern::cached(&pattern.value);
        let compiled = cached.as_ref().as_ref().map_err(|error| {
            ParameterError::new(
                name,
                format!("Parameter \"{name}\" has an invalid allowedPattern: {error}."),
            )
        })?;
        if let Some(item) = items.iter().find(|item| !compiled.is_match(item)) {
            return fail(format!(
                "Parameter \"{name}\" has value \"{item}\" that does not match the allowedPattern {}.",
                pattern.value
            ));
        }
    }
    if let Value::Array(list) = value {
        let count = list.len() as u64;
        if let Some(min) = parameter.min_items.as_ref().filter(|min| count < min.value) {
            return fail(format!(
                "Parameter \"{name}\" has {count} items, fewer than minItems {}.",
                min.value
            ));
        }
        if let Some(max) = parameter.max_items.as_ref().filter(|max| count > max.value) {
            return fail(format!(
                "Parameter \"{name}\" has {count} items, more than maxItems {}.",
                max.value
            ));
        }
    }
    if !empty {
        for item in &items {
            let chars = item.chars().count() as u64;
            if let Some(min) = parameter.min_chars.as_ref().filter(|min| chars < min.value) {
                return fail(format!(
                    "Parameter \"{name}\" has value \"{item}\" with {chars} characters, fewer than minChars {}.",
                    min.value
                ));
            }
            if let Some(max) = parameter.max_chars.as_ref().filter(|max| chars > max.value) {
                return fail(format!(
                    "Parameter \"{name}\" has value \"{item}\" with {chars} characters, more than maxChars {}.",
                    max.value
                ));
            }
        }
    }
    Ok(())
}

/// A process-wide memo of what follows from a pattern's text alone.
type Memo<V> = OnceLock<Mutex<IndexMap<String, V>>>;

/// The value `memo` holds for `pattern`, made by `make` (outside the lock) when it holds none.
/// Beyond 4,096 patterns the memo starts again, so that it cannot grow without end.
fn memo<V: Clone>(memo: &Memo<V>, pattern: &str, make: impl FnOnce() -> V) -> V {
    const CAPACITY: usize = 4096;
    let memo = memo.get_or_init(|| Mutex::new(IndexMap::new()));
    if let Ok(map) = memo.lock()
        && let Some(value) = map.get(pattern)
    {
        return value.clone();
    }
    let value = make();
    if let Ok(mut map) = memo.lock() {
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(pattern.to_string(), value.clone());
    }
    value
}

/// A compiled `allowedPattern`.
#[derive(Debug)]
pub struct Pattern(fancy_regex::Regex);

impl Pattern {
    /// Compiles `pattern`; the error says why it is not a valid regular expression.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let translated = from_java(pattern);
        fancy_regex::RegexBuilder::new(&translated)
            .backtrack_limit(1_000_000)
            .build()
            .map(Self)
            .map_err(|error| {
                // fancy-regex hands most patterns to `regex`, whose own message says precisely
                // what is wrong ("invalid character class range ..."); prefer it.
                regex::Regex::new(&translated)
                    .err()
                    .and_then(|inner| {
                        inner
                            .to_string()
                            .lines()
                            .rev()
                            .find(|l| l.starts_with("error:"))
                            .map(String::from)
                    })
                    .map_or_else(
                        || error.to_string(),
                        |line| line.trim_start_matches("error: ").to_string(),
                    )
            })
    }

    /// The compiled `pattern`, from a process-wide cache: runbooks repeat the same patterns, and
    /// a fleet binds the same parameters once per target.
    pub fn cached(pattern: &str) -> Arc<Result<Self, String>> {
        static CACHE: Memo<Arc<Result<Pattern, String>>> = OnceLock::new();
        memo(&CACHE, pattern, || Arc::new(Self::new(pattern)))
    }

    /// Whether `pattern` is a valid regular expression, and if not why. A pattern the `regex`
    /// parser accepts is valid without being compiled: compiling a long bounded repetition
    /// (`[\w-]{1,1024}`) costs milliseconds, more than checking a whole runbook. Others (with
    /// look-arounds, or invalid) are compiled to know.
    pub fn check(pattern: &str) -> Result<(), String> {
        if parsed(pattern).is_some() {
            return Ok(());
        }
        match Self::cached(pattern).as_ref() {
            Ok(_) => Ok(()),
            Err(error) => Err(error.clone()),
        }
    }

    /// Whether `text` matches. A pattern too costly to evaluate counts as no match.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text).unwrap_or(false)
    }

    /// Whether `pattern` matches each of `texts`, for a check made once (validation's check of
    /// a default), as [`Pattern::is_match`] answers; `None` when `pattern` is not valid. A
    /// pattern the `regex` parser accepts is matched by a Pike VM of its forward automaton
    /// alone, which costs a fraction of compiling the whole [`Pattern`] (its reverse
    /// automaton, capture groups and faster engines only pay off over many matches), kept for
    /// the next check of the same pattern. The automaton is built for these texts only (see
    /// `fitted`): long bounded repetitions of Unicode classes (`[^"]{1,1024}`) are what
    /// makes compiling expensive, and for short ASCII values neither the bound nor the
    /// non-ASCII part of a class can change the answer. Others (with look-arounds) are
    /// compiled and kept in the process-wide cache.
    pub fn matches_once(pattern: &str, texts: &[String]) -> Option<Vec<bool>> {
        use regex_automata::nfa::thompson::{self, WhichCaptures, pikevm::PikeVM};

        /// The `regex` crate's own default limit on a compiled automaton's size.
        const SIZE_LIMIT: usize = 10 * (1 << 20);
        // Runbooks repeat patterns (a corpus of 1,600 has 650 different ones), so each
        // automaton is kept for the next runbook that checks a default against it; texts of
        // about the same length share one.
        static VMS: Memo<Option<PikeVM>> = OnceLock::new();
        if texts.is_empty() {
            return Some(Vec::new());
        }
        let fit = Fit::of(texts);
        let key = format!("{}{}\0{pattern}", u8::from(fit.ascii), fit.longest);
        let vm = memo(&VMS, &key, || {
            let hir = fitted(parsed(pattern)?.as_ref().clone(), fit);
            let config = thompson::Config::new()
                .which_captures(WhichCaptures::None)
                .nfa_size_limit(Some(SIZE_LIMIT));
            let nfa = thompson::Compiler::new().configure(config).build_from_hir(&hir).ok()?;
            PikeVM::new_from_nfa(nfa).ok()
        });
        if let Some(vm) = vm {
            let mut cache = vm.create_cache();
            return Some(texts.iter().map(|text| vm.is_match(&mut cache, text.as_str())).collect());
        }
        match Self::cached(pattern).as_ref() {
            Ok(compiled) => Some(texts.iter().map(|text| compiled.is_match(text)).collect()),
            Err(_) => None,
        }
    }
}

/// `pattern` as the `regex` parser reads it, if it does, from a process-wide memo: a runbook's
/// check of a pattern and of its default against it need the same reading.
fn parsed(pattern: &str) -> Option<Arc<regex_syntax::hir::Hir>> {
    static PARSES: Memo<Option<Arc<regex_syntax::hir::Hir>>> = OnceLock::new();
    memo(&PARSES, pattern, || {
        regex_syntax::Parser::new().parse(&from_java(pattern)).ok().map(Arc::new)
    })
}

/// What the texts an automaton will read allow it to leave out.
#[derive(Clone, Copy, Debug)]
struct Fit {
    /// Every text is ASCII.
    ascii: bool,
    /// A power of two no smaller than the longest text's length in bytes.
    longest: usize,
}

impl Fit {
    fn of(texts: &[String]) -> Self {
        Self {
            ascii: texts.iter().all(|text| text.is_ascii()),
            longest: texts.iter().map(String::len).max().unwrap_or(0).next_power_of_two(),
        }
    }
}

/// `hir` reduced to what matters when it reads texts that `fit` describes, with the same
/// answer for each of them:
/// - A repetition of at most `n` times with `n` at least the texts' length in bytes is
///   unbounded: every repetition but the empty ones reads at least one byte, and empty ones can
///   be dropped, so no match of a text needs more than `n` of them.
/// - For ASCII texts, each class keeps only its ASCII part: nothing else can match.
fn fitted(hir: regex_syntax::hir::Hir, fit: Fit) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition};

    match hir.into_kind() {
        HirKind::Class(Class::Unicode(mut class)) if fit.ascii => {
            class.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7F')]));
            Hir::class(Class::Unicode(class))
        }
        HirKind::Repetition(repetition) => {
            let max = repetition
                .max
                .filter(|max| usize::try_from(*max).map_or(true, |max| max < fit.longest));
            Hir::repetition(Repetition {
                max,
                sub: Box::new(fitted(*repetition.sub, fit)),
                ..repetition
            })
        }
        HirKind::Capture(mut capture) => {
            capture.sub = Box::new(fitted(*capture.sub, fit));
            Hir::capture(capture)
        }
        HirKind::Concat(items) => {
            Hir::concat(items.into_iter().map(|item| fitted(item, fit)).collect())
        }
        HirKind::Alternation(items) => {
            Hir::alternation(items.into_iter().map(|item| fitted(item, fit)).collect())
        }
        HirKind::Class(class) => Hir::class(class),
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(literal) => Hir::literal(literal.0),
        HirKind::Look(look) => Hir::look(look),
    }
}

/// Translates a Java regular expression into the syntax `fancy-regex` reads the same way:
///
/// - `\w`, `\d` and `\s` are ASCII-only in Java but Unicode-aware in Rust, which also makes
///   long counted repetitions such as `[\w]{1,1017}` too large to compile; they are spelled out
///   as ASCII classes.
/// - In a character class, Java reads `-` next to a class escape (`[\w-.]`) as a literal dash;
///   Rust reads it as a range and refuses it, so the dash is escaped.
/// - Java's `\uXXXX` escapes are UTF-16: a surrogate pair is one character beyond U+FFFF.
/// - Counted repetitions above [`MAX_REPETITION`] (`^.{1,262144}$`) would compile to an
///   enormous automaton; their upper bound is dropped, which changes nothing for parameter
///   values (the API takes at most 512 characters per value).
pub fn from_java(pattern: &str) -> String {
    drop_huge_bounds(&translate_escapes(pattern))
}

/// The largest repetition bound kept as written.
pub const MAX_REPETITION: u32 = 4096;

fn drop_huge_bounds(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let close = after.find('}');
        let bounds = close.map(|close| &after[1..close]);
        match (close, bounds.and_then(|b| b.split_once(','))) {
            (Some(close), Some((min, max)))
                if min.bytes().all(|b| b.is_ascii_digit())
                    && max.parse::<u32>().is_ok_and(|max| max > MAX_REPETITION)
                    && !rest[..open].ends_with('\\') =>
            {
                out.push('{');
                out.push_str(min);
                out.push_str(",}");
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn translate_escapes(pattern: &str) -> String {
    fn expansion(escape: char, in_class: bool) -> Option<&'static str> {
        Some(match (escape, in_class) {
            ('w', false) => "[0-9A-Za-z_]",
            ('d', false) => "[0-9]",
            ('s', false) => r"[\t\n\x0B\x0C\r ]",
            ('W', false) => "[^0-9A-Za-z_]",
            ('D', false) => "[^0-9]",
            ('S', false) => r"[^\t\n\x0B\x0C\r ]",
            ('w', true) => "0-9A-Za-z_",
            ('d', true) => "0-9",
            ('s', true) => r"\t\n\x0B\x0C\r ",
            _ => return None,
        })
    }
    let is_class_escape = |c: char| "wdsWDS".contains(c);
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut depth = 0usize;
    let mut previous_was_class_escape = false;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let in_class = depth > 0;
        match c {
            '\\' if chars.get(index + 1) == Some(&'u') => {
                if let Some((code, used)) = utf16_escape(&chars[index..]) {
                    let _ = write!(out, "\\x{{{code:X}}}");
                    index += used;
                } else {
                    out.push_str("\\u");
                    index += 2;
                }
                previous_was_class_escape = false;
                continue;
            }
            '\\' if index + 1 < chars.len() => {
                let escaped = chars[index + 1];
                match expansion(escaped, in_class) {
                    Some(text) => out.push_str(text),
                    None => {
                        out.push('\\');
                        out.push(escaped);
                    }
                }
                previous_was_class_escape = in_class && is_class_escape(escaped);
                index += 2;
                continue;
            }
            '[' => depth += 1,
            ']' if in_class => depth -= 1,
            '-' if in_class => {
                let next_is_class_escape = chars.get(index + 1) == Some(&'\\')
                    && chars.get(index + 2).is_some_and(|&n| is_class_escape(n));
                if previous_was_class_escape || next_is_class_escape {
                    out.push_str("\\-");
                    previous_was_class_escape = false;
                    index += 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        previous_was_class_escape = false;
        index += 1;
    }
    out
}

/// Reads `\uXXXX` (or a surrogate pair `\uD83D\uDE00`) at the start of `chars`: the code
/// point and how many characters it took.
fn utf16_escape(chars: &[char]) -> Option<(u32, usize)> {
    let unit = |at: usize| -> Option<u32> {
        if chars.get(at) != Some(&'\\') || chars.get(at + 1) != Some(&'u') {
            return None;
        }
        let hex: String = chars.get(at + 2..at + 6)?.iter().collect();
        u32::from_str_radix(&hex, 16).ok()
    };
    let first = unit(0)?;
    if (0xD800..0xDC00).contains(&first)
        && let Some(second) = unit(6).filter(|second| (0xDC00..0xE000).contains(second))
    {
        return Some((0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00), 12));
    }
    // A lone surrogate is not a character; read it as the last one before the surrogates.
    let code = if (0xD800..0xE000).contains(&first) { 0xD7FF } else { first };
    Some((code, 6))
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
    fn a_pattern_matched_once_answers_as_the_compiled_pattern() {
        let patterns = [
            "^[a-z]+$",
            "[0-9]+",
            r"^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]{1,1017}$",
            r"^[\w._-~]{1,255}$",
            "(?i)^yes|no$",
            r"^.{1,262144}$",
            r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*$",
            r"^\s*$",
            "^(?!.*--)[a-z][a-z0-9-]{0,62}(?<!-)$",
            "",
            r#"^[^"]{1,1024}$"#,
            "^.{2,3}$",
            "(?i)^[a-zé]{1,4}$",
            r"\b[a-z]{2}\b",
            "^(ab){0,2}$",
            "^(a|){2,3}b?$",
            "^x{300,4000}$",
            "^(?:[^x]|x){0,2}$",
        ];
        let texts: Vec<String> =
            ["", "abc", "ABC", "abc123", "a~b", "YES", "no", "é", "my--bucket", "my-bucket", " "]
                .into_iter()
                .map(String::from)
                .chain([
                    "arn:aws:iam::123456789012:role/Admin".to_string(),
                    "x".repeat(300),
                    "😀".to_string(),
                    "ab".to_string(),
                    "abab".to_string(),
                    "ababab".to_string(),
                    "aab".to_string(),
                    "aé".to_string(),
                    "ÉÉ".to_string(),
                    "q\"".to_string(),
                    "a b".to_string(),
                    "x".repeat(4000),
                ])
                .collect();
        for pattern in patterns {
            let compiled = Pattern::new(pattern).unwrap();
            let expected: Vec<bool> = texts.iter().map(|text| compiled.is_match(text)).collect();
            assert_eq!(Pattern::matches_once(pattern, &texts), Some(expected.clone()), "{pattern}");
            // One text alone makes an automaton fitted to it.
            for (text, expected) in texts.iter().zip(expected) {
                let one = Pattern::matches_once(pattern, std::slice::from_ref(text));
                assert_eq!(one, Some(vec![expected]), "{pattern} on {text:?}");
            }
        }
        assert_eq!(Pattern::matches_once("(unclosed", &[]), Some(Vec::new()));
    }

    #[test]
    fn patterns_have_java_look_around_and_find_semantics() {
        let pattern = Pattern::new("^(?!.*--)[a-z][a-z0-9-]{0,62}(?<!-)$").unwrap();
        assert!(pattern.is_match("my-bucket"));
        assert!(!pattern.is_match("my--bucket"));
        assert!(!pattern.is_match("bucket-"));
        assert!(Pattern::new("[0-9]+").unwrap().is_match("abc123"));
        assert!(Pattern::new("(unclosed").is_err());
        assert_eq!(Pattern::matches_once("(unclosed", &["x".to_string()]), None);
        assert_eq!(Pattern::check("(unclosed"), Err(Pattern::new("(unclosed").unwrap_err()));
        assert_eq!(Pattern::check("^(?!.*--)[a-z]{1,1024}$"), Ok(()));
        assert_eq!(Pattern::check(r"^[\w-]{1,1024}$"), Ok(()));
        assert!(Pattern::check(r"^[A-Za-z0-9_-\/.]{1,512}$").is_err());
    }

    #[test]
    fn java_class_habits_are_translated() {
        let pattern =
            Pattern::new(r"^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]{1,1017}$").unwrap();
        assert!(pattern.is_match("arn:aws:iam::123456789012:role/a-b/c.d"));
        assert!(!pattern.is_match("arn:aws:iam::123456789012:role/é"));
        assert!(Pattern::new(r"^[\w._-~]{1,255}$").unwrap().is_match("a~b"));
        assert_eq!(from_java(r"[\w-.]"), r"[0-9A-Za-z_\-.]");
        assert_eq!(from_java(r"\d+\.\w"), r"[0-9]+\.[0-9A-Za-z_]");
        let xml =
            Pattern::new(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*$").unwrap();
        assert!(xml.is_match("text 😀"));
        assert!(Pattern::new("^.{1,262144}$").unwrap().is_match("query"));
        assert_eq!(from_java("a{2,5}b{1,99999}"), "a{2,5}b{1,}");
        // Java refuses this range too: `_` comes after `/`.
        assert!(Pattern::new(r"^[A-Za-z0-9_-\/.]{1,512}$").is_err());
    }
}
