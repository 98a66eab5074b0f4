//! Every runbook of the shared corpus loads, and `validate` finds exactly the errors recorded
//! in `tests/corpus/expected-errors.txt` (each a real defect of its file). A new error or a
//! vanished one both fail, so regressions show in either direction.

use std::fmt::Write;

use runbook_engine::Document;
use runbook_engine::validate::validate;

use crate::support::{corpus_files, expect_file};

#[test]
fn every_corpus_runbook_loads_and_validates_as_recorded() {
    let files = corpus_files();
    assert!(files.len() >= 696, "the corpus has {} runbooks, expected 696", files.len());
    let mut listing = String::new();
    let mut load_failures = Vec::new();
    let mut with_errors = 0usize;
    for (name, path) in &files {
        let document = match Document::load(path) {
            Ok(document) => document,
            Err(error) => {
                load_failures.push(error.to_string());
                continue;
            }
        };
        let report = validate(&document);
        let mut any = false;
        for diagnostic in report.errors() {
            any = true;
            let position = diagnostic
                .span
                .map(|s| format!("{}:{}", s.start.line, s.start.column))
                .unwrap_or_default();
            let _ = writeln!(
                listing,
                "{name}:{position}\t{}\t{}",
                diagnostic.code.id, diagnostic.message
            );
        }
        with_errors += usize::from(any);
    }
    assert!(
        load_failures.is_empty(),
        "corpus runbooks that do not load:\n{}",
        load_failures.join("\n")
    );
    expect_file("tests/corpus/expected-errors.txt", &listing);
    let clean = 1.0
        - f64::from(u32::try_from(with_errors).unwrap())
            / f64::from(u32::try_from(files.len()).unwrap());
    assert!(clean >= 0.98, "only {:.1}% of the corpus validates without error", clean * 100.0);
}
