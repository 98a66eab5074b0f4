//! The test file format (`NAME.test.yaml`): which runbook, and cases that each give parameters,
//! a context, mocks and what to expect. Every key and value keeps its position, so that a
//! failing expectation points at its line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_aws::mock::MockFile;
use runbook_engine::diagnostic::closest;
use runbook_engine::execute::{Fleet, Locations, TargetLocation};
use runbook_engine::record::Status;
use runbook_engine::syntax::{Entry, Node, NodeKind, Span, parse_json, parse_yaml, push_key};
use serde_json::Value;

mod read;

use read::{FILE_KEYS, Reader};

/// A test file.
#[derive(Debug)]
pub struct TestFile {
    /// Where it is.
    pub path: PathBuf,
    /// The runbook it tests (resolved from the file's folder).
    pub runbook: PathBuf,
    /// Folders where `aws:executeAutomation` finds child runbooks by name (`documents: FOLDER`).
    pub documents: Vec<PathBuf>,
    /// Child runbooks by the `DocumentName` a step gives (`documents: {NAME: FILE}`), in the
    /// file's order.
    pub document_files: Vec<(String, PathBuf)>,
    /// Its cases, in order.
    pub cases: Vec<TestCase>,
    /// `timeLimit`: the real time each case of the file may take, unless it sets its own.
    pub time_limit: Option<Located<Duration>>,
}

/// One case.
#[derive(Debug)]
pub struct TestCase {
    /// `name`.
    pub name: String,
    /// Where the case starts.
    pub span: Span,
    /// `parameters`.
    pub parameters: IndexMap<String, Value>,
    /// `context`.
    pub context: CaseContext,
    /// `mocks` (inline) or `mocksFile`.
    pub mocks: Option<Arc<MockFile>>,
    /// `cancel`: when the run is cancelled, as Ctrl-C would.
    pub cancel: Option<Located<Cancel>>,
    /// `expect`.
    pub expect: Expect,
    /// `timeLimit`: the real time the case may take.
    pub time_limit: Option<Located<Duration>>,
    /// `maxStepExecutions`: the step executions the case's run may start (RULINGS 25), instead
    /// of the runner's.
    pub max_step_executions: Option<Located<u64>>,
    /// `fleet`: run the runbook once per target, as `runbook run --targets` does.
    pub fleet: Option<Located<Fleet>>,
    /// `targetLocations`: run the runbook once per account and Region, as
    /// `runbook run --target-locations` does (with `fleet`'s targets in each).
    pub target_locations: Option<Located<Vec<TargetLocation>>>,
}

/// Where a case's run happens.
#[derive(Clone, Debug)]
pub struct CaseContext {
    /// `accountId`.
    pub account_id: String,
    /// `region`.
    pub region: String,
    /// `startTime`: when the virtual clock starts.
    pub start_time: jiff::Timestamp,
}

impl Default for CaseContext {
    fn default() -> Self {
        Self {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            start_time: jiff::Timestamp::constant(1_767_225_600, 0),
        }
    }
}

/// When a case cancels its run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// `atStep`: as the named step starts (in the run or a child run), before it acts.
    AtStep(String),
    /// `after`: once this much time has passed on the run's clock.
    After {
        /// The ISO 8601 duration as written.
        text: String,
        /// Its length.
        duration: std::time::Duration,
    },
}

/// What a case expects; every part is optional.
#[derive(Debug, Default)]
pub struct Expect {
    /// `refused`: the run must be refused before any step starts, with a message containing
    /// this text. It goes with no other expectation.
    pub refused: Option<Located<String>>,
    /// `status` (Success when nothing is expected).
    pub status: Option<Located<Status>>,
    /// `path`: the steps in the order they ran.
    pub path: Option<Located<Vec<String>>>,
    /// `steps`: the status of each named step.
    pub steps: Vec<(String, Located<Status>)>,
    /// `steps` written as maps: more about a step's latest execution than its status.
    pub step_details: Vec<(String, StepExpect)>,
    /// `parameters`: the run's parameters as it resolved them (defaults, coercions), by name.
    pub parameters: Vec<(String, Located<Value>)>,
    /// `variables`: the run's variables as they ended, by name.
    pub variables: Vec<(String, Located<Value>)>,
    /// `warnings`: every warning of the run, in order (an empty list: none).
    pub warnings: Option<Located<Vec<Located<ExpectedWarning>>>>,
    /// `callCount`: how many AWS calls the run made, its children's included.
    pub call_count: Option<Located<u64>>,
    /// `stepExecutions`: how many step executions the run's record holds (a loop's body once
    /// per iteration, steps that never ran as Pending).
    pub step_executions: Option<Located<u64>>,
    /// `outputs`: step outputs (`step.Output`) and document outputs.
    pub outputs: Vec<(String, Located<Value>)>,
    /// `failureMessage`: text the run's failure message contains.
    pub failure_message: Option<Located<String>>,
    /// `calls`: calls that must be made, in this order (others may come between).
    pub calls: Vec<Located<ExpectedCall>>,
    /// `children`: expectations on the child run each named `aws:executeAutomation` step
    /// started. A child's status is checked only when written.
    pub children: Vec<(String, Located<Expect>)>,
}

/// What a case expects of one step beyond its status (`steps: {NAME: {...}}`); each part is
/// optional and checks the step's latest execution.
#[derive(Clone, Debug, Default)]
pub struct StepExpect {
    /// `attempts`: how many attempts it started.
    pub attempts: Option<Located<u64>>,
    /// `failureMessage`: text its failure message contains.
    pub failure_message: Option<Located<String>>,
    /// `failureStage`: `InputValidation`, `PreVerification`, `Invocation` or `PostVerification`.
    pub failure_stage: Option<Located<String>>,
    /// `inputs`: its resolved inputs, by name, each compared exactly.
    pub inputs: Vec<(String, Located<Value>)>,
    /// `outputs`: all its outputs, compared exactly (an output not listed must not be there).
    pub outputs: Option<Located<Value>>,
    /// `duration`: the time on the run's clock from its start to its end (ISO 8601).
    pub duration: Option<Located<(String, Duration)>>,
    /// `startTime`: when it started on the run's clock.
    pub start_time: Option<Located<jiff::Timestamp>>,
    /// `endTime`: when it ended on the run's clock.
    pub end_time: Option<Located<jiff::Timestamp>>,
}

/// A warning a case expects (`expect.warnings`); each part it gives must be equal.
#[derive(Clone, Debug, Default)]
pub struct ExpectedWarning {
    /// `step`: the step that ran with the reference.
    pub step: Option<String>,
    /// `reference`: the reference as written.
    pub reference: Option<String>,
    /// `message`: the whole message.
    pub message: Option<String>,
}

/// A value with the line it is written on.
#[derive(Clone, Debug)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Span,
}

/// An AWS call a case expects.
#[derive(Clone, Debug)]
pub struct ExpectedCall {
    /// `service`.
    pub service: String,
    /// `api`.
    pub api: String,
    /// `params`: must be a subset of the call's parameters.
    pub params: Option<Value>,
    /// `step`: the step that must make it (a step of the run or of a child run).
    pub step: Option<String>,
    /// `account`: the account it must be made as (a child of a run over target locations).
    pub account: Option<String>,
    /// `region`: the Region it must be made in (a child of a run over target locations).
    pub region: Option<String>,
}

/// A test file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub struct TestFileError {
    /// The file.
    pub path: PathBuf,
    /// Where, when known.
    pub span: Option<Span>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for TestFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.span {
            Some(span) => write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                span.start.line,
                span.start.column,
                self.message
            ),
            // Errors of an embedded or referenced mock file already name their place.
            None if self.path.as_os_str().is_empty() => f.write_str(&self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl TestFileError {
    fn nested(message: String) -> Self {
        Self { path: PathBuf::new(), span: None, message }
    }
}

impl TestFile {
    /// Reads the test file at `path`.
    pub fn load(path: &Path) -> Result<Self, TestFileError> {
        let text = std::fs::read_to_string(path).map_err(|error| TestFileError {
            path: path.to_path_buf(),
            span: None,
            message: format!("cannot read the file: {error}"),
        })?;
        Self::parse(path, &text)
    }

    /// Reads test file `text`; `path` places relative paths and names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, TestFileError> {
        let reader = Reader { path };
        let json = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        let root = if json { parse_json(text) } else { parse_yaml(text) }
            .map_err(|error| reader.error(error.span, error.message))?;
        let entries = reader.map(&root, "the test file")?;
        reader.known_keys(entries, FILE_KEYS, "")?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let runbook = root
            .get("runbook")
            .ok_or_else(|| reader.error(root.span, "the test file has no `runbook`".into()))?;
        let runbook = folder.join(reader.text(runbook, "runbook")?);
        let (documents, document_files) = match root.get("documents") {
            None => (Vec::new(), Vec::new()),
            Some(node @ Node { kind: NodeKind::Map(entries), .. }) => {
                let mut files = Vec::with_capacity(entries.len());
                for entry in entries {
                    let mut what = "documents".to_string();
                    push_key(&mut what, &entry.key);
                    let file = reader.text(&entry.value, &what)?;
                    files.push((entry.key.clone(), folder.join(file)));
                }
                if files.is_empty() {
                    return Err(reader.error(node.span, "`documents` names no runbook".into()));
                }
                (Vec::new(), files)
            }
            Some(node) => {
                let text = node.scalar_text().ok_or_else(|| {
                    reader.error(
                        node.span,
                        format!(
                            "`documents` must be a folder or a map of document names to runbook files, found {}",
                            node.type_name()
                        ),
                    )
                })?;
                (vec![folder.join(text)], Vec::new())
            }
        };
        let cases_node = root
            .get("cases")
            .ok_or_else(|| reader.error(root.span, "the test file has no `cases`".into()))?;
        let cases = reader
            .list(cases_node, "cases")?
            .iter()
            .enumerate()
            .map(|(index, node)| reader.case(node, &format!("cases[{index}]"), folder))
            .collect::<Result<Vec<_>, _>>()?;
        let time_limit = match root.get("timeLimit") {
            Some(node) => Some(reader.time_limit(node, "timeLimit")?),
            None => None,
        };
        Ok(Self { path: path.to_path_buf(), runbook, documents, document_files, cases, time_limit })
    }
}

/// A case's time limit, as `timeLimit` and `runbook test --time-limit` take it: whole seconds
/// (`30`) or an ISO 8601 duration (`PT30S`, `PT2M`), more than zero.
pub fn parse_time_limit(text: &str) -> Result<Duration, String> {
    let limit = match text.trim().parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => runbook_engine::document::parse_duration(text.trim()).map_err(|message| {
            format!("a time limit is whole seconds or an ISO 8601 duration: {message}")
        })?,
    };
    if limit.is_zero() {
        return Err("a time limit must be more than zero".into());
    }
    Ok(limit)
}

#[cfg(test)]
mod tests;
