//! The Rust harness: the test file's cases written in Rust. A [`Harness`] loads a runbook, takes
//! parameters, mocks and approvals, validates the runbook and runs it on the virtual clock through
//! a [`Session`], and returns a [`Run`] whose
//! assertions print what was expected and what happened.
//!
//! ```
//! use runbook::harness::Harness;
//! use runbook::engine::record::Status;
//!
//! let runbook = r#"
//! schemaVersion: '0.3'
//! parameters:
//!   Env: {type: String}
//! mainSteps:
//!   - name: route
//!     action: aws:branch
//!     inputs:
//!       Choices:
//!         - {NextStep: ask, Variable: '{{ Env }}', StringEquals: prod}
//!       Default: done
//!   - name: ask
//!     action: aws:approve
//!     inputs: {Approvers: [ops]}
//!   - name: done
//!     action: aws:sleep
//!     inputs: {Duration: PT1H}
//! "#;
//! let run = Harness::from_text("deploy.yaml", runbook)?
//!     .parameter("Env", "prod")
//!     .approve("ask")
//!     .run()?;
//! run.assert_status(Status::Success)
//!     .assert_path(&["route", "ask", "done"])
//!     .assert_step("ask", Status::Success)
//!     .assert_output("route.NextStep", "ask");
//! # Ok::<(), runbook::harness::HarnessError>(())
//! ```
//!
//! Everything the harness takes comes from the facade (`IndexMap`, the clock's `Timestamp`,
//! `Value`), so a test needs no dependency besides `runbook`:
//!
//! ```
//! use std::time::Duration;
//!
//! use runbook::{Harness, HarnessError, IndexMap, Status, Timestamp, Value};
//!
//! let runbook = r#"
//! schemaVersion: '0.3'
//! parameters:
//!   Soak: {type: String}
//! mainSteps:
//!   - name: soak
//!     action: aws:sleep
//!     inputs: {Duration: '{{ Soak }}'}
//!   - {name: after, action: aws:sleep, inputs: {Duration: PT1S}}
//! "#;
//! let mut parameters = IndexMap::new();
//! parameters.insert("Soak".to_string(), Value::from("P1D"));
//! let start: Timestamp = "2026-03-01T09:00:00Z".parse().expect("a timestamp");
//! let run = Harness::from_text("soak.yaml", runbook)?
//!     .parameters(parameters)
//!     .start_time(start)
//!     .cancel_after(Duration::from_secs(3600))
//!     .run()?;
//! run.assert_status(Status::Cancelled)
//!     .assert_path(&["soak"])
//!     .assert_step("soak", Status::Cancelled);
//! assert_eq!(run.execution.execution_start_time, start);
//! # Ok::<(), HarnessError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indexmap::IndexMap;
use jiff::Timestamp;
use runbook_aws::mock::auto::Placeholders;
use runbook_aws::mock::{MockAws, MockFile, MockFileError};
use runbook_aws::model::Models;
use runbook_engine::Document;
use runbook_engine::document::{Format, LoadError};
use runbook_engine::execute::{CancelToken, RunContext, StepBudget};
use runbook_engine::host::{Decision, Event, Observer};
use runbook_engine::record::{Execution, Status};
use serde_json::Value;

use crate::session::{Loader, Refused, Rejected, RunError, Session};
use crate::setup::Approvals;
use crate::testing::{Expect, ExpectedCall, Located, compare};

/// Why a harness run could not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The runbook does not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The mock file does not load.
    #[error(transparent)]
    Mocks(#[from] MockFileError),
    /// The runbook has errors, so it does not run.
    #[error(transparent)]
    Invalid(#[from] Rejected),
    /// The run did not start (its parameters were refused).
    #[error("the run did not start: {0}")]
    Start(#[from] Refused),
    /// The runtime could not be made.
    #[error("cannot start a runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A runbook and everything one run of it needs.
#[derive(Debug)]
pub struct Harness {
    document: Document,
    parameters: IndexMap<String, Value>,
    mocks: Option<MockFile>,
    decisions: IndexMap<String, Decision>,
    documents: Vec<PathBuf>,
    context: RunContext,
    start: jiff::Timestamp,
    max_step_executions: u64,
    models: Option<Models>,
    auto_mock: Option<Models>,
    cancel_after: Option<Duration>,
    cancel_at_step: Option<String>,
}

impl Harness {
    /// The runbook at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, HarnessError> {
        Ok(Self::with_document(Document::load(path)?))
    }

    /// The runbook `text` (YAML, or JSON when `name` ends in `.json`).
    pub fn from_text(name: &str, text: &str) -> Result<Self, HarnessError> {
        let document = Document::parse(name, text.to_string(), Format::from_path(Path::new(name)))?;
        Ok(Self::with_document(document))
    }

    fn with_document(document: Document) -> Self {
        Self {
            document,
            parameters: IndexMap::new(),
            mocks: None,
            decisions: IndexMap::new(),
            documents: Vec::new(),
            context: RunContext::default(),
            start: crate::session::DEFAULT_START,
            max_step_executions: StepBudget::DEFAULT,
            models: None,
            auto_mock: None,
            cancel_after: None,
            cancel_at_step: None,
        }
    }

    /// Gives a parameter value (text, a number, a list, a map: anything JSON).
    #[must_use]
    pub fn parameter(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.to_string(), value.into());
        self
    }

    /// Gives every parameter value at once, replacing those given before.
    #[must_use]
    pub fn parameters(mut self, parameters: IndexMap<String, Value>) -> Self {
        self.parameters = parameters;
        self
    }

    /// Answers AWS calls (and approvals and scripts) from the mock file at `path`.
    pub fn mocks_file(mut self, path: impl AsRef<Path>) -> Result<Self, HarnessError> {
        self.mocks = Some(MockFile::load(path.as_ref())?);
        Ok(self)
    }

    /// Answers AWS calls from mock file `yaml` (the format of `runbook run --mocks`).
    pub fn mocks(mut self, yaml: &str) -> Result<Self, HarnessError> {
        self.mocks = Some(MockFile::parse(Path::new("mocks.yaml"), yaml)?);
        Ok(self)
    }

    /// Answers the calls no mock answers with placeholders shaped by `models`, as
    /// `runbook run --auto-mock` does.
    #[must_use]
    pub fn auto_mock(mut self, models: Models) -> Self {
        self.auto_mock = Some(models);
        self
    }

    /// Cancels the run once `after` has passed on the run's clock, as
    /// `StopAutomationExecution` would: the running step ends `Cancelled` and its `onCancel`
    /// steps run.
    #[must_use]
    pub fn cancel_after(mut self, after: Duration) -> Self {
        self.cancel_after = Some(after);
        self
    }

    /// Cancels the run as the step `step` starts (in the run or a child run), before it acts.
    #[must_use]
    pub fn cancel_at_step(mut self, step: &str) -> Self {
        self.cancel_at_step = Some(step.to_string());
        self
    }

    /// Approves (or resumes) the step `step` when it waits.
    #[must_use]
    pub fn approve(mut self, step: &str) -> Self {
        self.decisions.insert(step.to_string(), Decision::approve("harness"));
        self
    }

    /// Rejects the approval step `step`.
    #[must_use]
    pub fn reject(mut self, step: &str) -> Self {
        self.decisions.insert(step.to_string(), Decision::reject("harness"));
        self
    }

    /// Where `aws:executeAutomation` finds child runbooks.
    #[must_use]
    pub fn documents(mut self, folder: impl Into<PathBuf>) -> Self {
        self.documents.push(folder.into());
        self
    }

    /// The account and region the run reports.
    #[must_use]
    pub fn account(mut self, account_id: &str, region: &str) -> Self {
        self.context.account_id = account_id.to_string();
        self.context.region = region.to_string();
        self
    }

    /// When the virtual clock starts (default 2026-01-01T00:00:00Z).
    #[must_use]
    pub fn start_time(mut self, start: Timestamp) -> Self {
        self.start = start;
        self
    }

    /// How many step executions the run may start before it is stopped and fails (RULINGS 25;
    /// default 10,000).
    #[must_use]
    pub fn max_step_executions(mut self, limit: u64) -> Self {
        self.max_step_executions = limit;
        self
    }

    /// Also checks the runbook's AWS API calls against `models` before the run (RB028-RB031).
    #[must_use]
    pub fn models(mut self, models: Models) -> Self {
        self.models = Some(models);
        self
    }

    /// Validates the runbook and runs it on the virtual clock.
    pub fn run(self) -> Result<Run, HarnessError> {
        let mut session = Session::new()
            .approvals(Approvals::Scripted(self.decisions))
            .context(self.context)
            .parameters(self.parameters)
            .start_time(self.start)
            .max_step_executions(self.max_step_executions);
        if let Some(mocks) = self.mocks {
            session = session.mocks(mocks);
        }
        for folder in self.documents {
            session = session.documents(folder);
        }
        if let Some(models) = self.auto_mock {
            session = session.auto_mock(Placeholders::new(models).for_document(&self.document));
        }
        if let Some(after) = self.cancel_after {
            session = session.cancel_after(after);
        }
        if let Some(step) = self.cancel_at_step {
            let token = session.token().clone();
            session = session.observer(Arc::new(CancelAtStep { step, token, fired: false.into() }));
        }
        let runbook = Loader::new().models(self.models).check(self.document).into_runbook()?;
        let finished = session.run(&runbook).map_err(|error| match error {
            RunError::Runtime(error) => HarnessError::Runtime(error),
            RunError::Refused(refused) => HarnessError::Start(refused),
        })?;
        let mock = finished.mock().cloned();
        Ok(Run { execution: finished.execution, mock })
    }
}

/// Cancels the run when the step it names starts, once.
struct CancelAtStep {
    step: String,
    token: CancelToken,
    fired: AtomicBool,
}

impl Observer for CancelAtStep {
    fn on_event(&self, event: &Event<'_>) {
        if let Event::StepStarted { step, .. } = event
            && *step == self.step
            && !self.fired.swap(true, Ordering::Relaxed)
        {
            self.token.cancel();
        }
    }
}

/// A finished run, with assertions that panic with a readable difference. Each assertion is
/// `#[track_caller]`, so a failure points at the line of the test that made it.
#[derive(Debug)]
pub struct Run {
    /// The run's record.
    pub execution: Execution,
    mock: Option<Arc<MockAws>>,
}

impl Run {
    #[track_caller]
    fn check(&self, expect: &Expect) -> &Self {
        let failures = compare(expect, &self.execution);
        if let Some(failure) = failures.first() {
            panic!("{}", failure.message);
        }
        self
    }

    fn located<T>(value: T) -> Located<T> {
        Located { value, span: runbook_engine::syntax::Span::default() }
    }

    /// The run ended with `status`.
    #[track_caller]
    pub fn assert_status(&self, status: Status) -> &Self {
        self.check(&Expect { status: Some(Self::located(status)), ..Expect::default() })
    }

    /// The steps ran in this order.
    #[track_caller]
    pub fn assert_path(&self, path: &[&str]) -> &Self {
        let path = path.iter().map(|s| (*s).to_string()).collect();
        let expect = Expect {
            status: Some(Self::located(self.execution.automation_execution_status)),
            path: Some(Self::located(path)),
            ..Expect::default()
        };
        self.check(&expect)
    }

    /// The step `step` ended with `status`.
    #[track_caller]
    pub fn assert_step(&self, step: &str, status: Status) -> &Self {
        let expect = Expect {
            status: Some(Self::located(self.execution.automation_execution_status)),
            steps: vec![(step.to_string(), Self::located(status))],
            ..Expect::default()
        };
        self.check(&expect)
    }

    /// The output `name` (`step.Output` or a document output) is `value`.
    #[track_caller]
    pub fn assert_output(&self, name: &str, value: impl Into<Value>) -> &Self {
        let expect = Expect {
            status: Some(Self::located(self.execution.automation_execution_status)),
            outputs: vec![(name.to_string(), Self::located(value.into()))],
            ..Expect::default()
        };
        self.check(&expect)
    }

    /// The run's failure message contains `text`.
    #[track_caller]
    pub fn assert_failure_message(&self, text: &str) -> &Self {
        let expect = Expect {
            status: Some(Self::located(self.execution.automation_execution_status)),
            failure_message: Some(Self::located(text.to_string())),
            ..Expect::default()
        };
        self.check(&expect)
    }

    /// A call of `service.api` with (at least) `params` was made.
    #[track_caller]
    pub fn assert_call(&self, service: &str, api: &str, params: impl Into<Value>) -> &Self {
        let call = ExpectedCall {
            service: service.into(),
            api: api.into(),
            params: Some(params.into()),
            step: None,
            account: None,
            region: None,
        };
        let expect = Expect {
            status: Some(Self::located(self.execution.automation_execution_status)),
            calls: vec![Self::located(call)],
            ..Expect::default()
        };
        self.check(&expect)
    }

    /// The mock rules no call used, as `file:line:column: rule` lines.
    pub fn unused_mocks(&self) -> Vec<String> {
        self.mock
            .as_ref()
            .map(|mock| mock.unused_rules().iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::Mutex;

    use super::*;

    const CALL: &str = "schemaVersion: '0.3'\nmainSteps:\n  - name: describe\n    action: aws:executeAwsApi\n    inputs: {Service: ec2, Api: DescribeInstances}\n    onCancel: step:tidy\n  - {name: tidy, action: aws:executeAwsApi, inputs: {Service: sns, Api: Publish, TopicArn: 'arn:aws:sns:us-east-1:111122223333:ops', Message: cancelled}, isEnd: true}\n";

    const PUBLISH: &str = "aws:\n  - {service: sns, api: Publish, returns: {MessageId: m-1}}\n";

    const REFUSED: &str = "aws:\n  - {service: ec2, api: DescribeInstances, error: {code: UnauthorizedOperation, message: not for you}}\n";

    /// Runs `assertion`, which must panic, and gives the panic's location and message.
    fn panic_of(assertion: impl FnOnce()) -> (String, u32, String) {
        static SEEN: Mutex<Option<(String, u32)>> = Mutex::new(None);
        let thread = std::thread::current().id();
        let previous = Arc::new(panic::take_hook());
        let others = previous.clone();
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == thread {
                if let (Some(location), Ok(mut seen)) = (info.location(), SEEN.lock()) {
                    *seen = Some((location.file().to_string(), location.line()));
                }
            } else {
                others(info);
            }
        }));
        let result = panic::catch_unwind(AssertUnwindSafe(assertion));
        let _ = panic::take_hook();
        panic::set_hook(Box::new(move |info| previous(info)));
        let payload = result.expect_err("the assertion should fail");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(ToString::to_string))
            .unwrap_or_default();
        let (file, line) = SEEN.lock().unwrap().take().expect("the hook saw the panic");
        (file, line, message)
    }

    #[test]
    fn a_failed_assertion_points_at_the_line_that_made_it() {
        let run =
            Harness::from_text("call.yaml", CALL).unwrap().mocks(REFUSED).unwrap().run().unwrap();
        // `line!()` in a macro is the line of its invocation, where the assertion is written.
        macro_rules! fails_on_this_line {
            ($assertion:expr) => {
                let (file, line, message) = panic_of(|| {
                    $assertion;
                });
                assert_eq!((file.as_str(), line), (file!(), line!()), "{message}");
            };
        }
        fails_on_this_line!(run.assert_status(Status::Success));
        fails_on_this_line!(run.assert_path(&["tidy"]));
        fails_on_this_line!(run.assert_step("describe", Status::Success));
        fails_on_this_line!(run.assert_output("describe.Missing", 1));
        fails_on_this_line!(run.assert_failure_message("throttled"));
        fails_on_this_line!(run.assert_call("ec2", "RunInstances", Value::Null));
    }

    #[test]
    fn the_failure_message_is_asserted_by_what_it_contains() {
        let run =
            Harness::from_text("call.yaml", CALL).unwrap().mocks(REFUSED).unwrap().run().unwrap();
        run.assert_status(Status::Failed).assert_failure_message("UnauthorizedOperation");
        let (_, _, message) = panic_of(|| {
            run.assert_failure_message("throttled");
        });
        assert!(
            message.starts_with("expected the failure message to contain `throttled`, got `"),
            "{message}"
        );
    }

    #[test]
    fn a_run_is_cancelled_at_a_step_and_runs_its_cancel_chain() {
        let run = Harness::from_text("call.yaml", CALL)
            .unwrap()
            .mocks(PUBLISH)
            .unwrap()
            .cancel_at_step("describe")
            .run()
            .unwrap();
        run.assert_status(Status::Cancelled)
            .assert_path(&["describe", "tidy"])
            .assert_step("describe", Status::Cancelled)
            .assert_step("tidy", Status::Success);
        let calls: Vec<&str> = run.execution.calls.iter().map(|call| call.api.as_str()).collect();
        assert_eq!(calls, ["Publish"]);
    }

    #[test]
    fn a_run_is_cancelled_after_a_time_on_its_clock() {
        let soak = "schemaVersion: '0.3'\nmainSteps:\n  - {name: soak, action: aws:sleep, inputs: {Duration: PT2H}}\n";
        let run = Harness::from_text("soak.yaml", soak)
            .unwrap()
            .cancel_after(Duration::from_secs(60))
            .run()
            .unwrap();
        run.assert_status(Status::Cancelled).assert_step("soak", Status::Cancelled);
        let end = run.execution.execution_end_time.unwrap();
        assert_eq!(end.duration_since(run.execution.execution_start_time).as_secs(), 60);
        let done = Harness::from_text("soak.yaml", soak)
            .unwrap()
            .cancel_after(Duration::from_secs(3 * 3600))
            .run()
            .unwrap();
        done.assert_status(Status::Success);
    }

    #[test]
    fn errors_keep_their_types() {
        let error = Harness::from_text("call.yaml", CALL).unwrap().mocks("aws: 3").unwrap_err();
        assert!(matches!(error, HarnessError::Mocks(_)), "{error:?}");
        let error = Harness::from_text("call.yaml", CALL)
            .unwrap()
            .mocks_file("no/such/mocks.yaml")
            .unwrap_err();
        assert!(matches!(error, HarnessError::Mocks(_)), "{error:?}");
        let needs = "schemaVersion: '0.3'\nparameters:\n  Count: {type: Integer}\nmainSteps:\n  - {name: soak, action: aws:sleep, inputs: {Duration: PT1S}}\n";
        let error = Harness::from_text("needs.yaml", needs)
            .unwrap()
            .parameter("Count", "many")
            .run()
            .unwrap_err();
        let HarnessError::Start(refused) = &error else { panic!("{error:?}") };
        assert_eq!(refused.error.parameter, "Count");
        assert!(error.to_string().starts_with("the run did not start: "), "{error}");
        let error = Harness::from_text("bad.yaml", "schemaVersion: [").unwrap_err();
        assert!(matches!(error, HarnessError::Load(_)), "{error:?}");
    }

    #[test]
    fn auto_mock_answers_the_calls_no_mock_answers() {
        let models = Models::discover(None)
            .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"));
        let run = Harness::from_text("call.yaml", CALL).unwrap().auto_mock(models).run().unwrap();
        run.assert_status(Status::Success).assert_call(
            "ec2",
            "DescribeInstances",
            serde_json::json!({}),
        );
        let bare = Harness::from_text("call.yaml", CALL).unwrap().run().unwrap();
        bare.assert_status(Status::Failed);
    }
}
