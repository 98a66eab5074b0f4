//! The analyses against botocore's real models: every model parses, the spellings runbooks
//! use resolve, and placeholder responses fit their own output shapes.
//!
//! These tests read botocore's models, found as `Models::discover` finds them; they fail with
//! the reason when there are none (`pip install botocore`).

use runbook_aws::model::{Models, auto_response, check_params, check_response, check_selector};
use serde_json::json;

fn models() -> Models {
    Models::discover(None)
        .unwrap_or_else(|error| panic!("these tests need botocore's models: {error}"))
}

#[test]
fn every_model_parses_and_names_a_protocol() {
    let models = models();
    assert!(models.service_names().len() > 300, "{} services", models.service_names().len());
    let mut unsupported = Vec::new();
    for name in models.service_names() {
        let model = models.service(name).unwrap_or_else(|error| panic!("{error}"));
        assert!(model.operation_names().count() > 0, "{name} has no operations");
        if model.metadata().supported_protocol().is_none() {
            unsupported.push(name.clone());
        }
    }
    assert!(unsupported.is_empty(), "services without a supported protocol: {unsupported:?}");
}

#[test]
fn the_spellings_runbooks_use_resolve() {
    let models = models();
    for (service, api, canonical) in [
        ("ec2", "DescribeInstances", "DescribeInstances"),
        ("EC2", "DescribeInstances", "DescribeInstances"),
        (
            "ec2",
            "describe_iam_instance_profile_associations",
            "DescribeIamInstanceProfileAssociations",
        ),
        ("ec2", "rebootInstances", "RebootInstances"),
        ("s3", "listBuckets", "ListBuckets"),
        ("SQS", "SetQueueAttributes", "SetQueueAttributes"),
        ("sts", "get_caller_identity", "GetCallerIdentity"),
        ("elbv2", "describe_load_balancers", "DescribeLoadBalancers"),
        ("ssm", "GetAutomationExecution", "GetAutomationExecution"),
        ("application-autoscaling", "DescribeScalableTargets", "DescribeScalableTargets"),
    ] {
        let model = models.service(service).unwrap_or_else(|error| panic!("{error}"));
        let operation = model.operation(api).unwrap_or_else(|| panic!("{service}.{api} not found"));
        assert_eq!(operation.name(), canonical);
    }
    let ec2 = models.service("ec2").unwrap();
    assert!(ec2.operation("DescribeInstance").is_none());
    assert_eq!(ec2.closest_operation("DescribeInstance"), Some("DescribeInstances"));
    let error = models.service("ec3").unwrap_err().to_string();
    assert!(error.starts_with("unknown aws service `ec3`; did you mean"), "{error}");
}

#[test]
fn placeholder_responses_fit_their_output_shapes() {
    let models = models();
    for service in
        ["ec2", "iam", "ssm", "s3", "lambda", "rds", "sts", "sqs", "dynamodb", "cloudwatch"]
    {
        let model = models.service(service).unwrap();
        for name in model.operation_names() {
            let operation = model.operation(name).unwrap();
            let response = auto_response(&operation);
            let problems = check_response(&operation, &response);
            assert!(problems.is_empty(), "{service}.{name}: {problems:?}");
        }
    }
}

#[test]
fn describe_instances_is_checked_end_to_end() {
    let models = models();
    let ec2 = models.service("ec2").unwrap();
    let operation = ec2.operation("DescribeInstances").unwrap();
    let params = json!({
        "InstanceIds": ["{{ InstanceId }}"],
        "Filters": [{"Name": "instance-state-name", "Values": ["running"]}],
        "MaxResults": 10
    });
    assert_eq!(check_params(&operation, &params), []);
    let problems: Vec<String> =
        check_params(&operation, &json!({"InstanceId": "i-1", "Filters": {"Name": "x"}}))
            .iter()
            .map(ToString::to_string)
            .collect();
    assert_eq!(
        problems,
        [
            "unknown parameter `InstanceId`; did you mean `InstanceIds`?",
            "parameter `Filters` should be a list, not a map",
        ]
    );
    for selector in [
        "$.Reservations[0].Instances[0].State.Name",
        "$..InstanceId",
        "$.Reservations[*].Instances[*].Tags[?(@.Key == 'Name')].Value",
        "$.Reservations[0].Instances[0].LaunchTime",
    ] {
        assert_eq!(check_selector(&operation, selector), None, "{selector}");
    }
    let problem = check_selector(&operation, "$.Reservations[0].Instances[0].State.Nmae").unwrap();
    assert_eq!(problem.closest.as_deref(), Some("Name"));
    let response = auto_response(&operation);
    assert_eq!(response["Reservations"][0]["Instances"][0]["State"]["Name"], "pending");
    assert_eq!(response["Reservations"][0]["Instances"][0]["InstanceId"], "<InstanceId>");
}

#[test]
fn boto3_parameter_aliases_are_accepted() {
    let models = models();
    let ec2 = models.service("ec2").unwrap();
    let flow_logs = ec2.operation("DescribeFlowLogs").unwrap();
    let params = json!({"Filters": [{"Name": "resource-id", "Values": ["vpc-1"]}]});
    assert_eq!(check_params(&flow_logs, &params), []);
    let wrong = json!({"Filters": [{"Name": "resource-id", "Values": "vpc-1"}]});
    let problems: Vec<String> =
        check_params(&flow_logs, &wrong).iter().map(ToString::to_string).collect();
    assert_eq!(problems, ["parameter `Filters[0].Values` should be a list, not a string"]);
    let logs = models.service("logs").unwrap();
    let export = logs.operation("CreateExportTask").unwrap();
    let params = json!({"logGroupName": "g", "fromTime": 1, "to": 2, "destination": "b"});
    assert_eq!(check_params(&export, &params), []);
}

#[test]
fn iam_and_ssm_parameters_are_checked() {
    let models = models();
    let iam = models.service("iam").unwrap();
    let create_role = iam.operation("CreateRole").unwrap();
    let problems: Vec<String> = check_params(&create_role, &json!({"RoleName": "r"}))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems, ["missing required parameter `AssumeRolePolicyDocument`"]);
    let ssm = models.service("ssm").unwrap();
    let put = ssm.operation("PutParameter").unwrap();
    let params = json!({"Name": "/a", "Value": "b", "Type": "String", "Overwrite": "true"});
    let problems: Vec<String> =
        check_params(&put, &params).iter().map(ToString::to_string).collect();
    assert_eq!(problems, ["parameter `Overwrite` should be a boolean, not a string"]);
}
