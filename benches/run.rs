//! The executor's own cost per step: long chains of control steps (sleep and branch), and the
//! peer's chain of `aws:executeAwsApi` calls answered by mocks, on the virtual clock; and the
//! cost of writing such a chain's record as `--output json` does, and as `serde_json`'s pretty
//! printer does. Divan's allocation profiler shows the memory a run takes, which should grow
//! linearly with its steps.

mod common;

use std::path::Path;

use runbook::{Loader, Runbook, Session};
use runbook_aws::mock::MockFile;
use runbook_engine::document::Format;
use runbook_engine::record::Status;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

fn runbook(text: &str) -> Runbook {
    Loader::new()
        .parse("bench.yaml", text, Format::Yaml)
        .expect("loads")
        .into_runbook()
        .expect("valid")
}

fn run(runbook: &Runbook, session: &Session) -> Status {
    session.run(runbook).expect("starts").execution.automation_execution_status
}

/// `steps` sleep and branch steps.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn control_chain(bencher: divan::Bencher, steps: usize) {
    let runbook = runbook(&common::control_chain(steps));
    let session = Session::new().start_time(jiff::Timestamp::UNIX_EPOCH);
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| {
        let status = run(&runbook, &session);
        assert_eq!(status, Status::Success);
    });
}

fn api_session() -> Session {
    let mocks = MockFile::parse(
        Path::new("mocks.yaml"),
        "aws:\n  - service: ssm\n    api: GetParameter\n    returns: {Parameter: {Value: v}}\n",
    )
    .expect("mocks load");
    Session::new().start_time(jiff::Timestamp::UNIX_EPOCH).mocks(mocks)
}

/// The peer's chain of `steps` API calls, each fed by the previous step's output.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn api_chain(bencher: divan::Bencher, steps: usize) {
    let runbook = runbook(&common::api_chain(steps));
    let session = api_session();
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| run(&runbook, &session));
}

/// The record of the chain of `steps` API calls written as pretty JSON, as `--output json`
/// writes it.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn api_chain_record_json(bencher: divan::Bencher, steps: usize) {
    let runbook = runbook(&common::api_chain(steps));
    let execution = api_session().run(&runbook).expect("starts").execution;
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| {
        let mut out = std::io::BufWriter::new(std::io::sink());
        runbook::json::write(&mut out, &execution).expect("writes");
    });
}

/// The same record written by `serde_json`'s pretty printer, which writes the same bytes.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn api_chain_record_json_stock(bencher: divan::Bencher, steps: usize) {
    let runbook = runbook(&common::api_chain(steps));
    let execution = api_session().run(&runbook).expect("starts").execution;
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| {
        let mut out = std::io::BufWriter::new(std::io::sink());
        serde_json::to_writer_pretty(&mut out, &execution).expect("writes");
    });
}
