//! `runbook diff`: two run records compared, with exit 0 when they agree, 1 when they differ
//! and 2 when a file is not a run record.

use std::path::PathBuf;

use crate::support::{Cli, TempDir, root};

const STOPPED_MOCKS: &str = "aws:
  - service: ec2
    api: DescribeInstances
    returns: {Reservations: [{Instances: [{InstanceId: i-0123456789abcdef0, State: {Name: stopped}}]}]}
  - {service: ec2, api: CreateImage, returns: {ImageId: ami-1}}
  - {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-1, State: available}]}}
";

/// Runs image-instance.yaml on `mocks` and writes its record to `name` in `dir`.
fn record(dir: &TempDir, name: &str, mocks: &str) -> PathBuf {
    let runbook = root().join("runbooks/image-instance.yaml");
    let output = Cli::new()
        .args(["run", runbook.to_str().unwrap(), "--mocks", mocks, "--output", "json"])
        .args(["-p", "InstanceId=i-0123456789abcdef0", "-p", "ImageName=nightly"])
        .run()
        .code(0);
    dir.write(name, &output.stdout)
}

fn running_mocks() -> String {
    root().join("runbooks/image-instance.mocks.yaml").display().to_string()
}

#[test]
fn two_runs_on_the_same_answers_agree() {
    let dir = TempDir::new("diff-same");
    let a = record(&dir, "a.json", &running_mocks());
    let b = record(&dir, "b.json", &running_mocks());
    let output = Cli::new().args(["diff"]).args([&a, &b]).run().code(0);
    assert!(output.stdout.ends_with("the runs agree\n"), "{}", output.stdout);
}

#[test]
fn runs_on_different_answers_differ_first_in_their_path() {
    let dir = TempDir::new("diff-path");
    let mocks = dir.write("stopped.mocks.yaml", STOPPED_MOCKS);
    let a = record(&dir, "running.json", &running_mocks());
    let b = record(&dir, "stopped.json", mocks.to_str().unwrap());
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["diff", "running.json", "stopped.json"])
        .run()
        .code(1);
    let expected_start = "A: running.json\nB: stopped.json\n\
        the path differs: step 3 is `stopInstance` in A, `createImage` in B\n  \
        A: describeInstance → chooseStop → stopInstance → createImage → chooseRestart → restartInstance\n  \
        B: describeInstance → chooseStop → createImage → chooseRestart\n";
    assert!(output.stdout.starts_with(expected_start), "{}", output.stdout);
    for line in [
        "step `describeInstance`: output `State`: A has [\"running\"], B has [\"stopped\"]\n",
        "output `createImage.ImageId`: A has [\"ami-0fedcba9876543210\"], B has [\"ami-1\"]\n",
        "call 2: A called ec2.StopInstances (step `stopInstance`), B called ec2.CreateImage (step `createImage`)\n",
    ] {
        assert!(output.stdout.contains(line), "{line}\n{}", output.stdout);
    }
    assert!(output.stdout.ends_with(" divergences\n"), "{}", output.stdout);
    // The order of the files is the order of the sides.
    let output = Cli::new().args(["diff"]).args([&b, &a]).run().code(1);
    assert!(
        output.stdout.contains("step 3 is `createImage` in A, `stopInstance` in B"),
        "{}",
        output.stdout
    );
}

#[test]
fn the_diff_prints_as_json() {
    let dir = TempDir::new("diff-json");
    let mocks = dir.write("stopped.mocks.yaml", STOPPED_MOCKS);
    let a = record(&dir, "running.json", &running_mocks());
    let b = record(&dir, "stopped.json", mocks.to_str().unwrap());
    let output = Cli::new().args(["diff"]).args([&a, &b]).args(["--output", "json"]).run().code(1);
    let document: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(document["same"], false);
    assert_eq!(document["divergences"][0]["kind"], "path");
    assert_eq!(document["divergences"][0]["at"], 3);
    assert_eq!(document["divergences"][0]["b"], "createImage");
    let output = Cli::new().args(["diff"]).args([&a, &a]).args(["--output", "json"]).run().code(0);
    let document: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(document, serde_json::json!({"same": true, "divergences": []}));
}

#[test]
fn a_file_that_is_not_a_run_record_exits_2_naming_it() {
    let dir = TempDir::new("diff-bad");
    let good = record(&dir, "good.json", &running_mocks());
    dir.write("broken.json", "{\n  \"AutomationExecutionStatus\": \"Success\",\n  oops\n}\n");
    dir.write("list.json", "[]");
    dir.write(
        "partial.json",
        "{\"AutomationExecutionStatus\": \"Success\", \"StepExecutions\": [{\"StepName\": \"a\"}]}",
    );
    let good = good.to_str().unwrap();
    let run =
        |a: &str, b: &str| Cli::new().current_dir(dir.path()).args(["diff", a, b]).run().code(2);
    let output = run(good, "missing.json");
    assert!(output.stderr.starts_with("error: cannot read missing.json: "), "{}", output.stderr);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    let output = run("broken.json", good);
    assert_eq!(output.stderr, "error: broken.json:3:3: not JSON: key must be a string\n");
    let output = run(good, "list.json");
    assert_eq!(
        output.stderr,
        "error: list.json: not a run record: a run record is a JSON object, this is a list\n"
    );
    let output = run("partial.json", "list.json");
    assert_eq!(
        output.stderr,
        "error: partial.json: not a run record: StepExecutions[0].StepStatus: expected a status text\n\
         error: list.json: not a run record: a run record is a JSON object, this is a list\n"
    );
    Cli::new().args(["diff", "only-one.json"]).run().code(2);
}
