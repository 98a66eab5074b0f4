//! `aws:createStack` and `aws:deleteStack`.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

const CREATE: &str = r"
- name: create
  action: aws:createStack
  inputs:
    StackName: app
    TemplateBody: '{}'
    Capabilities: [CAPABILITY_IAM]
    Parameters:
    - {ParameterKey: Size, ParameterValue: '2'}
    OnFailure: DELETE
    TimeoutInMinutes: '30'
  outputs:
  - {Name: Id, Selector: $.StackId, Type: String}
";

const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1";

#[test]
fn create_stack_waits_for_create_complete_and_outputs_the_stack() {
    let out = case(&runbook(CREATE))
        .mocks(&format!(
            r"
aws:
- service: cloudformation
  api: CreateStack
  params: {{StackName: app, TemplateBody: '{{}}', Capabilities: [CAPABILITY_IAM], Parameters: [{{ParameterKey: Size, ParameterValue: '2'}}], OnFailure: DELETE, TimeoutInMinutes: 30}}
  returns: {{StackId: '{STACK_ID}'}}
- service: cloudformation
  api: DescribeStacks
  params: {{StackName: '{STACK_ID}'}}
  sequence:
  - returns: {{Stacks: [{{StackStatus: CREATE_IN_PROGRESS}}]}}
  - returns: {{Stacks: [{{StackStatus: CREATE_COMPLETE}}]}}
"
        ))
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.output("create", "StackId"), Some(&json!(STACK_ID)));
    assert_eq!(out.output("create", "StackStatus"), Some(&json!("CREATE_COMPLETE")));
    assert_eq!(out.output("create", "StackStatusReason"), Some(&json!("")));
    assert_eq!(out.output("create", "Id"), Some(&json!(STACK_ID)));
    assert_eq!(out.call_times("DescribeStacks"), [0, 5]);
    out.assert_all_mocks_used();
}

#[test]
fn create_stack_fails_when_the_stack_rolls_back() {
    let out = case(&runbook(CREATE))
        .mocks(&format!(
            r"
aws:
- {{service: cloudformation, api: CreateStack, returns: {{StackId: '{STACK_ID}'}}}}
- service: cloudformation
  api: DescribeStacks
  sequence:
  - returns: {{Stacks: [{{StackStatus: CREATE_IN_PROGRESS}}]}}
  - returns: {{Stacks: [{{StackStatus: ROLLBACK_IN_PROGRESS}}]}}
  - returns: {{Stacks: [{{StackStatus: ROLLBACK_COMPLETE, StackStatusReason: 'The following resource(s) failed to create: [Bucket].'}}]}}
"
        ))
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("create"),
        "stack app ended ROLLBACK_COMPLETE: The following resource(s) failed to create: [Bucket]."
    );
    assert_eq!(out.step_seconds("create"), 10);
}

#[test]
fn create_stack_fails_on_an_api_error() {
    let out = case(&runbook(CREATE))
        .mocks("aws:\n- {service: cloudformation, api: CreateStack, error: 'AlreadyExistsException: Stack [app] already exists'}\n")
        .run();
    assert_eq!(out.error_code("create"), Some("AlreadyExistsException"));
}

#[test]
fn create_stack_names_a_mistyped_input() {
    let out = case(&runbook(
        "- {name: create, action: aws:createStack, inputs: {StackName: app, TemplateUrl: 'https://x'}}\n",
    ))
    .run();
    assert!(
        out.failure("create").contains("unknown field `TemplateUrl`"),
        "{}",
        out.failure("create")
    );
}

const DELETE: &str = "- {name: delete, action: aws:deleteStack, inputs: {StackName: app, RoleARN: 'arn:aws:iam::1:role/cfn'}}\n";

#[test]
fn delete_stack_is_done_when_the_stack_is_gone() {
    let out = case(&runbook(DELETE))
        .mocks(
            r"
aws:
- {service: cloudformation, api: DeleteStack, params: {StackName: app, RoleARN: 'arn:aws:iam::1:role/cfn'}, returns: {}}
- service: cloudformation
  api: DescribeStacks
  params: {StackName: app}
  sequence:
  - returns: {Stacks: [{StackStatus: DELETE_IN_PROGRESS}]}
  - error: {code: ValidationError, message: Stack with id app does not exist}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.call_times("DescribeStacks"), [0, 5]);
}

#[test]
fn delete_stack_is_done_at_delete_complete() {
    let out = case(&runbook(DELETE))
        .mocks(
            "aws:\n- {service: cloudformation, api: DeleteStack, returns: {}}\n- {service: cloudformation, api: DescribeStacks, returns: {Stacks: [{StackStatus: DELETE_COMPLETE}]}}\n",
        )
        .run();
    assert_eq!(out.status(), Status::Success);
}

#[test]
fn delete_stack_fails_at_delete_failed() {
    let out = case(&runbook(DELETE))
        .mocks(
            "aws:\n- {service: cloudformation, api: DeleteStack, returns: {}}\n- {service: cloudformation, api: DescribeStacks, returns: {Stacks: [{StackStatus: DELETE_FAILED, StackStatusReason: 'bucket not empty'}]}}\n",
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.failure("delete"), "stack app ended DELETE_FAILED: bucket not empty");
}

#[test]
fn delete_stack_fails_on_other_describe_errors() {
    let out = case(&runbook(DELETE))
        .mocks(
            "aws:\n- {service: cloudformation, api: DeleteStack, returns: {}}\n- {service: cloudformation, api: DescribeStacks, error: 'AccessDenied: no'}\n",
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("delete"), Some("AccessDenied"));
}
