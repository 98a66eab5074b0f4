//! The cost of an `aws:executeScript` step: a trivial Python step, process start included (a
//! whole run of one step through the executor, and the runner alone), against a rhai answer
//! from a mock file (a `script:` rule of `MockAws`, and a one-step run whose script is stood in
//! for by `rhai`). Each is measured inside one process, after a first run has found the
//! interpreter.
//!
//! Needs `python3` on `PATH`: `cargo bench --bench scripts`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use runbook_actions::script::{LocalScriptRunner, PythonRunner};
use runbook_aws::mock::stand_in::StandInScripts;
use runbook_aws::mock::{MockAws, MockFile};
use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::execute::{Executor, Host, Plan, RunOptions};
use runbook_engine::host::{
    ApiRequest, ScriptRequest, ScriptRunner, VirtualClock, virtual_runtime,
};
use runbook_engine::record::Status;
use serde_json::json;

fn main() {
    divan::main();
}

const MOCKS: &str = r#"
aws:
  - service: ec2
    api: DescribeInstanceStatus
    script: |
      let state = if calls < 2 { "pending" } else { "running" };
      #{InstanceStatuses: [#{InstanceId: params.InstanceIds[0], InstanceState: #{Name: state}}]}
scripts:
  double:
    rhai: '#{double: events.n * 2}'
"#;

/// A runbook of one trivial script step, for the local interpreter's version.
fn one_step_runbook(runtime: &str) -> Arc<Plan> {
    let text = format!(
        "schemaVersion: '0.3'\nmainSteps:\n- name: double\n  action: aws:executeScript\n  inputs:\n    Runtime: {runtime}\n    Handler: h\n    InputPayload: {{n: 21}}\n    Script: |-\n      def h(events, context):\n          return {{'double': events['n'] * 2}}\n  outputs:\n  - {{Name: Double, Selector: $.Payload.double, Type: Integer}}\n"
    );
    let document = Document::parse("bench.yaml", text, Format::Yaml).expect("the runbook loads");
    Arc::new(Plan::new(Arc::new(document)))
}

fn python_runtime() -> String {
    let version = PythonRunner::new(None)
        .version()
        .expect("these benchmarks run a real Python: put python3 on PATH");
    format!("python{}.{}", version.major, version.minor)
}

fn mock_file() -> Arc<MockFile> {
    Arc::new(MockFile::parse(Path::new("mocks.yaml"), MOCKS).expect("valid mock file"))
}

/// Runs the one-step runbook with `scripts` and checks that the step doubled its input.
fn bench_run(bencher: divan::Bencher, scripts: Arc<dyn ScriptRunner>) {
    let runtime = virtual_runtime().expect("a runtime");
    let plan = one_step_runbook(&python_runtime());
    let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().expect("a timestamp")));
    let host = Host::new(Arc::new(MockAws::new(mock_file())), clock).with_scripts(scripts);
    let executor = Executor::new(Arc::new(runbook_actions::standard()), host);
    let run = || {
        let execution = runtime
            .block_on(executor.run(plan.clone(), RunOptions::default()))
            .expect("the run starts");
        assert_eq!(execution.automation_execution_status, Status::Success);
        assert_eq!(execution.step_executions[0].outputs["Double"], json!(42));
    };
    run();
    bencher.bench_local(run);
}

/// A whole run of one trivial Python step: the executor, a fresh `python3` process and its
/// scratch directory.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_step(bencher: divan::Bencher) {
    bench_run(bencher, Arc::new(LocalScriptRunner::default()));
}

/// The same step with its script stood in for by `rhai` from the mock file.
#[divan::bench(sample_count = 100)]
fn rhai_stand_in_step(bencher: divan::Bencher) {
    let scripts = StandInScripts::new(mock_file(), Arc::new(LocalScriptRunner::default()));
    bench_run(bencher, Arc::new(scripts));
}

/// The Python runner alone, without the executor.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_runner(bencher: divan::Bencher) {
    let runner = PythonRunner::new(None);
    let request = ScriptRequest {
        step: "double".to_string(),
        runtime: python_runtime(),
        handler: Some("h".to_string()),
        script: Some("def h(events, context):\n    return {'double': events['n'] * 2}\n".into()),
        attachment: None,
        input_payload: json!({"n": 21}),
        timeout: Duration::from_secs(600),
        env: Vec::new(),
    };
    runner.run_blocking(&request).expect("warm-up run");
    bencher.bench_local(|| {
        let output = runner.run_blocking(&request).expect("a trivial step succeeds");
        assert_eq!(output.payload, json!({"double": 42}));
    });
}

/// One answer of `MockAws` from a rhai `script:` rule.
#[divan::bench(sample_count = 100, sample_size = 100)]
fn rhai_mock_answer(bencher: divan::Bencher) {
    let aws = MockAws::new(mock_file());
    let request =
        ApiRequest::new("ec2", "DescribeInstanceStatus", json!({"InstanceIds": ["i-0abc"]}));
    bencher.bench_local(|| {
        let answer = aws.answer(&request).expect("answered");
        assert!(answer["InstanceStatuses"].is_array());
    });
}
