//! `aws:changeInstanceState`: the change call, the waits on `DescribeInstances` and
//! `DescribeInstanceStatus`, and each way it fails.

use std::time::Duration;

use runbook_engine::record::Status;
use serde_json::json;

use crate::support::{case, runbook};

fn change(inputs: &str) -> String {
    runbook(&format!("- name: change\n  action: aws:changeInstanceState\n  inputs: {inputs}\n"))
}

fn instances(states: &[(&str, &str)]) -> String {
    let instances: Vec<String> = states
        .iter()
        .map(|(id, state)| format!("{{InstanceId: {id}, State: {{Name: {state}}}}}"))
        .collect();
    format!("{{Reservations: [{{Instances: [{}]}}]}}", instances.join(", "))
}

#[test]
fn stopping_calls_stop_instances_with_force_then_waits_for_stopped() {
    let mocks = format!(
        "aws:\n- {{service: ec2, api: StopInstances, params: {{InstanceIds: [i-1, i-2], Force: true}}, returns: {{}}}}\n- service: ec2\n  api: DescribeInstances\n  params: {{InstanceIds: [i-1, i-2]}}\n  sequence:\n  - returns: {}\n  - returns: {}\n  - returns: {}\n",
        instances(&[("i-1", "stopping"), ("i-2", "stopping")]),
        instances(&[("i-1", "stopped"), ("i-2", "stopping")]),
        instances(&[("i-1", "stopped"), ("i-2", "stopped")]),
    );
    let out = case(&change("{InstanceIds: [i-1, i-2], DesiredState: stopped, Force: true}"))
        .mocks(&mocks)
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.step("change").failure_message);
    assert_eq!(
        out.calls(),
        [
            "ec2.StopInstances",
            "ec2.DescribeInstances",
            "ec2.DescribeInstances",
            "ec2.DescribeInstances"
        ]
    );
    assert_eq!(out.call_times("DescribeInstances"), [0, 5, 10]);
    assert!(out.step("change").outputs.is_empty());
    out.assert_all_mocks_used();
}

#[test]
fn starting_waits_for_running_then_for_both_status_checks() {
    let mocks = format!(
        r"
aws:
- {{service: ec2, api: StartInstances, params: {{InstanceIds: [i-1], AdditionalInfo: x}}, returns: {{}}}}
- service: ec2
  api: DescribeInstances
  sequence:
  - returns: {}
  - returns: {}
- service: ec2
  api: DescribeInstanceStatus
  params: {{InstanceIds: [i-1], IncludeAllInstances: true}}
  sequence:
  - returns: {{InstanceStatuses: [{{InstanceId: i-1, InstanceStatus: {{Status: initializing}}, SystemStatus: {{Status: ok}}}}]}}
  - returns: {{InstanceStatuses: [{{InstanceId: i-1, InstanceStatus: {{Status: ok}}, SystemStatus: {{Status: initializing}}}}]}}
  - returns: {{InstanceStatuses: [{{InstanceId: i-1, InstanceStatus: {{Status: ok}}, SystemStatus: {{Status: ok}}}}]}}
",
        instances(&[("i-1", "pending")]),
        instances(&[("i-1", "running")]),
    );
    let out = case(&change("{InstanceIds: [i-1], DesiredState: running, AdditionalInfo: x}"))
        .mocks(&mocks)
        .run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.step("change").failure_message);
    assert_eq!(out.call_times("DescribeInstances"), [0, 5]);
    assert_eq!(out.call_times("DescribeInstanceStatus"), [5, 10, 15]);
    out.assert_all_mocks_used();
}

#[test]
fn check_state_only_changes_nothing() {
    let mocks = format!(
        "aws:\n- {{service: ec2, api: DescribeInstances, returns: {}}}\n",
        instances(&[("i-1", "stopped")])
    );
    let out = case(&change("{InstanceIds: [i-1], DesiredState: stopped, CheckStateOnly: true}"))
        .mocks(&mocks)
        .run();
    assert_eq!(out.status(), Status::Success);
    assert_eq!(out.calls(), ["ec2.DescribeInstances"]);
}

#[test]
fn terminating_counts_instances_ec2_forgot_as_terminated() {
    let mocks = format!(
        "aws:\n- {{service: ec2, api: TerminateInstances, returns: {{}}}}\n- service: ec2\n  api: DescribeInstances\n  sequence:\n  - returns: {}\n  - error: 'InvalidInstanceID.NotFound: gone'\n",
        instances(&[("i-1", "shutting-down")])
    );
    let out = case(&change("{InstanceIds: [i-1], DesiredState: terminated}")).mocks(&mocks).run();
    assert_eq!(out.status(), Status::Success, "{:?}", out.step("change").failure_message);
    assert_eq!(out.params_of("TerminateInstances"), [&json!({"InstanceIds": ["i-1"]})]);
    assert_eq!(out.call_times("DescribeInstances"), [0, 5]);
}

#[test]
fn an_unexpected_stop_fails_a_start_when_asked_to() {
    let mocks = format!(
        "aws:\n- {{service: ec2, api: StartInstances, returns: {{}}}}\n- service: ec2\n  api: DescribeInstances\n  sequence:\n  - returns: {}\n  - returns: {{Reservations: [{{Instances: [{{InstanceId: i-1, State: {{Name: stopped}}, StateReason: {{Message: 'Server.InternalError'}}}}]}}]}}\n",
        instances(&[("i-1", "pending")])
    );
    let out = case(&change(
        "{InstanceIds: [i-1], DesiredState: running, FailOnUnexpectedStopped: 'true'}",
    ))
    .mocks(&mocks)
    .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("change"),
        "instance i-1 stopped while it was expected to be running (Server.InternalError)"
    );
    assert_eq!(out.step_seconds("change"), 5);
}

#[test]
fn a_terminated_instance_can_never_be_running() {
    let mocks = format!(
        "aws:\n- {{service: ec2, api: StartInstances, returns: {{}}}}\n- {{service: ec2, api: DescribeInstances, returns: {}}}\n",
        instances(&[("i-1", "terminated")])
    );
    let out = case(&change("{InstanceIds: [i-1], DesiredState: running}")).mocks(&mocks).run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.failure("change"), "instance i-1 is terminated and can never be running");
}

#[test]
fn a_state_never_reached_times_out_after_the_default_hour() {
    let mocks = format!(
        "aws:\n- {{service: ec2, api: StopInstances, returns: {{}}}}\n- {{service: ec2, api: DescribeInstances, returns: {}}}\n",
        instances(&[("i-1", "stopping")])
    );
    let out = case(&change("{InstanceIds: [i-1], DesiredState: stopped}")).mocks(&mocks).run();
    assert_eq!(out.step("change").step_status, Status::TimedOut);
    assert_eq!(out.step_seconds("change"), 3600);
    out.assert_waited_virtually(Duration::from_secs(3600));
}

#[test]
fn a_refused_change_fails_with_the_error_code() {
    let out = case(&change("{InstanceIds: [i-1], DesiredState: stopped}"))
        .mocks("aws:\n- {service: ec2, api: StopInstances, error: 'IncorrectInstanceState: the instance is pending'}\n")
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("change"), Some("IncorrectInstanceState"));
    assert_eq!(out.calls(), ["ec2.StopInstances"]);
}

#[test]
fn only_the_three_documented_states_are_accepted() {
    let out = case(&change("{InstanceIds: [i-1], DesiredState: rebooted}")).run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(
        out.failure("change"),
        "invalid inputs for aws:changeInstanceState: DesiredState: `rebooted` is not one of running, stopped, terminated"
    );
    let out = case(&change("{InstanceIds: [i-1], DesiredState: stopped, Hibernate: true}")).run();
    assert!(
        out.failure("change").contains("unknown field `Hibernate`"),
        "{}",
        out.failure("change")
    );
    assert!(out.calls().is_empty());
}

#[test]
fn an_instance_ec2_does_not_know_fails_the_wait() {
    let out = case(&change("{InstanceIds: [i-404], DesiredState: stopped, CheckStateOnly: true}"))
        .mocks("aws:\n- {service: ec2, api: DescribeInstances, error: \"InvalidInstanceID.NotFound: The instance ID 'i-404' does not exist\"}\n")
        .run();
    assert_eq!(out.status(), Status::Failed);
    assert_eq!(out.error_code("change"), Some("InvalidInstanceID.NotFound"));
    assert_eq!(out.calls(), ["ec2.DescribeInstances"]);
}
