//! `aws:runInstances`: the request in EC2's spelling, the wait for `running`, the outputs.

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

const LAUNCH: &str = r"
- name: launch
  action: aws:runInstances
  inputs:
    ImageId: ami-1
    InstanceType: t3.micro
    MinInstanceCount: 2
    MaxInstanceCount: '2'
    IamInstanceProfileName: profile
    Monitoring: true
    SubnetId: subnet-1
    SecurityGroupIds: [sg-1]
    TagSpecifications:
    - {ResourceType: instance, Tags: [{Key: Name, Value: test}]}
  outputs:
  - {Name: First, Selector: 'InstanceIds[0]', Type: String}
";

#[test]
fn instances_are_launched_and_waited_for() {
    let out = case(&runbook(LAUNCH))
        .mocks(
            r"
aws:
- service: ec2
  api: RunInstances
  returns: {Instances: [{InstanceId: i-1, State: {Name: pending}}, {InstanceId: i-2, State: {Name: pending}}]}
- service: ec2
  api: DescribeInstances
  params: {InstanceIds: [i-1, i-2]}
  sequence:
  - error: 'InvalidInstanceID.NotFound: The instance IDs do not exist'
  - returns: {Reservations: [{Instances: [{InstanceId: i-2, State: {Name: running}}, {InstanceId: i-1, State: {Name: pending}}]}]}
  - returns: {Reservations: [{Instances: [{InstanceId: i-2, State: {Name: running}}, {InstanceId: i-1, State: {Name: running}}]}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.execution.failure_message);
    assert_eq!(
        out.params_of("RunInstances"),
        [&json!({
            "ImageId": "ami-1",
            "InstanceType": "t3.micro",
            "SubnetId": "subnet-1",
            "SecurityGroupIds": ["sg-1"],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "test"}]}],
            "MinCount": 2,
            "MaxCount": 2,
            "IamInstanceProfile": {"Name": "profile"},
            "Monitoring": {"Enabled": true},
        })]
    );
    assert_eq!(out.output("launch", "InstanceIds"), Some(&json!(["i-1", "i-2"])));
    assert_eq!(out.output("launch", "InstanceStates"), Some(&json!(["running", "running"])));
    assert_eq!(out.output("launch", "First"), Some(&json!("i-1")));
    assert_eq!(out.call_times("DescribeInstances"), [0, 5, 10]);
}

#[test]
fn counts_default_to_one() {
    let out = case(&runbook("- {name: launch, action: aws:runInstances, inputs: {ImageId: ami-1}}\n"))
        .mocks(
            "aws:\n- {service: ec2, api: RunInstances, returns: {Instances: [{InstanceId: i-1}]}}\n- {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{InstanceId: i-1, State: {Name: running}}]}]}}\n",
        )
        .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(
        out.params_of("RunInstances"),
        [&json!({"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1})]
    );
}

#[test]
fn an_instance_ec2_terminates_fails_the_launch_with_its_reason() {
    let out = case(&runbook("- {name: launch, action: aws:runInstances, inputs: {ImageId: ami-1}}\n"))
        .mocks(
            r"
aws:
- {service: ec2, api: RunInstances, returns: {Instances: [{InstanceId: i-1}]}}
- service: ec2
  api: DescribeInstances
  returns: {Reservations: [{Instances: [{InstanceId: i-1, State: {Name: terminated}, StateReason: {Message: 'Server.InsufficientInstanceCapacity'}}]}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("launch"),
        "instance i-1 is terminated (Server.InsufficientInstanceCapacity) and can never be running"
    );
}

#[test]
fn a_refused_launch_and_a_bad_count_fail() {
    let out =
        case(&runbook("- {name: launch, action: aws:runInstances, inputs: {ImageId: ami-1}}\n"))
            .mocks(
                "aws:\n- {service: ec2, api: RunInstances, error: 'InvalidAMIID.Malformed: bad'}\n",
            )
            .run();
    assert_eq!(out.error_code("launch"), Some("InvalidAMIID.Malformed"));
    let out = case(&runbook(
        "- {name: launch, action: aws:runInstances, inputs: {ImageId: ami-1, MaxInstanceCount: two}}\n",
    ))
    .run();
    assert_eq!(
        out.failure("launch"),
        r#"invalid inputs for aws:runInstances: MaxInstanceCount: expected an integer, found the text "two""#
    );
}
