//! Helpers shared by the integration tests: where the corpus is, expectation files that can be
//! re-blessed with `UPDATE_EXPECT=1`, and a builder that drives the `runbook` binary.

#![allow(dead_code, reason = "each test module uses a different part")]

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus of real runbooks: `RUNBOOK_CORPUS`, or `../shared/corpus` beside the
/// workspace. Panics with a clear message when it is missing, so that no corpus test passes
/// without having looked at the corpus. Every test that reads it has `corpus` in its name:
/// `scripts/test` leaves those out when there is no corpus, and lists them.
pub(crate) fn corpus() -> PathBuf {
    let path = std::env::var_os("RUNBOOK_CORPUS")
        .map_or_else(|| root().join("../shared/corpus"), PathBuf::from);
    assert!(
        path.join("MANIFEST.tsv").is_file(),
        "the corpus is not at {} (set RUNBOOK_CORPUS to its folder)",
        path.display()
    );
    path
}

/// Every runbook file of the corpus, sorted, as (path relative to the corpus, full path).
pub(crate) fn corpus_files() -> Vec<(String, PathBuf)> {
    let corpus = corpus();
    let mut files = Vec::new();
    for repository in std::fs::read_dir(&corpus).expect("corpus folder is readable") {
        let repository = repository.expect("corpus entry").path();
        if !repository.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&repository).expect("repository folder is readable") {
            let path = file.expect("corpus file").path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if ["yaml", "yml", "json"].contains(&ext) {
                let relative = path.strip_prefix(&corpus).unwrap().to_string_lossy().into_owned();
                files.push((relative, path));
            }
        }
    }
    files.sort();
    files
}

/// Compares `actual` with the file at `path` (relative to the workspace root). With
/// `UPDATE_EXPECT=1` the file is written instead. A missing file is a failure, never read as
/// empty: a test whose expectations were deleted must not pass by blessing nothing.
pub(crate) fn expect_file(path: &str, actual: &str) {
    if let Err(message) = compare(path, actual, updating()) {
        panic!("{message}");
    }
}

fn compare(path: &str, actual: &str, update: bool) -> Result<(), String> {
    match differs(path, actual, update)? {
        None => Ok(()),
        Some((_, diff)) => Err(format!(
            "{path} does not match (re-bless with UPDATE_EXPECT=1 after checking):\n{diff}"
        )),
    }
}

/// The line of an expectation file that names the botocore whose models it was made with.
const BOTOCORE_LINE: &str = "botocore: ";

/// [`expect_file`] for a file made from botocore's models: `actual` has a line
/// `botocore: VERSION` naming the installed botocore, which the file records. Another version
/// that finds the same passes; one that finds otherwise is reported as a change of the models,
/// naming both versions, rather than as a fault of the code under test.
pub(crate) fn expect_file_from_models(path: &str, actual: &str) {
    if let Err(message) = compare_from_models(path, actual, updating()) {
        panic!("{message}");
    }
}

/// The lines of an expectation file but the one naming the botocore.
fn findings(text: &str) -> Vec<&str> {
    text.lines().filter(|line| !line.starts_with(BOTOCORE_LINE)).collect()
}

fn compare_from_models(path: &str, actual: &str, update: bool) -> Result<(), String> {
    let Some((expected, diff)) = differs(path, actual, update)? else { return Ok(()) };
    if findings(&expected) == findings(actual) {
        // Another botocore that finds the same.
        return Ok(());
    }
    let version = |text: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(BOTOCORE_LINE))
            .unwrap_or("unknown")
            .to_string()
    };
    let (made_with, installed) = (version(&expected), version(actual));
    if made_with != installed {
        return Err(format!(
            "{path} was made with botocore {made_with}, but botocore {installed} is installed, \
             and its models change what the test finds. This is a change of the models, not of \
             the code: run the tests with botocore {made_with} (scripts/test installs it), or \
             read the differences and re-bless with UPDATE_EXPECT=1:\n{diff}"
        ));
    }
    Err(format!("{path} does not match (re-bless with UPDATE_EXPECT=1 after checking):\n{diff}"))
}

/// The text of `BOTOCORE_LINE` for the botocore whose models `models` are: the version its
/// package declares next to its `data` folder, or `unknown` for a folder outside a package.
pub(crate) fn botocore_line(models: &runbook_aws::model::Models) -> String {
    let version = models
        .root()
        .parent()
        .and_then(|package| std::fs::read_to_string(package.join("__init__.py")).ok())
        .and_then(|init| {
            init.lines().find_map(|line| {
                let value = line.strip_prefix("__version__")?.trim_start().strip_prefix('=')?;
                Some(value.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
            })
        })
        .unwrap_or_else(|| "unknown".to_string());
    format!("{BOTOCORE_LINE}{version}")
}

/// Whether this run re-blesses the expectation files: only with `UPDATE_EXPECT=1` exactly, so
/// that `UPDATE_EXPECT=0` or an empty value left in a shell never rewrites them.
fn updating() -> bool {
    blesses(std::env::var_os("UPDATE_EXPECT").as_deref())
}

fn blesses(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|value| value == "1")
}

/// The expected text and the differences, when the file at `path` does not hold `actual`
/// (or `None`, having written it, when updating); an error when there is no file to compare
/// with.
fn differs(path: &str, actual: &str, update: bool) -> Result<Option<(String, String)>, String> {
    let full = root().join(path);
    if update {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, actual).unwrap();
        return Ok(None);
    }
    let expected = match std::fs::read_to_string(&full) {
        Ok(expected) => expected,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{path} is missing: create it from this run with UPDATE_EXPECT=1, then read it \
                 and commit it"
            ));
        }
        Err(error) => return Err(format!("{path} cannot be read: {error}")),
    };
    if expected == actual {
        return Ok(None);
    }
    let diff = first_difference(&expected, actual);
    Ok(Some((expected, diff)))
}

#[test]
fn only_update_expect_1_blesses() {
    use std::ffi::OsStr;
    assert!(blesses(Some(OsStr::new("1"))));
    for value in ["0", "", "true", "yes", " 1", "1 "] {
        assert!(!blesses(Some(OsStr::new(value))), "UPDATE_EXPECT={value:?} blessed");
    }
    assert!(!blesses(None));
}

#[test]
fn a_missing_expectation_file_fails_saying_how_to_create_it() {
    let dir = TempDir::new("expect-missing");
    let path = dir.path().join("absent.txt");
    let path = path.to_str().unwrap();
    let message = compare(path, "", false).unwrap_err();
    assert_eq!(
        message,
        format!(
            "{path} is missing: create it from this run with UPDATE_EXPECT=1, then read it and \
             commit it"
        )
    );
    assert_eq!(compare_from_models(path, "botocore: 1.44.18\n", false), Err(message));
    assert!(!Path::new(path).exists(), "comparing must not create the file");
}

#[test]
fn an_expectation_file_that_differs_fails_with_the_first_difference() {
    let dir = TempDir::new("expect-differs");
    let file = dir.write("lines.txt", "a\nb\n");
    let path = file.to_str().unwrap();
    assert_eq!(compare(path, "a\nb\n", false), Ok(()));
    let message = compare(path, "a\nc\n", false).unwrap_err();
    assert!(message.ends_with("line 2:\n  expected: b\n  actual:   c\n"), "{message}");
    assert_eq!(compare(path, "a\nc\n", true), Ok(()));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\nc\n");
}

#[test]
fn findings_of_another_botocore_are_reported_as_a_change_of_the_models() {
    let dir = TempDir::new("expect-models");
    let file = dir.write("findings.txt", "# calls\nbotocore: 1.40.0\ncalls: 3\n");
    let path = file.to_str().unwrap();
    assert_eq!(compare_from_models(path, "# calls\nbotocore: 1.44.18\ncalls: 3\n", false), Ok(()));
    let message =
        compare_from_models(path, "# calls\nbotocore: 1.44.18\ncalls: 4\n", false).unwrap_err();
    assert!(
        message.contains("made with botocore 1.40.0, but botocore 1.44.18 is installed"),
        "{message}"
    );
    assert!(message.contains("expected: calls: 3"), "{message}");
    let message =
        compare_from_models(path, "# calls\nbotocore: 1.40.0\ncalls: 4\n", false).unwrap_err();
    assert!(message.contains("does not match"), "{message}");
    assert!(!message.contains("botocore 1.40.0"), "{message}");
}

fn first_difference(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut line = 0;
    loop {
        line += 1;
        match (e.next(), a.next()) {
            (None, None) => break,
            (x, y) if x == y => {}
            (x, y) => {
                let _ = writeln!(
                    out,
                    "line {line}:\n  expected: {}\n  actual:   {}",
                    x.unwrap_or("<end>"),
                    y.unwrap_or("<end>")
                );
                if out.lines().count() > 30 {
                    break;
                }
            }
        }
    }
    out
}

/// Drives the `runbook` binary: `Cli::new().args(["validate", "x.yaml"]).run()`.
pub(crate) struct Cli {
    command: Command,
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Cli {
    pub(crate) fn new() -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
        command.current_dir(root()).env("NO_COLOR", "1");
        Self { command }
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub(crate) fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    pub(crate) fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    pub(crate) fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub(crate) fn run(mut self) -> Output {
        let output = self.command.output().expect("the runbook binary runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Output {
    /// Asserts the exit code, showing the output when it differs.
    pub(crate) fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A temporary folder removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("runbook-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
