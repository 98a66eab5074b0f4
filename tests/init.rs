//! `runbook init`: the test file it writes beside a runbook, which `runbook test` runs at once,
//! and its error paths.

use crate::support::{Cli, TempDir};

const RUNBOOK: &str = "\
schemaVersion: '0.3'
parameters:
  InstanceId: {type: String, allowedPattern: '^i-[a-f0-9]{8,17}$'}
mainSteps:
  - name: stop
    action: aws:executeAwsApi
    onFailure: step:report
    inputs: {Service: ec2, Api: StopInstances, InstanceIds: ['{{ InstanceId }}']}
  - name: finish
    action: aws:sleep
    isEnd: true
    inputs: {Duration: PT1S}
  - name: report
    action: aws:sleep
    inputs: {Duration: PT1S}
";

#[test]
fn init_writes_a_test_file_beside_the_runbook_that_runbook_test_passes() {
    let dir = TempDir::new("init-writes");
    dir.write("stop.yaml", RUNBOOK);
    let output = Cli::new().current_dir(dir.path()).args(["init", "stop.yaml"]).run().code(0);
    assert!(output.stderr.contains("2 cases, 2 of them made to pass"), "{}", output.stderr);
    let text = std::fs::read_to_string(dir.path().join("stop.test.yaml")).unwrap();
    assert!(text.contains("runbook: stop.yaml"), "{text}");
    assert!(text.contains("InstanceId: i-aaaaaaaa"), "{text}");
    assert!(text.contains("path:\n        - stop\n        - finish"), "{text}");
    assert!(text.contains("code: InternalFailure"), "{text}");
    assert!(text.contains("# `stop` fails through an error answer to ec2.StopInstances"), "{text}");
    let tested = Cli::new().current_dir(dir.path()).args(["test", "stop.test.yaml"]).run().code(0);
    assert!(tested.stdout.contains("2 passed"), "{}", tested.stdout);
}

#[test]
fn init_never_overwrites_a_test_file_unless_forced() {
    let dir = TempDir::new("init-exists");
    dir.write("stop.yaml", RUNBOOK);
    dir.write("stop.test.yaml", "# mine\n");
    let output = Cli::new().current_dir(dir.path()).args(["init", "stop.yaml"]).run().code(2);
    assert!(output.stderr.contains("stop.test.yaml exists"), "{}", output.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("stop.test.yaml")).unwrap(), "# mine\n");
    Cli::new().current_dir(dir.path()).args(["init", "--force", "stop.yaml"]).run().code(0);
    let text = std::fs::read_to_string(dir.path().join("stop.test.yaml")).unwrap();
    assert!(text.contains("cases:"), "{text}");
}

#[test]
fn init_prints_with_output_dash_and_writes_nothing() {
    let dir = TempDir::new("init-print");
    dir.write("stop.yaml", RUNBOOK);
    let output =
        Cli::new().current_dir(dir.path()).args(["init", "stop.yaml", "-o", "-"]).run().code(0);
    assert!(output.stdout.starts_with("# Unit tests of stop.yaml"), "{}", output.stdout);
    assert!(!dir.path().join("stop.test.yaml").exists());
}

#[test]
fn init_refuses_a_runbook_that_does_not_load_or_has_errors() {
    let dir = TempDir::new("init-broken");
    dir.write("broken.yaml", "schemaVersion: '0.3'\nmainSteps: [\n");
    dir.write(
        "wrong.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - {name: a, action: aws:sleep, nextStep: nowhere, inputs: {Duration: PT1S}}\n",
    );
    Cli::new().current_dir(dir.path()).args(["init", "broken.yaml"]).run().code(2);
    let output = Cli::new().current_dir(dir.path()).args(["init", "wrong.yaml"]).run().code(2);
    assert!(output.stderr.contains("has errors"), "{}", output.stderr);
    Cli::new().current_dir(dir.path()).args(["init", "missing.yaml"]).run().code(2);
    assert!(!dir.path().join("wrong.test.yaml").exists());
}

#[test]
fn init_writes_elsewhere_with_output_naming_the_runbook_so_that_it_loads() {
    let dir = TempDir::new("init-elsewhere");
    dir.write("stop.yaml", RUNBOOK);
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    Cli::new()
        .current_dir(dir.path())
        .args(["init", "stop.yaml", "--output", "tests/stop.test.yaml"])
        .run()
        .code(0);
    let tested = Cli::new().current_dir(dir.path()).args(["test", "tests"]).run().code(0);
    assert!(tested.stdout.contains("2 passed"), "{}", tested.stdout);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["init", "stop.yaml", "--output", "no/such/folder/stop.test.yaml"])
        .run()
        .code(2);
    assert!(
        output.stderr.contains("cannot write no/such/folder/stop.test.yaml"),
        "{}",
        output.stderr
    );
}
