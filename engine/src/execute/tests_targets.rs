//! Runs over targets, on the virtual clock and a scripted AWS backend: target resolution, the
//! ramp-up and the concurrency cap read back from the record's times, the error threshold in
//! each of its forms, start-time refusals, cancellation, and `aws:executeAutomation` over
//! targets.
//!
//! These stay in Rust while the other conformance cases are data in `tests/cases/`, because they
//! check what a test file cannot say: start times computed by an independent simulation of the
//! rate control, the peak concurrency, progress events, the fleet fields of the record and the
//! links between parent, fleet and child records, and the field a refusal names. (What runs over
//! targets do that a test file can say, with its `fleet` key, is in `tests/cases/targets/`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::*;
use crate::document::{Document, Format};
use crate::host::{ApiRequest, Event, MemoryDocuments, VirtualClock, virtual_runtime};
use crate::params::ParameterError;
use crate::record::{Execution, Status};
use crate::testing::ScriptedAws;

/// A backend answering with `answer` (no answer: a `NotScripted` error naming the call).
fn answering(
    answer: impl Fn(&ApiRequest) -> Option<Value> + Send + Sync + 'static,
) -> Arc<ScriptedAws> {
    Arc::new(ScriptedAws::new(move |request| answer(request).map(Ok)))
}

/// Keeps the fleet progress events, as (done, running, failed, remaining).
#[derive(Default)]
struct Progress(Mutex<Vec<(usize, usize, usize, usize)>>);

impl crate::host::Observer for Progress {
    fn on_event(&self, event: &Event<'_>) {
        if let Event::FleetProgress { done, running, failed, remaining, .. } = event {
            self.0.lock().unwrap().push((*done, *running, *failed, *remaining));
        }
    }
}

struct Setup {
    yaml: String,
    parameters: Value,
    fleet: Option<Fleet>,
    aws: Arc<ScriptedAws>,
    documents: Vec<(String, String)>,
    cancel_after: Option<Duration>,
    progress: Arc<Progress>,
    budget: Option<u64>,
}

fn setup(yaml: &str) -> Setup {
    Setup {
        yaml: yaml.to_string(),
        parameters: json!({}),
        fleet: None,
        aws: Arc::new(ScriptedAws::default()),
        documents: Vec::new(),
        cancel_after: None,
        progress: Arc::new(Progress::default()),
        budget: None,
    }
}

impl Setup {
    fn params(mut self, parameters: Value) -> Self {
        self.parameters = parameters;
        self
    }

    fn fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    fn aws(mut self, aws: Arc<ScriptedAws>) -> Self {
        self.aws = aws;
        self
    }

    fn document(mut self, name: &str, yaml: &str) -> Self {
        self.documents.push((name.into(), yaml.into()));
        self
    }

    fn cancel_after(mut self, after: Duration) -> Self {
        self.cancel_after = Some(after);
        self
    }

    fn try_run(self) -> Result<Execution, ParameterError> {
        let runtime = virtual_runtime().unwrap();
        runtime.block_on(async move {
            let document =
                Document::parse("fleet.yaml", self.yaml, Format::Yaml).expect("test runbook loads");
            let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
            let host = Host::new(self.aws, clock.clone())
                .with_documents(Arc::new(memory_documents(self.documents)))
                .with_observer(self.progress);
            let mut actions = Actions::new();
            actions.register(crate::testing::CallApi);
            let executor = Executor::new(Arc::new(actions), host);
            let mut options = RunOptions::with_parameters(
                self.parameters.as_object().unwrap().clone().into_iter().collect(),
            );
            options.fleet = self.fleet;
            if let Some(limit) = self.budget {
                options.budget = StepBudget::new(limit);
            }
            if let Some(after) = self.cancel_after {
                let token = options.cancel.clone();
                tokio::spawn(async move {
                    clock.sleep(after).await;
                    token.cancel();
                });
            }
            executor.run(Arc::new(Plan::new(Arc::new(document))), options).await
        })
    }

    fn run(self) -> Execution {
        self.try_run().expect("the run starts")
    }

    fn refused(self) -> ParameterError {
        self.try_run().expect_err("the start is refused")
    }
}

/// A runbook that sleeps `Wait` (a bad duration fails it) for target `Id`.
const SLEEPER: &str = "schemaVersion: '0.3'\nparameters:\n  Id: {type: String}\n  Wait: {type: String, default: PT10S}\n  AutomationAssumeRole: {type: String, default: ''}\nmainSteps:\n- {name: wait, action: aws:sleep, inputs: {Duration: '{{ Wait }}'}}\n";

/// A runbook for one EC2 instance.
const PER_INSTANCE: &str = "schemaVersion: '0.3'\nparameters:\n  InstanceId: {type: String, allowedPattern: '^i-[0-9a-z]+$'}\n  Note: {type: String}\nmainSteps:\n- {name: wait, action: aws:sleep, inputs: {Duration: PT1M}}\n";

fn values(values: &[&str]) -> Fleet {
    Fleet::new("Id", Target::new("ParameterValues", values.iter().copied()))
}

/// One map per (id, wait) pair.
fn maps(items: &[(String, String)]) -> Fleet {
    Fleet::maps(
        items
            .iter()
            .map(|(id, wait)| {
                [("Id".to_string(), json!([id])), ("Wait".to_string(), json!([wait]))]
                    .into_iter()
                    .collect()
            })
            .collect(),
    )
}

fn seconds(execution: &Execution, time: Option<jiff::Timestamp>) -> i64 {
    time.unwrap().duration_since(execution.execution_start_time).as_secs()
}

/// Each child's (start, end) in seconds from the parent's start, in step order.
fn spans(execution: &Execution) -> Vec<(i64, i64)> {
    execution
        .step_executions
        .iter()
        .map(|step| {
            (
                seconds(execution, step.execution_start_time),
                seconds(execution, step.execution_end_time),
            )
        })
        .collect()
}

/// The most children running at once, from their spans (an end frees its slot for a start at
/// the same instant).
fn peak(spans: &[(i64, i64)]) -> usize {
    let mut edges: Vec<(i64, i8)> =
        spans.iter().flat_map(|&(start, end)| [(start, 1), (end, -1)]).collect();
    edges.sort_unstable();
    let (mut running, mut peak) = (0i64, 0i64);
    for (_, change) in edges {
        running += i64::from(change);
        peak = peak.max(running);
    }
    usize::try_from(peak).unwrap()
}

/// When each target starts under the rate-control rules, by a simulation independent of the
/// executor: `durations` in seconds, `fails` the targets that fail.
fn expected_starts(durations: &[i64], fails: &[usize], cap: usize, errors: usize) -> Vec<i64> {
    let mut rate = RateControl::new(durations.len(), cap, errors);
    let mut starts = Vec::new();
    let mut running: Vec<(i64, usize)> = Vec::new();
    let mut now = 0;
    loop {
        while let Some(index) = rate.next_start() {
            starts.push(now);
            running.push((now + durations[index], index));
        }
        if running.is_empty() {
            return starts;
        }
        running.sort_unstable();
        let (end, index) = running.remove(0);
        now = end;
        rate.finish(!fails.contains(&index));
    }
}

/// The `Id` each child ran with.
fn ids(execution: &Execution) -> Vec<String> {
    execution
        .step_executions
        .iter()
        .map(|step| crate::record::as_string_list(&step.inputs.get("Id").unwrap()).join(","))
        .collect()
}

#[test]
fn a_fleet_run_records_its_request_and_counters_and_names_the_parent_of_each_child() {
    let ids: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let execution = setup(SLEEPER).fleet(values(&ids).with_max_concurrency("4")).run();
    let step = &execution.step_executions[3];
    assert_eq!(step.action, "aws:executeAutomation");
    assert_eq!(step.inputs.to_map(), IndexMap::from([("Id".to_string(), json!("t3"))]));
    let child = step.child.as_deref().unwrap();
    assert_eq!(
        child.parent_automation_execution_id.as_deref(),
        Some(execution.automation_execution_id.as_str())
    );
    assert_eq!(seconds(&execution, execution.execution_end_time), 50);
    let fleet = execution.fleet.as_ref().unwrap();
    assert_eq!(fleet.resolved_targets.parameter_values, ids);
    assert!(!fleet.resolved_targets.truncated);
    assert_eq!((fleet.max_concurrency.as_str(), fleet.max_errors.as_str()), ("4", "0"));
    assert_eq!(fleet.progress_counters.total_steps, 12);
    assert_eq!(fleet.progress_counters.success_steps, 12);
}

#[test]
fn concurrency_never_exceeds_the_cap_and_follows_the_ramp() {
    let durations: Vec<i64> = (0..40).map(|i| (i * 7 % 11 + 1) * 5).collect();
    let items: Vec<(String, String)> =
        durations.iter().enumerate().map(|(i, d)| (format!("t{i}"), format!("PT{d}S"))).collect();
    for cap in [1, 3, 5, 16] {
        let execution =
            setup(SLEEPER).fleet(maps(&items).with_max_concurrency(cap.to_string())).run();
        assert_eq!(execution.automation_execution_status, Status::Success);
        let spans = spans(&execution);
        assert_eq!(spans.len(), 40);
        for (span, duration) in spans.iter().zip(&durations) {
            assert_eq!(span.1 - span.0, *duration, "each child sleeps its own time");
        }
        assert_eq!(peak(&spans), cap, "the cap is reached and never passed (cap {cap})");
        let starts: Vec<i64> = spans.iter().map(|span| span.0).collect();
        assert_eq!(starts, expected_starts(&durations, &[], cap, 0), "cap {cap}");
    }
}

#[test]
fn no_child_starts_after_error_n_plus_one() {
    // Every target fails; one at a time, so the count is exact.
    let bad: Vec<(String, String)> = (0..20).map(|i| (format!("t{i}"), "nope".into())).collect();
    for (max_errors, started) in [("0", 1), ("3", 4), ("10%", 3), ("0%", 1), ("100%", 20)] {
        let execution = setup(SLEEPER)
            .fleet(maps(&bad).with_max_concurrency("1").with_max_errors(max_errors))
            .run();
        assert_eq!(execution.step_executions.len(), started, "MaxErrors {max_errors}");
        assert_eq!(execution.automation_execution_status, Status::Failed);
        assert!(execution.step_executions.iter().all(|s| s.step_status == Status::Failed));
        let counters = execution.fleet.as_ref().unwrap().progress_counters;
        assert_eq!((counters.total_steps, counters.failed_steps), (started, started));
        if started < 20 {
            assert!(
                execution.failure_message.as_deref().unwrap().ends_with(&format!(
                    "; {} targets were not started: more than {} errors allowed (MaxErrors {max_errors})",
                    20 - started,
                    started - 1
                )),
                "{:?}",
                execution.failure_message
            );
        }
    }
}

#[test]
fn percentages_of_a_small_fleet_round_down() {
    // 10% of 7: concurrency 1 (at least one), errors 0.
    let items: Vec<(String, String)> =
        (0..7).map(|i| (format!("t{i}"), format!("PT{}S", 10 + i))).collect();
    let execution =
        setup(SLEEPER).fleet(maps(&items).with_max_concurrency("10%").with_max_errors("10%")).run();
    let sequential = spans(&execution);
    assert_eq!(peak(&sequential), 1);
    for pair in sequential.windows(2) {
        assert_eq!(pair[1].0, pair[0].1, "each child starts when the previous one ends");
    }
    let fleet = execution.fleet.as_ref().unwrap();
    assert_eq!((fleet.max_concurrency.as_str(), fleet.max_errors.as_str()), ("10%", "10%"));

    let mut failing = items.clone();
    failing[2].1 = "nope".into();
    let execution = setup(SLEEPER)
        .fleet(maps(&failing).with_max_concurrency("10%").with_max_errors("10%"))
        .run();
    assert_eq!(ids(&execution), ["t0", "t1", "t2"], "10% of 7 errors is 0: the first stops it");
    // 50% of 7 is 3 at once.
    let execution = setup(SLEEPER).fleet(maps(&items).with_max_concurrency("50%")).run();
    assert_eq!(peak(&spans(&execution)), 3);
}

#[test]
fn target_maps_show_in_the_record_as_given() {
    let fleet = Fleet::maps(vec![
        [("Id".to_string(), json!("a")), ("Wait".to_string(), json!(["PT5S"]))].into(),
        [("Id".to_string(), json!(["b"]))].into(),
    ]);
    let execution = setup(SLEEPER).params(json!({"Wait": "PT1S"})).fleet(fleet).run();
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["TargetMaps"][0]["Wait"], json!(["PT5S"]));
    assert_eq!(json["TargetMaps"][1]["Id"], json!(["b"]));
    assert!(json.get("TargetParameterName").is_none());
}

#[test]
fn tag_targets_show_in_the_record_with_what_they_resolved_to() {
    let aws = answering(|request| {
        let page = |ids: &[&str], next: Option<&str>| {
            let instances: Vec<Value> = ids.iter().map(|id| json!({"InstanceId": id})).collect();
            let mut page = json!({"Reservations": [{"Instances": instances}]});
            if let Some(next) = next {
                page["NextToken"] = json!(next);
            }
            page
        };
        match (request.api.as_str(), request.params.get("NextToken").and_then(Value::as_str)) {
            ("DescribeInstances", None) => Some(page(&["i-1", "i-2"], Some("p2"))),
            ("DescribeInstances", Some("p2")) => Some(page(&["i-3"], None)),
            _ => None,
        }
    });
    let fleet = Fleet::new("InstanceId", Target::new("tag:Env", ["prod", "staging"]));
    let execution =
        setup(PER_INSTANCE).params(json!({"Note": "n"})).fleet(fleet).aws(aws.clone()).run();
    assert_eq!(aws.calls().len(), 2, "the backend was asked what the record shows");
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["TargetParameterName"], "InstanceId");
    assert_eq!(json["Targets"], json!([{"Key": "tag:Env", "Values": ["prod", "staging"]}]));
    assert_eq!(
        json["ResolvedTargets"],
        json!({"ParameterValues": ["i-1", "i-2", "i-3"], "Truncated": false})
    );
    assert_eq!(json["ProgressCounters"]["SuccessSteps"], 3);
    assert_eq!(json["StepExecutions"][0]["Inputs"]["InstanceId"], "\"i-1\"");
    assert_eq!(json["StepExecutions"][0]["Action"], "aws:executeAutomation");
}

/// The parent lists its children, not their calls (RULINGS 25: the record grows with what ran,
/// each call once): its `Calls` are those that resolved the targets, each child's are in its
/// record, and `calls_made` gathers them all.
#[test]
fn a_fleet_parent_holds_its_resolving_calls_and_each_child_its_own() {
    const CALLING: &str = "schemaVersion: '0.3'\nparameters:\n  InstanceId: {type: String}\nmainSteps:\n- {name: look, action: aws:executeAwsApi, inputs: {Service: ec2, Api: DescribeTags, Filters: [{Name: resource-id, Values: ['{{ InstanceId }}']}]}}\n";
    let aws = answering(|request| match request.api.as_str() {
        "DescribeInstances" => Some(json!({"Reservations": [{"Instances": [
            {"InstanceId": "i-1"}, {"InstanceId": "i-2"}
        ]}]})),
        "DescribeTags" => Some(json!({"Tags": []})),
        _ => None,
    });
    let fleet = Fleet::new("InstanceId", Target::new("tag:Env", ["prod"]));
    let execution = setup(CALLING).fleet(fleet).aws(aws.clone()).run();
    assert_eq!(
        execution.automation_execution_status,
        Status::Success,
        "{:?}",
        execution.step_executions.iter().map(|s| &s.failure_message).collect::<Vec<_>>()
    );
    assert_eq!(aws.calls().len(), 3);
    let own: Vec<&str> = execution.calls.iter().map(|c| c.api.as_str()).collect();
    assert_eq!(own, ["DescribeInstances"], "the parent copies no child call");
    for step in &execution.step_executions {
        let child = step.child.as_deref().unwrap();
        assert_eq!(child.calls.len(), 1);
        assert_eq!(child.calls[0].automation_execution_id, child.automation_execution_id);
    }
    let all: Vec<&str> = execution.calls_made().iter().map(|c| c.api.as_str()).collect();
    assert_eq!(all, ["DescribeInstances", "DescribeTags", "DescribeTags"]);
    let json: Value = serde_json::from_str(&execution.to_json()).unwrap();
    assert_eq!(json["Calls"].as_array().unwrap().len(), 1);
    assert_eq!(json["StepExecutions"][1]["Child"]["Calls"][0]["Api"], "DescribeTags");
}

#[test]
fn every_instance_is_asked_for_with_no_filter() {
    let aws = answering(|request| {
        (request.api == "DescribeInstances")
            .then(|| json!({"Reservations": [{"Instances": [{"InstanceId": "i-a"}]}]}))
    });
    for target in [Target::new("AWS::EC2::Instance", ["*"]), Target::new("InstanceIds", ["*"])] {
        setup(PER_INSTANCE)
            .params(json!({"Note": "n"}))
            .fleet(Fleet::new("InstanceId", target))
            .aws(aws.clone())
            .run();
    }
    let calls = aws.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|call| call.params == json!({})), "{calls:?}");
}

#[test]
fn bad_requests_are_refused_naming_the_field() {
    let refused = |fleet: Fleet| setup(SLEEPER).fleet(fleet).refused().parameter;
    assert_eq!(refused(values(&["a"]).with_max_concurrency("0")), "MaxConcurrency");
    for bad in ["0%", "101%", "1.5", "ten", "-1"] {
        assert_eq!(refused(values(&["a"]).with_max_concurrency(bad)), "MaxConcurrency");
    }
    for bad in ["-1", "101%", "00", "x"] {
        assert_eq!(refused(values(&["a"]).with_max_errors(bad)), "MaxErrors");
    }
    assert_eq!(
        refused(Fleet::new("Ids", Target::new("ParameterValues", ["a"]))),
        "TargetParameterName"
    );
    let mut untargeted = values(&["a"]);
    untargeted.target_parameter_name = None;
    assert_eq!(refused(untargeted), "TargetParameterName");
    let mut named_maps = Fleet::maps(vec![[("Id".to_string(), json!("b"))].into()]);
    named_maps.target_parameter_name = Some("Id".into());
    assert_eq!(refused(named_maps), "TargetParameterName");
    assert_eq!(refused(Fleet::maps(vec![[("Wiat".to_string(), json!("PT1S"))].into()])), "Wiat");
    // A request with no targets at all, which a test file cannot give.
    assert_eq!(refused(Fleet::default()), "Targets");
}

#[test]
fn a_cancel_ends_the_fleet_run_at_once_and_counts_the_cancelled_children() {
    let ids: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let execution = setup(SLEEPER).fleet(values(&ids)).cancel_after(Duration::from_secs(25)).run();
    assert_eq!(seconds(&execution, execution.execution_end_time), 25);
    assert_eq!(execution.fleet.as_ref().unwrap().progress_counters.cancelled_steps, 4);
}

#[test]
fn progress_events_count_done_running_failed_and_remaining() {
    let items: Vec<(String, String)> = (0..6)
        .map(|i| (format!("t{i}"), if i == 4 { "nope".into() } else { "PT5S".into() }))
        .collect();
    let setup = setup(SLEEPER).fleet(maps(&items).with_max_errors("5"));
    let progress = setup.progress.clone();
    let execution = setup.run();
    assert_eq!(execution.step_executions.len(), 6);
    let events = progress.0.lock().unwrap().clone();
    assert_eq!(events.first(), Some(&(0, 1, 0, 5)));
    assert_eq!(events.last(), Some(&(6, 0, 1, 0)));
    for (done, running, _, remaining) in &events {
        assert_eq!(done + running + remaining, 6);
    }
}

#[test]
fn execute_automation_over_targets_links_the_fleet_run_and_its_children() {
    let parent = "schemaVersion: '0.3'\nmainSteps:\n- name: fan\n  action: aws:executeAutomation\n  inputs:\n    DocumentName: Sleeper\n    TargetParameterName: Wait\n    Targets: [{Key: ParameterValues, Values: [PT1S, PT2S, PT3S]}]\n    RuntimeParameters: {Id: x}\n    MaxConcurrency: '2'\n";
    let execution = setup(parent).document("Sleeper", SLEEPER).run();
    let step = execution.step("fan").unwrap();
    let fleet_run = step.child.as_deref().unwrap();
    assert_eq!(step.outputs["ExecutionId"], json!(fleet_run.automation_execution_id));
    assert_eq!(
        fleet_run.parent_automation_execution_id.as_deref(),
        Some(execution.automation_execution_id.as_str())
    );
    let fleet = fleet_run.fleet.as_ref().unwrap();
    assert_eq!(
        (fleet.max_concurrency.as_str(), fleet.target_parameter_name.as_deref()),
        ("2", Some("Wait"))
    );
    let grandchild = fleet_run.step_executions[0].child.as_deref().unwrap();
    assert_eq!(
        grandchild.parent_automation_execution_id.as_deref(),
        Some(fleet_run.automation_execution_id.as_str())
    );
}

fn memory_documents(documents: Vec<(String, String)>) -> MemoryDocuments {
    documents.into_iter().fold(MemoryDocuments::new(), |all, (name, text)| all.with(name, text))
}
