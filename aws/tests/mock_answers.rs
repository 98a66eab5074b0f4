//! How `MockAws` answers calls: rule order, parameter matching, sequences, messages for calls
//! no rule answers, and the rules a run never used.

use std::path::Path;
use std::sync::Arc;

use runbook_aws::mock::{MOCK_NOT_FOUND, MockAws, MockFile};
use runbook_engine::host::{ApiError, ApiRequest, AwsBackend};
use serde_json::{Value, json};

fn mock(text: &str) -> MockAws {
    let file = MockFile::parse(Path::new("mocks.yaml"), text).expect("valid mock file");
    MockAws::new(Arc::new(file))
}

fn call(aws: &MockAws, service: &str, api: &str, params: Value) -> Result<Value, ApiError> {
    aws.answer(&ApiRequest::new(service, api, params))
}

const INSTANCES: &str = "\
aws:
  - service: ec2
    api: DescribeInstances
    params: {InstanceIds: [i-0abc]}
    returns: {Reservations: [{Instances: [{InstanceId: i-0abc, State: {Name: running}}]}]}
  - service: ec2
    api: DescribeInstances
    params: {InstanceIds: [i-0def], Filters: [{Name: instance-state-name}]}
    returns: {Reservations: [{Instances: [{InstanceId: i-0def}]}]}
  - service: ec2
    api: DescribeInstances
    returns: {Reservations: []}
  - service: ec2
    api: StopInstances
    error: {code: IncorrectInstanceState, message: the instance is not running, status: 400}
  - service: ssm
    api: GetParameter
    returns: {Parameter: {Value: x}}
";

#[test]
fn the_first_matching_rule_answers() {
    let aws = mock(INSTANCES);
    let first = call(&aws, "ec2", "DescribeInstances", json!({"InstanceIds": ["i-0abc"]}));
    assert_eq!(first.expect("answered")["Reservations"][0]["Instances"][0]["InstanceId"], "i-0abc");
    // Matches only the catch-all third rule.
    let other = call(&aws, "ec2", "DescribeInstances", json!({"InstanceIds": ["i-0xyz"]}));
    assert_eq!(other.expect("answered"), json!({"Reservations": []}));
    // No params at all: the catch-all too.
    assert_eq!(
        call(&aws, "ec2", "DescribeInstances", Value::Null),
        Ok(json!({"Reservations": []}))
    );
    assert_eq!(aws.call_counts(), [1, 0, 2, 0, 0]);
}

#[test]
fn params_match_as_a_subset() {
    let aws = mock(INSTANCES);
    // Extra parameters and an extra key inside a filter do not matter.
    let answer = call(
        &aws,
        "ec2",
        "DescribeInstances",
        json!({
            "InstanceIds": ["i-0def"],
            "Filters": [{"Name": "instance-state-name", "Values": ["running"]}],
            "MaxResults": 10
        }),
    );
    assert_eq!(
        answer.expect("answered")["Reservations"][0]["Instances"][0]["InstanceId"],
        "i-0def"
    );
    // A list must match in full: one more instance id is another call.
    let answer =
        call(&aws, "ec2", "DescribeInstances", json!({"InstanceIds": ["i-0abc", "i-0def"]}));
    assert_eq!(answer, Ok(json!({"Reservations": []})));
    assert_eq!(aws.call_counts(), [0, 1, 1, 0, 0]);
}

#[test]
fn an_error_rule_answers_its_api_error() {
    let aws = mock(INSTANCES);
    let error =
        call(&aws, "ec2", "StopInstances", json!({"InstanceIds": ["i-1"]})).expect_err("error");
    assert_eq!(
        error,
        ApiError::new("IncorrectInstanceState", "the instance is not running").with_status(400)
    );
}

#[test]
fn a_sequence_answers_in_order_and_repeats_its_last_answer() {
    let aws = mock(
        "\
aws:
  - service: ec2
    api: DescribeInstanceStatus
    sequence:
      - error: 'RequestLimitExceeded: slow down'
      - returns: {InstanceStatuses: [{InstanceState: {Name: pending}}]}
      - returns: {InstanceStatuses: [{InstanceState: {Name: running}}]}
",
    );
    let state = |answer: Result<Value, ApiError>| {
        answer.map(|value| value["InstanceStatuses"][0]["InstanceState"]["Name"].clone())
    };
    let poll = || state(call(&aws, "ec2", "DescribeInstanceStatus", json!({})));
    assert_eq!(poll(), Err(ApiError::new("RequestLimitExceeded", "slow down")));
    assert_eq!(poll(), Ok(json!("pending")));
    assert_eq!(poll(), Ok(json!("running")));
    assert_eq!(poll(), Ok(json!("running")));
    assert_eq!(poll(), Ok(json!("running")));
    assert_eq!(aws.call_counts(), [5]);
}

#[test]
fn an_unmatched_call_names_the_parameter_that_differs() {
    let aws = mock(
        INSTANCES
            .replace(
                "  - service: ec2\n    api: DescribeInstances\n    returns: {Reservations: []}\n",
                "",
            )
            .as_str(),
    );
    let error = call(&aws, "ec2", "DescribeInstances", json!({"InstanceIds": ["i-0xyz"]}))
        .expect_err("no rule matches");
    assert_eq!(error.code, MOCK_NOT_FOUND);
    assert_eq!(error.status, None);
    assert_eq!(
        error.message,
        r#"no mock answers ec2.DescribeInstances {"InstanceIds":["i-0xyz"]}; the closest mock, aws[0] at mocks.yaml:2:5, wants params.InstanceIds[0] = "i-0abc" but the call has "i-0xyz""#
    );

    // The rule with fewer differences is the closest; a missing parameter is said so.
    let error = call(&aws, "ec2", "DescribeInstances", json!({"InstanceIds": ["i-0def"]}))
        .expect_err("no filter");
    assert_eq!(
        error.message,
        r#"no mock answers ec2.DescribeInstances {"InstanceIds":["i-0def"]}; the closest mock, aws[1] at mocks.yaml:6:5, wants params.Filters = [{"Name":"instance-state-name"}] but the call does not have it"#
    );

    let aws = mock("aws:\n  - {service: s, api: A, params: {X: 1, Y: [2], Z: 3}, returns: {}}\n");
    let error =
        call(&aws, "s", "A", json!({"X": 2, "Y": [3], "Z": 3})).expect_err("two differences");
    assert_eq!(
        error.message,
        r#"no mock answers s.A {"X":2,"Y":[3],"Z":3}; the closest mock, aws[0] at mocks.yaml:2:5, wants params.X = 1 but the call has 2 (and 1 more difference)"#
    );
}

#[test]
fn an_unmatched_call_names_the_closest_api_or_service() {
    let aws = mock(INSTANCES);
    let error = call(&aws, "ec2", "DescribeInstance", json!({})).expect_err("typo in the api");
    assert_eq!(
        error.message,
        "no mock answers ec2.DescribeInstance {}; the closest mock is for ec2.DescribeInstances (aws[0] at mocks.yaml:2:5)"
    );
    let error = call(&aws, "ec2", "TerminateInstances", Value::Null).expect_err("other api");
    assert_eq!(
        error.message,
        "no mock answers ec2.TerminateInstances {}; the mocks for ec2 answer DescribeInstances, StopInstances"
    );
    let error =
        call(&aws, "ssn", "GetParameter", json!({"Name": "p"})).expect_err("typo in the service");
    assert_eq!(
        error.message,
        r#"no mock answers ssn.GetParameter {"Name":"p"}; no mock is for ssn, the closest is ssm"#
    );
    let error = call(&aws, "iam", "GetRole", json!({})).expect_err("other service");
    assert_eq!(
        error.message,
        "no mock answers iam.GetRole {}; no mock is for iam, the mocks are for ec2, ssm"
    );
    let empty = mock("approvals: {a: Approve}\n");
    let error = call(&empty, "iam", "GetRole", json!({})).expect_err("no rules");
    assert_eq!(error.message, "no mock answers iam.GetRole {}; the mocks have no `aws` rules");
    // As a step failure, the engine shows the error as `code: message`.
    assert!(error.to_string().starts_with("MockNotFound: no mock answers iam.GetRole"));
}

#[test]
fn long_parameters_are_cut_in_messages() {
    let aws = mock(INSTANCES);
    let ids: Vec<String> = (0..200).map(|index| format!("i-{index:08}")).collect();
    let error =
        call(&aws, "ec2", "TerminateInstances", json!({"InstanceIds": ids})).expect_err("no rule");
    assert!(error.message.len() < 500, "{}", error.message);
    assert!(error.message.contains("…; the mocks for ec2 answer"), "{}", error.message);
}

#[test]
fn rules_never_used_are_reported_with_their_positions() {
    let aws = mock(INSTANCES);
    call(&aws, "ec2", "DescribeInstances", json!({"InstanceIds": ["i-0abc"]})).expect("answered");
    call(&aws, "ec2", "StopInstances", json!({})).expect_err("error answer counts as used");
    // An unmatched call uses no rule.
    call(&aws, "ec2", "RebootInstances", json!({})).expect_err("no rule");
    let unused = aws.unused_rules();
    let shown: Vec<String> = unused.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "mocks.yaml:6:5: aws[1] (ec2.DescribeInstances) answered no call",
            "mocks.yaml:10:5: aws[2] (ec2.DescribeInstances) answered no call",
            "mocks.yaml:16:5: aws[4] (ssm.GetParameter) answered no call",
        ]
    );
    assert_eq!(unused[2].path, "aws[4]");
    assert_eq!((unused[2].span.start.line, unused[2].span.start.column), (16, 5));
}

#[test]
fn optional_rules_are_not_reported_when_unused() {
    let aws = mock(
        "aws:\n  - {service: ec2, api: A, returns: {}, optional: true}\n  - {service: ec2, api: B, returns: {}, optional: false}\n",
    );
    let shown: Vec<String> = aws.unused_rules().iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["mocks.yaml:3:5: aws[1] (ec2.B) answered no call"]);
    call(&aws, "ec2", "A", json!({})).expect("an optional rule answers like any other");
    assert_eq!(aws.call_counts(), [1, 0]);
}

#[test]
fn each_backend_counts_on_its_own() {
    let file = Arc::new(
        MockFile::parse(
            Path::new("mocks.yaml"),
            "aws:\n  - {service: s, api: A, sequence: [{returns: {n: 1}}, {returns: {n: 2}}]}\n",
        )
        .expect("valid"),
    );
    let first_run = MockAws::new(Arc::clone(&file));
    assert_eq!(call(&first_run, "s", "A", json!({})), Ok(json!({"n": 1})));
    assert_eq!(call(&first_run, "s", "A", json!({})), Ok(json!({"n": 2})));
    let second_run = MockAws::new(file);
    assert_eq!(call(&second_run, "s", "A", json!({})), Ok(json!({"n": 1})));
}

#[tokio::test]
async fn it_answers_through_the_engine_interface() {
    let aws: Arc<dyn AwsBackend> = Arc::new(mock(INSTANCES));
    let answer = aws.call(ApiRequest::new("ssm", "GetParameter", json!({"Name": "x"}))).await;
    assert_eq!(answer, Ok(json!({"Parameter": {"Value": "x"}})));
}

#[test]
fn concurrent_calls_are_all_counted() {
    let aws = Arc::new(mock(INSTANCES));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let aws = Arc::clone(&aws);
            std::thread::spawn(move || {
                for _ in 0..250 {
                    call(&aws, "ssm", "GetParameter", json!({})).expect("answered");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread finished");
    }
    assert_eq!(aws.call_counts()[4], 1000);
}
