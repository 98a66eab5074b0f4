//! `runbook run --record`: a run's AWS calls and approvals written as a mock file, and that
//! file replaying the run on the same path, with the same statuses and outputs; and the values
//! `--auto-mock` gives Parameter Store defaults, which a recording starts from.

use serde_json::{Value, json};

use crate::support::{Cli, TempDir, root};

/// What a replay must give again: the run's status and failure, each step's status and
/// outputs in the order they ran, and the run's outputs. Decision times are left out: the
/// run's clock starts at the time it is started.
pub(crate) fn outcome(stdout: &str) -> Value {
    let stdout = without_decision_times(stdout);
    let record: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let steps: Vec<Value> = record["StepExecutions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| json!([step["StepName"], step["StepStatus"], step["Outputs"]]))
        .collect();
    json!({
        "status": record["AutomationExecutionStatus"],
        "failure": record["FailureMessage"],
        "steps": steps,
        "outputs": record["Outputs"],
    })
}

fn without_decision_times(text: &str) -> String {
    const KEY: &str = r#"\"DecisionTime\":\""#;
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(KEY) {
        out.push_str(&rest[..start]);
        rest = &rest[start + KEY.len()..];
        rest = rest.find('\\').map_or("", |end| &rest[end..]);
    }
    out.push_str(rest);
    out
}

/// Runs `runbook run` in `dir` with `args`, `--output json` and `--record FILE`: the outcome
/// and the recording.
fn recorded(dir: &TempDir, args: &[&str], file: &str, code: i32) -> (Value, String) {
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "--output", "json", "--record", file])
        .args(args)
        .run()
        .code(code);
    assert!(output.stderr.contains("note: recorded "), "{}", output.stderr);
    assert!(output.stderr.contains(&format!(" to {file}\n")), "{}", output.stderr);
    let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
    (outcome(&output.stdout), text)
}

/// Records a run of `runbook` with `args`, replays it on the recording (recording again), and
/// checks the replay has the same outcome and records the same file.
fn round_trip(dir: &TempDir, runbook: &str, args: &[&str], code: i32) -> (Value, String) {
    let first_args: Vec<&str> = [runbook].into_iter().chain(args.iter().copied()).collect();
    let (first, recording) = recorded(dir, &first_args, "recorded.yaml", code);
    // The replay keeps the parameters and drops the answering options.
    let mut replay_args = vec![runbook, "--mocks", "recorded.yaml"];
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--mocks" => {
                rest.next();
            }
            "--auto-mock" => {}
            other => replay_args.push(other),
        }
    }
    let (second, again) = recorded(dir, &replay_args, "replayed.yaml", code);
    assert_eq!(second, first, "{recording}");
    assert_eq!(again, recording);
    (first, recording)
}

fn copy_example(dir: &TempDir, name: &str) {
    std::fs::copy(root().join("runbooks").join(name), dir.path().join(name)).unwrap();
}

#[test]
fn a_run_on_mocks_replays_from_its_recording() {
    let dir = TempDir::new("record-mocks");
    for name in ["image-instance.yaml", "image-instance.mocks.yaml"] {
        copy_example(&dir, name);
    }
    let (outcome, recording) = round_trip(
        &dir,
        "image-instance.yaml",
        &["--mocks", "image-instance.mocks.yaml", "-p", "InstanceId=i-0123456789abcdef0"],
        0,
    );
    assert_eq!(outcome["status"], "Success");
    assert_eq!(outcome["steps"].as_array().map(Vec::len), Some(6));
    // The instance polled through its states is one rule whose answers are a sequence.
    // The recording is a test case's mocks as it is: every rule answers a call.
    dir.write(
        "image.test.yaml",
        "runbook: image-instance.yaml\ncases:\n  - name: recorded\n    parameters: {InstanceId: i-0123456789abcdef0}\n    mocksFile: recorded.yaml\n    expect:\n      path: [describeInstance, chooseStop, stopInstance, createImage, chooseRestart, restartInstance]\n",
    );
    let tested = Cli::new().current_dir(dir.path()).args(["test", "image.test.yaml"]).run().code(0);
    assert!(!tested.stdout.contains("unused mock"), "{}", tested.stdout);
    assert!(!tested.stderr.contains("warning"), "{}", tested.stderr);
    let describe = recording.find("api: DescribeInstances\n").unwrap();
    assert!(recording[describe..].starts_with("api: DescribeInstances\n    params:\n      InstanceIds:\n        - i-0123456789abcdef0\n    sequence:\n"), "{recording}");
}

#[test]
fn approvals_scripts_and_failures_replay_from_the_recording() {
    let dir = TempDir::new("record-approvals");
    for name in ["patch-instances.yaml", "patch-instances.mocks.yaml"] {
        copy_example(&dir, name);
    }
    let parameters = ["-p", r#"InstanceIds=["i-0aaaaaaaaaaaaaaaa","i-0bbbbbbbbbbbbbbbb"]"#];
    let mocks = ["--mocks", "patch-instances.mocks.yaml"];
    let args: Vec<&str> = mocks.iter().chain(&parameters).copied().collect();
    let (outcome, recording) = round_trip(&dir, "patch-instances.yaml", &args, 0);
    assert_eq!(outcome["status"], "Success");
    assert!(
        recording.contains("approvals:\n  approvePatching:\n    decision: Approve\n    approver: ops-lead\n    comment: go ahead\n"),
        "{recording}"
    );

    // A rejection, and an API error that fails the run.
    dir.write(
        "failing.yaml",
        "approvals: {approvePatching: Reject}\naws:\n  - {service: ssm, api: SendCommand, error: {code: InvalidInstanceId, message: gone, status: 400}}\n",
    );
    let args: Vec<&str> = ["--mocks", "failing.yaml"].iter().chain(&parameters).copied().collect();
    let (outcome, recording) = round_trip(&dir, "patch-instances.yaml", &args, 1);
    let step = &outcome["steps"][1];
    assert_eq!(json!([step[0], step[1]]), json!(["approvePatching", "Failed"]), "{outcome}");
    assert!(recording.contains("    decision: Reject\n"), "{recording}");
    dir.write(
        "failing.yaml",
        "approvals: {approvePatching: Approve}\naws:\n  - {service: ssm, api: SendCommand, error: {code: InvalidInstanceId, message: gone, status: 400}}\n",
    );
    let (outcome, recording) = round_trip(&dir, "patch-instances.yaml", &args, 1);
    assert_eq!(outcome["status"], "Failed", "{outcome}");
    assert!(
        recording.contains(
            "    error:\n      code: InvalidInstanceId\n      message: gone\n      status: 400\n"
        ),
        "{recording}"
    );
}

const WAIT: &str = "schemaVersion: '0.3'
mainSteps:
  - name: launch
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: RunInstances, ImageId: ami-1, MinCount: 1, MaxCount: 1}
    outputs:
      - {Name: Id, Selector: '$.Instances[0].InstanceId'}
  - name: wait
    action: aws:waitForAwsResourceProperty
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: ['{{ launch.Id }}']
      PropertySelector: '$.Reservations[0].Instances[0].State.Name'
      DesiredValues: [running]
  - name: read
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ launch.Id }}']}
    outputs:
      - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name'}
outputs: [launch.Id, read.State]
";

#[test]
fn an_auto_mock_run_replays_from_its_recording() {
    let dir = TempDir::new("record-auto");
    dir.write("wait.yaml", WAIT);
    let (outcome, recording) = round_trip(&dir, "wait.yaml", &["--auto-mock"], 0);
    assert_eq!(outcome["outputs"]["launch.Id"], json!(["<InstanceId>"]));
    // Placeholder states advance per step: the wait saw `pending` then `running`, and the
    // step after it starts from the first state again.
    assert_eq!(outcome["outputs"]["read.State"], json!(["pending"]));
    // The wait polled through the placeholder states: a sequence.
    assert!(recording.contains("    sequence:\n"), "{recording}");
}

#[test]
fn a_json_recording_replays_too() {
    let dir = TempDir::new("record-json");
    dir.write("wait.yaml", WAIT);
    let (first, text) = recorded(&dir, &["wait.yaml", "--auto-mock"], "recorded.json", 0);
    assert!(text.starts_with("{\n  \"aws\": ["), "{text}");
    let (second, _) = recorded(&dir, &["wait.yaml", "--mocks", "recorded.json"], "again.json", 0);
    assert_eq!(second, first);
}

#[test]
fn a_recording_that_cannot_be_written_stops_the_run_first() {
    let dir = TempDir::new("record-unwritable");
    dir.write("wait.yaml", WAIT);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "wait.yaml", "--auto-mock", "--record", "missing/folder/recorded.yaml"])
        .run()
        .code(2);
    assert!(
        output.stderr.starts_with("error: cannot write missing/folder/recorded.yaml: "),
        "{}",
        output.stderr
    );
    assert!(output.stdout.is_empty(), "{}", output.stdout);
}

const STORE_DEFAULTS: &str = r"schemaVersion: '0.3'
parameters:
  KeyArn:
    type: String
    default: '{{ssm:/Solutions/SO0111/CMK_REMEDIATION_ARN}}'
    allowedPattern: '^arn:(?:aws|aws-us-gov|aws-cn):kms:(?:[a-z]{2}(?:-gov)?-[a-z]+-\d):\d{12}:(?:(?:^(alias/)[a-zA-Z0-9:/_-]+$)|(?:key/(?i:[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})))$'
  Mode:
    type: String
    default: '{{ ssm:/app/mode }}'
    allowedValues: [fast, safe]
  Plain:
    type: String
    default: '{{ ssm:/app/plain }}'
  Count:
    type: Integer
    default: '{{ ssm:/app/count }}'
  Enabled:
    type: Boolean
    default: '{{ ssm:/app/enabled }}'
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    inputs: {Service: kms, Api: DescribeKey, KeyId: '{{ KeyArn }}'}
";

#[test]
fn auto_mock_store_defaults_fit_their_parameter() {
    let dir = TempDir::new("auto-store-defaults");
    dir.write("store.yaml", STORE_DEFAULTS);
    let (outcome, recording) = round_trip(&dir, "store.yaml", &["--auto-mock"], 0);
    assert_eq!(outcome["status"], "Success", "{outcome}");
    let arn = "arn:aws:kms:aa-a-0:000000000000:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
    assert!(recording.contains(&format!("    params:\n      KeyId: {arn}\n")), "{recording}");
    assert!(recording.contains("Value: fast\n"), "{recording}");
    assert!(recording.contains("Value: \"<Value>\"\n"), "{recording}");
    assert!(recording.contains("Value: \"0\"\n"), "{recording}");
    assert!(recording.contains("Value: \"false\"\n"), "{recording}");
}

#[test]
fn a_refusal_over_a_placeholder_says_so() {
    let dir = TempDir::new("auto-store-refused");
    // A look-ahead no value can be made for.
    dir.write(
        "lookahead.yaml",
        &STORE_DEFAULTS.replace("allowedPattern: '^arn:", "allowedPattern: '^(?=arn:aws:)arn:"),
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "lookahead.yaml", "--auto-mock"])
        .run()
        .code(2);
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert!(
        lines[0]
            .starts_with(r#"error: Parameter "KeyArn" has value "<Value>" that does not match"#),
        "{}",
        output.stderr
    );
    assert!(
        lines[1].starts_with("note: the value of `KeyArn` is a placeholder answer to ssm.GetParameter for `/Solutions/SO0111/CMK_REMEDIATION_ARN`, its default; no value matching its allowedPattern ^(?=arn:aws:)arn:"),
        "{}",
        output.stderr
    );
    assert!(
        lines[1].ends_with("could be made; give it with -p KeyArn=VALUE, or mock ssm.GetParameter"),
        "{}",
        output.stderr
    );

    // A value that fits the pattern but not another constraint.
    dir.write(
        "short.yaml",
        &STORE_DEFAULTS.replace(
            "    allowedValues: [fast, safe]\n",
            "    allowedValues: [fast, safe]\n    minChars: 10\n",
        ),
    );
    let output =
        Cli::new().current_dir(dir.path()).args(["run", "short.yaml", "--auto-mock"]).run().code(2);
    assert!(
        output.stderr.contains("\nnote: the value of `Mode` is a placeholder answer to ssm.GetParameter for `/app/mode`, its default; give it with -p Mode=VALUE, or mock ssm.GetParameter\n"),
        "{}",
        output.stderr
    );

    // A refusal that no placeholder caused gets no note.
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "short.yaml", "--auto-mock", "-p", "Mode=slow"])
        .run()
        .code(2);
    assert!(
        output.stderr.starts_with(r#"error: Parameter "Mode" has value "slow" not found"#),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("note: the value"), "{}", output.stderr);
}

#[test]
fn a_child_runbook_s_calls_are_recorded_and_replayed() {
    let dir = TempDir::new("record-children");
    dir.write(
        "parent.yaml",
        "schemaVersion: '0.3'
mainSteps:
  - name: before
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeImages, Owners: [self]}
    outputs:
      - {Name: ImageId, Selector: '$.Images[0].ImageId'}
  - name: child
    action: aws:executeAutomation
    inputs: {DocumentName: Child, RuntimeParameters: {ImageId: ['{{ before.ImageId }}']}}
  - name: after
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeImages, Owners: [self]}
    outputs:
      - {Name: State, Selector: '$.Images[0].State'}
outputs: [after.State]
",
    );
    dir.write(
        "docs/Child.yaml",
        "schemaVersion: '0.3'
parameters:
  ImageId: {type: String}
mainSteps:
  - name: deregister
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DeregisterImage, ImageId: '{{ ImageId }}'}
",
    );
    dir.write(
        "mocks.yaml",
        "aws:
  - service: ec2
    api: DescribeImages
    sequence:
      - returns: {Images: [{ImageId: ami-1, State: available}]}
      - returns: {Images: [{ImageId: ami-1, State: deregistered}]}
  - {service: ec2, api: DeregisterImage, params: {ImageId: ami-1}, returns: {}}
",
    );
    let (outcome, recording) =
        round_trip(&dir, "parent.yaml", &["--mocks", "mocks.yaml", "--documents", "docs"], 0);
    assert_eq!(outcome["outputs"]["after.State"], json!(["deregistered"]));
    let apis: Vec<&str> = recording.lines().filter(|line| line.starts_with("    api: ")).collect();
    assert_eq!(apis, ["    api: DescribeImages", "    api: DeregisterImage"], "{recording}");
}

#[test]
fn a_fleet_run_replays_from_its_recording() {
    let dir = TempDir::new("record-fleet");
    dir.write(
        "fleet.yaml",
        "schemaVersion: '0.3'
parameters:
  InstanceId: {type: String}
mainSteps:
  - name: stop
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: StopInstances, InstanceIds: ['{{ InstanceId }}']}
  - name: wait
    action: aws:waitForAwsResourceProperty
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: ['{{ InstanceId }}']
      PropertySelector: '$.Reservations[0].Instances[0].State.Name'
      DesiredValues: [running]
",
    );
    let fleet = [
        "--target-parameter",
        "InstanceId",
        "--targets",
        "Key=ParameterValues,Values=i-1,i-2,i-3",
        "--max-concurrency",
        "2",
    ];
    let args: Vec<&str> = ["--auto-mock"].iter().chain(&fleet).copied().collect();
    let (outcome, recording) = round_trip(&dir, "fleet.yaml", &args, 0);
    assert_eq!(outcome["status"], "Success", "{outcome}");
    for id in ["i-1", "i-2", "i-3"] {
        assert!(recording.contains(&format!("        - {id}\n")), "{recording}");
    }
}
