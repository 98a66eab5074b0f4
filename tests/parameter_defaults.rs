//! A parameter default read from Parameter Store (`{{ ssm:/name }}`) is one of the run's calls:
//! it is in the record's `Calls` and shows in the progress like the steps' calls.

use crate::support::{Cli, TempDir};

const RUNBOOK: &str = "schemaVersion: '0.3'\nparameters:\n  Ami: {type: String, default: '{{ ssm:/images/latest }}'}\nmainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs: {Duration: PT1S}\n";

const MOCKS: &str = "aws:\n  - service: ssm\n    api: GetParameter\n    params: {Name: /images/latest}\n    returns: {Parameter: {Name: /images/latest, Type: String, Value: ami-0abc}}\n";

#[test]
fn a_parameter_store_default_is_recorded_with_the_runs_calls() {
    let dir = TempDir::new("ssm-default");
    dir.write("runbook.yaml", RUNBOOK);
    dir.write("mocks.yaml", MOCKS);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "runbook.yaml", "--mocks", "mocks.yaml", "--output", "json"])
        .run()
        .code(0);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["Parameters"]["Ami"], serde_json::json!(["ami-0abc"]));
    let calls = record["Calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["Service"], "ssm");
    assert_eq!(calls[0]["Api"], "GetParameter");
    assert_eq!(calls[0]["Params"], serde_json::json!({"Name": "/images/latest"}));
    assert_eq!(calls[0]["StepName"], "ResolveParameters");
    assert_eq!(calls[0]["AutomationExecutionId"], record["AutomationExecutionId"]);
    assert!(
        output.stderr.contains("ssm.GetParameter {\"Name\":\"/images/latest\"} ✔"),
        "{}",
        output.stderr
    );
}
