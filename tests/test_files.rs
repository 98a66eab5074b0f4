//! Test files as users write them, in `tests/test-files/`: refused starts, cancels at a step and
//! after a time, expectations on child runs, child runbooks named by name, version, ARN and
//! placeholder, optional mocks, and calls in the order they were made across parent and
//! children; expectations that do not hold, each reported with its line; and a corpus runbook
//! tested through its child runbook and its `onCancel` path; approval notices sent to a topic.

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
fn approvals_tell_their_topic_what_waits_and_how_to_answer() {
    let outcomes = run(&root().join("tests/test-files/approval-notice.test.yaml"));
    assert_all_pass(&outcomes, 3);
    let execution = outcomes[0].execution.as_ref().unwrap();
    let publish = execution.calls.iter().find(|c| c.api == "Publish").unwrap();
    let message = publish.params["Message"].as_str().unwrap();
    for part in [
        execution.automation_execution_id.as_str(),
        "at step askToRestart",
        "Message: Restart the web fleet?",
        "Approvers: arn:aws:iam::111122223333:role/Operator, alice",
        "Approvals required: 1",
        "send-automation-signal",
        "region=eu-west-1",
    ] {
        assert!(message.contains(part), "{part:?} is not in the notice:\n{message}");
    }
    assert_eq!(publish.params["Subject"], "Automation approval request");
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
    assert_eq!(outcomes.len(), 13);
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

/// A script that sleeps for real, for the time limit: the virtual clock does not cover it.
const NAPPING: &str = "schemaVersion: '0.3'\nparameters:\n  Seconds: {type: String}\nmainSteps:\n  - name: nap\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: handler\n      InputPayload: {Seconds: '{{ Seconds }}'}\n      Script: |\n        import time\n        def handler(events, context):\n            time.sleep(float(events['Seconds']))\n            return {}\n";

#[test]
fn a_case_over_its_time_limit_fails_saying_so() {
    let dir = TempDir::new("test-files-time-limit");
    dir.write("nap.yaml", NAPPING);
    let path = dir.write(
        "nap.test.yaml",
        "runbook: nap.yaml\ntimeLimit: PT30S\ncases:\n  - name: naps past its own limit\n    timeLimit: 1\n    parameters: {Seconds: '20'}\n  - name: naps within the file's limit\n    parameters: {Seconds: '0'}\n",
    );
    let outcomes = run(&path);
    assert_eq!(outcomes.len(), 2);
    let over = &outcomes[0];
    assert_eq!(
        over.failures.iter().map(|f| (f.line, f.message.as_str())).collect::<Vec<_>>(),
        [(
            5,
            "the case ran longer than its time limit of 1 s (real time) and was stopped; `timeLimit` in the test file or `--time-limit` changes the limit"
        )]
    );
    assert!(outcomes[1].passed(), "{}", report::human(&outcomes, std::time::Duration::ZERO));
}

#[test]
fn the_runners_time_limit_applies_to_cases_that_set_none() {
    let dir = TempDir::new("test-files-runner-limit");
    dir.write("nap.yaml", NAPPING);
    let path = dir.write(
        "nap.test.yaml",
        "runbook: nap.yaml\ncases:\n  - name: naps\n    parameters: {Seconds: '20'}\n",
    );
    let file = TestFile::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let options =
        RunnerOptions { time_limit: std::time::Duration::from_secs(1), ..RunnerOptions::default() };
    let outcomes = run_files(&[file], &options);
    assert_eq!(outcomes[0].failures.len(), 1);
    assert_eq!(outcomes[0].failures[0].line, 3, "the case's line");
    assert!(outcomes[0].failures[0].message.contains("time limit of 1 s"));
}

#[test]
fn a_case_that_loops_without_end_fails_at_the_runners_budget() {
    let dir = TempDir::new("test-files-budget");
    dir.write(
        "spin.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs: {Duration: PT1M}\n    nextStep: again\n  - name: again\n    action: aws:branch\n    inputs:\n      Choices: [{NextStep: wait, Variable: '{{ global:REGION }}', StringEquals: us-east-1}]\n      Default: wait\n",
    );
    let path = dir.write(
        "spin.test.yaml",
        "runbook: spin.yaml\ncases:\n  - name: spins\n    expect: {status: Failed, failureMessage: budget of 40 step executions}\n",
    );
    let file = TestFile::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let options = RunnerOptions { max_step_executions: 40, ..RunnerOptions::default() };
    let outcomes = run_files(&[file], &options);
    assert_all_pass(&outcomes, 1);
    assert_eq!(outcomes[0].execution.as_ref().unwrap().step_executions.len(), 40);
}
