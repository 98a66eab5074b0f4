//! Mock files: scripted answers to AWS calls, approval decisions and `aws:executeScript`
//! results, so that any runbook can run offline. `runbook run --mocks FILE` reads one from a
//! file; test files embed the same format under a test case's `mocks:` key.
//!
//! ```yaml
//! aws:
//!   - service: ec2
//!     api: DescribeInstances
//!     params: {InstanceIds: [i-0abc]}       # optional: the call must have these
//!     returns: {Reservations: []}           # or error: {code: ..., message: ..., status: 400}
//!                                           # or error: "Code: message"
//!   - service: ec2
//!     api: DescribeInstanceStatus
//!     sequence:                             # in order; the last answer repeats
//!       - returns: {InstanceStatuses: [{InstanceState: {Name: pending}}]}
//!       - returns: {InstanceStatuses: [{InstanceState: {Name: running}}]}
//!   - service: ec2
//!     api: DescribeVpcs
//!     account: '111122223333'               # optional: only calls made as this account
//!     region: eu-west-1                     # and in this Region (runs over target locations)
//!     returns: {Vpcs: []}
//!   - service: ec2
//!     api: DescribeImages
//!     script: |                             # rhai, with `params` and `calls`
//!       if calls < 2 { #{Images: [#{State: "pending"}]} } else { #{Images: [#{State: "available"}]} }
//! approvals: {approveRestart: Approve}      # or {decision: Reject, approver: ..., comment: ...}
//! scripts:
//!   computeTags: {returns: {Tags: [a]}}     # or {rhai: "..."} with `events`, or {error: "..."}
//! ```
//!
//! [`MockFile`] is the parsed file; [`MockAws`] answers calls from it as an
//! [`AwsBackend`](runbook_engine::host::AwsBackend), one per run.
//! [`record::Recorder`] writes the calls any backend answered as such a file.
//!
//! How a call finds its rule:
//! - `service` and `api` are compared exactly (`api` as runbooks spell it, `DescribeInstances`);
//!   the first rule in file order whose `params` also match answers. A rule with `account` or
//!   `region` answers only the calls of a child of a run over target locations made as that
//!   account or in that Region.
//! - `params` match recursively ([`params_match`], the same matcher as a test file's expected
//!   calls): a map matches a map that has every key it names (the call may have more); a list
//!   matches a list of the same length item by item, in order; `null` matches a missing key;
//!   numbers match by value (`1` and `1.0`); text matches the same text or a number or boolean
//!   written the same way (`"5"` matches `5`, `5` does not match `"5"`); other scalars must be
//!   equal.
//! - A call no rule answers gets the API error `MockNotFound`, whose message shows the call and
//!   the closest rule (the parameter that differs, or the API or service with a close name).
//!
//! Reading a file reports every problem at once, in file order, each with its
//! `file:line:column` and field path; unknown keys are errors and come with the closest key.
//! Scripts are compiled when the file is read, in a shared [`Sandbox`].
//!
//! ```
//! use std::{path::Path, sync::Arc};
//! use runbook_aws::mock::{MockAws, MockFile};
//! use runbook_engine::host::ApiRequest;
//! use serde_json::json;
//!
//! let text = "aws:\n  - {service: ec2, api: StopInstances, sequence: [{error: Throttling}, {returns: {}}]}\n";
//! let aws = MockAws::new(Arc::new(MockFile::parse(Path::new("mocks.yaml"), text)?));
//! let stop = ApiRequest::new("ec2", "StopInstances", json!({"InstanceIds": ["i-1"]}));
//! assert_eq!(aws.answer(&stop).unwrap_err().code, "Throttling");
//! assert_eq!(aws.answer(&stop)?, json!({}));
//! let reboot = ApiRequest::new("ec2", "RebootInstances", json!({}));
//! assert_eq!(aws.answer(&reboot).unwrap_err().code, "MockNotFound");
//! assert!(aws.unused_rules().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod auto;
mod backend;
pub mod check;
mod error;
mod matching;
mod parse;
mod pattern_value;
pub mod record;
pub mod stand_in;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_engine::host::{ApiError, Location};
use runbook_engine::syntax::{Node, Position, Span};
use serde_json::Value;

use crate::sandbox::{Evaluation, FailureKind, Sandbox, Script};

pub use backend::{MOCK_NOT_FOUND, MOCK_SCRIPT_ERROR, MockAws, PrintedLine, UnusedRule};
pub use error::{MockFileError, MockProblem, MockProblemKind};
pub use matching::params_match;
pub use pattern_value::value_matching;

/// A parsed mock file.
#[derive(Clone, Debug)]
pub struct MockFile {
    /// The file it was read from (for mocks embedded in a test file, the test file).
    pub origin: PathBuf,
    /// The answers to AWS calls, in the file's order: the first rule that matches a call
    /// answers it.
    pub aws: Vec<MockRule>,
    /// Decisions for `aws:approve` steps, by step name.
    pub approvals: IndexMap<String, ApprovalStandIn>,
    /// Results for `aws:executeScript` steps, by step name.
    pub scripts: IndexMap<String, ScriptStandIn>,
}

impl MockFile {
    /// Reads a mock file: JSON when its name ends in `.json`, YAML otherwise. Scripts are
    /// compiled in the shared [`Sandbox`].
    pub fn load(path: &Path) -> Result<Self, MockFileError> {
        Self::load_with(path, &Sandbox::shared())
    }

    /// Reads a mock file whose scripts run in `sandbox`.
    pub fn load_with(path: &Path, sandbox: &Sandbox) -> Result<Self, MockFileError> {
        let text = std::fs::read_to_string(path).map_err(|error| MockFileError {
            origin: path.to_path_buf(),
            problems: vec![MockProblem {
                span: None,
                path: String::new(),
                kind: MockProblemKind::Io(error),
            }],
        })?;
        Self::parse_with(path, &text, sandbox)
    }

    /// Parses the text of a mock file; `origin` names it in messages and decides the format
    /// (JSON when it ends in `.json`, YAML otherwise).
    pub fn parse(origin: &Path, text: &str) -> Result<Self, MockFileError> {
        Self::parse_with(origin, text, &Sandbox::shared())
    }

    /// [`parse`](Self::parse), with scripts compiled in `sandbox`.
    pub fn parse_with(origin: &Path, text: &str, sandbox: &Sandbox) -> Result<Self, MockFileError> {
        let is_json = origin.extension().is_some_and(|extension| extension == "json");
        let parsed = if is_json {
            runbook_engine::syntax::parse_json(text)
        } else {
            runbook_engine::syntax::parse_yaml(text)
        };
        let node = parsed.map_err(|error| MockFileError {
            origin: origin.to_path_buf(),
            problems: vec![MockProblem {
                span: Some(error.span),
                path: String::new(),
                kind: MockProblemKind::Syntax(error.message),
            }],
        })?;
        Self::from_node_with(&node, origin, "", sandbox)
    }

    /// Reads mocks from a tree already parsed, as test files embed them. `origin` is the file
    /// the tree comes from and `path_prefix` the field that holds the mocks there
    /// (`tests[2].mocks`), so that messages point into that file.
    pub fn from_node(node: &Node, origin: &Path, path_prefix: &str) -> Result<Self, MockFileError> {
        Self::from_node_with(node, origin, path_prefix, &Sandbox::shared())
    }

    /// [`from_node`](Self::from_node), with scripts compiled in `sandbox`.
    pub fn from_node_with(
        node: &Node,
        origin: &Path,
        path_prefix: &str,
        sandbox: &Sandbox,
    ) -> Result<Self, MockFileError> {
        parse::mock_file(node, origin, path_prefix, sandbox)
    }

    /// The decision for the `aws:approve` step named `step`, if the file gives one.
    pub fn approval(&self, step: &str) -> Option<&ApprovalStandIn> {
        self.approvals.get(step)
    }

    /// The result that stands in for running the script of the `aws:executeScript` step named
    /// `step`, given the step's `InputPayload` as `events`: `None` when the file has no stand-in
    /// for the step, `Err` with the step's failure message when it makes the step fail.
    pub fn stand_in_result(&self, step: &str, events: &Value) -> Option<Result<Value, String>> {
        let stand_in = self.scripts.get(step)?;
        Some(stand_in.evaluate(events).map(|evaluation| evaluation.value))
    }
}

/// One entry of `aws`: which calls it answers and how.
#[derive(Clone, Debug)]
pub struct MockRule {
    /// The service, as runbooks and boto3 name it (`ec2`).
    pub service: String,
    /// The operation, as runbooks spell it (`DescribeInstances`).
    pub api: String,
    /// The account a call must be made as (a child of a run over target locations), if any.
    pub account: Option<String>,
    /// The Region a call must be made in (a child of a run over target locations), if any.
    pub region: Option<String>,
    /// The parameters a call must have (a map), or `None` to answer every call of the API.
    pub params: Option<Value>,
    /// The answers: one, or a `sequence` given in order, whose last answer repeats. Never empty.
    pub answers: Vec<MockAnswer>,
    /// Where each answer of `answers` is written, in the same order.
    pub answer_sources: Vec<AnswerSource>,
    /// `optional: true`: a rule that may answer no call without being reported as unused (a
    /// call only some paths make).
    pub optional: bool,
    /// The rule's field path (`aws[3]`, after any prefix), for messages.
    pub path: String,
    /// Where the rule is written.
    pub span: Span,
}

impl MockRule {
    /// Whether a call made at `location` (`None`: the run's own account and Region) is one the
    /// rule's `account` and `region` allow: a rule that names either answers only calls of a
    /// run over target locations made there.
    pub fn answers_at(&self, location: Option<&Location>) -> bool {
        let fits = |wanted: &Option<String>, actual: Option<&str>| {
            wanted.as_deref().is_none_or(|wanted| actual == Some(wanted))
        };
        fits(&self.account, location.map(|at| at.account.as_str()))
            && fits(&self.region, location.map(|at| at.region.as_str()))
    }

    /// The answer to the call that is the rule's `calls`-th match (counting from 0).
    pub fn answer_for(&self, calls: u64) -> Option<&MockAnswer> {
        let index =
            usize::try_from(calls).unwrap_or(usize::MAX).min(self.answers.len().checked_sub(1)?);
        self.answers.get(index)
    }
}

/// Where an answer of a [`MockRule`] is written.
#[derive(Clone, Debug)]
pub struct AnswerSource {
    /// The answer's field path (`aws[3].sequence[1].returns`).
    pub path: String,
    /// Where its value is written.
    pub span: Span,
    /// The tree of a `returns` value, to point at one of its members.
    pub tree: Option<Node>,
}

impl AnswerSource {
    fn of(node: &Node, path: &str) -> Self {
        let returns = path.ends_with("returns");
        Self { path: path.to_string(), span: node.span, tree: returns.then(|| node.clone()) }
    }
}

/// One answer to a call.
#[derive(Clone, Debug)]
pub enum MockAnswer {
    /// `returns`: this response, handed out shared to every call it answers.
    Returns(Arc<Value>),
    /// `error`: this API error.
    Error(ApiError),
    /// `script`: the response (or API error) a rhai script computes from `params` and `calls`.
    Script(MockScript),
}

/// A rhai script of a mock file, compiled, with where it is written.
#[derive(Clone, Debug)]
pub struct MockScript {
    /// The script's text.
    pub source: String,
    /// The compiled script.
    pub script: Script,
    /// The field path of the script (`aws[2].script`).
    pub path: String,
    /// The file the script is written in.
    pub origin: Arc<Path>,
    /// Where the script's text is written.
    pub span: Span,
    layout: ScriptLayout,
}

/// How a script's text sits in the file, to turn a script line and column into a file
/// position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScriptLayout {
    /// A block scalar (`script: |`): script line N is file line `span.start.line + N - 1`, all
    /// at the same indentation.
    Block,
    /// On one line of the file, `offset` characters after the value's start (1 for a quote).
    Inline { offset: u32 },
    /// Escaped line breaks (JSON): only the value's start is known.
    Unknown,
}

impl ScriptLayout {
    /// The file position of `line` and `column` of a script written at `span`.
    fn position(self, span: Span, line: Option<u32>, column: Option<u32>) -> Position {
        let start = span.start;
        let (Some(line), Some(column)) = (line, column) else { return start };
        match self {
            // The end of a script that ends the file follows the line break the file may
            // lack: no further than the scalar's end, so that the position is in the file.
            Self::Block => Position::new(
                start.line + line.saturating_sub(1),
                start.column + column.saturating_sub(1),
            )
            .min(span.end.max(start)),
            Self::Inline { offset } if line == 1 => {
                Position::new(start.line, start.column + offset + column.saturating_sub(1))
            }
            Self::Inline { .. } | Self::Unknown => start,
        }
    }
}

impl MockScript {
    /// The file position of `line` and `column` of the script, as near as the layout of the
    /// text allows.
    pub fn file_position(&self, line: Option<u32>, column: Option<u32>) -> Position {
        self.layout.position(self.span, line, column)
    }

    /// Where a failure happened, as `file:line:column`: the failing line when the failure has
    /// one, else the script's start.
    pub fn location(&self, kind: &FailureKind) -> String {
        let position = match kind {
            FailureKind::Thrown { line, column, .. }
            | FailureKind::Runtime { line, column, .. } => self.file_position(*line, *column),
            _ => self.span.start,
        };
        format!("{}:{}:{}", self.origin.display(), position.line, position.column)
    }
}

/// The stand-in decision for one `aws:approve` step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalStandIn {
    /// Approve or reject.
    pub decision: ApprovalDecision,
    /// Who decides, when given.
    pub approver: Option<String>,
    /// The comment that comes with the decision, when given.
    pub comment: Option<String>,
    /// Where the decision is written.
    pub span: Span,
}

/// An approver's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalDecision {
    /// `Approve`.
    Approve,
    /// `Reject`.
    Reject,
}

impl fmt::Display for ApprovalDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Approve => "Approve",
            Self::Reject => "Reject",
        })
    }
}

/// The stand-in result of one `aws:executeScript` step.
#[derive(Clone, Debug)]
pub struct ScriptStandIn {
    /// The step's name.
    pub step: String,
    /// What the step's script is taken to have done.
    pub result: StandInResult,
    /// Where the stand-in is written.
    pub span: Span,
}

/// What an `aws:executeScript` stand-in does.
#[derive(Clone, Debug)]
pub enum StandInResult {
    /// `returns`: the script returned this value.
    Returns(Value),
    /// `rhai`: the value a rhai script computes from `events` (the step's `InputPayload`).
    Rhai(MockScript),
    /// `error`: the script failed with this message.
    Error(String),
}

impl ScriptStandIn {
    /// The stand-in's result for `events`, or the step's failure message.
    pub fn evaluate(&self, events: &Value) -> Result<Evaluation, String> {
        match &self.result {
            StandInResult::Returns(value) => {
                Ok(Evaluation { value: value.clone(), printed: Vec::new() })
            }
            StandInResult::Error(message) => Err(message.clone()),
            StandInResult::Rhai(script) => {
                script.script.eval(&[("events", events)]).map_err(|failure| match failure.kind {
                    FailureKind::ApiError(error) => error.to_string(),
                    kind => format!(
                        "the stand-in script for step `{}` ({}): {kind}",
                        self.step,
                        script.location(&kind)
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_script_position_past_its_end_is_its_end() {
        let span = Span::new(Position::new(17, 7), Position::new(18, 10));
        let block = ScriptLayout::Block;
        assert_eq!(block.position(span, Some(2), Some(3)), Position::new(18, 9));
        // A syntax error at the end of a script that ends the file without a line break.
        assert_eq!(block.position(span, Some(3), Some(1)), Position::new(18, 10));
    }
}
