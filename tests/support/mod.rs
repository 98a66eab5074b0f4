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
/// without having looked at the corpus.
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
/// `UPDATE_EXPECT=1` the file is written instead.
pub(crate) fn expect_file(path: &str, actual: &str) {
    let full = root().join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&full).unwrap_or_default();
    if expected != actual {
        let diff = first_difference(&expected, actual);
        panic!("{path} does not match (re-bless with UPDATE_EXPECT=1 after checking):\n{diff}");
    }
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
