//! Putting a run together: the host (AWS backend, clock, approver, scripts, child runbooks) from
//! what the user gave (a mock file, approval answers, folders), the same way for `runbook run`,
//! `runbook test` and the Rust [`Harness`](crate::harness::Harness), for a [`Session`](crate::Session).

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_aws::mock::auto::{AutoMock, Placeholders};
use runbook_aws::mock::record::Recorder;
use runbook_aws::mock::{ApprovalDecision, MockAws, MockFile};
use runbook_engine::execute::{Actions, Host, RunContext};
use runbook_engine::host::{
    ApprovalRequest, Approver, AwsBackend, BoxFuture, Clock, Decision, FixedApprover,
    FolderDocuments, Observer, ScriptRunner, WaitKind,
};

/// The environment variable that tells scripts their AWS calls cannot be answered (the run is
/// on mocks).
pub(crate) const SCRIPT_AWS_MOCK_ENV: &str = "RUNBOOK_SCRIPT_AWS";

/// Every action this build can run: the AWS actions and `aws:executeScript`.
pub fn standard_actions() -> Actions {
    runbook_actions::standard()
}

/// How approvals and pauses are answered.
#[derive(Clone, Debug)]
pub enum Approvals {
    /// Approve and resume everything.
    All,
    /// Answer nothing: approvals and pauses wait until their timeout.
    None,
    /// Decide per step; steps not named get no answer.
    Scripted(IndexMap<String, Decision>),
}

impl Approvals {
    fn approver(&self) -> Arc<dyn Approver> {
        match self {
            Self::All => Arc::new(FixedApprover::approve_all()),
            Self::None => Arc::new(FixedApprover::none()),
            Self::Scripted(decisions) => {
                Arc::new(ScriptedApprover { decisions: decisions.clone(), fallback: None })
            }
        }
    }
}

/// Decisions by step name, then a fallback approver for the other steps.
struct ScriptedApprover {
    decisions: IndexMap<String, Decision>,
    fallback: Option<Arc<dyn Approver>>,
}

impl Approver for ScriptedApprover {
    fn decide(&self, request: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>> {
        if let Some(decision) = self.decisions.get(&request.step) {
            let decision = Decision {
                // A pause cannot be rejected, only resumed.
                approve: decision.approve || request.kind == WaitKind::Pause,
                ..decision.clone()
            };
            return Box::pin(async move { Some(decision) });
        }
        match &self.fallback {
            Some(fallback) => fallback.decide(request),
            None => Box::pin(async { None }),
        }
    }
}

/// The decisions a mock file gives, as approver decisions.
pub(crate) fn mock_decisions(file: &MockFile) -> IndexMap<String, Decision> {
    file.approvals
        .iter()
        .map(|(step, stand_in)| {
            let approve = stand_in.decision == ApprovalDecision::Approve;
            let decision = Decision {
                approve,
                approver: stand_in.approver.clone().unwrap_or_else(|| "mock-approver".to_string()),
                comment: stand_in.comment.clone(),
            };
            (step.clone(), decision)
        })
        .collect()
}

/// A mock file with no rules: every AWS call fails, showing the call.
fn empty_mock_file() -> MockFile {
    MockFile {
        origin: PathBuf::from("(no mock file)"),
        aws: Vec::new(),
        approvals: IndexMap::new(),
        scripts: IndexMap::new(),
    }
}

/// What a run is set up from.
#[derive(Clone)]
pub(crate) struct Setup {
    /// The AWS backend; `None` means the mock file (or no AWS at all).
    pub(crate) aws: Option<Arc<dyn AwsBackend>>,
    /// The mock file, when the run is on mocks.
    pub(crate) mocks: Option<Arc<MockFile>>,
    /// Answer the calls no mock answers with placeholder responses built from the API models
    /// (`--auto-mock`); only for runs on mocks.
    pub(crate) auto_mock: Option<Placeholders>,
    /// Approval answers (a mock file's `approvals` come first).
    pub(crate) approvals: Approvals,
    /// A decider for the steps no answer covers (the terminal prompt of `runbook run`).
    pub(crate) prompt: Option<Arc<dyn Approver>>,
    /// The script runner.
    pub(crate) scripts: Arc<dyn ScriptRunner>,
    /// Folders where `aws:executeAutomation` finds child runbooks.
    pub(crate) documents: Vec<PathBuf>,
    /// The run's context (account, region, attachments folder).
    pub(crate) context: RunContext,
    /// Receives the run's events.
    pub(crate) observer: Option<Arc<dyn Observer>>,
    /// Records every AWS call and approval decision of the run (`runbook run --record`).
    pub(crate) recorder: Option<Arc<Recorder>>,
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("approvals", &self.approvals)
            .field("documents", &self.documents)
            .finish_non_exhaustive()
    }
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            aws: None,
            mocks: None,
            auto_mock: None,
            approvals: Approvals::None,
            prompt: None,
            scripts: Arc::new(runbook_actions::script::LocalScriptRunner::default()),
            documents: Vec::new(),
            context: RunContext::default(),
            observer: None,
            recorder: None,
        }
    }
}

impl Setup {
    /// The host for one run on `clock`, with the backends to ask afterwards.
    pub(crate) fn build(&self, clock: Arc<dyn Clock>) -> Built {
        let mut context = self.context.clone();
        let mut auto = None;
        let (aws, mock): (Arc<dyn AwsBackend>, Option<Arc<MockAws>>) = match &self.aws {
            Some(aws) => {
                // Scripts reach AWS themselves; a recorded run has them report their calls.
                if self.recorder.is_some() {
                    context.script_environment.push((
                        SCRIPT_AWS_MOCK_ENV.into(),
                        runbook_actions::script::OBSERVE_AWS.into(),
                    ));
                }
                (aws.clone(), None)
            }
            None => {
                let file = self.mocks.clone().unwrap_or_else(|| Arc::new(empty_mock_file()));
                let mock = Arc::new(MockAws::new(file));
                context.script_environment.push((SCRIPT_AWS_MOCK_ENV.into(), "mock".into()));
                match &self.auto_mock {
                    Some(placeholders) => {
                        let backend = Arc::new(AutoMock::new(mock.clone(), placeholders.clone()));
                        auto = Some(backend.clone());
                        (backend as Arc<dyn AwsBackend>, Some(mock))
                    }
                    None => (mock.clone() as Arc<dyn AwsBackend>, Some(mock)),
                }
            }
        };
        // Before anything holds the backend, so that every call of the run is recorded.
        let aws = match &self.recorder {
            Some(recorder) => recorder.backend(aws, Some(clock.clone())),
            None => aws,
        };
        let mut decisions = self.mocks.as_deref().map(mock_decisions).unwrap_or_default();
        let fallback = match &self.approvals {
            Approvals::Scripted(scripted) => {
                decisions.extend(scripted.clone());
                self.prompt.clone()
            }
            other => Some(self.prompt.clone().unwrap_or_else(|| other.approver())),
        };
        let mut approver: Arc<dyn Approver> = Arc::new(ScriptedApprover { decisions, fallback });
        if let Some(recorder) = &self.recorder {
            approver = recorder.approver(approver);
        }
        // A mock file's `scripts` stand in for the steps it names; other scripts really run.
        let scripts: Arc<dyn ScriptRunner> = match &self.mocks {
            Some(file) if !file.scripts.is_empty() => {
                Arc::new(runbook_aws::mock::stand_in::StandInScripts::new(
                    file.clone(),
                    self.scripts.clone(),
                ))
            }
            _ => self.scripts.clone(),
        };
        let mut host = Host::new(aws, clock)
            .with_approver(approver)
            .with_scripts(scripts)
            .with_context(context);
        if !self.documents.is_empty() {
            host = host.with_documents(Arc::new(FolderDocuments::new(self.documents.clone())));
        }
        if let Some(observer) = &self.observer {
            host = host.with_observer(observer.clone());
        }
        Built { host, mock, auto }
    }
}

/// A host and the backends behind it, from [`Setup::build`].
pub(crate) struct Built {
    /// The host.
    pub(crate) host: Host,
    /// The mock backend, when the run is on mocks.
    pub(crate) mock: Option<Arc<MockAws>>,
    /// The placeholder backend, when the run answers unmocked calls with placeholders.
    pub(crate) auto: Option<Arc<AutoMock>>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built").finish_non_exhaustive()
    }
}
