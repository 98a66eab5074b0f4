//! The executor's own cost per step: long chains of control steps (sleep and branch), and the
//! peer's chain of `aws:executeAwsApi` calls answered by mocks, on the virtual clock. Divan's
//! allocation profiler shows the memory a run takes, which should grow linearly with its steps.

mod common;

use std::path::Path;
use std::sync::Arc;

use runbook::setup::{Setup, standard_actions};
use runbook_aws::mock::MockFile;
use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::execute::{Executor, Plan, RunOptions};
use runbook_engine::host::{VirtualClock, virtual_runtime};
use runbook_engine::record::Status;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

fn plan(text: &str) -> Arc<Plan> {
    let document = Document::parse("bench.yaml", text.to_string(), Format::Yaml).expect("loads");
    Arc::new(Plan::new(Arc::new(document)))
}

fn run(plan: &Arc<Plan>, setup: &Setup) -> Status {
    let runtime = virtual_runtime().expect("runtime");
    runtime.block_on(async {
        let clock = Arc::new(VirtualClock::new(jiff::Timestamp::UNIX_EPOCH));
        let (host, _) = setup.host(clock);
        let executor = Executor::new(Arc::new(standard_actions()), host);
        executor
            .run(plan.clone(), RunOptions::default())
            .await
            .expect("starts")
            .automation_execution_status
    })
}

/// `steps` sleep and branch steps.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn control_chain(bencher: divan::Bencher, steps: usize) {
    let plan = plan(&common::control_chain(steps));
    let setup = Setup::default();
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| {
        let status = run(&plan, &setup);
        assert_eq!(status, Status::Success);
    });
}

/// The peer's chain of `steps` API calls, each fed by the previous step's output.
#[divan::bench(args = [100, 1_000], sample_count = 10)]
fn api_chain(bencher: divan::Bencher, steps: usize) {
    let plan = plan(&common::api_chain(steps));
    let mocks = MockFile::parse(
        Path::new("mocks.yaml"),
        "aws:\n  - service: ssm\n    api: GetParameter\n    returns: {Parameter: {Value: v}}\n",
    )
    .expect("mocks load");
    let setup = Setup { mocks: Some(Arc::new(mocks)), ..Setup::default() };
    bencher.counter(divan::counter::ItemsCount::new(steps)).bench(|| run(&plan, &setup));
}
