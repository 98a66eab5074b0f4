//! Test files as users write them, in `tests/test-files/`: refused starts, cancels at a step and
//! after a time, expectations on child runs, child runbooks named by name, version, ARN and
//! placeholder, optional mocks, and calls in the order they were made across parent and
//! children; expectations that do not hold, each reported with its line; and a corpus runbook
//! tested through its child runbook and its `onCancel` path.

use std::fmt::Write;
use std::path::Path;

use runbook::testing::{CaseOutcome, RunnerOptions, TestFile, find_test_files, report, run_files};

use crate::support::{TempDir, corpus, expect_file, root};

fn run(path: &Path) -> Vec<CaseOutcome> {
    let file = TestFile::load(path).unwrap_or_else(|error| panic!("{error}"));
    run_files(&[file], &RunnerOptions::default())
}

/// Every case passes, with no warning (the mock the cancel cases alone use is optional).
fn assert_all_pass(outcomes: &[CaseOutcome], cases: usize) {
    assert_eq!(outcomes.len(), cases);
    let failed: Vec<_> =
        outcomes.iter().filter(|o| !o.passed() || !o.warnings.is_empty()).collect();
    assert!(failed.is_empty(), "{}", report::human(outcomes, std::time::Duration::ZERO));
}

#[test]
fn refusals_cancels_and_children_pass_as_written() {
    let outcomes = run(&root().join("tests/test-files/parent.test.yaml"));
    assert_all_pass(&outcomes, 6);
    let cancelled = outcomes.iter().find(|o| o.case.starts_with("a cancel while")).unwrap();
    let execution = cancelled.execution.as_ref().unwrap();
    assert_eq!(execution.path().last(), Some(&"cleanup"), "the onCancel chain ran");
}

#[test]
fn a_runbook_with_errors_is_refused() {
    assert_all_pass(&run(&root().join("tests/test-files/invalid.test.yaml")), 1);
}

#[test]
fn expectations_that_do_not_hold_are_reported_each() {
    let folder = root().join("tests/test-files/failing");
    let files: Vec<TestFile> = find_test_files(&folder)
        .unwrap()
        .iter()
        .map(|path| TestFile::load(path).unwrap_or_else(|error| panic!("{error}")))
        .collect();
    let outcomes = run_files(&files, &RunnerOptions::default());
    assert_eq!(outcomes.len(), 11);
    assert!(outcomes.iter().all(|o| !o.passed()), "every case fails");
    let mut text = String::new();
    for outcome in &outcomes {
        let file = outcome.file.strip_prefix(&folder).unwrap_or(&outcome.file);
        let _ = writeln!(text, "{}:{}: {}", file.display(), outcome.line, outcome.case);
        for failure in &outcome.failures {
            let _ = writeln!(text, "  {}: {}", failure.line, failure.message);
        }
        for warning in &outcome.warnings {
            let _ = writeln!(text, "  warning: {warning}");
        }
    }
    // Messages name the runbook by its full path, which depends on the checkout.
    let text = text.replace(&format!("{}/", root().display()), "");
    expect_file("tests/test-files/failing/expected.txt", &text);
}

#[test]
fn a_corpus_runbook_is_tested_through_its_child_and_its_cancel_path() {
    let source = corpus().join("ceshihao__ssm-public-documents");
    let dir = TempDir::new("test-files-corpus");
    for name in [
        "AWSResilienceHub-InjectCpuLoadInAsgTest_2021-09-22.json",
        "AWSResilienceHub-KillStressOnHealthyInstances_2020-07-28.json",
    ] {
        let text = std::fs::read_to_string(source.join(format!("documents__{name}"))).unwrap();
        dir.write(name, &text);
    }
    let here = root().join("tests/test-files/corpus");
    for name in ["inject-cpu-load-in-asg.test.yaml", "inject-cpu-load-in-asg.mocks.yaml"] {
        dir.write(name, &std::fs::read_to_string(here.join(name)).unwrap());
    }
    let outcomes = run(&dir.path().join("inject-cpu-load-in-asg.test.yaml"));
    assert_all_pass(&outcomes, 4);
    let rollback = outcomes[1].execution.as_ref().unwrap();
    let child = rollback.step("KillStressCommandOnRollback").unwrap().child.as_deref().unwrap();
    let tagged: Vec<(&str, bool)> = rollback
        .calls
        .iter()
        .map(|c| (c.api.as_str(), c.automation_execution_id == child.automation_execution_id))
        .collect();
    assert_eq!(
        tagged,
        [("SendCommand", true), ("ListCommands", true), ("ListCommandInvocations", true)],
        "the child's calls are in the parent's record, tagged with the child's run"
    );
}
