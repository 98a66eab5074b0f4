//! `aws:executeAwsApi`: the call as written, its response for declared outputs, API errors.

use runbook_engine::record::{FailureType, Status};
use serde_json::json;

use crate::support::{case, runbook};

const DESCRIBE: &str = r"
- name: describe
  action: aws:executeAwsApi
  inputs:
    Service: ec2
    Api: DescribeInstances
    InstanceIds: [i-0abc]
    Filters:
    - {Name: instance-state-name, Values: [running]}
  outputs:
  - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
  - {Name: Ids, Selector: '$..InstanceId', Type: StringList}
";

#[test]
fn the_call_gets_every_other_input_unchanged_and_outputs_read_its_response() {
    let out = case(&runbook(DESCRIBE))
        .mocks(
            r"
aws:
- service: ec2
  api: DescribeInstances
  params: {InstanceIds: [i-0abc]}
  returns: {Reservations: [{Instances: [{InstanceId: i-0abc, State: {Name: running}}]}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(out.calls(), ["ec2.DescribeInstances"]);
    assert_eq!(
        out.params_of("DescribeInstances"),
        [
            &json!({"InstanceIds": ["i-0abc"], "Filters": [{"Name": "instance-state-name", "Values": ["running"]}]})
        ]
    );
    assert_eq!(out.output("describe", "State"), Some(&json!("running")));
    assert_eq!(out.output("describe", "Ids"), Some(&json!(["i-0abc"])));
    assert_eq!(
        out.step("describe")
            .response
            .as_ref()
            .and_then(|r| r.pointer("/Reservations/0/Instances/0/InstanceId")),
        Some(&json!("i-0abc"))
    );
}

#[test]
fn an_api_error_fails_the_step_with_the_call_and_the_code() {
    let out = case(&runbook(DESCRIBE))
        .mocks(
            r"
aws:
- service: ec2
  api: DescribeInstances
  error: {code: InvalidInstanceID.NotFound, message: The instance ID 'i-0abc' does not exist}
",
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.step("describe").step_status, Status::Failed);
    assert_eq!(
        out.failure("describe"),
        "ec2.DescribeInstances failed: InvalidInstanceID.NotFound: The instance ID 'i-0abc' does not exist"
    );
    assert_eq!(out.error_code("describe"), Some("InvalidInstanceID.NotFound"));
    assert!(out.output("describe", "State").is_none());
}

#[test]
fn access_denied_is_recorded_as_a_permission_failure() {
    let out = case(&runbook(DESCRIBE))
        .mocks("aws:\n- {service: ec2, api: DescribeInstances, error: 'AccessDeniedException: not allowed'}\n")
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.failure_type("describe"), FailureType::Permission);
}

#[test]
fn throttling_is_retried_with_backoff_before_the_answer() {
    let out = case(&runbook(DESCRIBE))
        .mocks(
            r"
aws:
- service: ec2
  api: DescribeInstances
  sequence:
  - error: 'ThrottlingException: Rate exceeded'
  - error: 'ThrottlingException: Rate exceeded'
  - returns: {Reservations: [{Instances: [{InstanceId: i-0abc, State: {Name: running}}]}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(out.call_times("DescribeInstances"), [0, 1, 3]);
}

#[test]
fn a_missing_api_is_an_input_error() {
    let out = case(&runbook(
        "- {name: describe, action: aws:executeAwsApi, inputs: {Service: ec2, InstanceIds: [i-1]}}\n",
    ))
    .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("describe"),
        "invalid inputs for aws:executeAwsApi: missing field `Api`"
    );
    assert_eq!(out.failure_type("describe"), FailureType::Action);
    assert!(out.calls().is_empty());
}

#[test]
fn a_service_that_is_not_text_is_an_input_error_naming_it() {
    let out = case(&runbook(
        "- {name: describe, action: aws:executeAwsApi, inputs: {Service: [ec2], Api: DescribeInstances}}\n",
    ))
    .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("describe"),
        "invalid inputs for aws:executeAwsApi: Service: expected text, found a list"
    );
    assert!(out.calls().is_empty());
}

#[test]
fn a_number_is_text_for_the_api_name() {
    let out = case(&runbook(
        "- {name: describe, action: aws:executeAwsApi, inputs: {Service: ec2, Api: 7, DryRun: true}}\n",
    ))
    .run();
    assert_eq!(out.status(), Status::Failed);
    assert!(out.failure("describe").contains("ec2.7"), "{}", out.failure("describe"));
}
