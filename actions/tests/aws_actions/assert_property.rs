//! `aws:assertAwsResourceProperty`: one call, then RULINGS 16's comparison.

use runbook_engine::record::{FailureType, Status};
use serde_json::json;

use crate::support::{case, runbook};

fn assert_step(selector: &str, desired: &str) -> String {
    runbook(&format!(
        r"
- name: check
  action: aws:assertAwsResourceProperty
  inputs:
    Service: ec2
    Api: DescribeInstanceStatus
    InstanceIds: [i-1, i-2]
    IncludeAllInstances: true
    PropertySelector: '{selector}'
    DesiredValues: {desired}
"
    ))
}

const STATUSES: &str = r"
aws:
- service: ec2
  api: DescribeInstanceStatus
  params: {InstanceIds: [i-1, i-2], IncludeAllInstances: true}
  returns:
    InstanceStatuses:
    - {InstanceId: i-1, InstanceState: {Name: running}, Healthy: true}
    - {InstanceId: i-2, InstanceState: {Name: stopped}, Healthy: false}
";

#[test]
fn a_desired_value_passes_with_one_call_and_the_check_inputs_left_out_of_it() {
    let out = case(&assert_step("$.InstanceStatuses[0].InstanceState.Name", "[pending, running]"))
        .mocks(STATUSES)
        .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(out.calls(), ["ec2.DescribeInstanceStatus"]);
    assert_eq!(
        out.params_of("DescribeInstanceStatus"),
        [&json!({"InstanceIds": ["i-1", "i-2"], "IncludeAllInstances": true})]
    );
}

#[test]
fn a_value_not_desired_fails_with_the_value_and_the_desired_values() {
    let out = case(&assert_step("$.InstanceStatuses[1].InstanceState.Name", "[running]"))
        .mocks(STATUSES)
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("check"),
        r#"PropertySelector $.InstanceStatuses[1].InstanceState.Name selected "stopped", which is not in DesiredValues ["running"]"#
    );
    assert_eq!(out.failure_type("check"), FailureType::Verification);
}

#[test]
fn a_list_passes_only_when_every_element_is_desired() {
    let both = "$.InstanceStatuses[*].InstanceState.Name";
    let out = case(&assert_step(both, "[running]")).mocks(STATUSES).run();
    assert_eq!(out.status(), Status::Failed);
    assert!(out.failure("check").contains(r#"selected ["running", "stopped"]"#));
    let out = case(&assert_step(both, "[running, stopped]")).mocks(STATUSES).run();
    assert_eq!(out.status(), Status::Success);
}

#[test]
fn an_empty_list_or_nothing_selected_fails() {
    let out =
        case(&assert_step(r#"$.InstanceStatuses[?(@.InstanceId == "i-9")].Healthy"#, "['True']"))
            .mocks(STATUSES)
            .run();
    assert_eq!(out.status(), Status::Failed);
    assert!(out.failure("check").contains("selected nothing"), "{}", out.failure("check"));
    let out = case(&assert_step("$.Missing", "[x]")).mocks(STATUSES).run();
    assert_eq!(out.status(), Status::Failed);
}

#[test]
fn booleans_compare_as_capitalized_text() {
    let healthy = "$.InstanceStatuses[0].Healthy";
    assert_eq!(
        case(&assert_step(healthy, "['True']")).mocks(STATUSES).run().status(),
        Status::Success
    );
    // A YAML boolean in DesiredValues is written the same way.
    assert_eq!(
        case(&assert_step(healthy, "[true]")).mocks(STATUSES).run().status(),
        Status::Success
    );
    let out = case(&assert_step(healthy, "['true']")).mocks(STATUSES).run();
    assert_eq!(out.status(), Status::Failed);
    assert!(out.failure("check").contains(r#"selected "True""#));
}

#[test]
fn an_api_error_fails_the_step() {
    let out = case(&assert_step("$.InstanceStatuses[0].InstanceState.Name", "[running]"))
        .mocks("aws:\n- {service: ec2, api: DescribeInstanceStatus, error: 'UnauthorizedOperation: no'}\n")
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("check"), Some("UnauthorizedOperation"));
}

#[test]
fn a_broken_selector_is_an_input_error_before_any_call() {
    let out = case(&assert_step("$.InstanceStatuses[", "[running]")).mocks(STATUSES).run();
    assert_eq!(out.status(), Status::Failed);
    assert!(
        out.failure("check")
            .starts_with("PropertySelector `$.InstanceStatuses[` is not a valid JSONPath")
    );
    assert!(out.calls().is_empty());
}
