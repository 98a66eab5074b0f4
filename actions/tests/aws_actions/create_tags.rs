//! `aws:createTags`: EC2 resources through `ec2.CreateTags`, Systems Manager resources through
//! `ssm.AddTagsToResource`.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

fn tags(inputs: &str) -> String {
    runbook(&format!("- name: tag\n  action: aws:createTags\n  inputs: {inputs}\n"))
}

#[test]
fn ec2_resources_are_tagged_in_one_call() {
    let out = case(&tags("{ResourceIds: [i-1, vol-2], Tags: [{Key: team, Value: ops}]}"))
        .mocks(
            "aws:\n- {service: ec2, api: CreateTags, params: {Resources: [i-1, vol-2], Tags: [{Key: team, Value: ops}]}, returns: {}}\n",
        )
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(out.calls(), ["ec2.CreateTags"]);
}

#[test]
fn systems_manager_resources_are_tagged_with_their_type() {
    for resource_type in ["ManagedInstance", "MaintenanceWindow", "Parameter"] {
        let out = case(&tags(&format!(
            "{{ResourceType: {resource_type}, ResourceIds: [res-1], Tags: [{{Key: a, Value: b}}]}}"
        )))
        .mocks("aws:\n- {service: ssm, api: AddTagsToResource, returns: {}}\n")
        .run();
        assert_eq!(out.status(), Status::Success, "{resource_type}");
        assert_eq!(
            out.params_of("AddTagsToResource"),
            [
                &json!({"ResourceType": resource_type, "ResourceId": "res-1", "Tags": [{"Key": "a", "Value": "b"}]})
            ]
        );
    }
}

#[test]
fn systems_manager_resources_take_one_id() {
    let out =
        case(&tags("{ResourceType: Parameter, ResourceIds: [a, b], Tags: [{Key: a, Value: b}]}"))
            .run();
    assert_eq!(
        out.failure("tag"),
        "invalid inputs for aws:createTags: ResourceIds: a Parameter is tagged one at a time, but 2 ids are given"
    );
    assert!(out.calls().is_empty());
}

#[test]
fn other_resource_types_are_refused() {
    let out = case(&tags("{ResourceType: S3, ResourceIds: [a], Tags: [{Key: a, Value: b}]}")).run();
    assert_eq!(
        out.failure("tag"),
        "invalid inputs for aws:createTags: ResourceType: `S3` is not one of EC2, ManagedInstance, MaintenanceWindow, Parameter"
    );
}

#[test]
fn an_api_error_fails_the_step() {
    let out = case(&tags("{ResourceIds: [i-1], Tags: [{Key: a, Value: b}]}"))
        .mocks("aws:\n- {service: ec2, api: CreateTags, error: 'InvalidID: bad id'}\n")
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("tag"), Some("InvalidID"));
}
