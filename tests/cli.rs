//! The `runbook` command, driven as users drive it: arguments, output and exit codes.

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
