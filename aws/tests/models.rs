//! The analyses against botocore's real models: every model parses, the spellings runbooks
//! use resolve, and placeholder responses have the shape of the answers boto3 recorded.
//!
//! These tests read botocore's models, found as `Models::discover` finds them; they fail with
//! the reason when there are none (`pip install botocore`).

use runbook_aws::model::{Models, auto_response, check_params, check_selector};
use serde_json::{Value, json};

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

/// Where the recorded answer `recorded` has a member, an item or a value of a kind the
/// placeholder `placeholder` lacks, one line each. A recorded key the placeholder object lacks
/// is read as a map key when the placeholder holds a single entry (a map's one placeholder
/// entry); every recorded item of a list is compared with the placeholder's one item.
fn unlike_recorded(placeholder: &Value, recorded: &Value, path: &str, out: &mut Vec<String>) {
    let kind = |value: &Value| match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    };
    match (placeholder, recorded) {
        (Value::Object(placeholder), Value::Object(recorded)) => {
            for (key, value) in recorded {
                let inner = format!("{path}.{key}");
                match placeholder.get(key) {
                    Some(expected) => unlike_recorded(expected, value, &inner, out),
                    None if placeholder.len() == 1 => {
                        let entry = placeholder.values().next().expect("one entry");
                        unlike_recorded(entry, value, &inner, out);
                    }
                    None => out.push(format!("{inner}: recorded, not in the placeholder")),
                }
            }
        }
        (Value::Array(placeholder), Value::Array(recorded)) => {
            for (index, value) in recorded.iter().enumerate() {
                match placeholder.first() {
                    Some(item) => unlike_recorded(item, value, &format!("{path}[{index}]"), out),
                    None => out.push(format!("{path}: recorded items, the placeholder has none")),
                }
            }
        }
        // boto3's `None`: the member came without a value, which any kind allows.
        (_, Value::Null) => {}
        (placeholder, recorded) if kind(placeholder) != kind(recorded) => out.push(format!(
            "{path}: recorded a {}, the placeholder has a {}",
            kind(recorded),
            kind(placeholder)
        )),
        _ => {}
    }
}

/// The number of values in `value`, containers included.
fn values_in(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(values_in).sum(),
        Value::Object(members) => members.values().map(values_in).sum(),
        _ => 0,
    }
}

/// Where placeholders knowingly differ from what boto3 answered, and why.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "dynamodb.GetItem.Item.l.L: recorded items, the placeholder has none",
        "AttributeValue holds itself: a placeholder leaves recursive shapes out",
    ),
    (
        "iam.CreateRole.Role.AssumeRolePolicyDocument: recorded a map, the placeholder has a string",
        "boto3 (and the live client) decode IAM policy documents into JSON; placeholders and \
         mock checks keep the model's string",
    ),
    (
        "iam.GetRole.Role.AssumeRolePolicyDocument: recorded a map, the placeholder has a string",
        "as for CreateRole",
    ),
    (
        "iam.ListRoles.Roles[0].AssumeRolePolicyDocument: recorded a map, the placeholder has a \
         string",
        "as for CreateRole",
    ),
];

#[test]
fn placeholder_responses_have_the_shape_of_recorded_answers() {
    // The answers boto3 parsed from a moto server (the protocol fixtures) were not made from
    // this crate's reading of the models: each of their members must be in the placeholder,
    // with a value of the same kind.
    let models = models();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/protocol");
    let mut paths: Vec<_> = std::fs::read_dir(&folder)
        .expect("the protocol fixtures are readable")
        .map(|entry| entry.expect("a fixture").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    paths.sort();
    let (mut answers, mut values, mut problems) = (0, 0, Vec::new());
    for path in paths {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
                .expect("a fixture is JSON");
        let Some(Value::Object(recorded)) = fixture.get("parsed") else { continue };
        let (service, name) = (fixture["service"].as_str(), fixture["operation"].as_str());
        let (Some(service), Some(name)) = (service, name) else {
            panic!("{}: no service or operation", path.display())
        };
        let model = models.service(service).unwrap_or_else(|error| panic!("{error}"));
        let operation =
            model.operation(name).unwrap_or_else(|| panic!("{service}.{name} not found"));
        let placeholder = auto_response(&operation);
        assert_eq!(placeholder["ResponseMetadata"]["HTTPStatusCode"], 200, "{service}.{name}");
        // The metadata is boto3's, not the model's: its headers are whatever the server sent.
        let mut recorded = recorded.clone();
        recorded.remove("ResponseMetadata");
        let recorded = Value::Object(recorded);
        answers += 1;
        values += values_in(&recorded);
        unlike_recorded(&placeholder, &recorded, &format!("{service}.{name}"), &mut problems);
    }
    // Each known difference must still be found, so that one fixed leaves this list.
    let known: Vec<String> =
        KNOWN_DIFFERENCES.iter().map(|(line, _)| (*line).to_string()).collect();
    assert_eq!(problems, known, "placeholders unlike recorded answers (left) and the known ones");
    // Enough answers that the comparison means something.
    assert!(answers >= 50 && values >= 500, "{answers} recorded answers, {values} values");
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
