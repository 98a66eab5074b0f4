//! A run over 10,000 targets (`ParameterValues`) at `MaxConcurrency` 100, each child a
//! three-step runbook (an API call on the scripted backend of `runbook_engine::testing`, a
//! branch on its answer and a one-minute sleep) on the virtual clock: the cost of the fleet machinery and of a child
//! run's setup, which must stay small (under 2 s and 200 MB for the whole fleet).
//!
//! `cargo bench --bench fleet` times it. `RUNBOOK_FLEET_MEMORY=1 cargo bench --bench fleet`
//! instead runs the fleet once in a fresh process and prints its wall time and peak resident
//! memory (`VmHWM` in `/proc/self/status`, Linux only); `RUNBOOK_FLEET_TARGETS=N` changes the
//! number of targets of that run.

use std::sync::Arc;

use runbook::{Loader, Runbook, Session};
use runbook_engine::document::Format;
use runbook_engine::execute::{Actions, Fleet, Target};
use runbook_engine::record::{Execution, Status};
use runbook_engine::testing::{CallApi, ScriptedAws};
use serde_json::json;

const TARGETS: usize = 10_000;

const CHILD: &str = r"schemaVersion: '0.3'
parameters:
  InstanceId: {type: String, allowedPattern: '^i-[0-9a-f]+$'}
mainSteps:
- name: describe
  action: aws:executeAwsApi
  inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ InstanceId }}']}
  outputs: [{Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}]
- name: running
  action: aws:branch
  inputs:
    Choices: [{NextStep: wait, Variable: '{{ describe.State }}', StringEquals: running}]
  isEnd: true
- {name: wait, action: aws:sleep, inputs: {Duration: PT1M}}
";

fn main() {
    if std::env::var_os("RUNBOOK_FLEET_MEMORY").is_some() {
        measure_once();
        return;
    }
    divan::main();
}

/// Every call answers one running instance.
fn running() -> ScriptedAws {
    ScriptedAws::new(|_| {
        Some(Ok(json!({"Reservations": [{"Instances": [{"State": {"Name": "running"}}]}]})))
    })
}

/// Runs the fleet and returns its record.
fn run_fleet(runbook: &Runbook, targets: &[String]) -> Execution {
    let mut actions = Actions::new();
    actions.register(CallApi);
    let session = Session::new().actions(actions).aws(Arc::new(running())).fleet(
        Fleet::new("InstanceId", Target::new("ParameterValues", targets.iter().cloned()))
            .with_max_concurrency("100"),
    );
    session.run(runbook).expect("the fleet starts").execution
}

fn inputs(count: usize) -> (Runbook, Vec<String>) {
    let runbook = Loader::new()
        .parse("child.yaml", CHILD, Format::Yaml)
        .expect("the child loads")
        .into_runbook()
        .expect("the child is valid");
    let targets = (0..count).map(|i| format!("i-{i:017x}")).collect();
    (runbook, targets)
}

fn check(execution: &Execution, count: usize) {
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(execution.step_executions.len(), count);
    let child = execution.step_executions[0].child.as_deref().expect("a child record");
    assert_eq!(child.path(), ["describe", "running", "wait"]);
}

/// The whole fleet: 10,000 children, 100 at a time.
#[divan::bench(sample_count = 5)]
fn ten_thousand_targets(bencher: divan::Bencher) {
    let (runbook, targets) = inputs(TARGETS);
    bencher
        .counter(divan::counter::ItemsCount::new(TARGETS))
        .bench(|| run_fleet(&runbook, &targets).step_executions.len());
}

#[allow(clippy::disallowed_methods, reason = "the benchmark measures real time")]
fn measure_once() {
    let count = std::env::var("RUNBOOK_FLEET_TARGETS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(TARGETS);
    let (runbook, targets) = inputs(count);
    let start = std::time::Instant::now();
    let execution = run_fleet(&runbook, &targets);
    let elapsed = start.elapsed();
    check(&execution, count);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map_or_else(|| "unknown (no /proc/self/status)".to_string(), |v| v.trim().to_string());
    let virtual_time = execution
        .execution_end_time
        .map(|end| end.duration_since(execution.execution_start_time).as_secs())
        .unwrap_or_default();
    eprintln!(
        "fleet of {count} targets, MaxConcurrency 100: wall time {:.3} s, peak RSS {peak}, {virtual_time} s of virtual time",
        elapsed.as_secs_f64()
    );
}
