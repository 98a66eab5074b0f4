//! `aws:executeStateMachine`: the execution started, waited for, its outputs, and the ways
//! it fails.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

const EXECUTE: &str = r"
- name: execute
  action: aws:executeStateMachine
  inputs:
    stateMachineArn: arn:aws:states:us-east-1:1:stateMachine:sm
    name: run-1
    input: {order: 7}
  outputs:
  - {Name: Status, Selector: $.status, Type: String}
";

const ARN: &str = "arn:aws:states:us-east-1:1:execution:sm:run-1";

#[test]
fn the_execution_is_waited_for_and_its_description_becomes_the_outputs() {
    let out = case(&runbook(EXECUTE))
        .mocks(&format!(
            r#"
aws:
- service: stepfunctions
  api: StartExecution
  params: {{stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:sm', name: run-1, input: '{{"order":7}}'}}
  returns: {{executionArn: '{ARN}', startDate: '2026-01-01T00:00:00Z'}}
- service: stepfunctions
  api: DescribeExecution
  params: {{executionArn: '{ARN}'}}
  sequence:
  - returns: {{executionArn: '{ARN}', status: RUNNING}}
  - returns: {{executionArn: '{ARN}', stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:sm', name: run-1, status: SUCCEEDED, input: '{{"order":7}}', output: '{{"shipped":true}}', startDate: 1767225600, stopDate: '2026-01-01T00:00:05Z'}}
"#
        ))
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.output("execute", "status"), Some(&json!("SUCCEEDED")));
    assert_eq!(out.output("execute", "executionArn"), Some(&json!(ARN)));
    assert_eq!(out.output("execute", "output"), Some(&json!("{\"shipped\":true}")));
    assert_eq!(out.output("execute", "startDate"), Some(&json!("1767225600")));
    assert_eq!(out.output("execute", "stopDate"), Some(&json!("2026-01-01T00:00:05Z")));
    assert_eq!(out.output("execute", "Status"), Some(&json!("SUCCEEDED")));
    assert_eq!(out.call_times("DescribeExecution"), [0, 5]);
    out.assert_all_mocks_used();
}

#[test]
fn a_failed_execution_fails_the_step_with_its_error_and_cause() {
    let out = case(&runbook(EXECUTE))
        .mocks(&format!(
            "aws:\n- {{service: stepfunctions, api: StartExecution, returns: {{executionArn: '{ARN}'}}}}\n- {{service: stepfunctions, api: DescribeExecution, returns: {{status: FAILED, error: States.TaskFailed, cause: boom}}}}\n"
        ))
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("execute"),
        format!("execution {ARN} ended FAILED, error: States.TaskFailed, cause: boom")
    );
}

#[test]
fn aborted_and_timed_out_executions_fail_too() {
    for status in ["ABORTED", "TIMED_OUT"] {
        let out = case(&runbook(EXECUTE))
            .mocks(&format!(
                "aws:\n- {{service: stepfunctions, api: StartExecution, returns: {{executionArn: '{ARN}'}}}}\n- {{service: stepfunctions, api: DescribeExecution, returns: {{status: {status}}}}}\n"
            ))
            .run();
        assert_eq!(out.status(), Status::Failed, "{status}");
        assert!(
            out.failure("execute").ends_with(&format!("ended {status}")),
            "{}",
            out.failure("execute")
        );
    }
}

#[test]
fn input_names_are_lower_camel_case() {
    let out = case(&runbook(
        "- {name: execute, action: aws:executeStateMachine, inputs: {StateMachineArn: arn:x}}\n",
    ))
    .run();
    assert!(
        out.failure("execute").contains("unknown field `StateMachineArn`"),
        "{}",
        out.failure("execute")
    );
    let out = case(&runbook(EXECUTE))
        .mocks("aws:\n- {service: stepfunctions, api: StartExecution, error: 'StateMachineDoesNotExist: no'}\n")
        .run();
    assert_eq!(out.error_code("execute"), Some("StateMachineDoesNotExist"));
}
