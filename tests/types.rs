//! Reference types as the service checks them (SPEC 1.4, 2.3), driven through the command: an
//! `aws:runCommand` document with a mismatch is refused before it runs; any other step with
//! one fails when its inputs are checked, naming the parameter, its type and the type wanted.

use crate::support::{Cli, TempDir};

#[test]
fn a_run_command_step_fed_the_wrong_type_is_refused_before_running() {
    let dir = TempDir::new("types-run-command");
    dir.write(
        "send.yaml",
        "schemaVersion: '0.3'\nparameters:\n  InstanceId: {type: String}\nmainSteps:\n  - name: send\n    action: aws:runCommand\n    inputs: {DocumentName: AWS-RunShellScript, InstanceIds: '{{ InstanceId }}'}\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "send.yaml", "-p", "InstanceId=i-0123456789abcdef0"])
        .run()
        .code(2);
    assert!(
        output.stderr.contains(
            "error[RB008]: parameter `InstanceId` is a String, but input `InstanceIds` takes a StringList"
        ),
        "{}",
        output.stderr
    );
    assert!(output.stdout.is_empty(), "no step ran: {}", output.stdout);
}

#[test]
fn other_steps_fed_the_wrong_type_fail_when_their_inputs_are_checked() {
    let dir = TempDir::new("types-run-instances");
    dir.write(
        "launch.yaml",
        "schemaVersion: '0.3'\nparameters:\n  Count: {type: String, default: '2'}\n  Force: {type: String, default: 'true'}\nmainSteps:\n  - name: launch\n    action: aws:runInstances\n    inputs: {ImageId: ami-0123456789abcdef0, MaxInstanceCount: '{{ Count }}'}\n    onFailure: Continue\n  - name: stop\n    action: aws:changeInstanceState\n    inputs: {InstanceIds: [i-0123456789abcdef0], DesiredState: stopped, Force: '{{ Force }}'}\n",
    );
    let output = Cli::new().current_dir(dir.path()).args(["validate", "launch.yaml"]).run().code(0);
    assert!(output.stdout.ends_with("0 errors, 2 warnings\n"), "{}", output.stdout);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "launch.yaml", "--output", "json"])
        .run()
        .code(1);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let steps = record["StepExecutions"].as_array().unwrap();
    assert_eq!(
        steps[0]["FailureMessage"],
        "parameter `Count` is a String, but input `MaxInstanceCount` takes an Integer"
    );
    assert_eq!(
        steps[1]["FailureMessage"],
        "parameter `Force` is a String, but input `Force` takes a Boolean"
    );
    assert_eq!(steps[1]["FailureDetails"]["FailureStage"], "InputValidation");
    assert_eq!(record["Calls"], serde_json::json!([]), "no call was made");
}
