//! What a run is given: the [`Host`] it reaches the outside world through, the [`RunContext`]
//! facts of where it runs, and the [`RunOptions`] it starts with.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use super::budget::StepBudget;
use super::cancel::CancelToken;
use super::ids::IdGenerator;
use super::locations::Locations;
use super::secrets::Secrets;
use super::targets::request::Fleet;
use crate::host::BoxFuture;
use crate::host::{
    Approver, AwsBackend, AwsParameterStore, Clock, DocumentStore, FixedApprover, Location,
    NoDocuments, NoObserver, Observer, ParameterStore, ScriptCalls, ScriptError, ScriptErrorKind,
    ScriptOutput, ScriptRequest, ScriptRunner,
};
use crate::record::CallRecord;

/// The calls of one run, as they are made.
pub(crate) type CallLog = std::sync::Mutex<Vec<CallRecord>>;

/// Everything a run needs from outside the engine.
#[derive(Clone)]
pub struct Host {
    /// AWS: mocks, an emulator or AWS itself.
    pub aws: Arc<dyn AwsBackend>,
    /// Time: virtual for dry-runs and tests, the system clock for real runs.
    pub clock: Arc<dyn Clock>,
    /// Decisions for approvals and pauses.
    pub approver: Arc<dyn Approver>,
    /// Runs `aws:executeScript` scripts.
    pub scripts: Arc<dyn ScriptRunner>,
    /// Parameter Store, for `{{ ssm:/name }}` defaults.
    pub parameter_store: Arc<dyn ParameterStore>,
    /// Runbooks for `aws:executeAutomation`.
    pub documents: Arc<dyn DocumentStore>,
    /// Receives the run's events.
    pub observer: Arc<dyn Observer>,
    /// The account, region and other facts of the run.
    pub context: RunContext,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("context", &self.context).finish_non_exhaustive()
    }
}

impl Host {
    /// A host with `aws` and `clock`; approvals and pauses get no decision, scripts do not
    /// run, Parameter Store is read through `aws`, and there are no child runbooks.
    pub fn new(aws: Arc<dyn AwsBackend>, clock: Arc<dyn Clock>) -> Self {
        Self {
            parameter_store: Arc::new(AwsParameterStore::new(aws.clone())),
            aws,
            clock,
            approver: Arc::new(FixedApprover::none()),
            scripts: Arc::new(NoScripts),
            documents: Arc::new(NoDocuments),
            observer: Arc::new(NoObserver),
            context: RunContext::default(),
        }
    }

    /// Sets the approver.
    #[must_use]
    pub fn with_approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = approver;
        self
    }

    /// Sets the script runner.
    #[must_use]
    pub fn with_scripts(mut self, scripts: Arc<dyn ScriptRunner>) -> Self {
        self.scripts = scripts;
        self
    }

    /// Sets Parameter Store.
    #[must_use]
    pub fn with_parameter_store(mut self, store: Arc<dyn ParameterStore>) -> Self {
        self.parameter_store = store;
        self
    }

    /// Sets where child runbooks are found.
    #[must_use]
    pub fn with_documents(mut self, documents: Arc<dyn DocumentStore>) -> Self {
        self.documents = documents;
        self
    }

    /// Sets the observer.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// Sets the run's context.
    #[must_use]
    pub fn with_context(mut self, context: RunContext) -> Self {
        self.context = context;
        self
    }
}

/// Facts about where a run happens.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// `global:ACCOUNT_ID`.
    pub account_id: String,
    /// `global:REGION`.
    pub region: String,
    /// `global:AWS_PARTITION`.
    pub partition: String,
    /// Where script attachments are, besides next to the runbook.
    pub attachments: Option<PathBuf>,
    /// Environment variables scripts get, to reach the same AWS the run uses.
    pub script_environment: Vec<(String, String)>,
    /// Makes execution ids.
    pub ids: Arc<IdGenerator>,
    /// The secret values the run learns from its AWS calls (RULINGS 26), shared with the runs
    /// it starts and with every clone of this context.
    pub secrets: Secrets,
    /// The account and Region a child of a run over target locations runs in; `account_id`
    /// and `region` name them too. Its AWS calls are made there.
    pub location: Option<Location>,
}

impl Default for RunContext {
    fn default() -> Self {
        Self {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            partition: "aws".into(),
            attachments: None,
            script_environment: Vec::new(),
            ids: Arc::new(IdGenerator::default()),
            secrets: Secrets::default(),
            location: None,
        }
    }
}

/// How to start a run: the parameters, and optionally a cancel token, an execution id, a fleet
/// of targets and a step budget. Build it from [`RunOptions::new`] (or `default()`) and the
/// `with_*` methods; the fields are public too.
///
/// ```
/// use runbook_engine::{CancelToken, RunOptions, StepBudget};
/// use serde_json::json;
///
/// let token = CancelToken::new();
/// let options = RunOptions::new([("Env", json!("prod")), ("Count", json!(3))])
///     .with_cancel(token.clone())
///     .with_execution_id("0b5f3c1a-2d4e-4f60-8a9b-1c2d3e4f5a6b")
///     .with_budget(StepBudget::new(50));
/// assert_eq!(options.parameters["Env"], "prod");
/// token.cancel();
/// assert!(options.cancel.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Parameter values by name: text, numbers, booleans, lists and maps, or the API's form
    /// (a list of text).
    pub parameters: IndexMap<String, Value>,
    /// Cancels the run.
    pub cancel: CancelToken,
    /// The execution id to use (a new one by default).
    pub execution_id: Option<String>,
    /// Run over targets: one child run per target, under rate control (SPEC 8).
    pub fleet: Option<Fleet>,
    /// Run over target locations: one child run per account and Region, under rate control.
    pub locations: Option<Locations>,
    /// The step executions the run may start (RULINGS 25); the runs it starts share it, as do
    /// clones of these options: give each independent run a budget of its own.
    pub budget: StepBudget,
    pub(crate) depth: u32,
    pub(crate) parent: Option<String>,
    /// The call logs of the runs above this one (see `RunEnvironment`).
    pub(crate) call_logs: Vec<Arc<CallLog>>,
}

impl RunOptions {
    /// Options with these parameters, by name, and everything else as by default.
    pub fn new<K: Into<String>, V: Into<Value>>(
        parameters: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let parameters = parameters.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self { parameters, ..Self::default() }
    }

    /// Options with these parameters.
    pub fn with_parameters(parameters: IndexMap<String, Value>) -> Self {
        Self { parameters, ..Self::default() }
    }

    /// Sets one parameter.
    #[must_use]
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Sets the token that cancels the run.
    #[must_use]
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// Sets the execution id.
    #[must_use]
    pub fn with_execution_id(mut self, id: impl Into<String>) -> Self {
        self.execution_id = Some(id.into());
        self
    }

    /// Runs over a fleet of targets.
    #[must_use]
    pub fn with_fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// Runs over target locations.
    #[must_use]
    pub fn with_locations(mut self, locations: Locations) -> Self {
        self.locations = Some(locations);
        self
    }

    /// Sets the step budget (shared by the runs this run starts).
    #[must_use]
    pub fn with_budget(mut self, budget: StepBudget) -> Self {
        self.budget = budget;
        self
    }
}

/// The deepest nesting of `aws:executeAutomation` below the first run (SPEC section 9).
pub const MAX_DEPTH: u32 = 5;

/// A script runner for hosts that run no scripts: every script step fails with a message
/// saying so.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoScripts;

impl ScriptRunner for NoScripts {
    fn run<'a>(
        &'a self,
        request: ScriptRequest,
        _: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<ScriptOutput, ScriptError>> {
        Box::pin(async move {
            Err(ScriptError::new(
                ScriptErrorKind::RuntimeNotFound,
                format!("step `{}`: scripts do not run in this host", request.step),
            ))
        })
    }
}
