//! `runbook deploy` and `runbook run --remote` against a scripted SSM endpoint served in the
//! test process (`remote/ssm.rs`): the real signed client, the real awsJson1.1 protocol, nothing
//! reaching the internet. Polls are a few milliseconds apart (`--poll-interval`), so no test
//! waits for the real pace of a run.

mod ssm;

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use ssm::{Endpoint, Script, State, state, step};

use crate::support::{Cli, Output, TempDir};

const RUNBOOK: &str = r"schemaVersion: '0.3'
parameters:
  InstanceId: {type: String}
  Names: {type: StringList, default: []}
mainSteps:
  - name: check
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ InstanceId }}']}
    outputs:
      - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
  - name: rest
    action: aws:sleep
    inputs: {Duration: PT1S}
outputs: [check.State]
";

const ID: &str = "0123abcd-0000-4000-8000-00000000beef";

fn cli(dir: &TempDir) -> Cli {
    Cli::new()
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
}

fn remote(endpoint: &Endpoint) -> [&str; 8] {
    [
        "--remote",
        "--yes",
        "--region",
        "us-east-1",
        "--endpoint-url",
        endpoint.url(),
        "--poll-interval",
        "2ms",
    ]
}

fn succeeded(steps_done: bool) -> State {
    let status = if steps_done { "Success" } else { "InProgress" };
    state(
        status,
        vec![
            step(
                "check",
                "aws:executeAwsApi",
                "Success",
                &json!({"Outputs": {"State": ["running"]}, "NextStep": "rest"}),
            ),
            step("rest", "aws:sleep", status, &json!({})),
        ],
        &json!({"Outputs": {"check.State": ["running"]}, "Parameters": {"InstanceId": ["i-1"]}}),
    )
}

fn success_script() -> Script {
    Script {
        states: vec![
            state(
                "InProgress",
                vec![
                    step("check", "aws:executeAwsApi", "InProgress", &json!({})),
                    step("rest", "aws:sleep", "Pending", &json!({})),
                ],
                &json!({}),
            ),
            succeeded(false),
            succeeded(true),
        ],
        on_stop: None,
    }
}

fn record(output: &Output) -> Value {
    serde_json::from_str(&output.stdout).unwrap_or_else(|error| {
        panic!("{error}\nstdout:\n{}\nstderr:\n{}", output.stdout, output.stderr)
    })
}

#[test]
fn a_remote_run_deploys_starts_and_follows_to_success_with_a_local_shaped_record() {
    let endpoint = Endpoint::start();
    endpoint.on_start(ID, success_script());
    let dir = TempDir::new("remote-success");
    let path = dir.write("remote.yaml", RUNBOOK);
    let output = cli(&dir)
        .args([
            "run",
            "remote.yaml",
            "-p",
            "InstanceId=i-1",
            "-p",
            "Names=a, b",
            "--output",
            "json",
        ])
        .args(remote(&endpoint))
        .run()
        .code(0);
    let record = record(&output);
    assert_eq!(record["AutomationExecutionId"], ID);
    assert_eq!(record["AutomationExecutionStatus"], "Success");
    assert_eq!(record["Outputs"], json!({"check.State": ["running"]}));
    assert_eq!(record["StepExecutions"][0]["Outputs"], json!({"State": ["running"]}));
    assert_eq!(record["ExecutionStartTime"], "2026-01-15T10:00:00.000Z");
    assert!(record.get("Calls").is_none(), "the service keeps no calls: {record}");
    let operations = endpoint.operations();
    assert_eq!(
        operations[..3],
        ["ssm.GetDocument", "ssm.CreateDocument", "ssm.StartAutomationExecution"]
    );
    assert!(operations.contains(&"ssm.DescribeAutomationStepExecutions".to_string()));
    let created = &endpoint.calls("ssm.CreateDocument")[0];
    assert_eq!(created["Name"], "remote");
    assert_eq!(created["DocumentType"], "Automation");
    assert_eq!(created["DocumentFormat"], "YAML");
    assert_eq!(created["Content"], std::fs::read_to_string(path).unwrap());
    let started = &endpoint.calls("ssm.StartAutomationExecution")[0];
    assert_eq!(started["DocumentName"], "remote");
    assert_eq!(started["DocumentVersion"], "1");
    assert_eq!(started["Parameters"], json!({"InstanceId": ["i-1"], "Names": ["a", "b"]}));
    assert!(output.stderr.contains("remote: created, version 1"), "{}", output.stderr);
    assert!(
        output.stderr.contains(&format!("started automation execution {ID}")),
        "{}",
        output.stderr
    );
    // Each step shows once as it starts and once as it ends, however many polls saw it.
    assert_eq!(
        output.stderr.matches("▶ check (aws:executeAwsApi)").count(),
        1,
        "{}",
        output.stderr
    );
    assert_eq!(output.stderr.matches("▶ rest (aws:sleep)").count(), 1, "{}", output.stderr);

    // The same keys as a local run's record, at the top and in each step.
    dir.write(
        "mocks.yaml",
        "aws:\n  - {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}}\n",
    );
    let local = cli(&dir)
        .args([
            "run",
            "remote.yaml",
            "-p",
            "InstanceId=i-1",
            "--mocks",
            "mocks.yaml",
            "--output",
            "json",
        ])
        .run()
        .code(0);
    let local = self::record(&local);
    let keys = |value: &Value| value.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let mut local_keys = keys(&local);
    local_keys.retain(|key| key != "Calls");
    assert_eq!(keys(&record), local_keys);
    let step_keys = |value: &Value| {
        let mut keys = keys(value);
        keys.retain(|key| !["Response", "Inputs"].contains(&key.as_str()));
        keys
    };
    assert_eq!(step_keys(&record["StepExecutions"][0]), step_keys(&local["StepExecutions"][0]));
}

#[test]
fn a_failed_remote_run_exits_1_with_the_local_summary() {
    let endpoint = Endpoint::start();
    endpoint.on_start(
        ID,
        Script {
            states: vec![state(
                "Failed",
                vec![
                    step(
                        "check",
                        "aws:executeAwsApi",
                        "Failed",
                        &json!({"FailureMessage": "An error occurred (UnauthorizedOperation)",
                                "FailureDetails": {"FailureStage": "Invocation", "FailureType": "Action"}}),
                    ),
                    step("rest", "aws:sleep", "Pending", &json!({})),
                ],
                &json!({"FailureMessage": "Step fails when it is Executing."}),
            )],
            on_stop: None,
        },
    );
    let dir = TempDir::new("remote-failure");
    dir.write("remote.yaml", RUNBOOK);
    let output = cli(&dir)
        .args(["run", "remote.yaml", "-p", "InstanceId=i-1"])
        .args(remote(&endpoint))
        .run()
        .code(1);
    assert!(output.stdout.contains("Failed"), "{}", output.stdout);
    assert!(output.stdout.contains("UnauthorizedOperation"), "{}", output.stdout);
}

#[test]
fn deploy_creates_leaves_unchanged_then_updates_and_makes_the_new_version_the_default() {
    let endpoint = Endpoint::start();
    let dir = TempDir::new("remote-deploy");
    dir.write("remote.yaml", RUNBOOK);
    let deploy = || {
        cli(&dir)
            .args(["deploy", "remote.yaml", "--name", "Restart", "--region", "us-east-1"])
            .args(["--endpoint-url", endpoint.url()])
            .run()
    };
    assert_eq!(deploy().code(0).stdout, "Restart: created, version 1\n");
    assert_eq!(deploy().code(0).stdout, "Restart: unchanged, version 1\n");
    assert_eq!(
        endpoint.operations(),
        ["ssm.GetDocument", "ssm.CreateDocument", "ssm.GetDocument"],
        "an unchanged runbook is not sent again"
    );
    dir.write("remote.yaml", &RUNBOOK.replace("PT1S", "PT2S"));
    assert_eq!(
        deploy().code(0).stdout,
        "Restart: updated, version 1 → 2 (+1 -1 lines), now the default\n"
    );
    assert_eq!(endpoint.calls("ssm.UpdateDocument")[0]["DocumentVersion"], "$LATEST");
    assert_eq!(
        endpoint.calls("ssm.UpdateDocumentDefaultVersion"),
        [json!({"Name": "Restart", "DocumentVersion": "2"})]
    );
    assert_eq!(deploy().code(0).stdout, "Restart: unchanged, version 2\n");
    // The default set back to 1 elsewhere: the latest version, with this content, is made the
    // default again rather than sent once more.
    endpoint.set_default("Restart", 1);
    assert_eq!(
        deploy().code(0).stdout,
        "Restart: updated, version 1 → 2 (+1 -1 lines), now the default\n"
    );
    assert_eq!(endpoint.calls("ssm.UpdateDocument").len(), 2, "one sent, one refused");
    assert_eq!(endpoint.calls("ssm.UpdateDocumentDefaultVersion").len(), 2);

    dir.write("as-json.json", r#"{"schemaVersion": "0.3", "mainSteps": [{"name": "rest", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}]}"#);
    cli(&dir)
        .args(["deploy", "as-json.json", "--region", "us-east-1", "--endpoint-url", endpoint.url()])
        .run()
        .code(0);
    let created = endpoint.calls("ssm.CreateDocument");
    assert_eq!(created[1]["Name"], "as-json");
    assert_eq!(created[1]["DocumentFormat"], "JSON");
}

const ATTACHED: &str = r"schemaVersion: '0.3'
files:
  script.py: {checksums: {sha256: SHA}}
mainSteps:
  - name: run
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: script.handler, Attachment: script.py}
";

#[test]
fn deploy_uploads_attachments_and_names_them_with_their_checksum() {
    let endpoint = Endpoint::start();
    let dir = TempDir::new("remote-attachments");
    dir.write("script.py", "def handler(events, context):\n    return {}\n");
    let deploy = |extra: &[&str]| {
        cli(&dir)
            .args([
                "deploy",
                "attached.yaml",
                "--region",
                "us-east-1",
                "--endpoint-url",
                endpoint.url(),
            ])
            .args(extra)
            .run()
    };
    dir.write("attached.yaml", &ATTACHED.replace("{checksums: {sha256: SHA}}", "{}"));
    let missing = deploy(&["--attachments-bucket", "scripts"]).code(2);
    let sha = missing
        .stderr
        .split("sha256: ")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .unwrap_or_else(|| panic!("{}", missing.stderr))
        .to_string();
    assert!(missing.stderr.contains("add `checksums: {sha256: "), "{}", missing.stderr);
    dir.write("attached.yaml", &ATTACHED.replace("SHA", &"0".repeat(64)));
    let wrong = deploy(&["--attachments-bucket", "scripts"]).code(2);
    assert!(wrong.stderr.contains(&format!("but the file's is {sha}")), "{}", wrong.stderr);
    dir.write("attached.yaml", &ATTACHED.replace("SHA", &sha));
    let no_bucket = deploy(&[]).code(2);
    assert!(no_bucket.stderr.contains("--attachments-bucket"), "{}", no_bucket.stderr);
    assert!(endpoint.operations().is_empty(), "nothing is sent before the attachments check");

    let output = deploy(&["--attachments-bucket", "scripts"]).code(0);
    let key = format!("runbook-attachments/attached/{sha}/script.py");
    assert!(
        output.stdout.contains(&format!("attachment uploaded: s3://scripts/{key}")),
        "{}",
        output.stdout
    );
    let put = &endpoint.calls("s3.PutObject")[0];
    assert_eq!(put["Path"], format!("/scripts/{key}"));
    assert_eq!(put["Body"], "def handler(events, context):\n    return {}\n");
    assert_eq!(
        endpoint.calls("ssm.CreateDocument")[0]["Attachments"],
        json!([{"Key": "S3FileUrl", "Values": [format!("https://s3.us-east-1.amazonaws.com/scripts/{key}")], "Name": "script.py"}])
    );
}

fn spawn(dir: &TempDir, endpoint: &Endpoint) -> Child {
    Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .args(["run", "remote.yaml", "-p", "InstanceId=i-1", "--output", "json"])
        .args(remote(endpoint))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the endpoint has received `operation`.
fn wait_for(endpoint: &Endpoint, operation: &str) {
    for _ in 0..3000 {
        if endpoint.operations().iter().any(|seen| seen == operation) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{operation} never came: {:?}", endpoint.operations());
}

fn interrupt(child: &Child) {
    let status =
        Command::new("kill").args(["-s", "INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

fn running() -> State {
    state(
        "InProgress",
        vec![step("check", "aws:executeAwsApi", "InProgress", &json!({}))],
        &json!({}),
    )
}

#[test]
fn ctrl_c_stops_the_execution_on_the_service_and_follows_it_to_cancelled() {
    let endpoint = Endpoint::start();
    let cancelled = state(
        "Cancelled",
        vec![step("check", "aws:executeAwsApi", "Cancelled", &json!({}))],
        &json!({}),
    );
    endpoint.on_start(
        ID,
        Script {
            states: vec![running()],
            on_stop: Some(vec![state("Cancelling", vec![], &json!({})), cancelled]),
        },
    );
    let dir = TempDir::new("remote-cancel");
    dir.write("remote.yaml", RUNBOOK);
    let child = spawn(&dir, &endpoint);
    wait_for(&endpoint, "ssm.GetAutomationExecution");
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert_eq!(
        endpoint.calls("ssm.StopAutomationExecution"),
        [json!({"AutomationExecutionId": ID, "Type": "Cancel"})]
    );
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Cancelled");
    assert!(stderr.contains("stopping the execution on the service"), "{stderr}");
}

#[test]
fn a_second_ctrl_c_leaves_the_execution_to_the_service_and_prints_its_id() {
    let endpoint = Endpoint::start();
    endpoint.on_start(ID, Script { states: vec![running()], on_stop: None });
    let dir = TempDir::new("remote-detach");
    dir.write("remote.yaml", RUNBOOK);
    let child = spawn(&dir, &endpoint);
    wait_for(&endpoint, "ssm.GetAutomationExecution");
    interrupt(&child);
    wait_for(&endpoint, "ssm.StopAutomationExecution");
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains(&format!("no longer following automation execution {ID}")), "{stderr}");
    assert!(stderr.contains(&format!("runbook run --remote --execution-id {ID}")), "{stderr}");
}

#[test]
fn a_fleet_on_the_service_shows_its_children_and_fails_with_a_failing_target() {
    let endpoint = Endpoint::start();
    let fleet = json!({
        "TargetParameterName": "InstanceId",
        "Targets": [{"Key": "ParameterValues", "Values": ["i-1", "i-2"]}],
        "ResolvedTargets": {"ParameterValues": ["i-1", "i-2"], "Truncated": false},
        "MaxConcurrency": "1", "MaxErrors": "1",
    });
    let target = |name: &str, status: &str, child: &str| {
        step(name, "aws:executeAutomation", status, &json!({"Outputs": {"ExecutionId": [child]}}))
    };
    let mut ended = fleet.clone();
    ended["ProgressCounters"] = json!({"TotalSteps": 2, "SuccessSteps": 1, "FailedSteps": 1});
    ended["FailureMessage"] = json!("1 of 2 child automations did not succeed");
    endpoint.on_start(
        ID,
        Script {
            states: vec![
                state("InProgress", vec![target("i-1", "InProgress", "child-1")], &fleet),
                state(
                    "Failed",
                    vec![target("i-1", "Success", "child-1"), target("i-2", "Failed", "child-2")],
                    &ended,
                ),
            ],
            on_stop: None,
        },
    );
    let child = |status: &str, message: Option<&str>| Script {
        states: vec![state(
            status,
            vec![step("check", "aws:executeAwsApi", status, &json!({}))],
            &message.map_or_else(|| json!({}), |m| json!({"FailureMessage": m})),
        )],
        on_stop: None,
    };
    endpoint.execution("child-1", child("Success", None));
    endpoint.execution("child-2", child("Failed", Some("no such instance")));
    let dir = TempDir::new("remote-fleet");
    dir.write("remote.yaml", RUNBOOK);
    let output = cli(&dir)
        .args(["run", "remote.yaml", "--target-parameter", "InstanceId"])
        .args(["--targets", "Key=ParameterValues,Values=i-1,i-2"])
        .args(["--max-concurrency", "1", "--max-errors", "1", "--output", "json"])
        .args(remote(&endpoint))
        .run()
        .code(1);
    let record = record(&output);
    assert_eq!(record["AutomationExecutionStatus"], "Failed");
    assert_eq!(record["TargetParameterName"], "InstanceId");
    assert_eq!(record["ProgressCounters"]["FailedSteps"], 1);
    assert_eq!(record["StepExecutions"][0]["Child"]["AutomationExecutionStatus"], "Success");
    let failed = &record["StepExecutions"][1]["Child"];
    assert_eq!(failed["AutomationExecutionId"], "child-2");
    assert_eq!(failed["FailureMessage"], "no such instance");
    let started = &endpoint.calls("ssm.StartAutomationExecution")[0];
    assert_eq!(started["TargetParameterName"], "InstanceId");
    assert_eq!(started["Targets"], json!([{"Key": "ParameterValues", "Values": ["i-1", "i-2"]}]));
    assert_eq!(
        (started["MaxConcurrency"].as_str(), started["MaxErrors"].as_str()),
        (Some("1"), Some("1"))
    );
    assert!(
        output.stderr.contains("2/2 done · 0 running · 1 failed · 0 remaining"),
        "{}",
        output.stderr
    );
    // A child that ended is read once, however often its parent is polled.
    let reads = endpoint
        .calls("ssm.GetAutomationExecution")
        .iter()
        .filter(|call| call["AutomationExecutionId"] == "child-2")
        .count();
    assert_eq!(reads, 1);
}

#[test]
fn a_run_over_target_locations_sends_them_and_reads_each_location_back() {
    let endpoint = Endpoint::start();
    let locations = json!({
        "TargetLocations": [{"Accounts": ["111111111111"], "Regions": ["eu-west-1"],
                             "ExecutionRoleName": "Remediation"}],
    });
    let mut ended = locations.clone();
    ended["ProgressCounters"] = json!({"TotalSteps": 1, "SuccessSteps": 1});
    let located = step(
        "111111111111/eu-west-1",
        "aws:executeAutomation",
        "Success",
        &json!({"TargetLocation": {"Accounts": ["111111111111"], "Regions": ["eu-west-1"]}}),
    );
    endpoint.on_start(
        ID,
        Script { states: vec![state("Success", vec![located], &ended)], on_stop: None },
    );
    let dir = TempDir::new("remote-locations");
    dir.write("remote.yaml", RUNBOOK);
    dir.write(
        "locations.yaml",
        "- Accounts: ['111111111111']\n  Regions: [eu-west-1]\n  ExecutionRoleName: Remediation\n",
    );
    let output = cli(&dir)
        .args(["run", "remote.yaml", "-p", "InstanceId=i-1", "--output", "json"])
        .args(["--target-locations", "locations.yaml"])
        .args(remote(&endpoint))
        .run()
        .code(0);
    let started = &endpoint.calls("ssm.StartAutomationExecution")[0];
    assert_eq!(started["TargetLocations"], locations["TargetLocations"]);
    let record = record(&output);
    assert_eq!(record["TargetLocations"][0]["ExecutionRoleName"], "Remediation");
    assert_eq!(record["ProgressCounters"]["SuccessSteps"], 1);
    assert_eq!(record["StepExecutions"][0]["TargetLocation"]["Regions"], json!(["eu-west-1"]));
}

#[test]
fn throttling_answers_are_waited_out_and_the_run_is_followed_to_its_end() {
    let endpoint = Endpoint::start();
    let mut script = success_script();
    script.states.insert(1, State::Throttle);
    script.states.insert(1, State::Throttle);
    script.states.insert(3, State::Throttle);
    endpoint.on_start(ID, script);
    let dir = TempDir::new("remote-throttle");
    dir.write("remote.yaml", RUNBOOK);
    let output = cli(&dir)
        .args(["run", "remote.yaml", "-p", "InstanceId=i-1", "--output", "json"])
        .args(remote(&endpoint))
        .run()
        .code(0);
    assert_eq!(record(&output)["AutomationExecutionStatus"], "Success");
    assert_eq!(
        endpoint.calls("ssm.GetAutomationExecution").len(),
        6,
        "three throttled, three read"
    );
    assert!(!output.stderr.contains("ThrottlingException"), "{}", output.stderr);
}

#[test]
fn an_execution_that_outlives_the_patience_is_left_running_and_its_id_printed() {
    let endpoint = Endpoint::start();
    endpoint.on_start(ID, Script { states: vec![running()], on_stop: None });
    let dir = TempDir::new("remote-patience");
    dir.write("remote.yaml", RUNBOOK);
    let output = cli(&dir)
        .args([
            "run",
            "remote.yaml",
            "-p",
            "InstanceId=i-1",
            "--output",
            "json",
            "--patience",
            "50ms",
        ])
        .args(remote(&endpoint))
        .run()
        .code(1);
    assert_eq!(record(&output)["AutomationExecutionStatus"], "InProgress");
    assert!(
        output.stderr.contains(&format!("automation execution {ID} is still InProgress")),
        "{}",
        output.stderr
    );
    assert!(endpoint.calls("ssm.StopAutomationExecution").is_empty(), "patience stops nothing");
}

#[test]
fn execution_id_follows_or_fetches_an_execution_already_started() {
    let endpoint = Endpoint::start();
    endpoint.execution(ID, success_script());
    let dir = TempDir::new("remote-follow");
    let output = cli(&dir)
        .args(["run", "--execution-id", ID, "--output", "json"])
        .args(remote(&endpoint))
        .run()
        .code(0);
    assert_eq!(record(&output)["AutomationExecutionStatus"], "Success");
    assert!(
        !endpoint.operations().iter().any(|op| op.contains("Document") || op.contains("Start")),
        "{:?}",
        endpoint.operations()
    );

    let other = "0123abcd-0000-4000-8000-00000000cafe";
    endpoint.execution(other, Script { states: vec![running()], on_stop: None });
    let output = cli(&dir)
        .args(["run", "--execution-id", other, "--no-wait", "--output", "json"])
        .args(remote(&endpoint))
        .run()
        .code(0);
    assert_eq!(record(&output)["AutomationExecutionStatus"], "InProgress");
}

#[test]
fn no_such_execution_and_access_denied_are_reported() {
    let endpoint = Endpoint::start();
    let dir = TempDir::new("remote-errors");
    dir.write("remote.yaml", RUNBOOK);
    let missing =
        cli(&dir).args(["run", "--execution-id", ID]).args(remote(&endpoint)).run().code(2);
    assert!(
        missing
            .stderr
            .contains(&format!("error: no automation execution {ID} in this account and region")),
        "{}",
        missing.stderr
    );

    endpoint.fail_next(
        "ssm.CreateDocument",
        400,
        "AccessDeniedException",
        "User is not authorized to perform: ssm:CreateDocument",
    );
    let denied = cli(&dir)
        .args(["run", "remote.yaml", "-p", "InstanceId=i-1"])
        .args(remote(&endpoint))
        .run()
        .code(1);
    assert!(
        denied
            .stderr
            .contains("error: ssm.CreateDocument: AccessDeniedException: User is not authorized"),
        "{}",
        denied.stderr
    );
    assert!(endpoint.calls("ssm.StartAutomationExecution").is_empty());

    endpoint.fail_next(
        "ssm.StartAutomationExecution",
        400,
        "InvalidAutomationExecutionParametersException",
        "Parameter InstanceId is required",
    );
    let refused = cli(&dir)
        .args(["run", "remote.yaml", "-p", "InstanceId=i-1"])
        .args(remote(&endpoint))
        .run()
        .code(2);
    assert!(refused.stderr.contains("Parameter InstanceId is required"), "{}", refused.stderr);

    endpoint.fail_next(
        "ssm.GetDocument",
        400,
        "AccessDeniedException",
        "not allowed to read documents",
    );
    let denied = cli(&dir)
        .args(["deploy", "remote.yaml", "--region", "us-east-1", "--endpoint-url", endpoint.url()])
        .run()
        .code(1);
    assert!(denied.stderr.contains("ssm.GetDocument: AccessDeniedException"), "{}", denied.stderr);
}

#[test]
fn flags_that_do_not_go_with_remote_runs_are_refused() {
    let endpoint = Endpoint::start();
    let dir = TempDir::new("remote-flags");
    dir.write("remote.yaml", RUNBOOK);
    dir.write("mocks.yaml", "aws: []\n");
    let refused = |args: &[&str], message: &str| {
        let output = cli(&dir).args(args).run().code(2);
        assert!(output.stderr.contains(message), "{args:?}: {}", output.stderr);
    };
    let url = endpoint.url();
    let base =
        ["run", "remote.yaml", "--remote", "--yes", "--region", "us-east-1", "--endpoint-url", url];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    refused(
        &with(&["--mocks", "mocks.yaml"]),
        "--remote runs on the service: --mocks only apply to local runs",
    );
    refused(&with(&["--auto-mock", "--approve", "all"]), "--auto-mock, --approve only apply");
    refused(&with(&["--execution-id", ID]), "give --execution-id without a RUNBOOK");
    refused(&["run", "--remote", "--endpoint-url", url], "--remote needs a RUNBOOK");
    refused(
        &["run", "--remote", "--execution-id", "42", "--endpoint-url", url],
        "an execution id is a UUID",
    );
    refused(
        &["run", "--remote", "--execution-id", ID, "-p", "A=1", "--endpoint-url", url],
        "only apply when starting one",
    );
    refused(&with(&["--aws"]), "cannot be used with");
    refused(
        &with(&["--target-parameter", "InstanceId"]),
        "need --targets, --target-maps or --target-locations",
    );
    refused(&["run", "remote.yaml", "--name", "X"], "--remote");
    refused(&["run", "remote.yaml", "--no-wait"], "--remote");
    refused(&["run", "remote.yaml", "--patience", "1s"], "--remote");
    refused(&["run", "remote.yaml", "--poll-interval", "1s"], "--remote");
    refused(&["run", "remote.yaml", "--attachments-bucket", "b"], "--remote");
    refused(&with(&["--patience", "soon"]), "is not a duration");
    refused(
        &[
            "deploy",
            "remote.yaml",
            "--name",
            "AWS-Mine",
            "--region",
            "us-east-1",
            "--endpoint-url",
            url,
        ],
        "give one with --name",
    );
    let no_terminal = cli(&dir)
        .args([
            "run",
            "remote.yaml",
            "-p",
            "InstanceId=i-1",
            "--remote",
            "--region",
            "us-east-1",
            "--endpoint-url",
            url,
        ])
        .run()
        .code(2);
    assert!(no_terminal.stderr.contains("pass --yes"), "{}", no_terminal.stderr);
    assert!(endpoint.operations().is_empty(), "{:?}", endpoint.operations());
}

const MOCKS: &str = "aws:\n  - {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}}\n";

#[test]
fn compare_local_runs_both_and_prints_where_they_differ() {
    let endpoint = Endpoint::start();
    let dir = TempDir::new("remote-compare");
    dir.write("remote.yaml", RUNBOOK);
    dir.write("mocks.yaml", MOCKS);
    let compare = |extra: &[&str]| {
        cli(&dir)
            .args(["run", "remote.yaml", "-p", "InstanceId=i-1", "--compare-local"])
            .args(["--mocks", "mocks.yaml"])
            .args(remote(&endpoint))
            .args(extra)
            .run()
    };
    endpoint.on_start(ID, success_script());
    let agree = compare(&[]).code(0);
    assert!(agree.stdout.ends_with("the runs agree\n"), "{}", agree.stdout);
    assert!(agree.stdout.starts_with("A: the local run on mocks.yaml\n"), "{}", agree.stdout);

    // The service's run stopped at `check`, which the local one passed.
    endpoint.on_start(
        "0123abcd-0000-4000-8000-00000000f00d",
        Script {
            states: vec![state(
                "Failed",
                vec![
                    step(
                        "check",
                        "aws:executeAwsApi",
                        "Failed",
                        &json!({"FailureMessage": "denied"}),
                    ),
                    step("rest", "aws:sleep", "Pending", &json!({})),
                ],
                &json!({"FailureMessage": "Step fails when it is Executing."}),
            )],
            on_stop: None,
        },
    );
    let differ = compare(&["--output", "json"]).code(1);
    let report: Value = serde_json::from_str(&differ.stdout).unwrap();
    assert_eq!(report["same"], false);
    assert_eq!(report["divergences"][0]["kind"], "status");
    assert_eq!(report["divergences"][0]["a"], "Success");
    assert_eq!(report["divergences"][0]["b"], "Failed");

    let output = cli(&dir)
        .args(["run", "remote.yaml", "--compare-local"])
        .args(remote(&endpoint))
        .run()
        .code(2);
    assert!(output.stderr.contains("--mocks"), "{}", output.stderr);
    let output = cli(&dir)
        .args(["run", "remote.yaml", "--compare-local", "--mocks", "mocks.yaml", "--no-wait"])
        .args(remote(&endpoint))
        .run()
        .code(2);
    assert!(output.stderr.contains("cannot be used with"), "{}", output.stderr);
}

#[test]
fn a_remote_run_takes_the_name_and_bucket_and_no_wait_returns_once_started() {
    let endpoint = Endpoint::start();
    endpoint.on_start(ID, Script { states: vec![running()], on_stop: None });
    let dir = TempDir::new("remote-named");
    std::fs::create_dir_all(dir.path().join("scripts")).unwrap();
    dir.write("scripts/script.py", "def handler(events, context):\n    return {}\n");
    dir.write("attached.yaml", &ATTACHED.replace("{checksums: {sha256: SHA}}", "{}"));
    // The checksum to declare, from the deploy that asks for it.
    let asked = cli(&dir)
        .args(["deploy", "attached.yaml", "--attachments", "scripts", "--attachments-bucket", "b"])
        .args(["--region", "us-east-1", "--endpoint-url", endpoint.url()])
        .run()
        .code(2);
    let sha = asked.stderr.split("sha256: ").nth(1).and_then(|rest| rest.get(..64)).unwrap();
    dir.write("attached.yaml", &ATTACHED.replace("SHA", sha));
    let output = cli(&dir)
        .args(["run", "attached.yaml", "--name", "Named", "--attachments", "scripts"])
        .args(["--attachments-bucket", "b", "--no-wait", "--output", "json"])
        .args(remote(&endpoint))
        .run()
        .code(0);
    assert_eq!(record(&output)["AutomationExecutionStatus"], "InProgress");
    assert_eq!(endpoint.calls("ssm.CreateDocument")[0]["Name"], "Named");
    assert_eq!(
        endpoint.calls("s3.PutObject")[0]["Path"],
        format!("/b/runbook-attachments/Named/{sha}/script.py")
    );
    assert_eq!(endpoint.calls("ssm.StartAutomationExecution")[0]["DocumentName"], "Named");
    assert_eq!(endpoint.calls("ssm.GetAutomationExecution").len(), 1, "read once, not followed");

    let models = cli(&dir)
        .args([
            "deploy",
            "attached.yaml",
            "--aws-models",
            "no-such-folder",
            "--endpoint-url",
            endpoint.url(),
        ])
        .run()
        .code(2);
    assert!(models.stderr.starts_with("error: "), "{}", models.stderr);
}
