//! Conformance cases as data: each folder `tests/cases/AREA/NAME/` holds a runbook, its test
//! file (`runbook.test.yaml`, the format `runbook test` reads, mocks inline) and any child
//! runbooks, and names the SPEC section or RULINGS entry it checks in a comment at its top. Every
//! case runs through the runner of `runbook test`; a case folder without a test file, or a count
//! of folders or cases that differs from the one written here, fails, so that no case goes
//! silently unfound.

use std::path::{Path, PathBuf};

use runbook::testing::{RunnerOptions, TestFile, find_test_files, report, run_files};

use crate::support::root;

/// The case folders under `tests/cases/`, and the cases their test files hold.
const FOLDERS: usize = 69;
const CASES: usize = 118;

/// Every `AREA/NAME` folder, sorted.
fn case_folders(cases: &Path) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    for area in sorted_dirs(cases) {
        folders.extend(sorted_dirs(&area));
    }
    folders
}

fn sorted_dirs(path: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_conformance_case_passes() {
    let cases = root().join("tests/cases");
    let folders = case_folders(&cases);
    let mut files = Vec::new();
    for folder in &folders {
        let found = find_test_files(folder).unwrap();
        let name = folder.strip_prefix(&cases).unwrap().display().to_string();
        assert_eq!(found.len(), 1, "case folder {name} holds one test file, found {found:?}");
        let file = TestFile::load(&found[0]).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(!file.cases.is_empty(), "{name}: the test file has no case");
        files.push(file);
    }
    let outcomes = run_files(&files, &RunnerOptions::default());
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|outcome| !outcome.passed() || !outcome.warnings.is_empty())
        .map(|outcome| {
            let folder = outcome.file.parent().unwrap_or(&outcome.file);
            format!("{}: {}", folder.strip_prefix(&cases).unwrap_or(folder).display(), outcome.case)
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failing cases: {}\n{}",
        failed.join(", "),
        report::human(&outcomes, std::time::Duration::ZERO)
    );
    assert_eq!(
        (folders.len(), outcomes.len()),
        (FOLDERS, CASES),
        "case folders and cases found under tests/cases"
    );
}
