//! A run over 10,000 targets (`ParameterValues`) at `MaxConcurrency` 100, each child a
//! three-step runbook (an API call on the scripted backend of `runbook_engine::testing`, a
//! branch on its answer and a one-minute sleep) on the virtual clock: the cost of the fleet machinery and of a child
//! run's setup, which must stay small (under 2 s and 200 MB for the whole fleet).
//!
//! A second fleet gives each child twenty API steps, each with an output: 200,000 calls for
//! 10,000 targets, where what the parent keeps per child shows (RULINGS 25: memory and the
//! record grow with what ran, each call held once, in its child's record).
//!
//! `cargo bench --bench fleet` times them (the twenty-step fleet at 1,000 targets).
//! `RUNBOOK_FLEET_MEMORY=1 cargo bench --bench fleet` instead runs one fleet once in a fresh
//! process and prints its wall time and peak resident memory (`VmHWM` in `/proc/self/status`,
//! Linux only); `RUNBOOK_FLEET_TARGETS=N` changes the number of targets of that run and
//! `RUNBOOK_FLEET_STEPS=20` gives it the twenty-step children.

use std::fmt::Write;
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

/// The child with `steps` API steps, each selecting the instance's state.
fn api_child(steps: usize) -> String {
    let mut yaml = String::from(
        "schemaVersion: '0.3'\nparameters:\n  InstanceId: {type: String}\nmainSteps:\n",
    );
    for step in 0..steps {
        let _ = write!(
            yaml,
            "- name: s{step}\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeInstances, InstanceIds: ['{{{{ InstanceId }}}}']}}\n  outputs: [{{Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}}]\n"
        );
    }
    yaml
}

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
    // Every child step counts against the one budget the fleet shares (RULINGS 25).
    let budget = targets.len() as u64 * 25;
    let session =
        Session::new().actions(actions).aws(Arc::new(running())).max_step_executions(budget).fleet(
            Fleet::new("InstanceId", Target::new("ParameterValues", targets.iter().cloned()))
                .with_max_concurrency("100"),
        );
    session.run(runbook).expect("the fleet starts").execution
}

fn inputs(count: usize) -> (Runbook, Vec<String>) {
    inputs_with(count, CHILD)
}

fn inputs_with(count: usize, child: &str) -> (Runbook, Vec<String>) {
    let runbook = Loader::new()
        .parse("child.yaml", child, Format::Yaml)
        .expect("the child loads")
        .into_runbook()
        .expect("the child is valid");
    let targets = (0..count).map(|i| format!("i-{i:017x}")).collect();
    (runbook, targets)
}

fn check(execution: &Execution, count: usize, steps: usize) {
    assert_eq!(execution.automation_execution_status, Status::Success);
    assert_eq!(execution.step_executions.len(), count);
    let child = execution.step_executions[0].child.as_deref().expect("a child record");
    assert_eq!(child.path().len(), steps);
    assert_eq!(child.calls.len(), if steps == 3 { 1 } else { steps });
    assert!(execution.calls.is_empty(), "the parent holds no copy of its children's calls");
}

/// The whole fleet: 10,000 children, 100 at a time.
#[divan::bench(sample_count = 5)]
fn ten_thousand_targets(bencher: divan::Bencher) {
    let (runbook, targets) = inputs(TARGETS);
    bencher
        .counter(divan::counter::ItemsCount::new(TARGETS))
        .bench(|| run_fleet(&runbook, &targets).step_executions.len());
}

/// 1,000 children of twenty API steps each, 100 at a time: 20,000 calls.
#[divan::bench(sample_count = 3)]
fn twenty_step_children(bencher: divan::Bencher) {
    let (runbook, targets) = inputs_with(1_000, &api_child(20));
    bencher
        .counter(divan::counter::ItemsCount::new(targets.len()))
        .bench(|| run_fleet(&runbook, &targets).step_executions.len());
}

#[allow(clippy::disallowed_methods, reason = "the benchmark measures real time")]
fn measure_once() {
    let count = std::env::var("RUNBOOK_FLEET_TARGETS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(TARGETS);
    let steps =
        std::env::var("RUNBOOK_FLEET_STEPS").ok().and_then(|steps| steps.parse().ok()).unwrap_or(3);
    let (runbook, targets) =
        if steps == 3 { inputs(count) } else { inputs_with(count, &api_child(steps)) };
    let start = std::time::Instant::now();
    let execution = run_fleet(&runbook, &targets);
    let elapsed = start.elapsed();
    check(&execution, count, steps);
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
        "fleet of {count} targets of {steps} steps, MaxConcurrency 100: wall time {:.3} s, peak RSS {peak}, {virtual_time} s of virtual time",
        elapsed.as_secs_f64()
    );
}
