//! Runs a YAML runbook against a YAML mock file through the executor with `standard()`, on the
//! virtual clock, and keeps what the tests look at: the run record, the mock rules no call
//! used and how much real time the run took.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_aws::mock::{MockAws, MockFile, UnusedRule};
use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::host::{VirtualClock, virtual_runtime};
use runbook_engine::record::{Execution, FailureType, Status, StepExecution};
use runbook_engine::{Executor, Host, Plan, RunOptions};
use serde_json::Value;

/// The head of every test runbook.
pub(crate) const HEAD: &str = "schemaVersion: '0.3'\nmainSteps:\n";

/// A runbook whose steps are `steps` (YAML list items, written from column 0).
pub(crate) fn runbook(steps: &str) -> String {
    format!("{HEAD}{steps}")
}

/// A test run being set up.
pub(crate) struct Case {
    runbook: String,
    mocks: String,
    parameters: IndexMap<String, Value>,
}

/// A run of `runbook`, with no mocks yet.
pub(crate) fn case(runbook: &str) -> Case {
    Case {
        runbook: runbook.to_string(),
        mocks: "aws: []\n".to_string(),
        parameters: IndexMap::new(),
    }
}

impl Case {
    /// Answers AWS calls from this mock file text.
    pub(crate) fn mocks(mut self, mocks: &str) -> Self {
        self.mocks = mocks.to_string();
        self
    }

    /// Sets a parameter.
    pub(crate) fn param(mut self, name: &str, value: Value) -> Self {
        self.parameters.insert(name.to_string(), value);
        self
    }

    /// Runs the case to its end.
    pub(crate) fn run(self) -> Outcome {
        let file = MockFile::parse(Path::new("mocks.yaml"), &self.mocks)
            .unwrap_or_else(|error| panic!("the test's mocks do not parse: {error}"));
        let document = Document::parse("runbook.yaml", self.runbook, Format::Yaml)
            .unwrap_or_else(|error| panic!("the test's runbook does not load: {error}"));
        let mocks = Arc::new(MockAws::new(Arc::new(file)));
        let runtime = virtual_runtime().expect("a virtual runtime starts");
        let started = real_time();
        let execution = runtime.block_on(async {
            let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
            let host = Host::new(mocks.clone(), clock);
            let executor = Executor::new(Arc::new(runbook_actions::standard()), host);
            let plan = Arc::new(Plan::new(Arc::new(document)));
            executor
                .run(plan, RunOptions::with_parameters(self.parameters))
                .await
                .expect("the run starts")
        });
        Outcome { execution, unused: mocks.unused_rules(), real: started.elapsed() }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the tests check that virtual waits take no real time"
)]
fn real_time() -> std::time::Instant {
    std::time::Instant::now()
}

/// What a run left.
pub(crate) struct Outcome {
    /// The run's record.
    pub(crate) execution: Execution,
    /// Mock rules that answered no call.
    pub(crate) unused: Vec<UnusedRule>,
    /// The real time the run took.
    pub(crate) real: Duration,
}

impl Outcome {
    /// The run's status.
    pub(crate) fn status(&self) -> Status {
        self.execution.automation_execution_status
    }

    /// Asserts that the run, which waited `waited` on the virtual clock, did not wait in real
    /// time: it took under a tenth of `waited`. No load stretches the few hundred mock calls of
    /// such a run that far, and a wait on the real clock cannot take less.
    pub(crate) fn assert_waited_virtually(&self, waited: Duration) {
        assert!(
            self.real < waited / 10,
            "a wait of {waited:?} on the virtual clock took {:?} of real time",
            self.real
        );
    }

    /// The record of step `name`.
    pub(crate) fn step(&self, name: &str) -> &StepExecution {
        self.execution.step(name).unwrap_or_else(|| panic!("no step {name} in the record"))
    }

    /// The failure message of step `name`.
    pub(crate) fn failure(&self, name: &str) -> &str {
        self.step(name).failure_message.as_deref().unwrap_or_else(|| {
            panic!("step {name} has no failure message; it ended {}", self.step(name).step_status)
        })
    }

    /// The failure type of step `name`.
    pub(crate) fn failure_type(&self, name: &str) -> FailureType {
        self.step(name).failure_details.as_ref().expect("the step has failure details").failure_type
    }

    /// The API error code the record keeps for step `name`.
    pub(crate) fn error_code(&self, name: &str) -> Option<&str> {
        let details = self.step(name).failure_details.as_ref()?;
        details.details.get("ErrorCode")?.first().map(String::as_str)
    }

    /// Output `output` of step `step`.
    pub(crate) fn output(&self, step: &str, output: &str) -> Option<&Value> {
        self.step(step).outputs.get(output)
    }

    /// The calls made, as `service.Api`, in order.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.execution.calls.iter().map(|call| format!("{}.{}", call.service, call.api)).collect()
    }

    /// The parameters of each call of `api`, in order.
    pub(crate) fn params_of(&self, api: &str) -> Vec<&Value> {
        self.execution
            .calls
            .iter()
            .filter(|call| call.api == api)
            .map(|call| &call.params)
            .collect()
    }

    /// The seconds since the run started, on the run's clock, of each call of `api`.
    pub(crate) fn call_times(&self, api: &str) -> Vec<i64> {
        let start = self.execution.execution_start_time;
        self.execution
            .calls
            .iter()
            .filter(|call| call.api == api)
            .map(|call| call.time.duration_since(start).as_secs())
            .collect()
    }

    /// How long step `name` took on the run's clock, in seconds.
    pub(crate) fn step_seconds(&self, name: &str) -> i64 {
        let step = self.step(name);
        let (Some(start), Some(end)) = (step.execution_start_time, step.execution_end_time) else {
            panic!("step {name} has no start or end time");
        };
        end.duration_since(start).as_secs()
    }

    /// Fails the test when a mock rule answered no call.
    pub(crate) fn assert_all_mocks_used(&self) {
        let unused: Vec<String> = self.unused.iter().map(ToString::to_string).collect();
        assert!(unused.is_empty(), "mock rules no call used: {unused:?}");
    }
}
