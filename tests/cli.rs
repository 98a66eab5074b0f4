//! The `runbook` command, driven as users drive it: arguments, output and exit codes.

mod diff;
mod watch;

use crate::support::{Cli, TempDir};

const GOOD: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs:\n      Duration: PT1M\n";
const BAD: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs:\n      Duration: PT1M\n    nextStep: wiat\n";

#[test]
fn validate_accepts_the_bundled_examples() {
    let output = Cli::new().args(["validate", "runbooks"]).run().code(0);
    assert!(output.stdout.contains(" checked: 0 errors"), "{}", output.stdout);
}

#[test]
fn validate_shows_the_source_line_and_exits_1_on_errors() {
    let dir = TempDir::new("cli-bad");
    dir.write("bad.yaml", BAD);
    let output = Cli::new().current_dir(dir.path()).args(["validate", "bad.yaml"]).run().code(1);
    assert_eq!(
        output.stdout,
        "error[RB009]: `nextStep` names step `wiat`, which does not exist\n  --> bad.yaml:7:15\n  |\n7 |     nextStep: wiat\n  |               ^^^^\n   = step `wait`, field mainSteps[0].nextStep, rule unknown-step-target\n   = help: did you mean `wait`?\n\n1 runbook checked: 1 error, 0 warnings\n"
    );
}

#[test]
fn validate_exits_2_for_missing_paths_and_usage_errors() {
    let output = Cli::new().args(["validate", "no/such/path.yaml"]).run().code(2);
    assert!(output.stderr.contains("cannot read no/such/path.yaml"), "{}", output.stderr);
    Cli::new().args(["validate"]).run().code(2);
    Cli::new().args(["validate", "--format", "xml", "runbooks"]).run().code(2);
}

#[test]
fn validate_skips_other_yaml_in_folders_but_not_named_files() {
    let dir = TempDir::new("cli-folder");
    dir.write("good.yaml", GOOD);
    dir.write("mocks.yaml", "aws:\n  - service: ec2\n");
    dir.write("command.json", "{\"schemaVersion\": \"2.2\", \"mainSteps\": []}");
    let output = Cli::new().current_dir(dir.path()).args(["validate", "."]).run().code(0);
    assert!(
        output.stdout.ends_with(
            "1 runbook checked: 0 errors, 0 warnings (2 other YAML/JSON files skipped)\n"
        ),
        "{}",
        output.stdout
    );
    let output =
        Cli::new().current_dir(dir.path()).args(["validate", "command.json"]).run().code(1);
    assert!(output.stdout.contains("is a Command document"), "{}", output.stdout);
}

#[test]
fn validate_writes_json_and_sarif() {
    let dir = TempDir::new("cli-formats");
    dir.write("bad.yaml", BAD);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--format", "json", "bad.yaml"])
        .run()
        .code(1);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["files"][0]["diagnostics"][0]["code"], "RB009");
    assert_eq!(json["files"][0]["diagnostics"][0]["line"], 7);

    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--format", "sarif", "bad.yaml"])
        .run()
        .code(1);
    let sarif: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "RB009");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 7);
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "bad.yaml");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|rule| rule["id"] == "RB009"));
}

const EXAMPLE: &str = "runbooks/image-instance.yaml";
const EXAMPLE_MOCKS: &str = "runbooks/image-instance.mocks.yaml";

#[test]
fn run_prints_the_steps_the_calls_and_the_outputs() {
    let output = Cli::new()
        .args(["run", EXAMPLE, "--mocks", EXAMPLE_MOCKS, "-p", "InstanceId=i-0123456789abcdef0"])
        .run()
        .code(0);
    let out = &output.stdout;
    assert!(out.contains("✔ stopInstance Success 5s"), "{out}");
    assert!(out.contains("ec2.CreateImage {\"InstanceId\":\"i-0123456789abcdef0\""), "{out}");
    assert!(out.contains("createImage.ImageId = ami-0fedcba9876543210"), "{out}");
    assert!(
        out.contains("Success · 6 steps ran, 0 failed · 15s on the run's clock · 11 AWS calls"),
        "{out}"
    );
}

#[test]
fn run_writes_the_record_as_json() {
    let output = Cli::new()
        .args([
            "run",
            EXAMPLE,
            "--mocks",
            EXAMPLE_MOCKS,
            "-p",
            "InstanceId=i-0123456789abcdef0",
            "--output",
            "json",
        ])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Success");
    assert_eq!(
        record["Outputs"]["createImage.ImageId"],
        serde_json::json!(["ami-0fedcba9876543210"])
    );
    assert_eq!(record["StepExecutions"].as_array().unwrap().len(), 6);
    assert_eq!(record["Calls"].as_array().unwrap().len(), 11);
    assert!(
        output.stderr.contains("▶ describeInstance"),
        "progress goes to standard error: {}",
        output.stderr
    );
}

#[test]
fn run_exits_1_when_the_run_does_not_succeed() {
    let dir = TempDir::new("cli-run-fail");
    let mocks = dir.write("mocks.yaml", "aws:\n  - {service: ec2, api: DescribeInstances, error: {code: InvalidInstanceID.NotFound, message: gone}}\n");
    let output = Cli::new()
        .args(["run", EXAMPLE, "-p", "InstanceId=i-0123456789abcdef0", "--mocks"])
        .args([mocks])
        .run()
        .code(1);
    assert!(output.stdout.contains("InvalidInstanceID.NotFound: gone"), "{}", output.stdout);
    assert!(output.stdout.contains("Failed · 1 step ran, 1 failed"), "{}", output.stdout);
}

#[test]
fn run_exits_2_for_parameter_load_and_validation_errors() {
    let output = Cli::new().args(["run", EXAMPLE]).run().code(2);
    assert_eq!(output.stderr, "error: Missing required parameter: InstanceId in user inputs.\n");
    let output = Cli::new().args(["run", EXAMPLE, "-p", "Instance"]).run().code(2);
    assert!(output.stderr.contains("write parameters as NAME=VALUE"), "{}", output.stderr);
    let dir = TempDir::new("cli-run-bad");
    dir.write("bad.yaml", BAD);
    let output = Cli::new().current_dir(dir.path()).args(["run", "bad.yaml"]).run().code(2);
    assert!(output.stderr.contains("error[RB009]"), "{}", output.stderr);
    let output = Cli::new().args(["run", "no/such.yaml"]).run().code(2);
    assert!(output.stderr.contains("cannot read the file"), "{}", output.stderr);
    let output = Cli::new().args(["run", EXAMPLE, "--mocks", "no/such-mocks.yaml"]).run().code(2);
    assert!(output.stderr.contains("no/such-mocks.yaml"), "{}", output.stderr);
}

#[test]
fn run_answers_approvals_from_the_command_line() {
    let dir = TempDir::new("cli-run-approve");
    dir.write(
        "ask.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - {name: ask, action: aws:approve, inputs: {Approvers: [ops]}, timeoutSeconds: 600}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "ask.yaml", "--approve", "all"])
        .run()
        .code(0);
    assert!(output.stdout.contains("⏸ ask waits for an approval from ops"), "{}", output.stdout);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "ask.yaml", "--approve", "none"])
        .run()
        .code(1);
    assert!(output.stdout.contains("✘ ask TimedOut 10m 0s"), "{}", output.stdout);
}

#[test]
fn run_over_targets_shows_progress_and_a_summary() {
    let dir = TempDir::new("cli-run-fleet");
    dir.write(
        "child.yaml",
        "schemaVersion: '0.3'\nparameters:\n  Name: {type: String}\nmainSteps:\n  - name: check\n    action: aws:branch\n    inputs:\n      Choices: [{NextStep: boom, Variable: '{{ Name }}', StringEquals: bad}]\n  - {name: wait, action: aws:sleep, inputs: {Duration: PT1M}, isEnd: true}\n  - {name: boom, action: aws:executeAwsApi, inputs: {Service: ec2, Api: RebootInstances, InstanceIds: [i-1]}}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args([
            "run",
            "child.yaml",
            "--target-parameter",
            "Name",
            "--targets",
            "Key=ParameterValues,Values=a,b,bad,d",
        ])
        .args(["--max-concurrency", "2", "--max-errors", "1"])
        .run()
        .code(1);
    let out = &output.stdout;
    assert!(
        out.contains("[########################] 4/4 done · 0 running · 1 failed · 0 remaining"),
        "{out}"
    );
    assert!(out.contains("targets:\n  a    Success"), "{out}");
    assert!(out.contains("  bad  Failed"), "{out}");
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "child.yaml", "--targets", "Key=tag:Env"])
        .run()
        .code(2);
    assert!(output.stderr.contains("--target-parameter"), "{}", output.stderr);
}

#[test]
fn run_over_target_locations_runs_as_each_account_in_each_region() {
    let dir = TempDir::new("cli-run-locations");
    dir.write(
        "where.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: vpcs\n    action: aws:executeAwsApi\n    inputs: {Service: ec2, Api: DescribeVpcs, Filters: [{Name: 'tag:Owner', Values: ['{{ global:ACCOUNT_ID }}']}]}\n",
    );
    dir.write(
        "locations.yaml",
        "- Accounts: [111111111111, '222222222222']\n  Regions: [eu-west-1]\n  TargetLocationMaxConcurrency: '2'\n",
    );
    dir.write(
        "mocks.yaml",
        "aws:\n  - {service: ec2, api: DescribeVpcs, account: '222222222222', error: {code: UnauthorizedOperation, message: denied}}\n  - {service: ec2, api: DescribeVpcs, region: eu-west-1, returns: {Vpcs: []}}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args([
            "run",
            "where.yaml",
            "--target-locations",
            "locations.yaml",
            "--mocks",
            "mocks.yaml",
        ])
        .run()
        .code(1);
    let out = &output.stdout;
    assert!(out.contains("111111111111/eu-west-1  Success"), "{out}");
    assert!(out.contains("222222222222/eu-west-1  Failed"), "{out}");
    let output = Cli::new()
        .current_dir(dir.path())
        .args([
            "run",
            "where.yaml",
            "--target-locations",
            "locations.yaml",
            "--mocks",
            "mocks.yaml",
        ])
        .args(["--output", "json"])
        .run()
        .code(1);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["TargetLocations"][0]["Accounts"][0], "111111111111");
    // Each location's calls are in its child's record, tagged with where they were made.
    let calls = &record["StepExecutions"][0]["Child"]["Calls"];
    assert_eq!(calls[0]["Account"], "111111111111");
    assert_eq!(calls[0]["Region"], "eu-west-1");
    dir.write("bad.json", "[{\"Acounts\": [\"1\"]}]");
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "where.yaml", "--target-locations", "bad.json"])
        .run()
        .code(2);
    assert!(
        output.stderr.contains("bad.json: `TargetLocations` item 1: unknown field `Acounts`"),
        "{}",
        output.stderr
    );
}

#[test]
fn test_runs_the_examples_and_reports_junit() {
    let output = Cli::new().args(["test", "runbooks"]).run().code(0);
    assert!(output.stdout.contains("15 passed, 0 failed"), "{}", output.stdout);
    let output = Cli::new()
        .args(["test", "runbooks", "--format", "junit", "--filter", "left stopped"])
        .run()
        .code(0);
    assert!(output.stdout.starts_with("<?xml"), "{}", output.stdout);
    assert!(output.stdout.contains("tests=\"1\" failures=\"0\""), "{}", output.stdout);
    let output = Cli::new().args(["test", "runbooks", "--format", "json"]).run().code(0);
    let results: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(results["summary"]["passed"], 15);
}

#[test]
fn a_failing_case_shows_the_expected_and_actual_path_and_where() {
    let dir = TempDir::new("cli-test-fail");
    std::fs::copy("runbooks/image-instance.yaml", dir.path().join("image-instance.yaml")).unwrap();
    dir.write(
        "wrong.test.yaml",
        "runbook: image-instance.yaml\ncases:\n  - name: expects the wrong path\n    parameters: {InstanceId: i-0123456789abcdef0}\n    mocks:\n      aws:\n        - {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{State: {Name: stopped}}]}]}}\n        - {service: ec2, api: CreateImage, returns: {ImageId: ami-1}}\n        - {service: ec2, api: DescribeImages, returns: {Images: [{State: available}]}}\n        - {service: ec2, api: StopInstances, returns: {}}\n    expect:\n      path: [describeInstance, chooseStop, stopInstance, createImage]\n",
    );
    let output = Cli::new().current_dir(dir.path()).args(["test"]).run().code(1);
    // The case's duration varies; the rest of the report does not.
    let lines: Vec<String> = output
        .stdout
        .lines()
        .take(5)
        .map(|line| match line.rsplit_once(" (") {
            Some((head, tail)) if tail.ends_with(" ms)") => head.to_string(),
            _ => line.to_string(),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "✘ ./wrong.test.yaml:3: expects the wrong path",
            "    ./wrong.test.yaml:12: the path differs: step 3 should be `stopInstance`, but `createImage` ran",
            "      expected: describeInstance → chooseStop → stopInstance → createImage",
            "      actual:   describeInstance → chooseStop → createImage → chooseRestart",
            "    warning: unused mock: ./wrong.test.yaml:10:11: cases[0].mocks.aws[3] (ec2.StopInstances) answered no call",
        ]
    );
}

#[test]
fn test_exits_2_for_invalid_test_files() {
    let dir = TempDir::new("cli-test-invalid");
    dir.write("x.test.yaml", "runbook: a.yaml\ncases:\n  - nam: typo\n");
    let output = Cli::new().current_dir(dir.path()).args(["test"]).run().code(2);
    assert!(
        output.stderr.contains(
            "x.test.yaml:3:5: `cases[0].nam` is not a test file key; did you mean `name`?"
        ),
        "{}",
        output.stderr
    );
    let empty = TempDir::new("cli-test-empty");
    let output = Cli::new().current_dir(empty.path()).args(["test"]).run().code(2);
    assert!(output.stderr.contains("no test files"), "{}", output.stderr);
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let output = Cli::new().args(["graph", EXAMPLE]).run().code(0);
    assert!(output.stdout.starts_with("digraph runbook {"), "{}", output.stdout);
    assert!(
        output.stdout.contains("s3 -> s4 [label=\"onFailure\", style=dashed, color=red];"),
        "{}",
        output.stdout
    );
    let output = Cli::new().args(["graph", EXAMPLE, "--format", "mermaid"]).run().code(0);
    assert!(output.stdout.contains("  s1 -->|branch| s2\n"), "{}", output.stdout);
    assert!(output.stdout.contains("  s5 --> finish\n"), "{}", output.stdout);
    Cli::new().args(["graph", "no/such.yaml"]).run().code(2);
}

/// Shaped like the corpus's larger runbooks: a straight line of steps that abort on failure by
/// default, with a cleanup step that failures and a cancel jump to.
const ABORTING: &str = "schemaVersion: '0.3'
mainSteps:
  - {name: describe, action: aws:executeAwsApi, inputs: {Service: ec2, Api: DescribeInstances}}
  - {name: stop, action: aws:executeAwsApi, inputs: {Service: ec2, Api: StopInstances}, onFailure: 'step:cleanup', onCancel: 'step:cleanup'}
  - {name: wait, action: aws:sleep, inputs: {Duration: PT1M}, onFailure: Continue}
  - {name: image, action: aws:executeAwsApi, inputs: {Service: ec2, Api: CreateImage}, onFailure: Abort}
  - {name: tag, action: aws:executeAwsApi, inputs: {Service: ec2, Api: CreateTags}}
  - {name: start, action: aws:executeAwsApi, inputs: {Service: ec2, Api: StartInstances}, isEnd: true}
  - {name: cleanup, action: aws:executeAwsApi, inputs: {Service: ec2, Api: StartInstances}}
";

#[test]
fn graph_draws_the_default_abort_as_a_note_and_keeps_the_jumps_written() {
    let dir = TempDir::new("cli-graph-abort");
    dir.write("aborting.yaml", ABORTING);
    let dot = Cli::new().current_dir(dir.path()).args(["graph", "aborting.yaml"]).run().code(0);
    let dot = dot.stdout;
    // Header and node defaults, 7 steps, end, abort, legend, 7 success edges, 3 jumps, closing:
    // no edge for the 4 steps that abort by default.
    assert_eq!(dot.lines().count(), 3 + 7 + 1 + 1 + 1 + 7 + 3 + 1, "{dot}");
    for edge in [
        "s1 -> s6 [label=\"onFailure\", style=dashed, color=red];",
        "s1 -> s6 [label=\"onCancel\", style=dotted, color=orange];",
        "s3 -> abort [label=\"onFailure\", style=dashed, color=red];",
        "legend [shape=note, label=\"4 steps without onFailure abort the run when they fail\"];",
    ] {
        assert!(dot.contains(edge), "no `{edge}` in:\n{dot}");
    }
    assert!(!dot.contains("-> finish [label=\"onFailure\""), "{dot}");
    let mermaid = Cli::new()
        .current_dir(dir.path())
        .args(["graph", "aborting.yaml", "--format", "mermaid"])
        .run()
        .code(0)
        .stdout;
    assert_eq!(mermaid.matches("|onFailure|").count(), 2, "{mermaid}");
    assert!(mermaid.contains("  s1 -.->|onCancel| s6\n"), "{mermaid}");
    assert!(mermaid.contains("  s3 -.->|onFailure| abort\n"), "{mermaid}");
    assert!(mermaid.contains("  abort{{abort}}\n"), "{mermaid}");
    assert!(mermaid.contains("legend>\"4 steps without onFailure"), "{mermaid}");
}

const API_TYPO: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: describe\n    action: aws:executeAwsApi\n    inputs:\n      Service: ec2\n      Api: DescribeInstance\n";

#[test]
fn validate_checks_api_calls_against_the_models_in_every_format() {
    let dir = TempDir::new("cli-models");
    dir.write("api.yaml", API_TYPO);
    let output = Cli::new().current_dir(dir.path()).args(["validate", "api.yaml"]).run().code(1);
    assert!(
        output.stdout.starts_with(
            "error[RB029]: service `ec2` has no operation `DescribeInstance`\n  --> api.yaml:7:12\n"
        ),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("help: did you mean `DescribeInstances`?"), "{}", output.stdout);
    assert!(output.stderr.is_empty(), "{}", output.stderr);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--format", "json", "api.yaml"])
        .run()
        .code(1);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(json["files"][0]["diagnostics"][0]["rule"], "unknown-api-operation");
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--format", "sarif", "api.yaml"])
        .run()
        .code(1);
    let sarif: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "RB029");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for code in ["RB028", "RB029", "RB030", "RB031"] {
        assert!(rules.iter().any(|rule| rule["id"] == code), "{code} is not listed");
    }
}

#[test]
fn validate_without_models_notes_how_to_get_them_and_checks_the_rest() {
    let dir = TempDir::new("cli-no-models");
    dir.write("api.yaml", API_TYPO);
    // No python3 to ask for botocore, and no folder named.
    let output = Cli::new()
        .current_dir(dir.path())
        .env_remove("RUNBOOK_AWS_MODELS")
        .env("PATH", "")
        .args(["validate", "api.yaml"])
        .run()
        .code(0);
    assert_eq!(output.stdout, "1 runbook checked: 0 errors, 0 warnings\n");
    assert_eq!(output.stderr.lines().count(), 1, "{}", output.stderr);
    assert!(output.stderr.starts_with("note: the checks of AWS API calls"), "{}", output.stderr);
    assert!(output.stderr.contains("pip install botocore"), "{}", output.stderr);
}

#[test]
fn validate_refuses_a_models_folder_without_models() {
    let dir = TempDir::new("cli-empty-models");
    dir.write("api.yaml", API_TYPO);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--aws-models", "nowhere", "api.yaml"])
        .run()
        .code(2);
    assert!(output.stderr.contains("aws api models folder nowhere"), "{}", output.stderr);
}

#[test]
fn run_and_test_refuse_a_runbook_whose_api_calls_do_not_fit_the_models() {
    let dir = TempDir::new("cli-run-models");
    dir.write("api.yaml", API_TYPO);
    dir.write(
        "api.test.yaml",
        "runbook: api.yaml\ncases:\n  - name: describes\n    expect: {status: Success}\n",
    );
    let output = Cli::new().current_dir(dir.path()).args(["run", "api.yaml"]).run().code(2);
    assert!(output.stderr.starts_with("error[RB029]"), "{}", output.stderr);
    assert!(
        output.stderr.ends_with("error: the runbook has errors; fix them before running it\n"),
        "{}",
        output.stderr
    );
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    let output = Cli::new().current_dir(dir.path()).args(["test", "api.test.yaml"]).run().code(1);
    assert!(
        output.stdout.contains(
            "the run did not start: the runbook has errors: api.yaml:7:12: service `ec2` has no operation `DescribeInstance`"
        ),
        "{}",
        output.stdout
    );
    // Without models the runbook runs (its call fails on the empty mocks), as it did before.
    let output = Cli::new()
        .current_dir(dir.path())
        .env_remove("RUNBOOK_AWS_MODELS")
        .env("PATH", "")
        .args(["run", "api.yaml"])
        .run()
        .code(1);
    assert!(output.stdout.contains("Failed"), "{}", output.stdout);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "--aws-models", "nowhere", "api.yaml"])
        .run()
        .code(2);
    assert!(output.stderr.contains("aws api models folder nowhere"), "{}", output.stderr);
}

const API_WALK: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: describe\n    action: aws:executeAwsApi\n    inputs: {Service: ec2, Api: DescribeInstances}\n    outputs:\n      - {Name: Id, Selector: '$.Reservations[0].Instances[0].InstanceId'}\n  - name: tag\n    action: aws:createTags\n    inputs: {ResourceIds: ['{{ describe.Id }}'], Tags: [{Key: a, Value: b}]}\noutputs: [describe.Id]\n";

#[test]
fn run_auto_mock_answers_what_no_mock_answers() {
    let dir = TempDir::new("cli-auto-mock");
    dir.write("walk.yaml", API_WALK);
    dir.write(
        "mocks.yaml",
        "aws:\n  - service: ec2\n    api: DescribeInstances\n    returns: {Reservations: [{Instances: [{InstanceId: i-mocked}]}]}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "walk.yaml", "--auto-mock", "--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["Outputs"]["describe.Id"], serde_json::json!(["<InstanceId>"]));
    assert!(
        output
            .stderr
            .ends_with("\nnote: placeholders answered ec2.DescribeInstances, ec2.CreateTags\n"),
        "{}",
        output.stderr
    );
    // A mock answers first.
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "walk.yaml", "--auto-mock", "--mocks", "mocks.yaml", "--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["Outputs"]["describe.Id"], serde_json::json!(["i-mocked"]));
    assert!(
        output.stderr.ends_with("\nnote: placeholders answered ec2.CreateTags\n"),
        "{}",
        output.stderr
    );
    // Without models, placeholders cannot be built.
    let output = Cli::new()
        .current_dir(dir.path())
        .env_remove("RUNBOOK_AWS_MODELS")
        .env("PATH", "")
        .args(["run", "walk.yaml", "--auto-mock"])
        .run()
        .code(2);
    assert!(
        output.stderr.starts_with("error: --auto-mock needs the AWS API models"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("pip install botocore"), "{}", output.stderr);
}

#[test]
fn run_auto_mock_answers_a_webhook_s_integration_and_request() {
    let dir = TempDir::new("cli-auto-mock-webhook");
    dir.write(
        "hook.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - {name: notify, action: aws:invokeWebhook, inputs: {IntegrationName: Alerts, Body: done}}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "hook.yaml", "--auto-mock", "--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let step = &record["StepExecutions"][0];
    assert_eq!(step["Outputs"]["ResponseCode"], serde_json::json!(["200"]), "{step}");
    let invoke = &record["Calls"][1];
    assert_eq!(
        (invoke["Service"].as_str(), invoke["Api"].as_str()),
        (Some("webhook"), Some("Invoke"))
    );
    assert_eq!(invoke["Params"]["Url"], "https://Alerts.webhook.invalid/");
    assert_eq!(invoke["Params"]["Body"], "done");
}

#[test]
fn mocks_that_do_not_fit_the_api_are_warned_about_in_run_and_test() {
    let dir = TempDir::new("cli-mock-check");
    dir.write("walk.yaml", API_WALK);
    let mocks = "aws:\n  - service: ec2\n    api: DescribeInstances\n    returns:\n      Reservations:\n        - Instances:\n            - {InstanceID: i-1}\n  - {service: ec2, api: CreateTags, returns: {}}\n";
    dir.write("mocks.yaml", mocks);
    // The misspelled member leaves `describe.Id` without a value: `tag` runs with the
    // reference as written (RULINGS 12), and the summary says so.
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "walk.yaml", "--mocks", "mocks.yaml"])
        .run()
        .code(0);
    assert!(
        output.stdout.contains("warnings:\n  step `tag`: {{ describe.Id }} was left as written"),
        "{}",
        output.stdout
    );
    assert!(
        output.stderr.starts_with(
            "warning: mocks.yaml:7:16: aws[0].returns.Reservations[0].Instances[0].InstanceID: ec2.DescribeInstances: unknown response member `Reservations[0].Instances[0].InstanceID`; did you mean `InstanceId`?\n"
        ),
        "{}",
        output.stderr
    );
    dir.write(
        "walk.test.yaml",
        &format!("runbook: walk.yaml\ncases:\n  - name: walks\n    expect: {{status: Success}}\n    mocks:\n{}", mocks.lines().flat_map(|line| ["      ", line, "\n"]).collect::<String>()),
    );
    let output = Cli::new().current_dir(dir.path()).args(["test", "walk.test.yaml"]).run().code(0);
    assert!(
        output.stdout.contains("mock does not fit the API: walk.test.yaml:12:22: cases[0].mocks.aws[0].returns.Reservations[0].Instances[0].InstanceID"),
        "{}",
        output.stdout
    );
}

#[cfg(not(feature = "aws"))]
#[test]
fn run_aws_and_sandbox_need_a_build_with_aws_support() {
    for flag in ["--aws", "--sandbox"] {
        let output = Cli::new().args(["run", EXAMPLE, flag]).run().code(2);
        assert!(
            output.stderr.contains(&format!("error: {flag} needs a build with AWS support")),
            "{}",
            output.stderr
        );
        assert!(
            output.stderr.contains("cargo build --release --features aws"),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn run_reads_parameters_from_a_file_and_p_wins() {
    let dir = TempDir::new("cli-run-params");
    dir.write(
        "echo.yaml",
        "schemaVersion: '0.3'\nparameters:\n  Ids: {type: StringList}\n  Count: {type: Integer}\n  Tags: {type: StringMap, default: {}}\noutputs: [echo.Payload]\nmainSteps:\n  - name: echo\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: h\n      InputPayload: {ids: '{{ Ids }}', count: '{{ Count }}', tags: '{{ Tags }}'}\n      Script: \"def h(events, context):\\n    return events\"\n",
    );
    dir.write("params.yaml", "Ids: [i-1, i-2]\nCount: 3\nTags: {team: ops}\n");
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "echo.yaml", "--params", "params.yaml", "-p", "Count=5", "--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let payload: serde_json::Value =
        serde_json::from_str(record["Outputs"]["echo.Payload"][0].as_str().unwrap()).unwrap();
    assert_eq!(
        payload,
        serde_json::json!({"ids": ["i-1", "i-2"], "count": 5, "tags": {"team": "ops"}})
    );
    dir.write("bad.yaml", "- not a map\n");
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "echo.yaml", "--params", "bad.yaml"])
        .run()
        .code(2);
    assert!(
        output.stderr.contains("must be a map of parameter names to values"),
        "{}",
        output.stderr
    );
}

#[test]
fn run_output_json_lists_a_childs_calls_in_the_parents_where_they_were_made() {
    let dir = TempDir::new("cli-child-calls");
    dir.write(
        "parent.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - {name: before, action: aws:executeAwsApi, inputs: {Service: ec2, Api: CreateTags, Resources: [i-1], Tags: [{Key: a, Value: b}]}}\n  - {name: run, action: aws:executeAutomation, inputs: {DocumentName: Child}}\n  - {name: after, action: aws:executeAwsApi, inputs: {Service: ec2, Api: DeleteTags, Resources: [i-1]}}\n",
    );
    dir.write(
        "Child.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - {name: describe, action: aws:executeAwsApi, inputs: {Service: ec2, Api: DescribeInstances}}\n",
    );
    dir.write(
        "mocks.yaml",
        "aws:\n  - {service: ec2, api: CreateTags, returns: {}}\n  - {service: ec2, api: DescribeInstances, returns: {Reservations: []}}\n  - {service: ec2, api: DeleteTags, returns: {}}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args([
            "run",
            "parent.yaml",
            "--mocks",
            "mocks.yaml",
            "--documents",
            ".",
            "--output",
            "json",
        ])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let calls = record["Calls"].as_array().unwrap();
    let steps: Vec<&str> = calls.iter().map(|call| call["StepName"].as_str().unwrap()).collect();
    assert_eq!(steps, ["before", "describe", "after"]);
    let child_id = &record["StepExecutions"][1]["Outputs"]["ExecutionId"][0];
    assert_eq!(&calls[1]["AutomationExecutionId"], child_id);
    assert_eq!(calls[0]["AutomationExecutionId"], record["AutomationExecutionId"]);
}

const BROKEN_SCRIPT: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: calc\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: handler\n      Script: |-\n        def handler(events, context):\n            return events[\n";

#[test]
fn validate_compiles_python_scripts_and_shows_the_line_inside_the_block() {
    let dir = TempDir::new("cli-python-script");
    dir.write("script.yaml", BROKEN_SCRIPT);
    let output = Cli::new().current_dir(dir.path()).args(["validate", "script.yaml"]).run().code(1);
    assert!(
        output.stdout.starts_with(
            "error[RB040]: the script does not compile: '[' was never closed (line 2 of the \
             script)\n  --> script.yaml:10:26\n"
        ),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("rule python-script"), "{}", output.stdout);
    let sarif = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--format", "sarif", "script.yaml"])
        .run()
        .code(1);
    assert!(sarif.stdout.contains("\"id\": \"RB040\""), "{}", sarif.stdout);
}

#[test]
fn validate_without_python_skips_the_script_check_with_a_note() {
    let dir = TempDir::new("cli-python-missing");
    dir.write("script.yaml", BROKEN_SCRIPT);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "--python", "/no/such/python3", "script.yaml"])
        .run()
        .code(0);
    assert!(
        output.stderr.contains("note: the checks of Python scripts (RB040) were skipped: Python is not installed: /no/such/python3 was not found"),
        "{}",
        output.stderr
    );
}

/// RB040's answers are remembered: a script compiled once is not compiled again by the same
/// interpreter, so validating again starts no Python; a changed script, or another
/// interpreter, is asked again.
#[cfg(unix)]
#[test]
fn validate_remembers_the_answers_of_the_script_check() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new("cli-python-remembered");
    dir.write("script.yaml", BROKEN_SCRIPT);
    let calls = dir.path().join("python-calls");
    let wrapper = |name: &str| {
        let python = dir.write(
            name,
            &format!("#!/bin/sh\necho call >> '{}'\nexec python3 \"$@\"\n", calls.display()),
        );
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        python
    };
    let python = wrapper("bin/python");
    let validate = |python: &std::path::Path| {
        let output = Cli::new()
            .current_dir(dir.path())
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .args([
                std::ffi::OsStr::new("validate"),
                "--python".as_ref(),
                python.as_os_str(),
                "script.yaml".as_ref(),
            ])
            .run();
        let calls = std::fs::read_to_string(&calls).unwrap_or_default().lines().count();
        (output, calls)
    };
    let (first, asked) = validate(&python);
    assert!(first.stdout.contains("error[RB040]"), "{}", first.stdout);
    assert!(asked > 0);
    let (second, again) = validate(&python);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(again, asked, "the second command started Python");

    dir.write("script.yaml", &BROKEN_SCRIPT.replace("events[", "events"));
    let (fixed, after) = validate(&python);
    assert!(!fixed.stdout.contains("RB040"), "{}", fixed.stdout);
    assert!(after > again, "a changed script is compiled again");

    let (other, last) = validate(&wrapper("other/python"));
    assert!(!other.stdout.contains("RB040"), "{}", other.stdout);
    assert!(last > after, "another interpreter is asked again");
}

/// botocore is asked of `python3` once; later commands find its models in the cache folder
/// (where the model itself is kept in its compact form too) without starting `python3`.
#[cfg(unix)]
#[test]
fn botocore_is_asked_of_python3_once_and_remembered() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new("cli-python-once");
    dir.write("site/botocore/__init__.py", "");
    dir.write(
        "site/botocore/data/demo/2020-01-01/service-2.json",
        r#"{"metadata": {"protocol": "json", "apiVersion": "2020-01-01"},
            "operations": {"GetThing": {"name": "GetThing", "input": {"shape": "In"}}},
            "shapes": {"In": {"type": "structure", "required": ["Id"],
                              "members": {"Id": {"shape": "S"}}},
                       "S": {"type": "string"}}}"#,
    );
    let calls = dir.path().join("python3-calls");
    let python = dir.write(
        "bin/python3",
        &format!(
            "#!/bin/sh\necho call >> '{}'\necho '{}'\n",
            calls.display(),
            dir.path().join("site/botocore").display()
        ),
    );
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.write(
        "api.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: get\n    action: aws:executeAwsApi\n    inputs:\n      Service: demo\n      Api: GetThing\n      Ids: x\n",
    );
    let path = format!("{}:/usr/bin:/bin", dir.path().join("bin").display());
    for _ in 0..3 {
        let output = Cli::new()
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env_remove("RUNBOOK_AWS_MODELS")
            .args(["validate", "api.yaml"])
            .run()
            .code(1);
        assert!(output.stdout.contains("unknown parameter `Ids`"), "{}", output.stdout);
    }
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "call\n");
    let compact = std::fs::read_dir(dir.path().join("cache/runbook/models")).unwrap().count();
    assert_eq!(compact, 1);

    // Another botocore in its place (an upgrade) is asked for again.
    std::fs::remove_dir_all(dir.path().join("site")).unwrap();
    dir.write("site/botocore/data/demo/2020-01-01/service-2.json", r#"{"operations": {}}"#);
    let output = Cli::new()
        .current_dir(dir.path())
        .env("PATH", &path)
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env_remove("RUNBOOK_AWS_MODELS")
        .args(["validate", "api.yaml"])
        .run()
        .code(1);
    assert!(output.stdout.contains("no operation `GetThing`"), "{}", output.stdout);
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "call\ncall\n");
}

/// A branch that always goes back to the sleep before it: only the budget ends it.
const SPIN: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs: {Duration: PT1M}\n  - name: again\n    action: aws:branch\n    inputs:\n      Choices: [{NextStep: wait, Variable: '{{ global:REGION }}', StringEquals: us-east-1}]\n      Default: wait\n";

#[test]
fn run_and_test_stop_a_run_at_the_step_execution_budget_given() {
    let dir = TempDir::new("cli-budget");
    dir.write("spin.yaml", SPIN);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "spin.yaml", "--max-step-executions", "6", "--output", "json"])
        .run()
        .code(1);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Failed");
    assert_eq!(record["StepExecutions"].as_array().unwrap().len(), 6);
    assert!(
        record["FailureMessage"].as_str().unwrap().contains("budget of 6 step executions"),
        "{record}"
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "spin.yaml", "--max-step-executions", "0"])
        .run()
        .code(2);
    assert!(output.stderr.contains("--max-step-executions"), "{}", output.stderr);

    dir.write(
        "spin.test.yaml",
        "runbook: spin.yaml\ncases:\n  - name: spins\n    expect: {status: Failed, failureMessage: budget of 9 step executions}\n",
    );
    Cli::new().current_dir(dir.path()).args(["test", "--max-step-executions", "9"]).run().code(0);
    let output = Cli::new().current_dir(dir.path()).args(["test"]).run().code(1);
    assert!(output.stdout.contains("budget of 10000 step executions"), "{}", output.stdout);
}

#[test]
fn test_time_limit_on_the_command_line_fails_a_slow_case() {
    let dir = TempDir::new("cli-time-limit");
    dir.write(
        "nap.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: nap\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: handler\n      Script: |\n        import time\n        def handler(events, context):\n            time.sleep(20)\n",
    );
    dir.write("nap.test.yaml", "runbook: nap.yaml\ncases:\n  - name: naps\n");
    let output =
        Cli::new().current_dir(dir.path()).args(["test", "--time-limit", "PT1S"]).run().code(1);
    assert!(output.stdout.contains("ran longer than its time limit of 1 s"), "{}", output.stdout);
    let output =
        Cli::new().current_dir(dir.path()).args(["test", "--time-limit", "0"]).run().code(2);
    assert!(output.stderr.contains("more than zero"), "{}", output.stderr);
}

#[test]
fn validate_warns_for_inputs_a_local_run_does_not_act_on_naming_them() {
    let dir = TempDir::new("cli-unsupported-input");
    dir.write(
        "locations.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - name: everywhere\n    action: aws:executeAutomation\n    inputs:\n      DocumentName: AWS-RestartEC2Instance\n      TargetLocations: [{Accounts: ['123456789012'], Regions: [us-east-1]}]\n      Tags: [{Key: team, Value: ops}]\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .env("PATH", "")
        .args(["validate", "locations.yaml"])
        .run()
        .code(0);
    assert!(
        output.stdout.contains(
            "warning[RB036]: `Tags` of aws:executeAutomation is not acted on by a local run"
        ),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("--> locations.yaml:8:13"), "{}", output.stdout);
    // A run over target locations is acted on.
    assert!(!output.stdout.contains("`TargetLocations`"), "{}", output.stdout);
    assert!(
        output.stdout.ends_with("1 runbook checked: 0 errors, 1 warning\n"),
        "{}",
        output.stdout
    );
}

#[test]
fn completions_are_written_for_each_shell_and_name_the_subcommands() {
    // How each shell's script offers a subcommand, so that `run` is not found inside `runbook`.
    let offer = |shell: &str, name: &str| match shell {
        "bash" => format!("runbook,{name})"),
        "zsh" => format!("'{name}:"),
        "fish" => format!("-a \"{name}\""),
        "powershell" => format!("[CompletionResult]::new('{name}'"),
        _ => format!("cand {name} "),
    };
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = Cli::new().args(["completions", shell]).run().code(0);
        for subcommand in ["validate", "run", "test", "graph", "permissions", "completions"] {
            assert!(
                output.stdout.contains(&offer(shell, subcommand)),
                "{shell} script does not offer `{subcommand}`:\n{}",
                output.stdout
            );
        }
        // The options of subcommands are completed too.
        assert!(output.stdout.contains("auto-mock"), "{shell}:\n{}", output.stdout);
    }
    let output = Cli::new().args(["completions", "tcsh"]).run().code(2);
    assert!(output.stderr.contains("invalid value 'tcsh'"), "{}", output.stderr);
}

const RED_BOLD: &str = "\x1b[1m\x1b[31m";
const GREEN: &str = "\x1b[32m";

#[test]
fn colors_follow_color_always_never_and_no_color() {
    let dir = TempDir::new("cli-color");
    dir.write("bad.yaml", BAD);
    let validate = |color: Option<&str>, no_color: bool| {
        let mut cli = Cli::new().current_dir(dir.path());
        if !no_color {
            cli = cli.env_remove("NO_COLOR");
        }
        let mut args = vec!["validate", "bad.yaml"];
        if let Some(color) = color {
            args.extend(["--color", color]);
        }
        cli.args(args).run().code(1).stdout
    };
    // `--color always` colours through a pipe, and wins over NO_COLOR as cargo's does.
    for no_color in [false, true] {
        let out = validate(Some("always"), no_color);
        assert!(out.starts_with("\x1b[1;31merror\x1b[0m[RB009]: "), "{out:?}");
        assert!(out.contains("\x1b[1;31m^^^^\x1b[0m"), "{out:?}");
    }
    // A pipe is not a terminal; NO_COLOR and `never` turn colour off as well.
    for (color, no_color) in
        [(None, false), (None, true), (Some("auto"), true), (Some("never"), false)]
    {
        let out = validate(color, no_color);
        assert!(!out.contains('\x1b'), "{color:?}, NO_COLOR {no_color}: {out:?}");
        assert!(out.starts_with("error[RB009]: "), "{out:?}");
    }
    // The flag goes before the subcommand too.
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["--color", "always", "validate", "bad.yaml"])
        .run()
        .code(1);
    assert!(output.stdout.starts_with("\x1b[1;31merror"), "{:?}", output.stdout);
    let output = Cli::new().args(["validate", "bad.yaml", "--color", "sometimes"]).run().code(2);
    assert!(output.stderr.contains("invalid value 'sometimes'"), "{}", output.stderr);
}

#[test]
fn run_colors_statuses_when_asked() {
    let run = |color: &str| {
        Cli::new()
            .args([
                "run",
                EXAMPLE,
                "--mocks",
                EXAMPLE_MOCKS,
                "-p",
                "InstanceId=i-0123456789abcdef0",
            ])
            .args(["--color", color])
            .run()
            .code(0)
            .stdout
    };
    let out = run("always");
    assert!(
        out.contains(&format!("{GREEN}✔\x1b[0m stopInstance {GREEN}Success\x1b[0m 5s")),
        "{out:?}"
    );
    assert!(out.contains("\x1b[1m\x1b[32mSuccess\x1b[0m · 6 steps ran"), "{out:?}");
    let out = run("never");
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(out.contains("✔ stopInstance Success 5s"), "{out}");
}

#[test]
fn test_colors_passes_failures_and_the_two_sides_of_a_diff_when_asked() {
    let dir = TempDir::new("cli-test-color");
    std::fs::copy("runbooks/image-instance.yaml", dir.path().join("image-instance.yaml")).unwrap();
    dir.write(
        "wrong.test.yaml",
        "runbook: image-instance.yaml\ncases:\n  - name: expects the wrong path\n    parameters: {InstanceId: i-0123456789abcdef0}\n    mocks:\n      aws:\n        - {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}}\n    expect:\n      path: [describeInstance, chooseStop, createImage]\n",
    );
    let test = |color: &str| {
        Cli::new().current_dir(dir.path()).args(["test", "--color", color]).run().code(1).stdout
    };
    let out = test("always");
    assert!(out.starts_with(&format!("{RED_BOLD}✘\x1b[0m ./wrong.test.yaml:3: ")), "{out:?}");
    assert!(out.contains(&format!("      {GREEN}expected: describeInstance")), "{out:?}");
    assert!(out.contains("      \x1b[31mactual:   describeInstance"), "{out:?}");
    assert!(out.contains(&format!("0 passed, {RED_BOLD}1 failed\x1b[0m in ")), "{out:?}");
    let out = test("never");
    assert!(!out.contains('\x1b'), "{out:?}");
    let passing = Cli::new().args(["test", "runbooks", "--color", "always"]).run().code(0).stdout;
    assert!(passing.starts_with(&format!("{GREEN}✔\x1b[0m ")), "{passing:?}");
    assert!(passing.contains(&format!("{GREEN}15 passed\x1b[0m, 0 failed")), "{passing:?}");
}

#[cfg(not(feature = "aws"))]
#[test]
fn deploy_and_remote_runs_need_a_build_with_aws_support() {
    for args in [
        &["deploy", "runbooks/clean-snapshots.yaml"][..],
        &["run", "runbooks/clean-snapshots.yaml", "--remote", "--yes"][..],
        &["run", "--remote", "--execution-id", "0123abcd-0000-4000-8000-00000000beef"][..],
    ] {
        let output = Cli::new().args(args).run().code(2);
        assert!(
            output.stderr.contains("needs a build with AWS support"),
            "{args:?}: {}",
            output.stderr
        );
    }
}
