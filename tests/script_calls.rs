//! The AWS calls of `aws:executeScript` scripts, through the same setup as `runbook run` and
//! `runbook test`: answered by the mock file's rules (unused rules reported as for the
//! runbook's own calls) and by `--auto-mock` placeholders; in a child of a run over target
//! locations, as made at its account and Region.
//!
//! Needs `python3` with boto3, and botocore's models for `--auto-mock`.

use std::process::Command;

use runbook::harness::Harness;
use runbook::{Loader, Session};
use runbook_actions::script::UNANSWERED_CODES;
use runbook_aws::mock::auto::Placeholders;
use runbook_aws::mock::{MOCK_NOT_FOUND, MOCK_SCRIPT_ERROR, MockFile};
use runbook_aws::model::Models;
use runbook_engine::document::Format;
use runbook_engine::execute::Locations;
use runbook_engine::record::{Status, TargetLocation};
use serde_json::json;

fn assert_boto3() {
    let has_boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(has_boto3, "these tests need python3 with boto3: pip install boto3");
}

const RUNBOOK: &str = r#"schemaVersion: '0.3'
mainSteps:
- name: count
  action: aws:executeScript
  inputs:
    Runtime: python3.11
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          pages = boto3.client("ec2").get_paginator("describe_instances").paginate()
          return {"ids": [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]}
  outputs:
  - {Name: Ids, Selector: $.Payload.ids, Type: StringList}
"#;

#[test]
fn the_codes_scripts_treat_as_unanswered_are_the_mock_backend_s() {
    assert!(UNANSWERED_CODES.contains(&MOCK_NOT_FOUND));
    assert!(UNANSWERED_CODES.contains(&MOCK_SCRIPT_ERROR));
}

#[test]
fn a_harness_run_answers_a_script_s_pages_from_the_mock_file_and_reports_unused_rules() {
    assert_boto3();
    let mocks = r"aws:
  - service: ec2
    api: DescribeInstances
    params: {NextToken: page2}
    returns: {Reservations: [{Instances: [{InstanceId: i-2}]}]}
  - service: ec2
    api: DescribeInstances
    returns: {Reservations: [{Instances: [{InstanceId: i-1}]}], NextToken: page2}
  - service: ec2
    api: TerminateInstances
    returns: {}
";
    let run = Harness::from_text("count.yaml", RUNBOOK)
        .expect("the runbook loads")
        .mocks(mocks)
        .expect("the mocks load")
        .run()
        .expect("the run starts");
    run.assert_status(Status::Success)
        .assert_output("count.Ids", json!(["i-1", "i-2"]))
        .assert_call("ec2", "DescribeInstances", json!({"NextToken": "page2"}));
    let steps: Vec<&str> = run.execution.calls.iter().map(|call| call.step_name.as_str()).collect();
    assert_eq!(steps, ["count", "count"]);
    let unused = run.unused_mocks();
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert!(unused[0].ends_with("aws[2] (ec2.TerminateInstances) answered no call"), "{unused:?}");
}

#[test]
fn auto_mock_placeholders_answer_a_script_s_calls() {
    assert_boto3();
    let models = Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"));
    // A placeholder is the last page: botocore's paginators stop after it, whatever the
    // service calls its token (`NextToken`, `NextContinuationToken`, IAM's `Marker`, the
    // `LastEvaluatedKey` botocore's paginators name for DynamoDB).
    let runbook = format!(
        r#"{RUNBOOK}- name: pages
  action: aws:executeScript
  inputs:
    Runtime: python3.11
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          s3 = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket="b")
          iam = boto3.client("iam").get_paginator("list_roles").paginate()
          scan = boto3.client("dynamodb").get_paginator("scan").paginate(TableName="t")
          return {{"s3": len(list(s3)), "iam": len(list(iam)), "dynamodb": len(list(scan))}}
  outputs:
  - {{Name: Pages, Selector: $.Payload, Type: StringMap}}
"#
    );
    let runbook = Loader::new()
        .parse("count.yaml", runbook, Format::Yaml)
        .expect("the runbook loads")
        .into_runbook()
        .expect("the runbook is valid");
    let session = Session::new().auto_mock(Placeholders::new(models));
    let execution = session.run(&runbook).expect("the run starts").execution;
    assert_eq!(execution.automation_execution_status, Status::Success, "{execution:#?}");
    let ids = &execution.step("count").expect("the step ran").outputs["Ids"];
    assert_eq!(ids, &json!(["<InstanceId>"]));
    let pages = &execution.step("pages").expect("the step ran").outputs["Pages"];
    assert_eq!(pages, &json!({"s3": 1, "iam": 1, "dynamodb": 1}));
    let calls: Vec<String> = execution
        .calls
        .iter()
        .map(|call| format!("{} {}.{}", call.step_name, call.service, call.api))
        .collect();
    assert_eq!(
        calls,
        [
            "count ec2.DescribeInstances",
            "pages s3.ListObjectsV2",
            "pages iam.ListRoles",
            "pages dynamodb.Scan"
        ]
    );
}

#[test]
fn a_script_call_botocore_would_refuse_is_refused_before_the_mocks_see_it() {
    assert_boto3();
    let runbook = r#"schemaVersion: '0.3'
mainSteps:
- name: describe
  action: aws:executeScript
  inputs:
    Runtime: python3.11
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          return boto3.client("ec2").describe_instances(InstanceID=["i-1"])
"#;
    let mocks = "aws:\n  - {service: ec2, api: DescribeInstances, returns: {Reservations: []}}\n";
    let run = Harness::from_text("describe.yaml", runbook)
        .expect("the runbook loads")
        .mocks(mocks)
        .expect("the mocks load")
        .run()
        .expect("the run starts");
    run.assert_status(Status::Failed);
    let message = run.execution.step_executions[0].failure_message.clone().unwrap_or_default();
    assert!(message.contains("Unknown parameter in input: \"InstanceID\""), "{message}");
    assert!(run.execution.calls.is_empty(), "{:?}", run.execution.calls);
}

#[test]
fn a_script_in_a_located_child_calls_as_its_location_on_mocks() {
    assert_boto3();
    let yaml = r#"schemaVersion: '0.3'
mainSteps:
- name: who
  action: aws:executeScript
  inputs:
    Runtime: python3.11
    Handler: h
    Script: |-
      import boto3

      def h(events, context):
          vpcs = boto3.client("ec2").describe_vpcs()["Vpcs"]
          return {"vpc": vpcs[0]["VpcId"]}
  outputs:
  - {Name: Vpc, Selector: $.Payload.vpc, Type: String}
"#;
    let mocks = r"aws:
  - {service: ec2, api: DescribeVpcs, account: '222222222222', region: eu-west-1, returns: {Vpcs: [{VpcId: vpc-2e}]}}
  - {service: ec2, api: DescribeVpcs, region: eu-west-1, returns: {Vpcs: [{VpcId: vpc-eu}]}}
  - {service: ec2, api: DescribeVpcs, returns: {Vpcs: [{VpcId: vpc-any}]}}
";
    let runbook = Loader::new()
        .parse("located.yaml", yaml, Format::Yaml)
        .unwrap()
        .into_runbook()
        .expect("the runbook is valid");
    let location = TargetLocation {
        accounts: vec!["111111111111".into(), "222222222222".into()],
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
        ..Default::default()
    };
    let execution = Session::new()
        .mocks(MockFile::parse(std::path::Path::new("mocks.yaml"), mocks).unwrap())
        .locations(Locations::new(vec![location]))
        .run(&runbook)
        .expect("the run starts")
        .execution;
    assert_eq!(execution.automation_execution_status, Status::Success);
    let vpc = |name: &str| {
        let child = execution.step(name).and_then(|step| step.child.as_deref()).unwrap();
        child.step("who").unwrap().outputs["Vpc"].clone()
    };
    // The script's own calls meet the rules that name the child's account and Region.
    assert_eq!(vpc("111111111111/eu-west-1"), "vpc-eu");
    assert_eq!(vpc("111111111111/us-east-1"), "vpc-any");
    assert_eq!(vpc("222222222222/eu-west-1"), "vpc-2e");
    assert_eq!(vpc("222222222222/us-east-1"), "vpc-any");
    for step in &execution.step_executions {
        let child = step.child.as_deref().unwrap();
        let (account, region) = step.step_name.split_once('/').unwrap();
        let tags: Vec<_> = child
            .calls
            .iter()
            .map(|call| (call.step_name.as_str(), call.account.as_deref(), call.region.as_deref()))
            .collect();
        assert_eq!(tags, [("who", Some(account), Some(region))], "{}", step.step_name);
    }
}
