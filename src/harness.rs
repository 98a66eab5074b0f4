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

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_aws::mock::{MockAws, MockFile};
use runbook_engine::Document;
use runbook_engine::document::{Format, LoadError};
use runbook_engine::execute::{RunContext, StepBudget};
use runbook_engine::host::Decision;
use runbook_engine::record::{Execution, Status};
use serde_json::Value;

use crate::session::{Loader, Rejected, RunError, Session};
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
    #[error("{0}")]
    Mocks(String),
    /// The runbook has errors, so it does not run.
    #[error(transparent)]
    Invalid(#[from] Rejected),
    /// The run did not start (its parameters were refused).
    #[error("the run did not start: {0}")]
    Start(String),
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
    models: Option<runbook_aws::model::Models>,
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
        }
    }

    /// Gives a parameter value (text, a number, a list, a map: anything JSON).
    #[must_use]
    pub fn parameter(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.to_string(), value.into());
        self
    }

    /// Answers AWS calls (and approvals and scripts) from the mock file at `path`.
    pub fn mocks_file(mut self, path: impl AsRef<Path>) -> Result<Self, HarnessError> {
        let file = MockFile::load(path.as_ref())
            .map_err(|error| HarnessError::Mocks(error.to_string()))?;
        self.mocks = Some(file);
        Ok(self)
    }

    /// Answers AWS calls from mock file `yaml` (the format of `runbook run --mocks`).
    pub fn mocks(mut self, yaml: &str) -> Result<Self, HarnessError> {
        let file = MockFile::parse(Path::new("mocks.yaml"), yaml)
            .map_err(|error| HarnessError::Mocks(error.to_string()))?;
        self.mocks = Some(file);
        Ok(self)
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
    pub fn start_time(mut self, start: jiff::Timestamp) -> Self {
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
    pub fn models(mut self, models: runbook_aws::model::Models) -> Self {
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
        let runbook = Loader::new().models(self.models).check(self.document).into_runbook()?;
        let finished = session.run(&runbook).map_err(|error| match error {
            RunError::Runtime(error) => HarnessError::Runtime(error),
            error => HarnessError::Start(error.to_string()),
        })?;
        let mock = finished.mock().cloned();
        Ok(Run { execution: finished.execution, mock })
    }
}

/// A finished run, with assertions that panic with a readable difference.
#[derive(Debug)]
pub struct Run {
    /// The run's record.
    pub execution: Execution,
    mock: Option<Arc<MockAws>>,
}

impl Run {
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
