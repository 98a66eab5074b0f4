//! What scripts print, exceptions and mock messages reach the terminal with their control
//! characters escaped, while the JSON record keeps them exact.

use crate::support::{Cli, TempDir};

/// A mocked call that fails with a hostile message, then a script that prints escape
/// sequences and a carriage return, and fails with them.
const HOSTILE: &str = r#"schemaVersion: '0.3'
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    onFailure: Continue
    inputs: {Service: ec2, Api: DescribeInstances}
  - name: calc
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      Script: |-
        def handler(events, context):
            print("\x1b[2K\r\u2714 calc Success 0s\x07")
            raise ValueError("boom\r\x1b[1A\u2714 all good\x9b2J")
"#;

const HOSTILE_MOCKS: &str = "aws:\n  - service: ec2\n    api: DescribeInstances\n    error: {code: Boom, message: \"bad\\r\\e[32m✔ describe Success\\a\"}\n";

fn hostile_run(output: &str) -> crate::support::Output {
    let dir = TempDir::new("terminal-hostile");
    dir.write("hostile.yaml", HOSTILE);
    dir.write("mocks.yaml", HOSTILE_MOCKS);
    Cli::new()
        .current_dir(dir.path())
        .args(["run", "hostile.yaml", "--mocks", "mocks.yaml", "-v", "--output", output])
        .run()
        .code(1)
}

fn controls(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_control() && *c != '\n').collect()
}

#[test]
fn human_output_shows_control_characters_escaped() {
    let output = hostile_run("human");
    let out = &output.stdout;
    assert_eq!(controls(out), Vec::<char>::new(), "{out:?}");
    assert!(out.contains("✘ Boom: bad\\r\\e[32m✔ describe Success\\x07"), "{out}");
    assert!(out.contains("│ \\e[2K\\r✔ calc Success 0s\\x07"), "{out}");
    assert!(out.contains("boom\\r\\e[1A✔ all good\\u{9b}2J"), "{out}");
    assert_eq!(controls(&output.stderr), Vec::<char>::new(), "{:?}", output.stderr);
}

#[test]
fn the_json_record_keeps_the_text_exact_and_progress_is_escaped() {
    let output = hostile_run("json");
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let message = record["StepExecutions"][1]["FailureMessage"].as_str().unwrap();
    assert!(message.contains("boom\r\x1b[1A✔ all good\u{9b}2J"), "{message:?}");
    let error = record["Calls"][0]["Error"]["message"].as_str().unwrap();
    assert_eq!(error, "bad\r\x1b[32m✔ describe Success\x07");
    assert_eq!(controls(&output.stderr), Vec::<char>::new(), "{:?}", output.stderr);
}

#[test]
fn test_reports_escape_control_characters() {
    let dir = TempDir::new("terminal-test");
    dir.write("hostile.yaml", HOSTILE);
    dir.write("mocks.yaml", HOSTILE_MOCKS);
    dir.write(
        "hostile.test.yaml",
        "runbook: hostile.yaml\ncases:\n  - name: \"hostile\\e[2J\"\n    mocksFile: mocks.yaml\n    expect: {status: Success}\n",
    );
    for format in ["human", "junit"] {
        let output = Cli::new()
            .current_dir(dir.path())
            .args(["test", "--format", format, "."])
            .run()
            .code(1);
        assert_eq!(controls(&output.stdout), Vec::<char>::new(), "{format}: {:?}", output.stdout);
        assert!(output.stdout.contains("hostile\\e[2J"), "{format}: {}", output.stdout);
    }
}
