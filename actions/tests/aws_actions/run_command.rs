//! `aws:runCommand`: the command sent with every input, the wait on `ListCommands`, the
//! results from `ListCommandInvocations`, and RULINGS 20's failure rule.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

const ON_ONE: &str = r"
- name: run
  action: aws:runCommand
  inputs:
    DocumentName: AWS-RunShellScript
    InstanceIds: [i-1]
    Parameters:
      commands: [hostname, uptime]
      workingDirectory: /tmp
      executionTimeout: 600
    TimeoutSeconds: '120'
    Comment: check
  outputs:
  - {Name: Text, Selector: $.Output, Type: String}
";

fn invocations(entries: &[(&str, &str, i64, &str)]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(id, status, code, output)| {
            format!(
                "{{InstanceId: {id}, Status: {status}, CommandPlugins: [{{Name: aws:runShellScript, Status: {status}, ResponseCode: {code}, Output: '{output}'}}]}}"
            )
        })
        .collect();
    format!("{{CommandInvocations: [{}]}}", items.join(", "))
}

#[test]
fn one_instance_gives_the_output_and_the_exit_code() {
    let out = case(&runbook(ON_ONE))
        .mocks(&format!(
            r"
aws:
- service: ssm
  api: SendCommand
  params:
    DocumentName: AWS-RunShellScript
    InstanceIds: [i-1]
    Parameters: {{commands: [hostname, uptime], workingDirectory: [/tmp], executionTimeout: ['600']}}
    TimeoutSeconds: 120
    Comment: check
  returns: {{Command: {{CommandId: c-1, Status: Pending}}}}
- service: ssm
  api: ListCommands
  params: {{CommandId: c-1}}
  sequence:
  - returns: {{Commands: [{{CommandId: c-1, Status: Pending}}]}}
  - returns: {{Commands: [{{CommandId: c-1, Status: InProgress}}]}}
  - returns: {{Commands: [{{CommandId: c-1, Status: Success}}]}}
- service: ssm
  api: ListCommandInvocations
  params: {{CommandId: c-1, Details: true}}
  returns: {}
",
            invocations(&[("i-1", "Success", 0, "web-1")])
        ))
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.output("run", "CommandId"), Some(&json!("c-1")));
    assert_eq!(out.output("run", "Status"), Some(&json!("Success")));
    assert_eq!(out.output("run", "ResponseCode"), Some(&json!(0)));
    assert_eq!(out.output("run", "Output"), Some(&json!("web-1")));
    assert_eq!(out.output("run", "Text"), Some(&json!("web-1")));
    assert_eq!(out.call_times("ListCommands"), [0, 5, 10]);
    assert_eq!(out.call_times("ListCommandInvocations"), [10]);
    out.assert_all_mocks_used();
}

#[test]
fn targets_and_rate_controls_are_sent_and_several_instances_give_no_output() {
    let out = case(&runbook(
        r"
- name: run
  action: aws:runCommand
  inputs:
    DocumentName: AWS-RunPatchBaseline
    Targets: [{Key: 'tag:Role', Values: [web]}]
    MaxConcurrency: 50%
    MaxErrors: 1
    Parameters: {Operation: Install}
",
    ))
    .mocks(&format!(
        r"
aws:
- service: ssm
  api: SendCommand
  params: {{DocumentName: AWS-RunPatchBaseline, Targets: [{{Key: 'tag:Role', Values: [web]}}], MaxConcurrency: 50%, MaxErrors: '1', Parameters: {{Operation: [Install]}}}}
  returns: {{Command: {{CommandId: c-2}}}}
- {{service: ssm, api: ListCommands, returns: {{Commands: [{{Status: Success}}]}}}}
- {{service: ssm, api: ListCommandInvocations, returns: {}}}
",
        invocations(&[("i-1", "Success", 0, "a"), ("i-2", "Success", 0, "b")])
    ))
    .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.output("run", "Status"), Some(&json!("Success")));
    assert!(out.output("run", "Output").is_none());
    assert!(out.output("run", "ResponseCode").is_none());
    out.assert_all_mocks_used();
}

#[test]
fn one_failed_invocation_fails_the_step_with_each_instance_s_result() {
    let out = case(&runbook(
        "- {name: run, action: aws:runCommand, inputs: {DocumentName: AWS-RunShellScript, InstanceIds: [i-1, i-2], Parameters: {commands: [exit 3]}}}\n",
    ))
    .mocks(&format!(
        "aws:\n- {{service: ssm, api: SendCommand, returns: {{Command: {{CommandId: c-3}}}}}}\n- {{service: ssm, api: ListCommands, returns: {{Commands: [{{Status: Failed}}]}}}}\n- {{service: ssm, api: ListCommandInvocations, returns: {}}}\n",
        invocations(&[("i-1", "Success", 0, "ok"), ("i-2", "Failed", 3, "disk full")])
    ))
    .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("run"),
        "command c-3 ended Failed: i-1 Success (exit code 0); i-2 Failed (exit code 3): disk full"
    );
}

#[test]
fn a_failed_invocation_fails_even_when_the_command_says_success() {
    let out = case(&runbook(ON_ONE))
        .mocks(&format!(
            "aws:\n- {{service: ssm, api: SendCommand, returns: {{Command: {{CommandId: c-4}}}}}}\n- {{service: ssm, api: ListCommands, returns: {{Commands: [{{Status: Success}}]}}}}\n- {{service: ssm, api: ListCommandInvocations, returns: {}}}\n",
            invocations(&[("i-1", "TimedOut", -1, "")])
        ))
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.failure("run"), "command c-4 ended Success: i-1 TimedOut (exit code -1)");
}

#[test]
fn a_command_still_running_at_the_timeout_times_out() {
    let out = case(&runbook(
        "- {name: run, action: aws:runCommand, timeoutSeconds: 300, inputs: {DocumentName: D, InstanceIds: [i-1]}}\n",
    ))
    .mocks(
        "aws:\n- {service: ssm, api: SendCommand, returns: {Command: {CommandId: c-5}}}\n- {service: ssm, api: ListCommands, returns: {Commands: [{Status: InProgress}]}}\n",
    )
    .run();
    assert_eq!(out.step("run").step_status, Status::TimedOut);
    assert_eq!(out.step_seconds("run"), 300);
}

#[test]
fn instances_or_targets_are_needed_and_api_errors_fail() {
    let out =
        case(&runbook("- {name: run, action: aws:runCommand, inputs: {DocumentName: D}}\n")).run();
    assert_eq!(
        out.failure("run"),
        "invalid inputs for aws:runCommand: give InstanceIds or Targets"
    );
    let out = case(&runbook(ON_ONE))
        .mocks(
            "aws:\n- {service: ssm, api: SendCommand, error: 'InvalidInstanceId: not managed'}\n",
        )
        .run();
    assert_eq!(out.error_code("run"), Some("InvalidInstanceId"));
}

#[test]
fn parameters_given_as_json_text_are_read_as_a_map() {
    let document = format!(
        "parameters:\n  Commands: {{type: String}}\n{}",
        runbook(
            "- {name: run, action: aws:runCommand, inputs: {DocumentName: D, InstanceIds: [i-1], Parameters: '{{ Commands }}'}}\n"
        )
    );
    let out = case(&document)
    .param("Commands", json!(r#"{"commands": ["ls", "pwd"], "timeout": 30}"#))
    .mocks(&format!(
        "aws:\n- {{service: ssm, api: SendCommand, returns: {{Command: {{CommandId: c-6}}}}}}\n- {{service: ssm, api: ListCommands, returns: {{Commands: [{{Status: Success}}]}}}}\n- {{service: ssm, api: ListCommandInvocations, returns: {}}}\n",
        invocations(&[("i-1", "Success", 0, "")])
    ))
    .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(
        out.params_of("SendCommand")[0]["Parameters"],
        json!({"commands": ["ls", "pwd"], "timeout": ["30"]})
    );
}
