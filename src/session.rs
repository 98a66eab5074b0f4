//! The one way through the pipeline, for the binary, the test runner, the harness and embedders
//! alike:
//!
//! ```text
//! path or text ─Loader─▶ Validated (document + report) ─into_runbook─▶ Runbook (planned)
//!                                                 Session (host + options) ─run─▶ Finished
//! ```
//!
//! A [`Loader`] loads a runbook and always validates it: the engine's rules, and the checks of
//! AWS API calls against botocore's models (RB028-RB031) whenever it is given models. A
//! [`Validated`] runbook with errors does not become a [`Runbook`], so nothing runs a runbook
//! the validator refuses. A [`Session`] holds everything a run needs besides the runbook (mocks,
//! approvals, parameters, the clock, the cancel token, the step budget, the observer, targets)
//! and assembles the host from it for each run (`setup.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_aws::mock::auto::{AutoMock, Placeholders};
use runbook_aws::mock::record::Recorder;
use runbook_aws::mock::{MockAws, MockFile};
use runbook_aws::model::Models;
use runbook_engine::Document;
use runbook_engine::document::{Format, LoadError};
use runbook_engine::execute::{
    Actions, CancelToken, Executor, Fleet, IdGenerator, Locations, Plan, RunContext, RunOptions,
    StepBudget,
};
use runbook_engine::host::{
    Approver, AwsBackend, Clock, DocumentStore, Observer, ScriptRunner, SystemClock, VirtualClock,
    virtual_runtime,
};
use runbook_engine::params::ParameterError;
use runbook_engine::record::Execution;
use runbook_engine::validate::Report;
use serde_json::Value;

use crate::setup::{Approvals, Setup, standard_actions};

/// Loads runbooks and validates them, with the model rules when it has models.
#[derive(Clone, Default)]
pub struct Loader {
    models: Option<Models>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader").field("models", &self.models.is_some()).finish()
    }
}

impl Loader {
    /// A loader with the engine's rules only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also checks AWS API calls against `models` (RB028-RB031); `None` leaves them unchecked.
    #[must_use]
    pub fn models(mut self, models: Option<Models>) -> Self {
        self.models = models;
        self
    }

    /// The runbook at `path` (JSON when the name ends in `.json`, else YAML), validated.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Validated, LoadError> {
        Ok(self.check(Document::load(path)?))
    }

    /// The runbook `text`, named `path` in diagnostics, validated.
    pub fn parse(
        &self,
        path: impl Into<PathBuf>,
        text: impl Into<String>,
        format: Format,
    ) -> Result<Validated, LoadError> {
        Ok(self.check(Document::parse(path, text.into(), format)?))
    }

    /// From how many steps the model checks run on a thread of their own, beside the other
    /// rules: below it, starting the thread costs more than the checks.
    const STEPS_FOR_A_THREAD: usize = 200;

    /// Validates a loaded `document`.
    pub fn check(&self, document: Document) -> Validated {
        let report = match &self.models {
            // The two read the document independently; on a long runbook each takes a while.
            Some(models) if document.steps.len() >= Self::STEPS_FOR_A_THREAD => {
                std::thread::scope(|scope| {
                    let lint = scope.spawn(|| {
                        let found = runbook_aws::model::lint::lint(&document, models);
                        // The thread has time to spare before validation ends; a run needs
                        // the hash next, and on its own thread it would wait for it.
                        document.source.text_hash();
                        found
                    });
                    let mut report = runbook_engine::validate::validate(&document);
                    match lint.join() {
                        Ok(found) => report.merge(found),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                    report
                })
            }
            models => {
                let mut report = runbook_engine::validate::validate(&document);
                if let Some(models) = models {
                    report.merge(runbook_aws::model::lint::lint(&document, models));
                }
                report
            }
        };
        Validated { document, report }
    }
}

/// A loaded runbook and what validation found.
#[derive(Debug)]
pub struct Validated {
    document: Document,
    report: Report,
}

impl Validated {
    /// The document.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The findings, in source order.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The document and the findings.
    pub fn into_parts(self) -> (Document, Report) {
        (self.document, self.report)
    }

    /// The runbook ready to run, unless validation found errors.
    pub fn into_runbook(self) -> Result<Runbook, Rejected> {
        if self.report.has_errors() {
            return Err(Rejected { validated: Box::new(self) });
        }
        Ok(self.into_runbook_despite_errors())
    }

    /// The runbook ready to run even though validation found errors, for tests of the
    /// executor's robustness: a started run must end whatever the document holds.
    pub fn into_runbook_despite_errors(self) -> Runbook {
        let mut document = self.document;
        // From here on the typed document is all a run reads.
        document.release_tree();
        Runbook { plan: Arc::new(Plan::for_run(document)) }
    }
}

/// A runbook that validation refused to run: its first error, located.
#[derive(thiserror::Error)]
#[error("the runbook has errors: {}", first_error(.validated))]
pub struct Rejected {
    validated: Box<Validated>,
}

impl Rejected {
    /// The runbook and its findings, to show them.
    pub fn validated(&self) -> &Validated {
        &self.validated
    }

    /// The runbook and its findings.
    pub fn into_validated(self) -> Validated {
        *self.validated
    }
}

impl std::fmt::Debug for Rejected {
    // The whole document would drown the errors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rejected")
            .field("path", &self.validated.document.source.path)
            .field("errors", &self.validated.report.errors().collect::<Vec<_>>())
            .finish()
    }
}

fn first_error(validated: &Validated) -> String {
    let path = validated.document.source.path.display();
    match validated.report.errors().next() {
        Some(error) => {
            let location = error
                .span
                .map(|s| format!(":{}:{}", s.start.line, s.start.column))
                .unwrap_or_default();
            format!("{path}{location}: {}", error.message)
        }
        None => path.to_string(),
    }
}

/// A validated runbook, planned once for any number of runs.
#[derive(Clone, Debug)]
pub struct Runbook {
    plan: Arc<Plan>,
}

impl Runbook {
    /// The document, as a run reads it: its steps keep no inputs as written (the plan holds
    /// them; [`Validated::document`] has them).
    pub fn document(&self) -> &Document {
        &self.plan.document
    }

    /// The plan runs start from.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }
}

/// The clock a run is on.
#[derive(Clone)]
enum RunClock {
    /// Virtual time from this instant: sleeps and timeouts pass at once.
    Virtual(jiff::Timestamp),
    /// The system's clock, for runs against AWS.
    System,
    /// A clock of the embedder's.
    Custom(Arc<dyn Clock>),
}

/// Everything a run needs besides the runbook: where AWS calls go, approvals, scripts,
/// parameters, the clock, the cancel token, the step budget, the observer and the targets. A
/// session runs any number of runbooks, each run with a host of its own. Clones share the cancel
/// token: give a clone a [`CancelToken`] of its own for runs to be cancelled apart.
#[derive(Clone)]
pub struct Session {
    setup: Setup,
    actions: Arc<Actions>,
    document_store: Option<Arc<dyn DocumentStore>>,
    clock: RunClock,
    parameters: IndexMap<String, Value>,
    execution_id: Option<String>,
    ids: Option<Arc<IdGenerator>>,
    fleet: Option<Fleet>,
    locations: Option<Locations>,
    max_step_executions: u64,
    cancel: CancelToken,
    cancel_after: Option<Duration>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("setup", &self.setup)
            .field("parameters", &self.parameters)
            .field("max_step_executions", &self.max_step_executions)
            .finish_non_exhaustive()
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// Every action of this build, registered once per process: sessions are made per run and per
/// test case.
fn shared_standard_actions() -> Arc<Actions> {
    static ACTIONS: std::sync::OnceLock<Arc<Actions>> = std::sync::OnceLock::new();
    ACTIONS.get_or_init(|| Arc::new(standard_actions())).clone()
}

/// The virtual clock's start unless a session sets one: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: jiff::Timestamp = jiff::Timestamp::constant(1_767_225_600, 0);

impl Session {
    /// A dry run: every action of this build, no mocks (every AWS call fails and shows the
    /// call), approvals unanswered, the virtual clock from [`DEFAULT_START`].
    pub fn new() -> Self {
        Self {
            setup: Setup::default(),
            actions: shared_standard_actions(),
            document_store: None,
            clock: RunClock::Virtual(DEFAULT_START),
            parameters: IndexMap::new(),
            execution_id: None,
            ids: None,
            fleet: None,
            locations: None,
            max_step_executions: StepBudget::DEFAULT,
            cancel: CancelToken::new(),
            cancel_after: None,
        }
    }

    /// Answers AWS calls, approvals and scripts from a mock file.
    #[must_use]
    pub fn mocks(mut self, file: impl Into<Arc<MockFile>>) -> Self {
        self.setup.mocks = Some(file.into());
        self
    }

    /// Answers the calls no mock answers with placeholders built from the API models
    /// (`--auto-mock`); only for runs on mocks.
    #[must_use]
    pub fn auto_mock(mut self, placeholders: Placeholders) -> Self {
        self.setup.auto_mock = Some(placeholders);
        self
    }

    /// Sends AWS calls to `backend` (AWS, an emulator, a backend of the embedder's) instead of
    /// mocks.
    #[must_use]
    pub fn aws(mut self, backend: Arc<dyn AwsBackend>) -> Self {
        self.setup.aws = Some(backend);
        self
    }

    /// Records every AWS call and approval decision of the run, to write as a mock file.
    #[must_use]
    pub fn record(mut self, recorder: Arc<Recorder>) -> Self {
        self.setup.recorder = Some(recorder);
        self
    }

    /// How approvals and pauses are answered (a mock file's `approvals` come first).
    #[must_use]
    pub fn approvals(mut self, approvals: Approvals) -> Self {
        self.setup.approvals = approvals;
        self
    }

    /// Decides for the steps no answer covers (a prompt, say).
    #[must_use]
    pub fn prompt(mut self, approver: Arc<dyn Approver>) -> Self {
        self.setup.prompt = Some(approver);
        self
    }

    /// Runs `aws:executeScript` scripts.
    #[must_use]
    pub fn scripts(mut self, runner: Arc<dyn ScriptRunner>) -> Self {
        self.setup.scripts = runner;
        self
    }

    /// The actions runs can use (default: every action of this build).
    #[must_use]
    pub fn actions(mut self, actions: impl Into<Arc<Actions>>) -> Self {
        self.actions = actions.into();
        self
    }

    /// A folder where `aws:executeAutomation` finds child runbooks (call again for more).
    #[must_use]
    pub fn documents(mut self, folder: impl Into<PathBuf>) -> Self {
        self.setup.documents.push(folder.into());
        self
    }

    /// Where `aws:executeAutomation` finds child runbooks, instead of folders.
    #[must_use]
    pub fn document_store(mut self, store: Arc<dyn DocumentStore>) -> Self {
        self.document_store = Some(store);
        self
    }

    /// The run's context: account, region, attachments folder, scripts' environment.
    #[must_use]
    pub fn context(mut self, context: RunContext) -> Self {
        self.setup.context = context;
        self
    }

    /// The account and region the run reports.
    #[must_use]
    pub fn account(mut self, account_id: impl Into<String>, region: impl Into<String>) -> Self {
        self.setup.context.account_id = account_id.into();
        self.setup.context.region = region.into();
        self
    }

    /// Receives the run's events.
    #[must_use]
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.setup.observer = Some(observer);
        self
    }

    /// Gives a parameter value (text, a number, a list, a map: anything JSON).
    #[must_use]
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Gives the parameter values, replacing those given before.
    #[must_use]
    pub fn parameters(mut self, parameters: IndexMap<String, Value>) -> Self {
        self.parameters = parameters;
        self
    }

    /// Runs on the virtual clock, starting at `start`.
    #[must_use]
    pub fn start_time(mut self, start: jiff::Timestamp) -> Self {
        self.clock = RunClock::Virtual(start);
        self
    }

    /// Runs on the system's clock (runs against AWS).
    #[must_use]
    pub fn system_clock(mut self) -> Self {
        self.clock = RunClock::System;
        self
    }

    /// Runs on `clock`.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = RunClock::Custom(clock);
        self
    }

    /// The run's `AutomationExecutionId` (default: one drawn from the id generator).
    #[must_use]
    pub fn execution_id(mut self, id: impl Into<String>) -> Self {
        self.execution_id = Some(id.into());
        self
    }

    /// Draws execution ids from `ids` (default: a generator seeded from the runbook and its
    /// parameters, so that the same run gives the same ids).
    #[must_use]
    pub fn ids(mut self, ids: IdGenerator) -> Self {
        self.ids = Some(Arc::new(ids));
        self
    }

    /// Runs once per target, under rate control, below a parent run.
    #[must_use]
    pub fn fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// Runs once per account and Region of `locations`, under rate control, below a parent
    /// run; with targets in a location, once per target there.
    #[must_use]
    pub fn locations(mut self, locations: Locations) -> Self {
        self.locations = Some(locations);
        self
    }

    /// How many step executions each run may start before it is stopped and fails (RULINGS 25;
    /// default 10,000).
    #[must_use]
    pub fn max_step_executions(mut self, limit: u64) -> Self {
        self.max_step_executions = limit;
        self
    }

    /// Cancels runs when `token` is cancelled (default: a token of the session's own, see
    /// [`Session::cancel_token`]).
    #[must_use]
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }

    /// Cancels the run once `after` has passed on the run's clock.
    #[must_use]
    pub fn cancel_after(mut self, after: Duration) -> Self {
        self.cancel_after = Some(after);
        self
    }

    /// The token that cancels this session's runs.
    pub fn token(&self) -> &CancelToken {
        &self.cancel
    }

    /// Runs `runbook` to its end on a runtime of its own: virtual time unless the session is on
    /// another clock.
    pub fn run(&self, runbook: &Runbook) -> Result<Finished, RunError> {
        let runtime = match self.clock {
            RunClock::Virtual(_) => virtual_runtime(),
            RunClock::System | RunClock::Custom(_) => {
                tokio::runtime::Builder::new_current_thread().enable_all().build()
            }
        }
        .map_err(RunError::Runtime)?;
        runtime.block_on(self.run_async(runbook)).map_err(RunError::Refused)
    }

    /// Runs `runbook` to its end on the current tokio runtime; a virtual clock needs a runtime
    /// with paused time, as [`virtual_runtime`] makes.
    pub async fn run_async(&self, runbook: &Runbook) -> Result<Finished, Refused> {
        let clock: Arc<dyn Clock> = match &self.clock {
            RunClock::Virtual(start) => Arc::new(VirtualClock::new(*start)),
            RunClock::System => Arc::new(SystemClock),
            RunClock::Custom(clock) => clock.clone(),
        };
        let ids = self.ids.clone().unwrap_or_else(|| {
            Arc::new(IdGenerator::for_source(
                &runbook.document().source,
                &self.parameters,
                IdGenerator::SEED,
            ))
        });
        let mut setup = self.setup.clone();
        setup.context.ids = ids;
        let built = setup.build(clock.clone());
        let mut host = built.host;
        if let Some(store) = &self.document_store {
            host = host.with_documents(store.clone());
        }
        let timer = self.cancel_after.map(|after| {
            let token = self.cancel.clone();
            let clock = clock.clone();
            tokio::spawn(async move {
                clock.sleep(after).await;
                token.cancel();
            })
        });
        let executor = Executor::new(self.actions.clone(), host);
        let mut options = RunOptions::with_parameters(self.parameters.clone());
        options.cancel = self.cancel.clone();
        options.execution_id.clone_from(&self.execution_id);
        options.fleet.clone_from(&self.fleet);
        options.locations.clone_from(&self.locations);
        options.budget = StepBudget::new(self.max_step_executions);
        let result = executor.run(runbook.plan.clone(), options).await;
        if let Some(timer) = timer {
            timer.abort();
        }
        match result {
            Ok(execution) => Ok(Finished { execution, mock: built.mock, auto: built.auto }),
            Err(error) => Err(Refused { error, auto: built.auto }),
        }
    }
}

/// A run that ended, and the backends that answered it.
#[derive(Debug)]
pub struct Finished {
    /// The run's record.
    pub execution: Execution,
    mock: Option<Arc<MockAws>>,
    auto: Option<Arc<AutoMock>>,
}

impl Finished {
    /// The mock backend, when the run was on mocks (to ask which rules went unused).
    pub fn mock(&self) -> Option<&Arc<MockAws>> {
        self.mock.as_ref()
    }

    /// The placeholder backend, when the run answered unmocked calls with placeholders.
    pub fn auto_mock(&self) -> Option<&Arc<AutoMock>> {
        self.auto.as_ref()
    }
}

/// A run that did not start: its parameters were refused, as `StartAutomationExecution`
/// refuses them.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Refused {
    /// Why.
    pub error: ParameterError,
    auto: Option<Arc<AutoMock>>,
}

impl Refused {
    /// What `--auto-mock` placeholders had to do with the refusal, when they did.
    pub fn note(&self) -> Option<String> {
        self.auto.as_ref().and_then(|auto| auto.refusal_note(&self.error.parameter))
    }
}

/// Why [`Session::run`] has no record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The run did not start.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The runtime could not be made.
    #[error("cannot start a runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEEDS_NAME: &str = "schemaVersion: '0.3'\nparameters:\n  Name: {type: String, allowedPattern: '^[a-z]+$'}\nmainSteps:\n  - {name: wait, action: aws:sleep, inputs: {Duration: PT1M}}\n";

    fn runbook(text: &str) -> Result<Runbook, Rejected> {
        Loader::new().parse("r.yaml", text, Format::Yaml).expect("loads").into_runbook()
    }

    #[test]
    fn a_runbook_with_errors_is_rejected_naming_its_first_error() {
        let text = "schemaVersion: '0.3'\nmainSteps:\n  - {name: a, action: aws:sleep, inputs: {Duration: PT1M}, nextStep: b}\n";
        let rejected = runbook(text).unwrap_err();
        assert_eq!(
            rejected.to_string(),
            "the runbook has errors: r.yaml:3:70: `nextStep` names step `b`, which does not exist"
        );
        assert_eq!(rejected.into_validated().report().errors().count(), 1);
    }

    #[test]
    fn refused_parameters_are_an_error_not_a_record() {
        let runbook = runbook(NEEDS_NAME).unwrap();
        let error = Session::new().parameter("Name", "BAD").run(&runbook).unwrap_err();
        let RunError::Refused(refused) = error else { panic!("{error}") };
        assert_eq!(refused.error.parameter, "Name");
        assert_eq!(refused.note(), None);
    }

    #[test]
    fn the_same_run_gives_the_same_ids_and_a_given_generator_others() {
        let runbook = runbook(NEEDS_NAME).unwrap();
        let session = Session::new().parameter("Name", "ok");
        let id = |session: &Session| {
            session.run(&runbook).unwrap().execution.automation_execution_id.clone()
        };
        assert_eq!(id(&session), id(&session));
        assert_ne!(id(&session), id(&session.clone().ids(IdGenerator::new(7))));
        assert_eq!(id(&session.clone().execution_id("x")), "x");
    }
}
