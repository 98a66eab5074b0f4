//! A bounded fuzz target, run with the other tests: runbooks (YAML and JSON), mock files and
//! test files of this repository, mutated by proptest (lines dropped, duplicated or swapped,
//! text cut, cut-outs of syntax and arbitrary characters put in), are loaded (and the runbooks
//! that load validated). Nothing may panic, and every error must be located: a syntax error
//! names a position, and every position named lies within the text.
//!
//! `PROPTEST_CASES` sets the inputs tried per kind (default 3,000); `RUNBOOK_FUZZ_SEED` (a
//! number) draws other inputs than the fixed default, which keeps CI reproducible. A failure is
//! shrunk to a small input and printed; nothing is written to the checkout.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use runbook::testing::TestFile;
use runbook_aws::mock::{MockFile, MockProblemKind};
use runbook_engine::Document;
use runbook_engine::LoadErrorKind;
use runbook_engine::document::Format;
use runbook_engine::syntax::Span;
use runbook_engine::validate::validate;

use crate::support::root;

const DEFAULT_CASES: u32 = 3_000;

/// Pieces of syntax that break YAML and JSON in interesting ways.
const NOISE: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "'",
    "\"",
    "\n",
    "\t",
    "  ",
    "{{",
    "}}",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "\\u",
    ",",
    "#",
    "? ",
    "|",
    ">-",
    "---\n",
    "...",
    "~",
    "null",
    "0x",
    "1e999",
    "{{ ssm:/a }}",
    "\u{feff}",
    "\r",
    "%YAML 1.1\n",
    "!custom ",
];

#[derive(Clone, Debug)]
enum Edit {
    DropLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    Cut(Index),
    Noise(Index, Index),
    Characters(Index, Vec<char>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DropLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        any::<Index>().prop_map(Edit::Cut),
        (any::<Index>(), any::<Index>()).prop_map(|(at, noise)| Edit::Noise(at, noise)),
        (any::<Index>(), prop::collection::vec(any::<char>(), 1..6))
            .prop_map(|(at, chars)| Edit::Characters(at, chars)),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let insert = |at: &Index, piece: &str| {
        let chars: Vec<char> = text.chars().collect();
        let at = at.index(chars.len() + 1);
        let mut out: String = chars[..at].iter().collect();
        out.push_str(piece);
        out.extend(&chars[at..]);
        out
    };
    match edit {
        Edit::DropLine(at) => {
            lines.remove(at.index(lines.len()));
            lines.join("\n")
        }
        Edit::DuplicateLine(at) => {
            let at = at.index(lines.len());
            lines.insert(at, lines[at]);
            lines.join("\n")
        }
        Edit::SwapLines(a, b) => {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
            lines.join("\n")
        }
        Edit::Cut(at) => text.chars().take(at.index(text.chars().count() + 1)).collect(),
        Edit::Noise(at, noise) => insert(at, NOISE[noise.index(NOISE.len())]),
        Edit::Characters(at, chars) => insert(at, &chars.iter().collect::<String>()),
    }
}

/// A seed and the edits made to it.
fn mutated(seeds: usize) -> impl Strategy<Value = (usize, Vec<Edit>)> {
    (0..seeds, prop::collection::vec(edit(), 1..4))
}

struct Seed {
    path: PathBuf,
    text: String,
}

fn files(under: &str, wanted: &dyn Fn(&str) -> bool) -> Vec<Seed> {
    let mut found = Vec::new();
    let mut folders = vec![root().join(under)];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().and_then(|n| n.to_str()).is_some_and(wanted) {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push(Seed { path, text });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

#[allow(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the repository names its files in lower case"
)]
fn runbook_seeds() -> Vec<Seed> {
    let runbook = |name: &str| {
        name.ends_with(".yaml") && !name.ends_with(".test.yaml") && !name.contains("mocks")
    };
    let mut seeds = files("runbooks", &runbook);
    seeds.extend(files("tests/test-files", &runbook));
    seeds.extend(files("tests/cases", &runbook).into_iter().step_by(4));
    // The same runbooks as JSON, the loader's other syntax.
    let json: Vec<Seed> = seeds
        .iter()
        .step_by(3)
        .map(|seed| {
            let node = runbook_engine::syntax::parse_yaml(&seed.text).unwrap();
            Seed {
                path: seed.path.with_extension("json"),
                text: serde_json::to_string_pretty(&node.to_json()).unwrap(),
            }
        })
        .collect();
    seeds.extend(json);
    seeds
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("RUNBOOK_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x5EED_2026);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Whether `span` starts within `text` (lines and columns from 1) and ends at most just past it
/// (a block scalar's end follows the line break the text may lack).
fn within(span: Span, text: &str) -> bool {
    // YAML breaks lines at CR, LF and CR LF (and YAML 1.1 at NEL, LS and PS too).
    let breaks = text.replace("\r\n", "\n").chars().filter(|c| LINE_BREAKS.contains(c)).count();
    let lines = u32::try_from(breaks + 1).unwrap_or(u32::MAX);
    let (start, end) = (span.start, span.end);
    start.line >= 1
        && start.line <= lines
        && start.column >= 1
        && end >= start
        && end.line <= lines + 1
}

const LINE_BREAKS: &[char] = &['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'];

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if ok { Ok(()) } else { Err(TestCaseError::fail(message())) }
}

/// Tried, loaded and refused inputs of one kind, for the report at the end.
#[derive(Default)]
struct Counts {
    tried: AtomicUsize,
    loaded: AtomicUsize,
}

impl Counts {
    fn report(&self, kind: &str) {
        let (tried, loaded) =
            (self.tried.load(Ordering::Relaxed), self.loaded.load(Ordering::Relaxed));
        eprintln!(
            "fuzz {kind}: {tried} inputs tried, {loaded} loaded, {} refused (every position named within the text), 0 panics",
            tried - loaded
        );
    }
}

fn run_target(
    kind: &str,
    seeds: &[Seed],
    target: &dyn Fn(&Path, &str) -> Result<bool, TestCaseError>,
) -> Counts {
    let counts = Counts::default();
    let result = runner().run(&mutated(seeds.len()), |(seed, edits)| {
        let seed = &seeds[seed];
        let text = edits.iter().fold(seed.text.clone(), |text, edit| apply(&text, edit));
        counts.tried.fetch_add(1, Ordering::Relaxed);
        let loaded = target(&seed.path, &text).map_err(|error| {
            TestCaseError::fail(format!("{}: {error}; the text was:\n{text}", seed.path.display()))
        })?;
        if loaded {
            counts.loaded.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("fuzz {kind}: {error}");
    }
    counts.report(kind);
    counts
}

#[test]
fn mutated_runbooks_load_or_fail_located_and_validate_without_panicking() {
    let seeds = runbook_seeds();
    assert!(seeds.len() > 20, "only {} runbook seeds", seeds.len());
    let counts = run_target("runbooks", &seeds, &|path, text| match Document::parse(
        path,
        text.to_string(),
        Format::from_path(path),
    ) {
        Ok(document) => {
            let report = validate(&document);
            for diagnostic in &report.diagnostics {
                if let Some(span) = diagnostic.span {
                    check(within(span, text), || {
                        format!("diagnostic outside the text: {diagnostic:?}")
                    })?;
                }
            }
            Ok(true)
        }
        Err(error) => {
            let syntax = matches!(error.kind(), LoadErrorKind::Syntax(_));
            check(!syntax || error.span.is_some(), || format!("unlocated: {error}"))?;
            if let Some(span) = error.span {
                check(within(span, text), || format!("located outside the text: {error}"))?;
            }
            Ok(false)
        }
    });
    let (tried, loaded) = (counts.tried.into_inner(), counts.loaded.into_inner());
    // Many mutations still load, so the validator is exercised too, not only the parser.
    assert!(loaded * 6 > tried, "only {loaded} of {tried} mutated runbooks loaded");
}

#[test]
fn mutated_mock_files_load_or_fail_located() {
    let seeds = files(".", &|name| name.ends_with(".mocks.yaml"));
    assert!(seeds.len() >= 4, "only {} mock file seeds", seeds.len());
    run_target("mock files", &seeds, &|path, text| match MockFile::parse(path, text) {
        Ok(_) => Ok(true),
        Err(error) => {
            for problem in &error.problems {
                let syntax = matches!(problem.kind, MockProblemKind::Syntax(_));
                check(!syntax || problem.span.is_some(), || format!("unlocated: {error}"))?;
                if let Some(span) = problem.span {
                    check(within(span, text), || format!("located outside the text: {error}"))?;
                }
            }
            Ok(false)
        }
    });
}

#[test]
fn mutated_test_files_load_or_fail_located() {
    let mut seeds = files("runbooks", &|name| name.ends_with(".test.yaml"));
    seeds.extend(files("tests/test-files", &|name| name.ends_with(".test.yaml")));
    seeds.extend(files("tests/cases", &|name| name.ends_with(".test.yaml")).into_iter().step_by(4));
    assert!(seeds.len() > 10, "only {} test file seeds", seeds.len());
    run_target("test files", &seeds, &|path, text| match TestFile::parse(path, text) {
        Ok(_) => Ok(true),
        Err(error) => {
            if let Some(span) = error.span {
                check(within(span, text), || format!("located outside the text: {error}"))?;
            }
            Ok(false)
        }
    });
}
