//! Runs over target locations, on the virtual clock and a scripted AWS backend: each shape of
//! location (accounts, organizational units, Regions, with and without targets, a URL), the
//! rate control and error threshold across locations read back from the record's times, the
//! location each call is made at, start-time refusals, and `aws:executeAutomation` with
//! `TargetLocations`. (What a test file can say about them is in `tests/cases/locations/`.)

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::document::{Document, Format};
use crate::host::{ApiError, ApiRequest, MemoryDocuments, VirtualClock, virtual_runtime};
use crate::params::ParameterError;
use crate::record::{Execution, Status, TargetLocation};
use crate::testing::ScriptedAws;

/// Asks which wait its location has (the parameter `ACCOUNT-REGION-Id`), then sleeps it.
const LOCAL: &str = "schemaVersion: '0.3'\nparameters:\n  Id: {type: String, default: none}\nmainSteps:\n- name: ask\n  action: aws:executeAwsApi\n  inputs: {Service: ssm, Api: GetParameter, Name: '{{ global:ACCOUNT_ID }}-{{ global:REGION }}-{{ Id }}'}\n  outputs: [{Name: Wait, Selector: $.Parameter.Value, Type: String}]\n- name: wait\n  action: aws:sleep\n  inputs: {Duration: '{{ ask.Wait }}'}\n";

/// Answers `GetParameter` with `wait(account, region)` (an error for `None`) when the call is
/// made at the location its name names, and Organizations and S3 from `other`.
fn backend(
    wait: impl Fn(&str, &str) -> Option<String> + Send + Sync + 'static,
    other: impl Fn(&ApiRequest) -> Option<Value> + Send + Sync + 'static,
) -> Arc<ScriptedAws> {
    Arc::new(ScriptedAws::new(move |request| {
        if request.api != "GetParameter" {
            return other(request).map(Ok);
        }
        let location = request.location.as_ref()?;
        let name = request.params["Name"].as_str()?;
        if !name.starts_with(&format!("{}-{}-", location.account, location.region)) {
            return Some(Err(ApiError::new("WrongLocation", name)));
        }
        Some(match wait(&location.account, &location.region) {
            Some(wait) => Ok(json!({"Parameter": {"Value": wait}})),
            None => Err(ApiError::new("ParameterNotFound", name)),
        })
    }))
}

fn every_ten_seconds() -> Arc<ScriptedAws> {
    backend(|_, _| Some("PT10S".into()), |_| None)
}

fn location(accounts: &[&str], regions: &[&str]) -> TargetLocation {
    TargetLocation {
        accounts: accounts.iter().map(ToString::to_string).collect(),
        regions: regions.iter().map(ToString::to_string).collect(),
        ..TargetLocation::default()
    }
}

fn try_run(
    yaml: &str,
    aws: Arc<ScriptedAws>,
    locations: Option<Locations>,
    documents: &[(&str, &str)],
) -> Result<Execution, ParameterError> {
    let runtime = virtual_runtime().unwrap();
    runtime.block_on(async move {
        let document = Document::parse("local.yaml", yaml.to_string(), Format::Yaml).unwrap();
        let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
        let store = documents
            .iter()
            .fold(MemoryDocuments::new(), |all, (name, text)| all.with(*name, *text));
        let host = Host::new(aws, clock).with_documents(Arc::new(store));
        let mut actions = Actions::new();
        actions.register(crate::testing::CallApi);
        let executor = Executor::new(Arc::new(actions), host);
        let options = RunOptions { locations, ..RunOptions::default() };
        executor.run(Arc::new(Plan::new(Arc::new(document))), options).await
    })
}

fn run(aws: Arc<ScriptedAws>, locations: Locations) -> Execution {
    try_run(LOCAL, aws, Some(locations), &[]).expect("the run starts")
}

/// Runs `yaml` plainly, with `LOCAL` as the runbook `local`.
fn run_parent(yaml: &str) -> Execution {
    try_run(yaml, every_ten_seconds(), None, &[("local", LOCAL)]).expect("the run starts")
}

fn names(execution: &Execution) -> Vec<&str> {
    execution.step_executions.iter().map(|step| step.step_name.as_str()).collect()
}

fn seconds(execution: &Execution, time: Option<jiff::Timestamp>) -> i64 {
    time.unwrap().duration_since(execution.execution_start_time).as_secs()
}

fn starts(execution: &Execution) -> Vec<i64> {
    execution
        .step_executions
        .iter()
        .map(|step| seconds(execution, step.execution_start_time))
        .collect()
}

#[test]
fn one_child_runs_per_account_and_region_each_as_that_account_in_that_region() {
    let execution = run(
        every_ten_seconds(),
        Locations::new(vec![location(
            &["111111111111", "222222222222"],
            &["us-east-1", "eu-west-1"],
        )]),
    );
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(
        names(&execution),
        [
            "111111111111/us-east-1",
            "111111111111/eu-west-1",
            "222222222222/us-east-1",
            "222222222222/eu-west-1"
        ]
    );
    // TargetLocationMaxConcurrency is 1 by default: one location after the other.
    assert_eq!(starts(&execution), [0, 10, 20, 30]);
    let step = &execution.step_executions[1];
    assert_eq!(step.action, "aws:executeAutomation");
    let target = step.target_location.as_ref().unwrap();
    assert_eq!(
        (target.accounts.as_slice(), target.regions.as_slice()),
        (&["111111111111".to_string()][..], &["eu-west-1".to_string()][..])
    );
    assert_eq!(target.execution_role_name.as_deref(), Some(DEFAULT_EXECUTION_ROLE));
    let child = step.child.as_deref().unwrap();
    assert_eq!(
        child.parent_automation_execution_id.as_deref(),
        Some(execution.automation_execution_id.as_str())
    );
    assert_eq!(
        child.step("ask").unwrap().inputs.get("Name").unwrap(),
        "111111111111-eu-west-1-none"
    );
    // Every call is recorded at its location, in the child's record only: the parent's
    // `Calls` are its own, and `calls_made` gathers the children's.
    let call = &child.calls[0];
    assert_eq!(
        (call.account.as_deref(), call.region.as_deref()),
        (Some("111111111111"), Some("eu-west-1"))
    );
    assert!(execution.calls.is_empty());
    let located: Vec<(Option<&str>, Option<&str>)> = execution
        .calls_made()
        .into_iter()
        .map(|call| (call.account.as_deref(), call.region.as_deref()))
        .collect();
    assert_eq!(located.len(), 4);
    assert_eq!(located[3], (Some("222222222222"), Some("eu-west-1")));
    let record = execution.locations.as_ref().unwrap();
    assert_eq!(record.target_locations[0].accounts.len(), 2);
    assert_eq!(record.progress_counters.total_steps, 4);
    assert_eq!(record.progress_counters.success_steps, 4);
    assert!(execution.outputs.is_empty());
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["TargetLocations"][0]["Regions"], json!(["us-east-1", "eu-west-1"]));
    assert_eq!(json["StepExecutions"][0]["TargetLocation"]["Accounts"], json!(["111111111111"]));
    let child_calls = &json["StepExecutions"][0]["Child"]["Calls"];
    assert_eq!(child_calls[0]["Account"], "111111111111");
    assert_eq!(child_calls[0]["Region"], "us-east-1");
}

#[test]
fn a_location_without_accounts_or_regions_is_the_run_s_own() {
    let execution = run(
        every_ten_seconds(),
        Locations::new(vec![location(&[], &["ap-south-1"]), location(&["333333333333"], &[])]),
    );
    assert_eq!(names(&execution), ["123456789012/ap-south-1", "333333333333/us-east-1"]);
}

#[test]
fn units_resolve_to_their_active_accounts_and_those_below_them_when_asked() {
    let organizations = |request: &ApiRequest| -> Option<Value> {
        assert_eq!(request.service, "organizations");
        assert!(request.location.is_none(), "the parent resolves units as itself");
        let parent = request.params["ParentId"].as_str()?;
        let token = request.params.get("NextToken").and_then(Value::as_str);
        Some(match (request.api.as_str(), parent, token) {
            ("ListAccountsForParent", "ou-root-a", None) => json!({
                "Accounts": [{"Id": "111111111111", "Status": "ACTIVE"}, {"Id": "999999999999", "Status": "SUSPENDED"}],
                "NextToken": "more"
            }),
            ("ListAccountsForParent", "ou-root-a", Some("more")) => {
                json!({"Accounts": [{"Id": "222222222222", "Status": "ACTIVE"}]})
            }
            ("ListAccountsForParent", "ou-root-b", _) => {
                json!({"Accounts": [{"Id": "333333333333"}, {"Id": "444444444444"}]})
            }
            ("ListChildren", "ou-root-a", _) => {
                assert_eq!(request.params["ChildType"], "ORGANIZATIONAL_UNIT");
                json!({"Children": [{"Id": "ou-root-b", "Type": "ORGANIZATIONAL_UNIT"}]})
            }
            ("ListChildren", _, _) => json!({"Children": []}),
            _ => return None,
        })
    };
    let aws = backend(|_, _| Some("PT1S".into()), organizations);
    let direct = run(aws.clone(), Locations::new(vec![location(&["ou-root-a"], &["us-east-1"])]));
    assert_eq!(names(&direct), ["111111111111/us-east-1", "222222222222/us-east-1"]);
    assert_eq!(direct.calls[0].step_name, "ResolveTargetLocations");
    assert_eq!(direct.calls[0].api, "ListAccountsForParent");

    let below = TargetLocation {
        include_child_organization_units: true,
        exclude_accounts: vec!["444444444444".into()],
        ..location(&["ou-root-a", "555555555555"], &["us-east-1"])
    };
    let execution = run(aws, Locations::new(vec![below]));
    assert_eq!(
        names(&execution),
        [
            "111111111111/us-east-1",
            "222222222222/us-east-1",
            "333333333333/us-east-1",
            "555555555555/us-east-1"
        ]
    );
}

#[test]
fn an_organizations_error_fails_the_parent_with_no_children() {
    let aws = backend(|_, _| Some("PT1S".into()), |_| None);
    let execution = run(aws, Locations::new(vec![location(&["ou-x-y"], &["us-east-1"])]));
    assert_eq!(execution.automation_execution_status, Status::Failed);
    assert!(execution.step_executions.is_empty());
    let message = execution.failure_message.unwrap();
    assert!(
        message
            .starts_with("cannot resolve the accounts: organizations.ListAccountsForParent failed"),
        "{message}"
    );
}

#[test]
fn locations_come_from_the_s3_object_the_url_names() {
    let body = json!([{"Accounts": ["111111111111"], "Regions": ["us-west-2", "us-east-2"], "TargetLocationMaxConcurrency": "2"}]);
    let text = body.to_string();
    let aws = backend(
        |_, _| Some("PT5S".into()),
        move |request| {
            (request.api == "GetObject"
                && request.params
                    == json!({"Bucket": "locations-bucket", "Key": "dir/locations.json"}))
            .then(|| json!({"Body": text.clone()}))
        },
    );
    let url =
        "https://locations-bucket.s3.us-east-1.amazonaws.com/dir/locations.json?X-Amz-Expires=60";
    let execution = run(aws.clone(), Locations::from_url(url));
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(names(&execution), ["111111111111/us-west-2", "111111111111/us-east-2"]);
    let record = execution.locations.as_ref().unwrap();
    assert_eq!(record.target_locations_url.as_deref(), Some(url));
    assert_eq!(record.target_locations[0].regions, ["us-west-2", "us-east-2"]);
    assert_eq!(execution.calls[0].api, "GetObject");

    // An object that is not a list of locations fails the parent.
    let execution = run(aws, Locations::from_url("s3://locations-bucket/other.json"));
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let message = execution.failure_message.unwrap();
    assert!(
        message.starts_with("cannot read the target locations: s3.GetObject failed"),
        "{message}"
    );
}

#[test]
fn read_locations_the_service_would_refuse_fail_the_parent() {
    let aws = backend(
        |_, _| None,
        |_| Some(json!({"Body": "[{\"Accounts\": [\"1\"], \"TargetLocationMaxErrors\": \"x\"}]"})),
    );
    let execution = run(aws, Locations::from_url("s3://b/k.json"));
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let message = execution.failure_message.unwrap();
    assert!(
        message.starts_with("the target locations are refused: TargetLocationMaxErrors"),
        "{message}"
    );
}

#[test]
fn locations_with_targets_run_over_their_targets_in_each_location() {
    let aws = backend(|_, _| Some("PT10S".into()), |_| None);
    let with_targets = TargetLocation {
        targets: vec![Target::new("ParameterValues", ["a", "b", "c"])],
        targets_max_concurrency: Some("3".into()),
        ..location(&["111111111111"], &["us-east-1", "eu-west-1"])
    };
    let locations = Locations {
        target_parameter_name: Some("Id".into()),
        ..Locations::new(vec![with_targets])
    };
    let execution = run(aws, locations);
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(names(&execution), ["111111111111/us-east-1", "111111111111/eu-west-1"]);
    let fleet = execution.step_executions[1].child.as_deref().unwrap();
    let counters = &fleet.fleet.as_ref().unwrap().progress_counters;
    assert_eq!(counters.total_steps, 3);
    // The ramp-up within the location: one, then two.
    assert_eq!(starts(fleet), [0, 10, 10]);
    let child = fleet.step("c").unwrap().child.as_deref().unwrap();
    assert_eq!(child.step("ask").unwrap().inputs.get("Name").unwrap(), "111111111111-eu-west-1-c");
    assert_eq!(child.calls[0].region.as_deref(), Some("eu-west-1"));
    assert!(execution.calls.is_empty());
    assert_eq!(execution.calls_made().len(), 6);
}

#[test]
fn rate_control_across_locations_ramps_up_to_the_cap() {
    let accounts: Vec<String> = (1..=7).map(|i| format!("{i:012}")).collect();
    let accounts: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let wide = TargetLocation {
        target_location_max_concurrency: Some("3".into()),
        ..location(&accounts, &["us-east-1"])
    };
    let execution = run(every_ten_seconds(), Locations::new(vec![wide]));
    assert_eq!(execution.automation_execution_status, Status::Success);
    // 1, then 2, then 3 at once (the ramp capped at 3).
    assert_eq!(starts(&execution), [0, 10, 10, 20, 20, 20, 30]);
}

#[test]
fn the_error_threshold_stops_new_locations_and_items_run_in_turn() {
    let accounts: Vec<String> = (1..=6).map(|i| format!("{i:012}")).collect();
    let accounts: Vec<&str> = accounts.iter().map(String::as_str).collect();
    // The first three accounts fail.
    let aws =
        backend(|account, _| (account > "000000000003").then(|| "PT10S".to_string()), |_| None);
    let failing = TargetLocation {
        target_location_max_errors: Some("1".into()),
        ..location(&accounts, &["us-east-1"])
    };
    let later = location(&["777777777777"], &["us-east-1"]);
    let execution = run(aws, Locations::new(vec![failing, later]));
    assert_eq!(execution.automation_execution_status, Status::Failed);
    // Two errors pass the threshold of 1: the third account and on are never started; the next
    // item still runs.
    assert_eq!(
        names(&execution),
        ["000000000001/us-east-1", "000000000002/us-east-1", "777777777777/us-east-1"]
    );
    let counters = &execution.locations.as_ref().unwrap().progress_counters;
    assert_eq!((counters.total_steps, counters.failed_steps, counters.success_steps), (3, 2, 1));
    let message = execution.failure_message.unwrap();
    assert_eq!(
        message,
        "2 of 3 child automations did not succeed; 4 locations were not started: more than 1 errors allowed"
    );
    let failed = &execution.step_executions[0];
    assert!(failed.failure_message.as_deref().unwrap().contains("ParameterNotFound"));
}

#[test]
fn a_start_the_service_would_refuse_runs_nothing() {
    let refused = |locations: Locations| {
        try_run(LOCAL, every_ten_seconds(), Some(locations), &[]).expect_err("refused").parameter
    };
    assert_eq!(refused(Locations::default()), "TargetLocations");
    let fast = TargetLocation {
        target_location_max_concurrency: Some("0".into()),
        ..location(&["1"], &[])
    };
    assert_eq!(refused(Locations::new(vec![fast])), "TargetLocationMaxConcurrency");
    let targets = TargetLocation {
        targets: vec![Target::new("ParameterValues", ["a"])],
        ..location(&["1"], &[])
    };
    assert_eq!(refused(Locations::new(vec![targets])), "TargetParameterName");
    let strict = "schemaVersion: '0.3'\nparameters:\n  Must: {type: String}\nmainSteps:\n- {name: a, action: aws:sleep, inputs: {Duration: PT1S}}\n";
    let error = try_run(
        strict,
        every_ten_seconds(),
        Some(Locations::new(vec![location(&["1"], &[])])),
        &[],
    )
    .expect_err("refused");
    assert_eq!(error.parameter, "Must");
}

#[test]
fn an_execute_automation_step_with_target_locations_runs_the_child_in_each() {
    let parent = "schemaVersion: '0.3'\nmainSteps:\n- name: everywhere\n  action: aws:executeAutomation\n  inputs:\n    DocumentName: local\n    RuntimeParameters: {Id: x}\n    TargetLocations:\n    - Accounts: ['111111111111']\n      Regions: [us-east-1, us-west-2]\n      ExecutionRoleName: Remediation\n      TargetLocationMaxConcurrency: 2\n- name: after\n  action: aws:sleep\n  inputs: {Duration: PT1S}\n";
    let execution = run_parent(parent);
    assert_eq!(execution.automation_execution_status, Status::Success);
    let step = execution.step("everywhere").unwrap();
    assert_eq!(step.outputs["Status"], "Success");
    assert_eq!(step.outputs["Output"], json!([]));
    let over = step.child.as_deref().unwrap();
    assert_eq!(names(over), ["111111111111/us-east-1", "111111111111/us-west-2"]);
    assert_eq!(starts(over), [0, 10]);
    let target = over.step_executions[0].target_location.as_ref().unwrap();
    assert_eq!(target.execution_role_name.as_deref(), Some("Remediation"));
    let child = over.step_executions[1].child.as_deref().unwrap();
    assert_eq!(child.step("ask").unwrap().inputs.get("Name").unwrap(), "111111111111-us-west-2-x");
    // The calls stay in each location's record, each at its location; the top run gathers
    // them with `calls_made`.
    assert!(execution.calls.is_empty());
    let calls = execution.calls_made();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].region.as_deref(), Some("us-west-2"));
}

#[test]
fn a_step_s_bad_location_inputs_fail_the_step() {
    let parent = "schemaVersion: '0.3'\nmainSteps:\n- name: everywhere\n  action: aws:executeAutomation\n  inputs:\n    DocumentName: local\n    TargetLocations: [{Acounts: ['1']}]\n";
    let execution = run_parent(parent);
    let step = execution.step("everywhere").unwrap();
    assert_eq!(step.step_status, Status::Failed);
    assert!(
        step.failure_message.as_deref().unwrap().contains("Acounts"),
        "{:?}",
        step.failure_message
    );
}
