//! `aws:waitForAwsResourceProperty`: polls at once then every 5 s until a match; the step's
//! timeout ends it; API errors fail it.

use std::time::Duration;

use runbook_engine::record::Status;

use crate::support::{case, runbook};

fn wait_step(extra: &str) -> String {
    runbook(&format!(
        r"
- name: wait
  action: aws:waitForAwsResourceProperty
{extra}  inputs:
    Service: ec2
    Api: DescribeImages
    ImageIds: [ami-1]
    PropertySelector: $.Images[0].State
    DesiredValues: [available]
  outputs:
  - {{Name: Name, Selector: '$.Images[0].Name', Type: String}}
"
    ))
}

#[test]
fn it_polls_every_five_seconds_until_the_value_is_desired() {
    let out = case(&wait_step(""))
        .mocks(
            r"
aws:
- service: ec2
  api: DescribeImages
  params: {ImageIds: [ami-1]}
  sequence:
  - returns: {Images: []}
  - returns: {Images: [{State: pending, Name: a}]}
  - returns: {Images: [{State: available, Name: golden}]}
",
        )
        .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(out.call_times("DescribeImages"), [0, 5, 10]);
    assert_eq!(out.step_seconds("wait"), 10);
    assert_eq!(out.output("wait", "Name"), Some(&serde_json::json!("golden")));
}

#[test]
fn a_value_never_reached_times_out_after_an_hour_in_no_real_time() {
    let out = case(&wait_step(""))
        .mocks(
            "aws:\n- {service: ec2, api: DescribeImages, returns: {Images: [{State: pending}]}}\n",
        )
        .run();
    assert_eq!(out.step("wait").step_status, Status::TimedOut);
    assert_eq!(out.status(), Status::TimedOut);
    assert_eq!(out.step_seconds("wait"), 3600);
    let calls = out.call_times("DescribeImages");
    assert!((720..=721).contains(&calls.len()), "{} calls", calls.len());
    assert_eq!(calls[..3], [0, 5, 10]);
    out.assert_waited_virtually(Duration::from_secs(3600));
    assert_eq!(out.failure("wait"), "the step did not finish within its timeout of 3600 seconds");
}

#[test]
fn timeout_seconds_shortens_the_wait() {
    let out = case(&wait_step("  timeoutSeconds: 60\n"))
        .mocks(
            "aws:\n- {service: ec2, api: DescribeImages, returns: {Images: [{State: pending}]}}\n",
        )
        .run();
    assert_eq!(out.step("wait").step_status, Status::TimedOut);
    assert_eq!(out.step_seconds("wait"), 60);
}

#[test]
fn an_api_error_fails_at_once() {
    let out = case(&wait_step(""))
        .mocks(
            r"
aws:
- service: ec2
  api: DescribeImages
  sequence:
  - returns: {Images: [{State: pending}]}
  - error: {code: InvalidAMIID.NotFound, message: gone}
",
        )
        .run();
    assert_eq!(out.step("wait").step_status, Status::Failed);
    assert_eq!(out.call_times("DescribeImages"), [0, 5]);
    assert_eq!(out.failure("wait"), "ec2.DescribeImages failed: InvalidAMIID.NotFound: gone");
}
