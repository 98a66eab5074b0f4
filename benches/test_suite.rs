//! A suite of 100 test cases (the bundled example's five cases, twenty times over) run through
//! the same function as `runbook test`, cases in parallel. The bar is 1 s of wall time.

use std::path::PathBuf;

use runbook::testing::{RunnerOptions, TestFile, run_files};

fn main() {
    divan::main();
}

/// The example's test file with its cases repeated to make 100.
fn suite() -> TestFile {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let path = root.join("image-instance.test.yaml");
    let mut file = TestFile::load(&path).expect("the example's test file loads");
    let cases = std::mem::take(&mut file.cases);
    let count = cases.len();
    for round in 0..(100 / count) {
        let again = TestFile::load(&path).expect("loads");
        for mut case in again.cases {
            case.name = format!("{} #{round}", case.name);
            file.cases.push(case);
        }
    }
    drop(cases);
    file
}

#[divan::bench(sample_count = 10)]
fn hundred_cases(bencher: divan::Bencher) {
    let files = vec![suite()];
    assert_eq!(files[0].cases.len(), 100);
    let options = RunnerOptions::default();
    bencher.bench(|| {
        let outcomes = run_files(&files, &options);
        assert!(outcomes.iter().all(runbook::testing::CaseOutcome::passed));
    });
}
