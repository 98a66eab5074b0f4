//! Execution ids: a dry run's follow from the runbook and its parameters; `--execution-id`
//! sets one.

use crate::support::{Cli, TempDir};

fn execution_id(dir: &TempDir, extra: &[&str]) -> crate::support::Output {
    Cli::new()
        .current_dir(dir.path())
        .args(["run", "good.yaml", "--output", "json"])
        .args(extra)
        .run()
}

fn id_of(output: &crate::support::Output) -> String {
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    record["AutomationExecutionId"].as_str().unwrap().to_string()
}

const PARAMETERIZED: &str = "schemaVersion: '0.3'\nparameters:\n  Name: {type: String, default: a}\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n";

#[test]
fn dry_run_ids_follow_the_runbook_and_its_parameters() {
    let dir = TempDir::new("terminal-ids");
    dir.write("good.yaml", PARAMETERIZED);
    let first = id_of(&execution_id(&dir, &[]).code(0));
    assert_eq!(first.len(), 36, "{first}");
    assert_eq!(first, id_of(&execution_id(&dir, &[]).code(0)), "a dry run is reproducible");
    let other = id_of(&execution_id(&dir, &["-p", "Name=b"]).code(0));
    assert_ne!(first, other, "another parameter value gives another id");
    dir.write("good.yaml", &PARAMETERIZED.replace("PT1S", "PT2S"));
    assert_ne!(first, id_of(&execution_id(&dir, &[]).code(0)), "another runbook, another id");
}

#[test]
fn execution_id_sets_the_id_and_must_be_a_uuid() {
    let dir = TempDir::new("terminal-set-id");
    dir.write("good.yaml", PARAMETERIZED);
    let id = "0123abcd-0000-4000-8000-00000000beef";
    assert_eq!(id_of(&execution_id(&dir, &["--execution-id", id]).code(0)), id);
    let refused = execution_id(&dir, &["--execution-id", "run-\x1b[1"]).code(2);
    assert!(
        refused.stderr.contains("`--execution-id run-\\e[1`: an execution id is a UUID"),
        "{}",
        refused.stderr
    );
}
