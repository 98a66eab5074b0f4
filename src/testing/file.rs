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

const FILE_KEYS: &[&str] = &["runbook", "documents", "timeLimit", "cases"];
const CASE_KEYS: &[&str] = &[
    "name",
    "parameters",
    "context",
    "mocks",
    "mocksFile",
    "cancel",
    "timeLimit",
    "maxStepExecutions",
    "fleet",
    "targetLocations",
    "expect",
];
const CONTEXT_KEYS: &[&str] = &["accountId", "region", "startTime"];
const CANCEL_KEYS: &[&str] = &["atStep", "after"];
const EXPECT_KEYS: &[&str] = &[
    "refused",
    "status",
    "path",
    "steps",
    "outputs",
    "failureMessage",
    "calls",
    "children",
    "parameters",
    "variables",
    "warnings",
    "callCount",
    "stepExecutions",
];
/// A child's expectations are a run's, less `refused`, which comes first in `EXPECT_KEYS` (a
/// child that was refused is a failed step of its parent).
const CHILD_KEYS: &[&str] = match EXPECT_KEYS {
    [_refused, rest @ ..] => rest,
    [] => &[],
};
const STEP_KEYS: &[&str] = &[
    "status",
    "attempts",
    "failureMessage",
    "failureStage",
    "inputs",
    "outputs",
    "duration",
    "startTime",
    "endTime",
];
const WARNING_KEYS: &[&str] = &["step", "reference", "message"];
const FLEET_KEYS: &[&str] =
    &["TargetParameterName", "Targets", "TargetMaps", "MaxConcurrency", "MaxErrors"];
const FAILURE_STAGES: &[&str] =
    &["InputValidation", "PreVerification", "Invocation", "PostVerification"];
const CALL_KEYS: &[&str] = &["service", "api", "params", "step", "account", "region"];

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

struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn error(&self, span: Span, message: String) -> TestFileError {
        TestFileError { path: self.path.to_path_buf(), span: Some(span), message }
    }

    fn map<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Entry], TestFileError> {
        match &node.kind {
            NodeKind::Map(entries) => Ok(entries),
            NodeKind::Null => Ok(&[]),
            _ => {
                Err(self
                    .error(node.span, format!("{what} must be a map, found {}", node.type_name())))
            }
        }
    }

    fn list<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], TestFileError> {
        match &node.kind {
            NodeKind::Seq(items) => Ok(items),
            NodeKind::Null => Ok(&[]),
            _ => Err(self
                .error(node.span, format!("`{what}` must be a list, found {}", node.type_name()))),
        }
    }

    fn text(&self, node: &Node, what: &str) -> Result<String, TestFileError> {
        node.scalar_text().ok_or_else(|| {
            self.error(node.span, format!("`{what}` must be text, found {}", node.type_name()))
        })
    }

    fn known_keys(
        &self,
        entries: &[Entry],
        known: &[&str],
        path: &str,
    ) -> Result<(), TestFileError> {
        for entry in entries {
            if !known.contains(&entry.key.as_str()) {
                let mut full = path.to_string();
                push_key(&mut full, &entry.key);
                let hint = match closest(&entry.key, known.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("the keys here are {}", known.join(", ")),
                };
                let message = format!("`{full}` is not a test file key; {hint}");
                return Err(self.error(entry.key_span, message));
            }
        }
        Ok(())
    }

    fn status(&self, node: &Node, what: &str) -> Result<Located<Status>, TestFileError> {
        let text = self.text(node, what)?;
        let status = Status::parse(&text).ok_or_else(|| {
            self.error(
                node.span,
                format!("`{what}`: `{text}` is not a status (Success, Failed, TimedOut, Cancelled, Pending, Exited, ...)"),
            )
        })?;
        Ok(Located { value: status, span: node.span })
    }

    fn case(&self, node: &Node, path: &str, folder: &Path) -> Result<TestCase, TestFileError> {
        let entries = self.map(node, &format!("`{path}`"))?;
        self.known_keys(entries, CASE_KEYS, path)?;
        let name = match node.get("name") {
            Some(name) => self.text(name, &format!("{path}.name"))?,
            None => return Err(self.error(node.span, format!("`{path}` has no `name`"))),
        };
        let parameters = match node.get("parameters") {
            Some(parameters) => match parameters.to_json() {
                Value::Object(map) => map.into_iter().collect(),
                Value::Null => IndexMap::new(),
                _ => {
                    return Err(
                        self.error(parameters.span, format!("`{path}.parameters` must be a map"))
                    );
                }
            },
            None => IndexMap::new(),
        };
        let context = match node.get("context") {
            Some(context) => self.context(context, &format!("{path}.context"))?,
            None => CaseContext::default(),
        };
        let mocks = match (node.get("mocks"), node.get("mocksFile")) {
            (Some(_), Some(file)) => {
                return Err(self.error(
                    file.span,
                    format!("`{path}` gives both `mocks` and `mocksFile`; keep one"),
                ));
            }
            (Some(mocks), None) => Some(Arc::new(
                MockFile::from_node(mocks, self.path, &format!("{path}.mocks"))
                    .map_err(|error| TestFileError::nested(error.to_string()))?,
            )),
            (None, Some(file)) => {
                let file_path = folder.join(self.text(file, &format!("{path}.mocksFile"))?);
                Some(Arc::new(
                    MockFile::load(&file_path)
                        .map_err(|error| TestFileError::nested(error.to_string()))?,
                ))
            }
            (None, None) => None,
        };
        let cancel = match node.get("cancel") {
            Some(cancel) => Some(self.cancel(cancel, &format!("{path}.cancel"))?),
            None => None,
        };
        let expect = match node.get("expect") {
            Some(expect) => self.expect(expect, &format!("{path}.expect"), EXPECT_KEYS)?,
            None => Expect::default(),
        };
        if let (Some(_), Some(refused)) = (&cancel, &expect.refused) {
            return Err(self.error(
                refused.span,
                format!("`{path}` expects a refused run, which has nothing to cancel; remove `cancel` or `refused`"),
            ));
        }
        let time_limit = match node.get("timeLimit") {
            Some(limit) => Some(self.time_limit(limit, &format!("{path}.timeLimit"))?),
            None => None,
        };
        let max_step_executions = match node.get("maxStepExecutions") {
            Some(limit) => {
                let field = format!("{path}.maxStepExecutions");
                let count = self.count(limit, &field)?;
                if count.value == 0 {
                    return Err(self.error(limit.span, format!("`{field}` must be more than zero")));
                }
                Some(count)
            }
            None => None,
        };
        let fleet = match node.get("fleet") {
            Some(fleet) => Some(self.fleet(fleet, &format!("{path}.fleet"))?),
            None => None,
        };
        let target_locations = match node.get("targetLocations") {
            Some(list) => {
                let field = format!("{path}.targetLocations");
                match Locations::parse_list(&list.to_json()) {
                    Ok(locations) => Some(Located { value: locations, span: list.span }),
                    Err(message) => {
                        return Err(self.error(list.span, format!("`{field}`: {message}")));
                    }
                }
            }
            None => None,
        };
        Ok(TestCase {
            name,
            span: node.span,
            parameters,
            context,
            mocks,
            cancel,
            expect,
            time_limit,
            max_step_executions,
            fleet,
            target_locations,
        })
    }

    fn fleet(&self, node: &Node, path: &str) -> Result<Located<Fleet>, TestFileError> {
        let entries = self.map(node, &format!("`{path}`"))?;
        self.known_keys(entries, FLEET_KEYS, path)?;
        match Fleet::from_inputs(&node.to_json()) {
            Ok(Some(fleet)) => Ok(Located { value: fleet, span: node.span }),
            Ok(None) => Err(self.error(
                node.span,
                format!("`{path}` needs `Targets` (with `TargetParameterName`) or `TargetMaps`"),
            )),
            Err(message) => Err(self.error(node.span, format!("`{path}`: {message}"))),
        }
    }

    fn count(&self, node: &Node, what: &str) -> Result<Located<u64>, TestFileError> {
        match node.to_json().as_u64() {
            Some(count) => Ok(Located { value: count, span: node.span }),
            None => {
                let found = node
                    .scalar_text()
                    .map_or_else(|| node.type_name().to_string(), |text| format!("`{text}`"));
                Err(self
                    .error(node.span, format!("`{what}` must be a whole number, found {found}")))
            }
        }
    }

    fn values(
        &self,
        node: &Node,
        what: &str,
    ) -> Result<Vec<(String, Located<Value>)>, TestFileError> {
        Ok(self
            .map(node, &format!("`{what}`"))?
            .iter()
            .map(|entry| {
                (
                    entry.key.clone(),
                    Located { value: entry.value.to_json(), span: entry.value.span },
                )
            })
            .collect())
    }

    /// A step written as a map under `steps`: its status (when given) and the rest.
    fn step(
        &self,
        node: &Node,
        what: &str,
    ) -> Result<(Option<Located<Status>>, StepExpect), TestFileError> {
        let entries = self.map(node, &format!("`{what}`"))?;
        self.known_keys(entries, STEP_KEYS, what)?;
        let mut status = None;
        let mut step = StepExpect::default();
        for entry in entries {
            let value = &entry.value;
            let field = format!("{what}.{}", entry.key);
            let text = |node: &Node| {
                self.text(node, &field).map(|text| Located { value: text, span: node.span })
            };
            match entry.key.as_str() {
                "status" => status = Some(self.status(value, &field)?),
                "attempts" => step.attempts = Some(self.count(value, &field)?),
                "failureMessage" => step.failure_message = Some(text(value)?),
                "failureStage" => {
                    let stage = text(value)?;
                    if !FAILURE_STAGES.contains(&stage.value.as_str()) {
                        return Err(self.error(
                            value.span,
                            format!(
                                "`{field}`: `{}` is not a failure stage ({})",
                                stage.value,
                                FAILURE_STAGES.join(", ")
                            ),
                        ));
                    }
                    step.failure_stage = Some(stage);
                }
                "inputs" => step.inputs = self.values(value, &field)?,
                "outputs" => {
                    self.map(value, &format!("`{field}`"))?;
                    step.outputs = Some(Located { value: value.to_json(), span: value.span });
                }
                "duration" => {
                    let written = text(value)?;
                    let duration = runbook_engine::document::parse_duration(&written.value)
                        .map_err(|message| {
                            self.error(value.span, format!("`{field}`: {message}"))
                        })?;
                    step.duration =
                        Some(Located { value: (written.value, duration), span: value.span });
                }
                "startTime" | "endTime" => {
                    let written = text(value)?;
                    let time = runbook_engine::document::parse_timestamp(&written.value).map_err(
                        |message| self.error(value.span, format!("`{field}`: {message}")),
                    )?;
                    let time = Some(Located { value: time, span: value.span });
                    if entry.key == "startTime" {
                        step.start_time = time;
                    } else {
                        step.end_time = time;
                    }
                }
                _ => {}
            }
        }
        Ok((status, step))
    }

    fn warnings(
        &self,
        node: &Node,
        what: &str,
    ) -> Result<Located<Vec<Located<ExpectedWarning>>>, TestFileError> {
        let mut warnings = Vec::new();
        for (index, item) in self.list(node, what)?.iter().enumerate() {
            let path = format!("{what}[{index}]");
            let entries = self.map(item, &format!("`{path}`"))?;
            self.known_keys(entries, WARNING_KEYS, &path)?;
            let part = |key: &str| {
                item.get(key).map(|node| self.text(node, &format!("{path}.{key}"))).transpose()
            };
            let warning = ExpectedWarning {
                step: part("step")?,
                reference: part("reference")?,
                message: part("message")?,
            };
            warnings.push(Located { value: warning, span: item.span });
        }
        Ok(Located { value: warnings, span: node.span })
    }

    fn time_limit(&self, node: &Node, path: &str) -> Result<Located<Duration>, TestFileError> {
        let text = self.text(node, path)?;
        let limit = parse_time_limit(&text)
            .map_err(|message| self.error(node.span, format!("`{path}`: {message}")))?;
        Ok(Located { value: limit, span: node.span })
    }

    fn cancel(&self, node: &Node, path: &str) -> Result<Located<Cancel>, TestFileError> {
        let entries = self.map(node, &format!("`{path}`"))?;
        self.known_keys(entries, CANCEL_KEYS, path)?;
        let [entry] = entries else {
            return Err(self.error(
                node.span,
                format!("`{path}` takes one of `atStep: STEP` or `after: DURATION`"),
            ));
        };
        let field = format!("{path}.{}", entry.key);
        let text = self.text(&entry.value, &field)?;
        let cancel = if entry.key == "atStep" {
            Cancel::AtStep(text)
        } else {
            let duration = runbook_engine::document::parse_duration(&text)
                .map_err(|message| self.error(entry.value.span, format!("`{field}`: {message}")))?;
            Cancel::After { text, duration }
        };
        Ok(Located { value: cancel, span: entry.value.span })
    }

    fn context(&self, node: &Node, path: &str) -> Result<CaseContext, TestFileError> {
        let entries = self.map(node, &format!("`{path}`"))?;
        self.known_keys(entries, CONTEXT_KEYS, path)?;
        let mut context = CaseContext::default();
        if let Some(account) = node.get("accountId") {
            context.account_id = self.text(account, &format!("{path}.accountId"))?;
        }
        if let Some(region) = node.get("region") {
            context.region = self.text(region, &format!("{path}.region"))?;
        }
        if let Some(start) = node.get("startTime") {
            let text = self.text(start, &format!("{path}.startTime"))?;
            context.start_time =
                runbook_engine::document::parse_timestamp(&text).map_err(|message| {
                    self.error(start.span, format!("`{path}.startTime`: {message}"))
                })?;
        }
        Ok(context)
    }

    fn expect(&self, node: &Node, path: &str, keys: &[&str]) -> Result<Expect, TestFileError> {
        let entries = self.map(node, &format!("`{path}`"))?;
        self.known_keys(entries, keys, path)?;
        if node.get("refused").is_some()
            && let Some(other) = entries.iter().find(|entry| entry.key != "refused")
        {
            return Err(self.error(
                other.key_span,
                format!(
                    "`{path}.refused` goes alone: a refused run has no `{}` to check",
                    other.key
                ),
            ));
        }
        let mut expect = Expect::default();
        for entry in entries {
            let value = &entry.value;
            let field = format!("{path}.{}", entry.key);
            match entry.key.as_str() {
                "refused" => {
                    expect.refused =
                        Some(Located { value: self.text(value, &field)?, span: value.span });
                }
                "children" => {
                    for child in self.map(value, &format!("`{field}`"))? {
                        let mut child_path = field.clone();
                        push_key(&mut child_path, &child.key);
                        let expected = self.expect(&child.value, &child_path, CHILD_KEYS)?;
                        expect.children.push((
                            child.key.clone(),
                            Located { value: expected, span: child.key_span },
                        ));
                    }
                }
                "status" => expect.status = Some(self.status(value, &field)?),
                "path" => {
                    let steps = self
                        .list(value, &field)?
                        .iter()
                        .map(|step| self.text(step, &field))
                        .collect::<Result<Vec<_>, _>>()?;
                    expect.path = Some(Located { value: steps, span: value.span });
                }
                "steps" => {
                    for step in self.map(value, &format!("`{field}`"))? {
                        let step_path = format!("{field}.{}", step.key);
                        if let NodeKind::Map(_) = step.value.kind {
                            let (status, details) = self.step(&step.value, &step_path)?;
                            if let Some(status) = status {
                                expect.steps.push((step.key.clone(), status));
                            }
                            expect.step_details.push((step.key.clone(), details));
                        } else {
                            let status = self.status(&step.value, &step_path)?;
                            expect.steps.push((step.key.clone(), status));
                        }
                    }
                }
                "parameters" => expect.parameters = self.values(value, &field)?,
                "variables" => expect.variables = self.values(value, &field)?,
                "warnings" => expect.warnings = Some(self.warnings(value, &field)?),
                "callCount" => expect.call_count = Some(self.count(value, &field)?),
                "stepExecutions" => expect.step_executions = Some(self.count(value, &field)?),
                "outputs" => {
                    for output in self.map(value, &format!("`{field}`"))? {
                        let located =
                            Located { value: output.value.to_json(), span: output.value.span };
                        expect.outputs.push((output.key.clone(), located));
                    }
                }
                "failureMessage" => {
                    expect.failure_message =
                        Some(Located { value: self.text(value, &field)?, span: value.span });
                }
                "calls" => {
                    for (index, call) in self.list(value, &field)?.iter().enumerate() {
                        let call_path = format!("{field}[{index}]");
                        let call_entries = self.map(call, &format!("`{call_path}`"))?;
                        self.known_keys(call_entries, CALL_KEYS, &call_path)?;
                        let get = |key: &str| {
                            call.get(key)
                                .ok_or_else(|| {
                                    self.error(call.span, format!("`{call_path}` has no `{key}`"))
                                })
                                .and_then(|node| self.text(node, &format!("{call_path}.{key}")))
                        };
                        let optional = |key: &str| match call.get(key) {
                            // An account id written as a number.
                            Some(node) if key == "account" && node.to_json().is_u64() => {
                                Ok(Some(format!("{:012}", node.to_json())))
                            }
                            Some(node) => self.text(node, &format!("{call_path}.{key}")).map(Some),
                            None => Ok(None),
                        };
                        let expected = ExpectedCall {
                            service: get("service")?,
                            api: get("api")?,
                            params: call.get("params").map(Node::to_json),
                            step: optional("step")?,
                            account: optional("account")?,
                            region: optional("region")?,
                        };
                        expect.calls.push(Located { value: expected, span: call.span });
                    }
                }
                _ => {}
            }
        }
        Ok(expect)
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
mod tests {
    use super::*;

    #[test]
    fn target_locations_and_located_calls_are_read_in_the_service_s_shape() {
        let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: r.yaml\ncases:\n  - name: there\n    targetLocations:\n      - {Accounts: [111111111111, ou-ab-cd], Regions: [eu-west-1], TargetLocationMaxConcurrency: 2}\n    expect:\n      calls: [{service: ec2, api: DescribeVpcs, account: 111111111111, region: eu-west-1}]\n",
        )
        .unwrap();
        let case = &file.cases[0];
        let location = &case.target_locations.as_ref().unwrap().value[0];
        assert_eq!(location.accounts, ["111111111111", "ou-ab-cd"]);
        assert_eq!(location.target_location_max_concurrency.as_deref(), Some("2"));
        let call = &case.expect.calls[0].value;
        assert_eq!(call.account.as_deref(), Some("111111111111"));
        assert_eq!(call.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn the_schema_s_target_location_has_the_service_s_keys() {
        let full = TargetLocation {
            accounts: vec!["1".into()],
            regions: vec!["r".into()],
            target_location_max_concurrency: Some("1".into()),
            target_location_max_errors: Some("1".into()),
            execution_role_name: Some("R".into()),
            include_child_organization_units: true,
            exclude_accounts: vec!["2".into()],
            targets: vec![runbook_engine::execute::Target::new("ParameterValues", ["a"])],
            targets_max_concurrency: Some("1".into()),
            targets_max_errors: Some("1".into()),
            target_location_alarm_configuration: Some(serde_json::json!({})),
        };
        let value = serde_json::to_value(full).unwrap();
        let mut expected: Vec<&str> =
            value.as_object().unwrap().keys().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(keys(&schema()["$defs"]["targetLocation"]), expected);
    }

    fn schema() -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/runbook-test.schema.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> =
            value["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    fn sorted(list: &[&'static str]) -> Vec<&'static str> {
        let mut list = list.to_vec();
        list.sort_unstable();
        list
    }

    #[test]
    fn the_schema_names_exactly_the_keys_the_parser_reads() {
        let schema = schema();
        assert_eq!(keys(&schema), sorted(FILE_KEYS));
        assert_eq!(keys(&schema["$defs"]["case"]), sorted(CASE_KEYS));
        assert_eq!(keys(&schema["$defs"]["case"]["properties"]["context"]), sorted(CONTEXT_KEYS));
        assert_eq!(keys(&schema["$defs"]["expect"]), sorted(EXPECT_KEYS));
        assert_eq!(keys(&schema["$defs"]["childExpect"]), sorted(CHILD_KEYS));
        assert_eq!(keys(&schema["$defs"]["case"]["properties"]["cancel"]), sorted(CANCEL_KEYS));
        assert_eq!(
            keys(&schema["$defs"]["expect"]["properties"]["calls"]["items"]),
            sorted(CALL_KEYS)
        );
        assert_eq!(keys(&schema["$defs"]["step"]), sorted(STEP_KEYS));
        assert_eq!(keys(&schema["$defs"]["case"]["properties"]["fleet"]), sorted(FLEET_KEYS));
        assert_eq!(
            keys(&schema["$defs"]["expect"]["properties"]["warnings"]["items"]),
            sorted(WARNING_KEYS)
        );
        let stages: Vec<&str> = schema["$defs"]["step"]["properties"]["failureStage"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(stages, FAILURE_STAGES);
    }

    #[test]
    fn steps_as_maps_counts_warnings_and_the_runs_values_are_read() {
        let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: r.yaml\ncases:\n  - name: one\n    maxStepExecutions: 50\n    expect:\n      steps:\n        a: Success\n        b:\n          status: Failed\n          attempts: 0\n          failureMessage: boom\n          failureStage: InputValidation\n          inputs: {Duration: PT1S}\n          outputs: {X: [1]}\n          duration: PT2M\n          endTime: '2026-01-01T00:02:00Z'\n        c: {attempts: 3}\n      parameters: {Count: 7}\n      variables: {seen: x}\n      warnings: [{step: b, reference: '{{ a.X }}', message: m}, {step: c}]\n      callCount: 0\n      stepExecutions: 3\n      children:\n        b: {callCount: 1, warnings: []}\n",
        )
        .unwrap();
        let case = &file.cases[0];
        assert_eq!(case.max_step_executions.as_ref().unwrap().value, 50);
        let expect = &case.expect;
        let statuses: Vec<(&str, Status)> =
            expect.steps.iter().map(|(name, status)| (name.as_str(), status.value)).collect();
        assert_eq!(statuses, [("a", Status::Success), ("b", Status::Failed)]);
        let names: Vec<&str> = expect.step_details.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        let b = &expect.step_details[0].1;
        assert_eq!(b.attempts.as_ref().unwrap().value, 0);
        assert_eq!(b.failure_message.as_ref().unwrap().value, "boom");
        assert_eq!(b.failure_stage.as_ref().unwrap().value, "InputValidation");
        assert_eq!(b.inputs[0].0, "Duration");
        assert_eq!(b.outputs.as_ref().unwrap().value, serde_json::json!({"X": [1]}));
        assert_eq!(b.duration.as_ref().unwrap().value.1, Duration::from_secs(120));
        assert_eq!(b.end_time.as_ref().unwrap().value.to_string(), "2026-01-01T00:02:00Z");
        assert_eq!(b.end_time.as_ref().unwrap().span.start.line, 16);
        assert_eq!(expect.parameters[0].1.value, serde_json::json!(7));
        assert_eq!(expect.variables[0].0, "seen");
        let warnings = &expect.warnings.as_ref().unwrap().value;
        assert_eq!(warnings[0].value.reference.as_deref(), Some("{{ a.X }}"));
        assert_eq!(warnings[1].value.message, None);
        assert_eq!(expect.call_count.as_ref().unwrap().value, 0);
        assert_eq!(expect.step_executions.as_ref().unwrap().value, 3);
        let child = &expect.children[0].1.value;
        assert_eq!(child.call_count.as_ref().unwrap().value, 1);
        assert!(child.warnings.as_ref().unwrap().value.is_empty());
    }

    #[test]
    fn a_case_runs_over_targets_as_start_automation_execution_takes_them() {
        let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: r.yaml\ncases:\n  - name: values\n    fleet: {TargetParameterName: Id, Targets: [{Key: ParameterValues, Values: [a, b]}], MaxConcurrency: 50%, MaxErrors: 1}\n    expect:\n      steps: {a: {startTime: '2026-01-01T00:00:10Z'}}\n  - name: maps\n    fleet: {TargetMaps: [{Id: a}, {Id: [b], Wait: PT1S}]}\n",
        )
        .unwrap();
        let fleet = &file.cases[0].fleet.as_ref().unwrap().value;
        assert_eq!(
            *fleet,
            Fleet::new("Id", runbook_engine::execute::Target::new("ParameterValues", ["a", "b"]))
                .with_max_concurrency("50%")
                .with_max_errors("1")
        );
        let start = file.cases[0].expect.step_details[0].1.start_time.as_ref().unwrap();
        assert_eq!(start.value.to_string(), "2026-01-01T00:00:10Z");
        let maps = &file.cases[1].fleet.as_ref().unwrap().value.target_maps;
        assert_eq!(maps.len(), 2);
        assert_eq!(maps[1]["Wait"], serde_json::json!("PT1S"));
        assert!(file.cases.iter().all(|case| case.expect.refused.is_none()));
    }

    #[test]
    fn the_new_expectations_name_their_errors() {
        let case = |body: &str| error(&format!("runbook: a.yaml\ncases:\n  - name: x\n{body}"));
        assert_eq!(
            case("    maxStepExecutions: 0\n"),
            "x.test.yaml:4:24: `cases[0].maxStepExecutions` must be more than zero"
        );
        assert_eq!(
            case("    maxStepExecutions: many\n"),
            "x.test.yaml:4:24: `cases[0].maxStepExecutions` must be a whole number, found `many`"
        );
        assert_eq!(
            case("    expect: {steps: {a: {atempts: 1}}}\n"),
            "x.test.yaml:4:26: `cases[0].expect.steps.a.atempts` is not a test file key; did you mean `attempts`?"
        );
        assert_eq!(
            case("    expect: {steps: {a: {attempts: -1}}}\n"),
            "x.test.yaml:4:36: `cases[0].expect.steps.a.attempts` must be a whole number, found `-1`"
        );
        assert_eq!(
            case("    expect: {steps: {a: {failureStage: Running}}}\n"),
            "x.test.yaml:4:40: `cases[0].expect.steps.a.failureStage`: `Running` is not a failure stage (InputValidation, PreVerification, Invocation, PostVerification)"
        );
        assert_eq!(
            case("    expect: {steps: {a: {duration: 2m}}}\n"),
            "x.test.yaml:4:36: `cases[0].expect.steps.a.duration`: `2m` is not an ISO 8601 duration such as PT10M or P1DT2H"
        );
        assert!(
            case("    expect: {steps: {a: {endTime: soon}}}\n")
                .starts_with("x.test.yaml:4:35: `cases[0].expect.steps.a.endTime`: "),
        );
        assert_eq!(
            case("    expect: {steps: {a: {status: Done}}}\n"),
            "x.test.yaml:4:34: `cases[0].expect.steps.a.status`: `Done` is not a status (Success, Failed, TimedOut, Cancelled, Pending, Exited, ...)"
        );
        assert_eq!(
            case("    expect: {steps: {a: {outputs: [1]}}}\n"),
            "x.test.yaml:4:35: `cases[0].expect.steps.a.outputs` must be a map, found a list"
        );
        assert_eq!(
            case("    expect: {warnings: {step: a}}\n"),
            "x.test.yaml:4:24: `cases[0].expect.warnings` must be a list, found a map"
        );
        assert_eq!(
            case("    expect: {warnings: [{stp: a}]}\n"),
            "x.test.yaml:4:26: `cases[0].expect.warnings[0].stp` is not a test file key; did you mean `step`?"
        );
        assert_eq!(
            case("    expect: {callCount: two}\n"),
            "x.test.yaml:4:25: `cases[0].expect.callCount` must be a whole number, found `two`"
        );
        assert_eq!(
            case(
                "    fleet: {Targets: [{Key: ParameterValues, Values: [a]}], TargetParameter: Id}\n"
            ),
            "x.test.yaml:4:61: `cases[0].fleet.TargetParameter` is not a test file key; did you mean `TargetParameterName`?"
        );
        assert_eq!(
            case("    targetLocations: [{Acounts: [a]}]\n"),
            "x.test.yaml:4:22: `cases[0].targetLocations`: `TargetLocations` item 1: unknown field `Acounts`, expected one of `Accounts`, `Regions`, `TargetLocationMaxConcurrency`, `TargetLocationMaxErrors`, `ExecutionRoleName`, `IncludeChildOrganizationUnits`, `ExcludeAccounts`, `Targets`, `TargetsMaxConcurrency`, `TargetsMaxErrors`, `TargetLocationAlarmConfiguration`"
        );
        assert_eq!(
            case("    fleet: {MaxConcurrency: '2'}\n"),
            "x.test.yaml:4:12: `cases[0].fleet` needs `Targets` (with `TargetParameterName`) or `TargetMaps`"
        );
        assert_eq!(
            case("    fleet: {TargetParameterName: Id, Targets: [{Values: [a]}]}\n"),
            "x.test.yaml:4:12: `cases[0].fleet`: each of `Targets` needs a `Key` (and `Values`)"
        );
        assert_eq!(
            case("    fleet: [a]\n"),
            "x.test.yaml:4:12: `cases[0].fleet` must be a map, found a list"
        );
        assert!(
            case("    expect: {steps: {a: {startTime: noon}}}\n")
                .starts_with("x.test.yaml:4:37: `cases[0].expect.steps.a.startTime`: "),
        );
        assert_eq!(
            case("    expect: {parameters: [a]}\n"),
            "x.test.yaml:4:26: `cases[0].expect.parameters` must be a map, found a list"
        );
    }

    #[test]
    fn time_limits_are_seconds_or_durations_for_the_file_and_each_case() {
        let file = TestFile::parse(
            Path::new("x.test.yaml"),
            "runbook: a.yaml\ntimeLimit: PT2M\ncases:\n  - {name: a, timeLimit: 5}\n  - {name: b}\n",
        )
        .unwrap();
        assert_eq!(file.time_limit.as_ref().unwrap().value, Duration::from_secs(120));
        assert_eq!(file.cases[0].time_limit.as_ref().unwrap().value, Duration::from_secs(5));
        assert!(file.cases[1].time_limit.is_none());
    }

    fn error(text: &str) -> String {
        TestFile::parse(Path::new("x.test.yaml"), text).unwrap_err().to_string()
    }

    #[test]
    fn test_file_errors_name_their_line() {
        assert_eq!(
            error("runbook: a.yaml\ncase: []\n"),
            "x.test.yaml:2:1: `case` is not a test file key; did you mean `cases`?"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - parameters: {}\n"),
            "x.test.yaml:3:5: `cases[0]` has no `name`"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    expect: {status: Done}\n"),
            "x.test.yaml:4:22: `cases[0].expect.status`: `Done` is not a status (Success, Failed, TimedOut, Cancelled, Pending, Exited, ...)"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    expect: {calls: [{service: ec2}]}\n"),
            "x.test.yaml:4:22: `cases[0].expect.calls[0]` has no `api`"
        );
        assert!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    mocks: {aws: [{service: ec2}]}\n")
                .starts_with("x.test.yaml:4:")
        );
        assert_eq!(error("cases: []\n"), "x.test.yaml:1:1: the test file has no `runbook`");
        assert_eq!(
            error(
                "runbook: a.yaml\ncases:\n  - name: x\n    expect: {refused: bad, status: Failed}\n"
            ),
            "x.test.yaml:4:28: `cases[0].expect.refused` goes alone: a refused run has no `status` to check"
        );
        assert_eq!(
            error(
                "runbook: a.yaml\ncases:\n  - name: x\n    cancel: {atStep: a}\n    expect: {refused: bad}\n"
            ),
            "x.test.yaml:5:23: `cases[0]` expects a refused run, which has nothing to cancel; remove `cancel` or `refused`"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    cancel: {atStep: a, after: PT1M}\n"),
            "x.test.yaml:4:13: `cases[0].cancel` takes one of `atStep: STEP` or `after: DURATION`"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    cancel: {after: 10m}\n"),
            "x.test.yaml:4:21: `cases[0].cancel.after`: `10m` is not an ISO 8601 duration such as PT10M or P1DT2H"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    cancel: {at: a}\n"),
            "x.test.yaml:4:14: `cases[0].cancel.at` is not a test file key; did you mean `atStep`?"
        );
        assert_eq!(
            error(
                "runbook: a.yaml\ncases:\n  - name: x\n    expect: {children: {run: {refused: x}}}\n"
            ),
            "x.test.yaml:4:31: `cases[0].expect.children.run.refused` is not a test file key; the keys here are status, path, steps, outputs, failureMessage, calls, children, parameters, variables, warnings, callCount, stepExecutions"
        );
        assert_eq!(
            error("runbook: a.yaml\ndocuments: [a]\ncases: []\n"),
            "x.test.yaml:2:12: `documents` must be a folder or a map of document names to runbook files, found a list"
        );
        assert_eq!(
            error("runbook: a.yaml\ntimeLimit: 0\ncases: []\n"),
            "x.test.yaml:2:12: `timeLimit`: a time limit must be more than zero"
        );
        assert_eq!(
            error("runbook: a.yaml\ncases:\n  - name: x\n    timeLimit: soon\n"),
            "x.test.yaml:4:16: `cases[0].timeLimit`: a time limit is whole seconds or an ISO 8601 duration: `soon` is not an ISO 8601 duration such as PT10M or P1DT2H"
        );
        assert_eq!(
            error("runbook: a.yaml\ndocuments: {Child: [a]}\ncases: []\n"),
            "x.test.yaml:2:20: `documents.Child` must be text, found a list"
        );
    }

    #[test]
    fn documents_map_names_to_files_and_cases_read_cancel_refused_and_children() {
        let file = TestFile::parse(
            Path::new("dir/x.test.yaml"),
            "runbook: r.yaml\ndocuments:\n  Child: c.yaml\n  'Child:3': c3.yaml\n  '${ChildDoc}': t.yaml\ncases:\n  - name: refused\n    expect: {refused: AutomationAssumeRole}\n  - name: cancelled\n    cancel: {after: PT5M}\n    expect:\n      status: Cancelled\n      children:\n        run: {status: Success, path: [a], children: {deeper: {steps: {b: Failed}}}}\n  - name: at a step\n    cancel: {atStep: wait}\n",
        )
        .unwrap();
        assert!(file.documents.is_empty());
        let names: Vec<(&str, &Path)> =
            file.document_files.iter().map(|(n, p)| (n.as_str(), p.as_path())).collect();
        assert_eq!(
            names,
            [
                ("Child", Path::new("dir/c.yaml")),
                ("Child:3", Path::new("dir/c3.yaml")),
                ("${ChildDoc}", Path::new("dir/t.yaml"))
            ]
        );
        assert_eq!(file.cases[0].expect.refused.as_ref().unwrap().value, "AutomationAssumeRole");
        let cancel = file.cases[1].cancel.as_ref().unwrap();
        assert_eq!(
            cancel.value,
            Cancel::After { text: "PT5M".into(), duration: std::time::Duration::from_secs(300) }
        );
        assert_eq!(cancel.span.start.line, 10);
        let (step, child) = &file.cases[1].expect.children[0];
        assert_eq!(step, "run");
        assert_eq!(child.value.status.as_ref().unwrap().value, Status::Success);
        assert_eq!(child.value.children[0].1.value.steps[0].0, "b");
        assert_eq!(file.cases[2].cancel.as_ref().unwrap().value, Cancel::AtStep("wait".into()));
    }

    #[test]
    fn a_case_reads_every_key() {
        let file = TestFile::parse(
            Path::new("dir/x.test.yaml"),
            "runbook: r.yaml\ndocuments: docs\ncases:\n  - name: one\n    parameters: {A: 1}\n    context: {accountId: '111', region: eu-west-1, startTime: '2026-02-01T00:00:00Z'}\n    mocks: {approvals: {a: Approve}}\n    expect:\n      status: Failed\n      path: [a, b]\n      steps: {b: Pending}\n      outputs: {a.X: [1]}\n      failureMessage: boom\n      calls: [{service: ec2, api: X, params: {A: 1}, step: b}]\n",
        )
        .unwrap();
        assert_eq!(file.runbook, Path::new("dir/r.yaml"));
        assert_eq!(file.documents, [PathBuf::from("dir/docs")]);
        let case = &file.cases[0];
        assert_eq!(case.context.region, "eu-west-1");
        assert_eq!(case.context.start_time.to_string(), "2026-02-01T00:00:00Z");
        assert_eq!(case.expect.status.as_ref().unwrap().value, Status::Failed);
        assert_eq!(case.expect.path.as_ref().unwrap().value, ["a", "b"]);
        assert_eq!(case.expect.calls[0].value.api, "X");
        assert_eq!(case.expect.calls[0].value.step.as_deref(), Some("b"));
        assert_eq!(case.expect.calls[0].span.start.line, 14);
        assert!(case.mocks.as_ref().unwrap().approval("a").is_some());
    }
}
