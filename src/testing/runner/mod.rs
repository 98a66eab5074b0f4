//! Running test cases: each case is one run on mocks and its own virtual clock, compared with
//! what the case expects. Cases run in parallel, one runtime per case. This is the function
//! `runbook test` and the workspace's own tests both call.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use runbook_engine::execute::{CancelToken, Locations, RunContext, Secrets, StepBudget};
use runbook_engine::host::{Event, Observer, ScriptRunner, virtual_runtime};
use runbook_engine::record::{Execution, Status, as_text};
use serde_json::Value;

use runbook_aws::mock::check::check_mock_file;
use runbook_aws::mock::params_match;
use runbook_aws::model::Models;

use super::documents::NamedDocuments;
use super::file::{Cancel, Expect, Located, TestCase, TestFile};
use crate::session::{Loader, Runbook, Session};
use crate::setup::Approvals;

mod compare;

pub use compare::compare;

/// What a case found.
#[derive(Debug)]
pub struct CaseOutcome {
    /// The test file.
    pub file: PathBuf,
    /// The case's name.
    pub case: String,
    /// The line the case starts on.
    pub line: u32,
    /// Expectations that did not hold, each with its line in the test file.
    pub failures: Vec<Mismatch>,
    /// Things that did not fail the case but likely mean a wrong test (unused mocks).
    pub warnings: Vec<String>,
    /// The run's record, when the run started.
    pub execution: Option<Execution>,
    /// How long the case took, in real time.
    pub elapsed: Duration,
}

impl CaseOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Its line in the test file.
    pub line: u32,
    /// What was expected and what happened.
    pub message: String,
}

/// How to run cases.
#[derive(Clone)]
pub struct RunnerOptions {
    /// Run only cases whose name contains this text.
    pub filter: Option<String>,
    /// How many cases run at once.
    pub jobs: usize,
    /// Runs scripts.
    pub scripts: Arc<dyn ScriptRunner>,
    /// The AWS API models, to check each case's mocks against (their problems are warnings).
    pub models: Option<Models>,
    /// The real time a case may take when neither it nor its file sets `timeLimit`.
    pub time_limit: Duration,
    /// The step executions each case's run may start (RULINGS 25).
    pub max_step_executions: u64,
    /// Cancels every case's run, as Ctrl-C does (cases that start later are cancelled as they
    /// start).
    pub cancel: CancelToken,
    /// Whether failures and warnings show the `SecureString` values a case's run decrypted; by
    /// default they show as `********` (RULINGS 26).
    pub show_secrets: bool,
}

/// A case's time limit when nothing sets one.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);

impl std::fmt::Debug for RunnerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerOptions")
            .field("filter", &self.filter)
            .field("jobs", &self.jobs)
            .field("time_limit", &self.time_limit)
            .field("max_step_executions", &self.max_step_executions)
            .field("show_secrets", &self.show_secrets)
            .finish_non_exhaustive()
    }
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            filter: None,
            jobs: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            scripts: Arc::new(runbook_actions::script::LocalScriptRunner::default()),
            models: None,
            time_limit: DEFAULT_TIME_LIMIT,
            max_step_executions: StepBudget::DEFAULT,
            cancel: CancelToken::new(),
            show_secrets: false,
        }
    }
}

/// A runbook loaded once for all the cases of a file.
enum Subject {
    Ready(Runbook),
    Broken(String),
}

/// Runs every case of `files` that the filter selects, in parallel; outcomes keep the files'
/// order.
pub fn run_files(files: &[TestFile], options: &RunnerOptions) -> Vec<CaseOutcome> {
    let loader = Loader::new().models(options.models.clone());
    let subjects: Vec<Subject> = files.iter().map(|file| load_subject(&loader, file)).collect();
    let work: Vec<(usize, &TestCase)> = files
        .iter()
        .enumerate()
        .flat_map(|(index, file)| file.cases.iter().map(move |case| (index, case)))
        .filter(|(_, case)| {
            options.filter.as_deref().is_none_or(|filter| case.name.contains(filter))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<Option<CaseOutcome>> = (0..work.len()).map(|_| None).collect();
    let slots: Vec<std::sync::Mutex<&mut Option<CaseOutcome>>> =
        outcomes.iter_mut().map(std::sync::Mutex::new).collect();
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, work.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some((file_index, case)) = work.get(index) else { break };
                    let outcome =
                        run_case(&files[*file_index], &subjects[*file_index], case, options);
                    if let Ok(mut slot) = slots[index].lock() {
                        **slot = Some(outcome);
                    }
                }
            });
        }
    });
    drop(slots);
    outcomes.into_iter().flatten().collect()
}

fn load_subject(loader: &Loader, file: &TestFile) -> Subject {
    let validated = match loader.load(&file.runbook) {
        Ok(validated) => validated,
        Err(error) => return Subject::Broken(format!("the runbook does not load: {error}")),
    };
    match validated.into_runbook() {
        Ok(runbook) => Subject::Ready(runbook),
        Err(rejected) => Subject::Broken(rejected.to_string()),
    }
}

#[allow(clippy::disallowed_methods, reason = "a case's real duration is reported to the user")]
fn real_now() -> std::time::Instant {
    std::time::Instant::now()
}

fn run_case(
    file: &TestFile,
    subject: &Subject,
    case: &TestCase,
    options: &RunnerOptions,
) -> CaseOutcome {
    let started = real_now();
    let mut outcome = CaseOutcome {
        file: file.path.clone(),
        case: case.name.clone(),
        line: case.span.start.line,
        failures: Vec::new(),
        warnings: Vec::new(),
        execution: None,
        elapsed: Duration::ZERO,
    };
    let runbook = match subject {
        Subject::Ready(runbook) => runbook,
        Subject::Broken(message) => {
            outcome.failures = refusal(&case.expect, case.span.start.line, message);
            outcome.elapsed = started.elapsed();
            return outcome;
        }
    };
    let cancel = CancelToken::new();
    let secrets = Secrets::default();
    let mut session = Session::new()
        .approvals(Approvals::None)
        .scripts(options.scripts.clone())
        .context(RunContext {
            account_id: case.context.account_id.clone(),
            region: case.context.region.clone(),
            secrets: secrets.clone(),
            ..RunContext::default()
        })
        .parameters(case.parameters.clone())
        .start_time(case.context.start_time)
        .max_step_executions(
            case.max_step_executions.as_ref().map_or(options.max_step_executions, |l| l.value),
        )
        .cancel_token(cancel.clone());
    match (&case.target_locations, &case.fleet) {
        // The fleet's targets and limits apply in each location that names none of its own.
        (Some(locations), fleet) => {
            let fleet = fleet.as_ref().map(|fleet| fleet.value.clone()).unwrap_or_default();
            session = session.locations(Locations {
                target_parameter_name: fleet.target_parameter_name,
                targets: fleet.targets,
                max_concurrency: fleet.max_concurrency,
                max_errors: fleet.max_errors,
                ..Locations::new(locations.value.clone())
            });
        }
        (None, Some(fleet)) => session = session.fleet(fleet.value.clone()),
        (None, None) => {}
    }
    if let Some(mocks) = &case.mocks {
        session = session.mocks(mocks.clone());
    }
    for folder in &file.documents {
        session = session.documents(folder.clone());
    }
    if !file.document_files.is_empty() {
        session =
            session.document_store(Arc::new(NamedDocuments::new(file.document_files.clone())));
    }
    let cancelled_at_step = Arc::new(AtomicBool::new(false));
    match case.cancel.as_ref().map(|c| &c.value) {
        Some(Cancel::AtStep(step)) => {
            session = session.observer(Arc::new(CancelAtStep {
                step: step.clone(),
                token: cancel.clone(),
                fired: cancelled_at_step.clone(),
            }));
        }
        Some(Cancel::After { duration, .. }) => session = session.cancel_after(*duration),
        None => {}
    }
    let limit = case.time_limit.as_ref().or(file.time_limit.as_ref());
    let over_time = Arc::new(AtomicBool::new(false));
    let watchdog = Watchdog::start(
        limit.map_or(options.time_limit, |limit| limit.value),
        cancel.clone(),
        over_time.clone(),
    );
    let result = virtual_runtime().map_err(|error| error.to_string()).and_then(|runtime| {
        let result = runtime.block_on(async {
            // A signal to the whole test run cancels the case that is running.
            let interrupt = {
                let (all, this) = (options.cancel.clone(), cancel.clone());
                tokio::spawn(async move {
                    all.cancelled().await;
                    this.cancel();
                })
            };
            let result = session.run_async(runbook).await;
            interrupt.abort();
            result
        });
        // Work the cancel could not stop (a script's process) must not hold the case past its
        // limit: the runtime is left to finish it in the background.
        if over_time.load(Ordering::Relaxed) {
            runtime.shutdown_background();
        }
        result
            .map(|finished| {
                let unused = finished.mock().map(|mock| mock.unused_rules()).unwrap_or_default();
                (finished.execution, unused)
            })
            .map_err(|refused| refused.to_string())
    });
    // Only the case's own cancel (at a step, or after a time on the run's clock) and the
    // watchdog cancel the token.
    let cancelled = cancel.is_cancelled() && !over_time.load(Ordering::Relaxed);
    let limit_used = watchdog.stop();
    match result {
        Ok((execution, _)) if over_time.load(Ordering::Relaxed) => {
            outcome.failures = vec![Mismatch {
                line: limit.map_or(case.span.start.line, |limit| limit.span.start.line),
                message: format!(
                    "the case ran longer than its time limit of {} (real time) and was stopped; `timeLimit` in the test file or `--time-limit` changes the limit",
                    seconds(limit_used)
                ),
            }];
            outcome.execution = Some(execution);
        }
        Ok((execution, unused)) => {
            outcome.failures = compare(&case.expect, &execution);
            if let Some(cancel) = &case.cancel
                && !cancelled
            {
                outcome.failures.push(Mismatch {
                    line: cancel.span.start.line,
                    message: match &cancel.value {
                        Cancel::AtStep(step) => format!(
                            "`cancel.atStep`: step `{step}` never started, so nothing was cancelled\n  path: {}",
                            execution.path().join(" → ")
                        ),
                        Cancel::After { text, .. } => format!(
                            "`cancel.after`: the run ended {} before {text} had passed, so nothing was cancelled",
                            execution.automation_execution_status
                        ),
                    },
                });
            }
            // An expectation not written (the default `status: Success`) points at the case.
            for failure in &mut outcome.failures {
                if failure.line == 0 {
                    failure.line = case.span.start.line;
                }
            }
            outcome.failures.sort_by_key(|failure| failure.line);
            outcome.warnings = unused.iter().map(|rule| format!("unused mock: {rule}")).collect();
            if let (Some(models), Some(mocks)) = (&options.models, &case.mocks) {
                outcome.warnings.extend(
                    check_mock_file(mocks, models)
                        .iter()
                        .map(|warning| format!("mock does not fit the API: {warning}")),
                );
            }
            outcome.execution = Some(execution);
        }
        Err(message) => {
            outcome.failures = refusal(&case.expect, case.span.start.line, &message);
        }
    }
    // The reports show failures and warnings; the record itself stays exact for callers.
    if !options.show_secrets && !secrets.is_empty() {
        for failure in &mut outcome.failures {
            failure.message = secrets.mask_text(&failure.message);
        }
        for warning in &mut outcome.warnings {
            *warning = secrets.mask_text(warning);
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// Cancels a case's run once its time limit of real time has passed, unless stopped first.
struct Watchdog {
    limit: Duration,
    done: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Watchdog {
    fn start(limit: Duration, token: CancelToken, fired: Arc<AtomicBool>) -> Self {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                fired.store(true, Ordering::Relaxed);
                token.cancel();
            }
        });
        Self { limit, done, thread }
    }

    /// Stops the watch; the limit it kept.
    fn stop(self) -> Duration {
        // The send wakes the thread at once; a thread that already fired has nothing to wake.
        let _ = self.done.send(());
        let _ = self.thread.join();
        self.limit
    }
}

/// `limit` as people write it: `2 s`, `1.5 s`.
fn seconds(limit: Duration) -> String {
    if limit.subsec_nanos() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} s", limit.as_secs_f64())
    }
}

/// What a run refused before its first step (bad parameters, a runbook with errors) means for a
/// case: a pass when it expects that refusal, else a failure saying why the run did not start.
fn refusal(expect: &Expect, case_line: u32, message: &str) -> Vec<Mismatch> {
    match &expect.refused {
        Some(Located { value: text, .. }) if message.contains(text.as_str()) => Vec::new(),
        Some(Located { value: text, span }) => vec![Mismatch {
            line: span.start.line,
            message: format!(
                "expected the run to be refused with a message containing `{text}`; it was refused with: {message}"
            ),
        }],
        None => {
            vec![Mismatch { line: case_line, message: format!("the run did not start: {message}") }]
        }
    }
}

/// Cancels the run when the step it names starts (in the run or any child run), once, as a
/// person pressing Ctrl-C at that moment would.
struct CancelAtStep {
    step: String,
    token: CancelToken,
    fired: Arc<AtomicBool>,
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

/// Finds the test files (`*.test.yaml`, `*.test.yml`, `*.test.json`) under `path`, sorted.
pub fn find_test_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if path.is_file() {
        found.push(path.to_path_buf());
        return Ok(found);
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if entry.is_dir() {
            found.extend(find_test_files(&entry)?);
        } else if [".test.yaml", ".test.yml", ".test.json"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        {
            found.push(entry);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn params_match_as_a_params_match() {
        assert!(params_match(
            &json!({"InstanceIds": ["i-1"]}),
            &json!({"InstanceIds": ["i-1"], "DryRun": false})
        ));
        assert!(!params_match(&json!({"InstanceIds": ["i-2"]}), &json!({"InstanceIds": ["i-1"]})));
        assert!(params_match(&json!({"Count": 1}), &json!({"Count": 1.0})));
    }
}
