//! References that have no value at run time (RULINGS 12, 13), driven as a user drives them:
//! `tests/references/management-instance.yaml` uses the idioms of AWS's own
//! AWS-CreateDSManagementInstance (a branch on a describe that may match nothing, one call
//! listing the instance of whichever launch step ran) and reaches Success on its mocks.

use crate::support::{Cli, root};

const RUNBOOK: &str = "tests/references/management-instance.yaml";
const MOCKS: &str = "tests/references/management-instance.mocks.yaml";

#[test]
fn the_test_file_reaches_success_on_both_paths() {
    let output = Cli::new().current_dir(&root()).args(["test", "tests/references"]).run().code(0);
    assert!(output.stdout.contains("2 passed, 0 failed"), "{}", output.stdout);
}

#[test]
fn the_run_summary_lists_the_references_left_as_written() {
    let output = Cli::new()
        .current_dir(&root())
        .args(["run", RUNBOOK, "--mocks", MOCKS, "-p", "DirectoryId=d-0123456789"])
        .run()
        .code(0);
    assert!(
        output.stdout.contains(
            "\nwarnings:\n  step `BranchOnSecurityGroup`: {{ DescribeSecurityGroup.SecurityGroup }} was left as written: step `DescribeSecurityGroup` has no output `SecurityGroup` (its selector matched nothing)\n  step `WaitForInstance`: {{ LaunchInstance.InstanceId }} was left as written: step `LaunchInstance` has not run\n"
        ),
        "{}",
        output.stdout
    );
}

#[test]
fn the_json_record_carries_the_warnings() {
    let output = Cli::new()
        .current_dir(&root())
        .args(["run", RUNBOOK, "--mocks", MOCKS, "-p", "DirectoryId=d-0123456789"])
        .args(["--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Success");
    assert_eq!(
        record["Warnings"],
        serde_json::json!([
            {
                "StepName": "BranchOnSecurityGroup",
                "Reference": "{{ DescribeSecurityGroup.SecurityGroup }}",
                "Message": "{{ DescribeSecurityGroup.SecurityGroup }} was left as written: step `DescribeSecurityGroup` has no output `SecurityGroup` (its selector matched nothing)"
            },
            {
                "StepName": "WaitForInstance",
                "Reference": "{{ LaunchInstance.InstanceId }}",
                "Message": "{{ LaunchInstance.InstanceId }} was left as written: step `LaunchInstance` has not run"
            }
        ])
    );
}

#[test]
fn validate_warns_about_the_references_some_path_leaves_without_a_value() {
    let output = Cli::new().current_dir(&root()).args(["validate", RUNBOOK]).run().code(0);
    let found: Vec<&str> =
        output.stdout.lines().filter(|line| line.starts_with("warning[RB032]")).collect();
    assert_eq!(
        found,
        [
            "warning[RB032]: `LaunchInstanceNoKey.InstanceId` may have no value: a path reaches step `WaitForInstance` without running `LaunchInstanceNoKey`",
            "warning[RB032]: `LaunchInstance.InstanceId` may have no value: a path reaches step `WaitForInstance` without running `LaunchInstance`",
        ]
    );
    assert!(output.stdout.ends_with("0 errors, 2 warnings\n"), "{}", output.stdout);
}

/// The corpus's RB032 warnings, counted per runbook in `tests/corpus/reference-warnings.txt`:
/// most are report and cleanup steps that failure paths reach with earlier steps skipped.
#[test]
fn corpus_references_without_run_are_as_recorded() {
    use std::fmt::Write as _;

    let mut listing = String::new();
    let mut total = 0;
    for (name, path) in crate::support::corpus_files() {
        let Ok(document) = runbook_engine::Document::load(&path) else { continue };
        let report = runbook_engine::validate::validate(&document);
        let count = report.diagnostics.iter().filter(|d| d.code.id == "RB032").count();
        assert!(report.errors().all(|d| d.code.id != "RB032"), "{name}: RB032 is never an error");
        if count > 0 {
            total += count;
            let _ = writeln!(listing, "{name}\t{count}");
        }
    }
    let _ = writeln!(listing, "total\t{total}");
    crate::support::expect_file("tests/corpus/reference-warnings.txt", &listing);
}

#[test]
fn a_childs_warnings_are_in_the_parents_summary() {
    let dir = crate::support::TempDir::new("references-child");
    dir.write(
        "parent.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: callChild\n    action: aws:executeAutomation\n    inputs: {DocumentName: child}\n",
    );
    dir.write(
        "child.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: choose\n    action: aws:branch\n    inputs:\n      Choices: [{NextStep: use, Variable: a, StringEquals: a}]\n  - name: skipped\n    action: aws:branch\n    inputs:\n      Choices: [{NextStep: use, Variable: a, StringEquals: a}]\n  - name: use\n    action: aws:branch\n    inputs:\n      Choices: [{NextStep: done, Variable: '{{ skipped.NextStep }}', StringEquals: use}]\n      Default: done\n  - {name: done, action: aws:sleep, inputs: {Duration: PT1S}}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "parent.yaml", "--documents", "."])
        .run()
        .code(0);
    assert!(
        output.stdout.ends_with(
            "warnings:\n  step `callChild > use`: {{ skipped.NextStep }} was left as written: step `skipped` has not run\n"
        ),
        "{}",
        output.stdout
    );
}
