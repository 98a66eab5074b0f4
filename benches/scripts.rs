//! The cost of an `aws:executeScript` step: a trivial Python step (a whole run of one step
//! through the executor, and the runner alone), cold (a new `python3` process for the step) and
//! warm (a child forked from the runner's warm interpreter, boto3 already imported), against a
//! rhai answer from a mock file (a `script:` rule of `MockAws`, and a one-step run whose script
//! is stood in for by `rhai`). Each is measured inside one process, after a first run has found
//! the interpreter. A runbook of ten script steps in a row, run whole, gives what each step of a
//! burst costs, the children forked to replace the ones used included. After divan's table,
//! `warm/cold` prints the warm runner step as a ratio of the cold one, both measured in the same
//! run: steps one right after the other, steps apart, and runs of ten steps in a row (the whole
//! run's time over ten).
//!
//! Needs `python3` with boto3 on `PATH`: `cargo bench --bench scripts`.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use runbook_actions::script::{LocalScriptRunner, PowerShellRunner, PythonRunner};
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
    warm_against_cold();
}

/// Times `steps` runs of the trivial step with `runner`, after one untimed run, each `pause`
/// after the one before; the median.
#[allow(clippy::disallowed_methods, reason = "a benchmark measures real time")]
fn median_step(runner: &PythonRunner, steps: usize, pause: Duration) -> Duration {
    let request = trivial_request();
    runner.run_blocking(&request).expect("warm-up run");
    let mut times: Vec<Duration> = (0..steps)
        .map(|_| {
            std::thread::sleep(pause);
            let started = std::time::Instant::now();
            let output = runner.run_blocking(&request).expect("a trivial step succeeds");
            assert_eq!(output.payload, json!({"double": 42}));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Times `runs` runs of ten trivial steps one right after the other, each run 200 ms after the
/// one before (a warm interpreter that has had time to get its children ready); the median of
/// each run's time over ten.
#[allow(clippy::disallowed_methods, reason = "a benchmark measures real time")]
fn median_run_of_ten(runner: &PythonRunner, runs: usize) -> Duration {
    let request = trivial_request();
    runner.run_blocking(&request).expect("warm-up run");
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(200));
            let started = std::time::Instant::now();
            for _ in 0..10 {
                let output = runner.run_blocking(&request).expect("a trivial step succeeds");
                assert_eq!(output.payload, json!({"double": 42}));
            }
            started.elapsed() / 10
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Prints the warm runner step against the cold one, measured now, as a ratio: steps one right
/// after the other (a warm step may then wait for its child to be forked) and steps apart (as
/// in a runbook whose script steps have other steps between them).
#[allow(clippy::print_stdout, reason = "the ratio is this benchmark's report")]
fn warm_against_cold() {
    let apart = Duration::from_millis(20);
    let cold = median_step(&PythonRunner::new(None).with_warm_interpreter(false), 20, apart);
    let runner = PythonRunner::new(None);
    assert!(runner.warm_up(), "the warm interpreter starts");
    let warm = median_step(&runner, 50, Duration::ZERO);
    let warm_apart = median_step(&runner, 50, apart);
    let warm_ten = median_run_of_ten(&runner, 15);
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    for (warm, how) in [
        (warm, "one right after the other"),
        (warm_apart, "20 ms apart"),
        (warm_ten, "in runs of ten in a row, a run's time over ten"),
    ] {
        println!(
            "warm/cold: a trivial Python step takes {:.2} ms warm ({how}) and {:.2} ms cold \
             (median): {:.3} of a cold start ({:.1}x faster)",
            ms(warm),
            ms(cold),
            warm.as_secs_f64() / cold.as_secs_f64(),
            cold.as_secs_f64() / warm.as_secs_f64()
        );
    }
}

fn trivial_request() -> ScriptRequest {
    ScriptRequest {
        step: "double".to_string(),
        runtime: python_runtime(),
        handler: Some("h".to_string()),
        script: Some("def h(events, context):\n    return {'double': events['n'] * 2}\n".into()),
        attachment: None,
        input_payload: json!({"n": 21}),
        timeout: Duration::from_secs(600),
        env: Vec::new(),
    }
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

/// A runbook of `steps` trivial script steps in a row, each named `double` and a number but the
/// first, so that a mock file's stand-in for `double` answers none but the first.
fn script_steps_runbook(runtime: &str, steps: usize) -> Arc<Plan> {
    let mut text = String::from("schemaVersion: '0.3'\nmainSteps:\n");
    for step in 0..steps {
        let name = if step == 0 { "double".to_string() } else { format!("double{step}") };
        let _ = write!(
            text,
            "- name: {name}\n  action: aws:executeScript\n  inputs:\n    Runtime: {runtime}\n    Handler: h\n    InputPayload: {{n: 21}}\n    Script: |-\n      def h(events, context):\n          return {{'double': events['n'] * 2}}\n  outputs:\n  - {{Name: Double, Selector: $.Payload.double, Type: Integer}}\n"
        );
    }
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

/// Runs the runbook of `steps` script steps with `scripts` and checks that every step doubled
/// its input.
fn bench_steps(bencher: divan::Bencher, scripts: Arc<dyn ScriptRunner>, steps: usize) {
    let runtime = virtual_runtime().expect("a runtime");
    let plan = script_steps_runbook(&python_runtime(), steps);
    let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().expect("a timestamp")));
    let host = Host::new(Arc::new(MockAws::new(mock_file())), clock).with_scripts(scripts);
    let executor = Executor::new(Arc::new(runbook_actions::standard()), host);
    let run = || {
        let execution = runtime
            .block_on(executor.run(plan.clone(), RunOptions::default()))
            .expect("the run starts");
        assert_eq!(execution.automation_execution_status, Status::Success);
        assert_eq!(execution.step_executions.len(), steps);
        for step in &execution.step_executions {
            assert_eq!(step.outputs["Double"], json!(42));
        }
    };
    run();
    bencher.bench_local(run);
}

/// Runs the one-step runbook with `scripts`.
fn bench_run(bencher: divan::Bencher, scripts: Arc<dyn ScriptRunner>) {
    bench_steps(bencher, scripts, 1);
}

/// A whole run of one trivial Python step: the executor, a fresh `python3` process and its
/// scratch directory.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_step_cold(bencher: divan::Bencher) {
    let python = PythonRunner::new(None).with_warm_interpreter(false);
    let scripts = LocalScriptRunner::from_runners(python, PowerShellRunner::default());
    bench_run(bencher, Arc::new(scripts));
}

/// The same run with the step forked from a warm interpreter.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn python_step_warm(bencher: divan::Bencher) {
    let python = PythonRunner::new(None);
    assert!(python.warm_up(), "the warm interpreter starts");
    let scripts = LocalScriptRunner::from_runners(python, PowerShellRunner::default());
    bench_run(bencher, Arc::new(scripts));
}

/// A whole run of ten trivial Python steps in a row, each forked from the warm interpreter: a
/// run's time over ten is what each step of a burst costs.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_ten_steps_warm(bencher: divan::Bencher) {
    let python = PythonRunner::new(None);
    assert!(python.warm_up(), "the warm interpreter starts");
    let scripts = LocalScriptRunner::from_runners(python, PowerShellRunner::default());
    bench_steps(bencher, Arc::new(scripts), 10);
}

/// The same step with its script stood in for by `rhai` from the mock file.
#[divan::bench(sample_count = 100)]
fn rhai_stand_in_step(bencher: divan::Bencher) {
    let scripts = StandInScripts::new(mock_file(), Arc::new(LocalScriptRunner::default()));
    bench_run(bencher, Arc::new(scripts));
}

/// The Python runner alone, without the executor, cold.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_runner_cold(bencher: divan::Bencher) {
    bench_runner(bencher, &PythonRunner::new(None).with_warm_interpreter(false));
}

/// The Python runner alone, warm.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn python_runner_warm(bencher: divan::Bencher) {
    let runner = PythonRunner::new(None);
    assert!(runner.warm_up(), "the warm interpreter starts");
    bench_runner(bencher, &runner);
}

/// The first step of a new runner without a warm interpreter: a new interpreter.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_first_step_cold_runner(bencher: divan::Bencher) {
    bench_first_step(bencher, false);
}

/// The first step of a new runner with a warm interpreter: a new interpreter too, with the warm
/// interpreter starting beside it once the step's process has started.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn python_first_step_warm_runner(bencher: divan::Bencher) {
    bench_first_step(bencher, true);
}

fn bench_first_step(bencher: divan::Bencher, warm: bool) {
    let request = trivial_request();
    // The runner of the sample before, settled (its warm interpreter started, then ended)
    // before the next sample, so that no sample pays for another's.
    let previous: std::cell::RefCell<Option<PythonRunner>> = std::cell::RefCell::new(None);
    bencher
        .with_inputs(|| {
            if let Some(runner) = previous.borrow_mut().take() {
                runner.warm_up();
            }
            let runner = PythonRunner::new(None).with_warm_interpreter(warm);
            runner.version().expect("python3 answers");
            runner
        })
        .bench_local_values(|runner| {
            let output = runner.run_blocking(&request).expect("a trivial step succeeds");
            assert_eq!(output.payload, json!({"double": 42}));
            *previous.borrow_mut() = Some(runner);
        });
}

fn bench_runner(bencher: divan::Bencher, runner: &PythonRunner) {
    let request = trivial_request();
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
