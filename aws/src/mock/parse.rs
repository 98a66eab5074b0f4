//! A syntax tree to a [`MockFile`]: every field checked, every problem collected with its
//! position and field path, every script compiled.

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_engine::diagnostic::closest;
use runbook_engine::host::ApiError;
use runbook_engine::syntax::{Entry, Node, NodeKind, Span, push_key};
use serde_json::Value;

use super::{
    AnswerSource, ApprovalDecision, ApprovalStandIn, MockAnswer, MockFile, MockFileError,
    MockProblem, MockProblemKind, MockRule, MockScript, ScriptLayout, ScriptStandIn, StandInResult,
};
use crate::sandbox::Sandbox;

const FILE_KEYS: &[&str] = &["aws", "approvals", "scripts"];
const RULE_KEYS: &[&str] = &[
    "service", "api", "account", "region", "params", "returns", "error", "script", "sequence",
    "optional",
];
const RULE_ANSWER_KEYS: &[&str] = &["returns", "error", "script", "sequence"];
const SEQUENCE_ITEM_KEYS: &[&str] = &["returns", "error", "script"];
const ERROR_KEYS: &[&str] = &["code", "message", "status"];
const APPROVAL_KEYS: &[&str] = &["decision", "approver", "comment"];
const DECISIONS: &[&str] = &["Approve", "Reject"];
const STAND_IN_KEYS: &[&str] = &["returns", "rhai", "error"];

/// The variables a script of an `aws` rule sees.
const RULE_SCRIPT_VARIABLES: &[&str] = &["params", "calls"];
/// The variables a stand-in script of an `aws:executeScript` step sees.
const STAND_IN_VARIABLES: &[&str] = &["events"];

/// Keys of other mock formats (and likely slips) that a closeness score does not catch, with
/// the key meant here.
const KNOWN_SLIPS: &[(&str, &str)] = &[
    ("response", "returns"),
    ("responses", "sequence"),
    ("result", "returns"),
    ("return", "returns"),
];

/// Reads a mock file from its tree.
pub(super) fn mock_file(
    node: &Node,
    origin: &Path,
    path_prefix: &str,
    sandbox: &Sandbox,
) -> Result<MockFile, MockFileError> {
    let mut parser =
        Parser { origin: Arc::from(origin), sandbox: sandbox.clone(), problems: Vec::new() };
    let file = parser.file(node, path_prefix);
    if parser.problems.is_empty() {
        return Ok(file);
    }
    // In file order, which is how an editor walks through them.
    parser.problems.sort_by_key(|problem| problem.span.map(|span| span.start));
    Err(MockFileError { origin: origin.to_path_buf(), problems: parser.problems })
}

struct Parser {
    origin: Arc<Path>,
    sandbox: Sandbox,
    problems: Vec<MockProblem>,
}

fn child(path: &str, key: &str) -> String {
    let mut path = path.to_string();
    push_key(&mut path, key);
    path
}

fn quoted_list(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl Parser {
    fn invalid(&mut self, span: Span, path: &str, message: impl Into<String>) {
        self.problems.push(MockProblem {
            span: Some(span),
            path: path.to_string(),
            kind: MockProblemKind::Invalid(message.into()),
        });
    }

    /// The entries of `node` when it is a map; else reports that it must be one.
    fn map<'a>(&mut self, node: &'a Node, path: &str, what: &str) -> Option<&'a [Entry]> {
        let entries = node.as_map();
        if entries.is_none() {
            self.invalid(node.span, path, format!("must be {what}, found {}", node.type_name()));
        }
        entries
    }

    /// Reports every key of `entries` that is not in `allowed`.
    fn check_keys(&mut self, entries: &[Entry], path: &str, allowed: &[&str]) {
        for entry in entries {
            if allowed.contains(&entry.key.as_str()) {
                continue;
            }
            let slip = KNOWN_SLIPS
                .iter()
                .find(|(slip, meant)| *slip == entry.key && allowed.contains(meant))
                .map(|(_, meant)| *meant);
            let hint = match slip.or_else(|| closest(&entry.key, allowed.iter().copied())) {
                Some(meant) => format!("did you mean `{meant}`?"),
                None => format!("expected {}", quoted_list(allowed)),
            };
            self.invalid(entry.key_span, path, format!("unknown key `{}`; {hint}", entry.key));
        }
    }

    /// The text of a string that must not be empty.
    fn text(&mut self, node: &Node, path: &str) -> Option<String> {
        match node.as_str() {
            Some("") => {
                self.invalid(node.span, path, "must not be empty");
                None
            }
            Some(text) => Some(text.to_string()),
            None => {
                self.invalid(
                    node.span,
                    path,
                    format!("must be a string, found {}", node.type_name()),
                );
                None
            }
        }
    }

    /// The one entry among `keys` that gives an answer; reports none or several.
    fn one_of<'a>(
        &mut self,
        node: &Node,
        entries: &'a [Entry],
        path: &str,
        keys: &[&str],
    ) -> Option<&'a Entry> {
        let mut given = entries.iter().filter(|entry| keys.contains(&entry.key.as_str()));
        let Some(first) = given.next() else {
            self.invalid(node.span, path, format!("give {}", quoted_list(keys)));
            return None;
        };
        if let Some(second) = given.next() {
            self.invalid(
                second.key_span,
                path,
                format!(
                    "give only one of {}, found `{}` and `{}`",
                    quoted_list(keys),
                    first.key,
                    second.key
                ),
            );
            return None;
        }
        Some(first)
    }

    fn file(&mut self, node: &Node, prefix: &str) -> MockFile {
        let mut file = MockFile {
            origin: self.origin.to_path_buf(),
            aws: Vec::new(),
            approvals: IndexMap::new(),
            scripts: IndexMap::new(),
        };
        if matches!(node.kind, NodeKind::Null) {
            return file;
        }
        let Some(entries) = self.map(node, prefix, "a map with `aws`, `approvals` or `scripts`")
        else {
            return file;
        };
        self.check_keys(entries, prefix, FILE_KEYS);
        if let Some(aws) = node.get("aws") {
            let path = child(prefix, "aws");
            if let Some(items) = self.list(aws, &path) {
                for (index, item) in items.iter().enumerate() {
                    if let Some(rule) = self.rule(item, &format!("{path}[{index}]")) {
                        file.aws.push(rule);
                    }
                }
            }
        }
        if let Some(approvals) = node.get("approvals") {
            let path = child(prefix, "approvals");
            for entry in self.optional_map(approvals, &path, "a map of step names to decisions") {
                if let Some(approval) = self.approval(&entry.value, &child(&path, &entry.key)) {
                    file.approvals.insert(entry.key.clone(), approval);
                }
            }
        }
        if let Some(scripts) = node.get("scripts") {
            let path = child(prefix, "scripts");
            for entry in self.optional_map(scripts, &path, "a map of step names to results") {
                let step_path = child(&path, &entry.key);
                if let Some(stand_in) = self.stand_in(&entry.value, &step_path, &entry.key) {
                    file.scripts.insert(entry.key.clone(), stand_in);
                }
            }
        }
        file
    }

    /// The items of a list; `null` is an empty list.
    fn list<'a>(&mut self, node: &'a Node, path: &str) -> Option<&'a [Node]> {
        match &node.kind {
            NodeKind::Null => Some(&[]),
            NodeKind::Seq(items) => Some(items),
            _ => {
                self.invalid(
                    node.span,
                    path,
                    format!("must be a list, found {}", node.type_name()),
                );
                None
            }
        }
    }

    /// The entries of a map; `null` is an empty map.
    fn optional_map<'a>(&mut self, node: &'a Node, path: &str, what: &str) -> &'a [Entry] {
        if matches!(node.kind, NodeKind::Null) {
            return &[];
        }
        self.map(node, path, what).unwrap_or_default()
    }

    fn rule(&mut self, node: &Node, path: &str) -> Option<MockRule> {
        let entries = self.map(node, path, "a map with `service`, `api` and an answer")?;
        self.check_keys(entries, path, RULE_KEYS);
        let service = self.required_text(node, path, "service");
        let api = self.required_text(node, path, "api");
        let mut location = |key: &str| match node.get(key) {
            None | Some(Node { kind: NodeKind::Null, .. }) => Some(None),
            // An account id written as a YAML number, its leading zeros restored.
            Some(Node { kind: NodeKind::Int(id), .. }) if key == "account" && *id >= 0 => {
                Some(Some(format!("{id:012}")))
            }
            Some(value) => self.text(value, &child(path, key)).map(Some),
        };
        let (account, region) = (location("account"), location("region"));
        let params = match node.get("params") {
            None | Some(Node { kind: NodeKind::Null, .. }) => Some(None),
            Some(params) => {
                let params_path = child(path, "params");
                self.map(params, &params_path, "a map of the parameters to match")
                    .map(|_| Some(params.to_json()))
            }
        };
        let answers = self.one_of(node, entries, path, RULE_ANSWER_KEYS).and_then(|answer| {
            if answer.key == "sequence" {
                self.sequence(&answer.value, &child(path, "sequence"))
            } else {
                let answer_path = child(path, &answer.key);
                let source = AnswerSource::of(&answer.value, &answer_path);
                self.answer(answer, &answer_path).map(|answer| vec![(answer, source)])
            }
        });
        let optional = match node.get("optional") {
            None => Some(false),
            Some(flag) => match &flag.kind {
                NodeKind::Bool(value) => Some(*value),
                _ => {
                    let found = flag.type_name();
                    self.invalid(
                        flag.span,
                        &child(path, "optional"),
                        format!("must be true or false, found {found}"),
                    );
                    None
                }
            },
        };
        let (answers, answer_sources) = answers?.into_iter().unzip();
        Some(MockRule {
            service: service?,
            api: api?,
            account: account?,
            region: region?,
            params: params?,
            answers,
            answer_sources,
            optional: optional?,
            path: path.to_string(),
            span: node.span,
        })
    }

    fn required_text(&mut self, node: &Node, path: &str, key: &str) -> Option<String> {
        match node.get(key) {
            Some(value) => self.text(value, &child(path, key)),
            None => {
                self.invalid(node.span, path, format!("missing `{key}`"));
                None
            }
        }
    }

    fn sequence(&mut self, node: &Node, path: &str) -> Option<Vec<(MockAnswer, AnswerSource)>> {
        let Some(items) = node.as_seq() else {
            self.invalid(
                node.span,
                path,
                format!("must be a list of answers, found {}", node.type_name()),
            );
            return None;
        };
        if items.is_empty() {
            self.invalid(node.span, path, "must have at least one answer");
            return None;
        }
        let mut answers = Vec::with_capacity(items.len());
        let mut complete = true;
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            let answer = self
                .map(item, &item_path, "a map with `returns`, `error` or `script`")
                .and_then(|entries| {
                    self.check_keys(entries, &item_path, SEQUENCE_ITEM_KEYS);
                    let given = self.one_of(item, entries, &item_path, SEQUENCE_ITEM_KEYS)?;
                    let answer_path = child(&item_path, &given.key);
                    let source = AnswerSource::of(&given.value, &answer_path);
                    self.answer(given, &answer_path).map(|answer| (answer, source))
                });
            match answer {
                Some(answer) => answers.push(answer),
                None => complete = false,
            }
        }
        complete.then_some(answers)
    }

    /// The answer given by `entry` (`returns`, `error` or `script`).
    fn answer(&mut self, entry: &Entry, path: &str) -> Option<MockAnswer> {
        let node = &entry.value;
        match entry.key.as_str() {
            "returns" => match &node.kind {
                // `returns:` with nothing after it answers an empty response.
                NodeKind::Null => {
                    Some(MockAnswer::Returns(Arc::new(Value::Object(serde_json::Map::new()))))
                }
                NodeKind::Map(_) => Some(MockAnswer::Returns(Arc::new(node.to_json()))),
                _ => {
                    self.invalid(
                        node.span,
                        path,
                        format!("must be a map (the API's response), found {}", node.type_name()),
                    );
                    None
                }
            },
            "error" => self.api_error(node, path).map(MockAnswer::Error),
            "script" => self.script(node, path, RULE_SCRIPT_VARIABLES).map(MockAnswer::Script),
            _ => None,
        }
    }

    /// An API error: `{code, message, status}`, or the text `Code: message` (or just `Code`).
    fn api_error(&mut self, node: &Node, path: &str) -> Option<ApiError> {
        if let Some(text) = node.as_str() {
            let (code, message) = text.split_once(": ").unwrap_or((text, ""));
            let code = code.trim();
            if code.is_empty() || code.contains(char::is_whitespace) {
                self.invalid(
                    node.span,
                    path,
                    "must start with an error code (`ThrottlingException: slow down`)",
                );
                return None;
            }
            return Some(ApiError::new(code, message.trim()));
        }
        let entries = self.map(node, path, "a map with `code`, `message` and `status`")?;
        self.check_keys(entries, path, ERROR_KEYS);
        let code = self.required_text(node, path, "code");
        let message = match node.get("message") {
            None => Some(String::new()),
            Some(message) => match message.as_str() {
                Some(text) => Some(text.to_string()),
                None => {
                    let found = message.type_name();
                    self.invalid(
                        message.span,
                        &child(path, "message"),
                        format!("must be a string, found {found}"),
                    );
                    None
                }
            },
        };
        let status = match node.get("status") {
            None => Some(None),
            Some(status) => match status.kind {
                NodeKind::Int(value) => match u16::try_from(value) {
                    Ok(value) if (100..=599).contains(&value) => Some(Some(value)),
                    _ => {
                        let status_path = child(path, "status");
                        self.invalid(
                            status.span,
                            &status_path,
                            format!("{value} is not an HTTP status (100 to 599)"),
                        );
                        None
                    }
                },
                _ => {
                    let found = status.type_name();
                    self.invalid(
                        status.span,
                        &child(path, "status"),
                        format!("must be an integer, found {found}"),
                    );
                    None
                }
            },
        };
        let mut error = ApiError::new(code?, message?);
        error.status = status?;
        Some(error)
    }

    /// A rhai script, compiled.
    fn script(&mut self, node: &Node, path: &str, variables: &[&str]) -> Option<MockScript> {
        let Some(source) = node.as_str() else {
            self.invalid(
                node.span,
                path,
                format!("must be a rhai script (a string), found {}", node.type_name()),
            );
            return None;
        };
        let layout = layout(node, source);
        match self.sandbox.compile(source, variables) {
            Ok(script) => Some(MockScript {
                source: source.to_string(),
                script,
                path: path.to_string(),
                origin: Arc::clone(&self.origin),
                span: node.span,
                layout,
            }),
            Err(error) => {
                let position = layout.position(node.span, error.line, error.column);
                self.problems.push(MockProblem {
                    span: Some(Span::at(position)),
                    path: path.to_string(),
                    kind: MockProblemKind::Script(error),
                });
                None
            }
        }
    }

    fn approval(&mut self, node: &Node, path: &str) -> Option<ApprovalStandIn> {
        if node.as_str().is_some() {
            let decision = self.decision(node, path)?;
            return Some(ApprovalStandIn {
                decision,
                approver: None,
                comment: None,
                span: node.span,
            });
        }
        let Some(entries) = node.as_map() else {
            self.invalid(
                node.span,
                path,
                format!(
                    "must be `Approve`, `Reject` or a map with `decision`, found {}",
                    node.type_name()
                ),
            );
            return None;
        };
        self.check_keys(entries, path, APPROVAL_KEYS);
        let decision = match node.get("decision") {
            Some(decision) => self.decision(decision, &child(path, "decision")),
            None => {
                self.invalid(node.span, path, "missing `decision` (`Approve` or `Reject`)");
                None
            }
        };
        let approver = self.optional_text(node, path, "approver");
        let comment = self.optional_text(node, path, "comment");
        Some(ApprovalStandIn { decision: decision?, approver, comment, span: node.span })
    }

    /// The text of `key` when it is there; a value that is not text is reported (and makes
    /// the whole file fail, so `None` is not taken for "absent" in the end).
    fn optional_text(&mut self, node: &Node, path: &str, key: &str) -> Option<String> {
        let value = node.get(key)?;
        self.text(value, &child(path, key))
    }

    fn decision(&mut self, node: &Node, path: &str) -> Option<ApprovalDecision> {
        match node.as_str() {
            Some("Approve") => Some(ApprovalDecision::Approve),
            Some("Reject") => Some(ApprovalDecision::Reject),
            Some(other) => {
                let hint = closest(other, DECISIONS.iter().copied())
                    .map(|meant| format!("; did you mean `{meant}`?"))
                    .unwrap_or_default();
                self.invalid(
                    node.span,
                    path,
                    format!("must be `Approve` or `Reject`, found `{other}`{hint}"),
                );
                None
            }
            None => {
                let found = node.type_name();
                self.invalid(
                    node.span,
                    path,
                    format!("must be `Approve` or `Reject`, found {found}"),
                );
                None
            }
        }
    }

    fn stand_in(&mut self, node: &Node, path: &str, step: &str) -> Option<ScriptStandIn> {
        let entries = self.map(node, path, "a map with `returns`, `rhai` or `error`")?;
        self.check_keys(entries, path, STAND_IN_KEYS);
        let given = self.one_of(node, entries, path, STAND_IN_KEYS)?;
        let given_path = child(path, &given.key);
        let result = match given.key.as_str() {
            "returns" => StandInResult::Returns(given.value.to_json()),
            "rhai" => {
                StandInResult::Rhai(self.script(&given.value, &given_path, STAND_IN_VARIABLES)?)
            }
            _ => StandInResult::Error(self.text(&given.value, &given_path)?),
        };
        Some(ScriptStandIn { step: step.to_string(), result, span: node.span })
    }
}

/// How the text of `node` sits in the file. Block scalars start their span at the first
/// character of the text; quoted scalars at the quote.
fn layout(node: &Node, text: &str) -> ScriptLayout {
    let span = node.span;
    let width = span.end.column.saturating_sub(span.start.column) as usize;
    if span.start.line == span.end.line && !text.contains('\n') {
        let offset = u32::from(width != text.chars().count());
        ScriptLayout::Inline { offset }
    } else if span.start.line < span.end.line {
        ScriptLayout::Block
    } else {
        ScriptLayout::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written schema and the parser must accept the same keys.
    #[test]
    fn the_schema_names_the_keys_the_parser_accepts() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../schemas/mock-file.schema.json"))
                .expect("the schema is JSON");
        let keys = |pointer: &str| -> Vec<String> {
            let properties = schema.pointer(pointer).and_then(Value::as_object);
            properties.expect(pointer).keys().cloned().collect()
        };
        let expected =
            |keys: &[&str]| -> Vec<String> { keys.iter().map(|key| (*key).to_string()).collect() };
        assert_eq!(keys("/properties"), expected(FILE_KEYS));
        assert_eq!(keys("/$defs/rule/properties"), expected(RULE_KEYS));
        assert_eq!(keys("/$defs/sequenceItem/properties"), expected(SEQUENCE_ITEM_KEYS));
        assert_eq!(keys("/$defs/apiError/oneOf/1/properties"), expected(ERROR_KEYS));
        assert_eq!(keys("/$defs/approval/oneOf/1/properties"), expected(APPROVAL_KEYS));
        assert_eq!(keys("/$defs/scriptStandIn/properties"), expected(STAND_IN_KEYS));
        assert_eq!(schema.pointer("/$defs/decision/enum"), Some(&serde_json::json!(DECISIONS)));
        let answers: Vec<Value> =
            RULE_ANSWER_KEYS.iter().map(|key| serde_json::json!({"required": [key]})).collect();
        assert_eq!(schema.pointer("/$defs/rule/oneOf"), Some(&Value::Array(answers)));
    }

    #[test]
    fn layouts_are_told_apart() {
        let node = |text: &str| {
            let tree = runbook_engine::syntax::parse_yaml(text).expect("yaml");
            tree.get("s").cloned().expect("s")
        };
        let plain = node("s: a + b\n");
        assert_eq!(layout(&plain, "a + b"), ScriptLayout::Inline { offset: 0 });
        let quoted = node("s: 'a + b'\n");
        assert_eq!(layout(&quoted, "a + b"), ScriptLayout::Inline { offset: 1 });
        let block = node("s: |\n  a\n  b\n");
        assert_eq!(layout(&block, "a\nb\n"), ScriptLayout::Block);
        let escaped = runbook_engine::syntax::parse_json(r#"{"s": "a\nb"}"#).expect("json");
        let escaped = escaped.get("s").expect("s");
        assert_eq!(layout(escaped, "a\nb"), ScriptLayout::Unknown);
    }
}
