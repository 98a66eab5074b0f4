//! Whole commands as a user runs them: the `runbook` binary started for each sample, against
//! the same binary's bare start-up (`runbook --version`) in the same run.
//!
//! After divan's table, a summary gives each command's median as a multiple of bare start-up
//! and, for the long chains, the whole-process cost per step and how it grows from 1,000 steps
//! to 100,000. The models are botocore's installed ones (or `$RUNBOOK_AWS_MODELS`); the cache
//! folder is a fresh one for this run, filled by one untimed command before the samples.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_runbook");
const MOCKS: &str =
    "aws:\n  - service: ssm\n    api: GetParameter\n    returns: {Parameter: {Value: v}}\n";

fn main() {
    divan::main();
    summary();
}

/// The scratch folder: the generated runbooks and the cache folder.
fn scratch() -> &'static Path {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let folder = std::env::temp_dir().join(format!("runbook-bench-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("cache")).expect("scratch folder");
        std::fs::write(folder.join("mocks.yaml"), MOCKS).expect("mock file");
        folder
    })
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    std::env::var_os("RUNBOOK_CORPUS")
        .map_or_else(|| repository().join("../shared/corpus"), PathBuf::from)
}

/// Runs the binary with `args` in the repository and waits for it; the exit status is not
/// checked here (validating the corpus finds errors), only that it ran.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .current_dir(repository())
        .env("XDG_CACHE_HOME", scratch().join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Wall times of every sample, by benchmark name, for the summary.
fn times() -> &'static Mutex<BTreeMap<String, Vec<Duration>>> {
    static TIMES: OnceLock<Mutex<BTreeMap<String, Vec<Duration>>>> = OnceLock::new();
    TIMES.get_or_init(Mutex::default)
}

/// Benchmarks `args`, recording each sample's wall time under `name` too.
#[allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]
fn bench_command(bencher: divan::Bencher, name: &str, args: &[&str]) {
    let status = command(args).status().expect("the binary starts");
    assert!(status.code().is_some_and(|code| code <= 1), "{name}: {status}");
    bencher.bench(|| {
        let start = Instant::now();
        let status = command(args).status().expect("the binary starts");
        let took = start.elapsed();
        times().lock().unwrap().entry(name.to_string()).or_default().push(took);
        status
    });
}

#[divan::bench(sample_count = 30)]
fn startup(bencher: divan::Bencher) {
    bench_command(bencher, "startup", &["--version"]);
}

/// The example of the README, on its mocks.
#[divan::bench(sample_count = 30)]
fn example_run(bencher: divan::Bencher) {
    bench_command(
        bencher,
        "example_run",
        &[
            "run",
            "runbooks/image-instance.yaml",
            "--mocks",
            "runbooks/image-instance.mocks.yaml",
            "-p",
            "InstanceId=i-0123456789abcdef0",
        ],
    );
}

/// One runbook validated with the model checks.
#[divan::bench(sample_count = 30)]
fn validate_one(bencher: divan::Bencher) {
    bench_command(bencher, "validate_one", &["validate", "runbooks/image-instance.yaml"]);
}

/// The whole corpus validated with the model checks.
#[divan::bench(sample_count = 10)]
fn validate_corpus(bencher: divan::Bencher) {
    let corpus = corpus();
    bench_command(
        bencher,
        "validate_corpus",
        &["validate", "--format", "json", corpus.to_str().expect("a UTF-8 path")],
    );
}

const CHAIN_LENGTHS: [usize; 3] = [1_000, 10_000, 100_000];

/// A generated runbook of `steps` steps in the scratch folder, written once.
fn chain_file(kind: &str, steps: usize) -> String {
    let path = scratch().join(format!("{kind}-{steps}.yaml"));
    if !path.exists() {
        let text = match kind {
            "api" => common::api_chain(steps),
            _ => common::sleep_chain(steps),
        };
        std::fs::write(&path, text).expect("runbook written");
    }
    path.display().to_string()
}

fn bench_chain(bencher: divan::Bencher, kind: &str, output: &str, steps: usize) {
    let runbook = chain_file(kind, steps);
    let mocks = scratch().join("mocks.yaml").display().to_string();
    // The default budget of 10,000 step executions would stop the longest chains early.
    let budget = steps.to_string();
    let mut args =
        vec!["run", runbook.as_str(), "--output", output, "--max-step-executions", budget.as_str()];
    if kind == "api" {
        args.extend(["--mocks", mocks.as_str()]);
    }
    bench_command(
        bencher.counter(divan::counter::ItemsCount::new(steps)),
        &format!("{kind}_chain_{output}/{steps}"),
        &args,
    );
}

/// `aws:executeAwsApi` steps each fed by the previous one's output, on mocks, `--output json`.
#[divan::bench(args = CHAIN_LENGTHS, sample_count = 3)]
fn api_chain_json(bencher: divan::Bencher, steps: usize) {
    bench_chain(bencher, "api", "json", steps);
}

/// The same with the human progress and summary.
#[divan::bench(args = CHAIN_LENGTHS, sample_count = 3)]
fn api_chain_human(bencher: divan::Bencher, steps: usize) {
    bench_chain(bencher, "api", "human", steps);
}

/// `aws:sleep` steps, `--output json`.
#[divan::bench(args = CHAIN_LENGTHS, sample_count = 3)]
fn sleep_chain_json(bencher: divan::Bencher, steps: usize) {
    bench_chain(bencher, "sleep", "json", steps);
}

/// `aws:sleep` steps, human output.
#[divan::bench(args = CHAIN_LENGTHS, sample_count = 3)]
fn sleep_chain_human(bencher: divan::Bencher, steps: usize) {
    bench_chain(bencher, "sleep", "human", steps);
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Each command against bare start-up, and the cost per step of the chains.
#[allow(clippy::cast_precision_loss, reason = "step counts are far below 2^52")]
#[allow(clippy::print_stdout, reason = "the summary is this benchmark's report, after divan's")]
fn summary() {
    let times = times().lock().unwrap();
    let Some(startup) = times.get("startup").map(|samples| median(samples)) else { return };
    println!("\nwhole commands against bare start-up ({startup:.2?}):");
    for (name, samples) in times.iter() {
        let took = median(samples);
        let ratio = took.as_secs_f64() / startup.as_secs_f64();
        match name.split_once('/') {
            Some((_, steps)) => {
                let steps: f64 = steps.parse().unwrap_or(1.0);
                let per_step = took.as_secs_f64() * 1e6 / steps;
                println!("  {name:<28} {took:>10.2?} {ratio:>9.1}x   {per_step:.2} µs a step");
            }
            None => println!("  {name:<28} {took:>10.2?} {ratio:>9.1}x"),
        }
    }
    for chain in ["api_chain_json", "api_chain_human", "sleep_chain_json", "sleep_chain_human"] {
        let per_step = |steps: usize| {
            times
                .get(&format!("{chain}/{steps}"))
                .map(|samples| median(samples).as_secs_f64() / steps as f64)
        };
        if let (Some(small), Some(large)) = (per_step(1_000), per_step(100_000)) {
            println!("  {chain}: a step at 100,000 steps costs {:.2}x one at 1,000", large / small);
        }
    }
    let _ = std::fs::remove_dir_all(scratch());
}
