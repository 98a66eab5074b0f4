//! The test file format (`NAME.test.yaml`): which runbook, and cases that each give parameters,
//! a context, mocks and what to expect. Every key and value keeps its position, so that a
//! failing expectation points at its line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_aws::mock::MockFile;
use runbook_engine::diagnostic::closest;
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
    /// Where `aws:executeAutomation` finds child runbooks.
    pub documents: Vec<PathBuf>,
    /// Its cases, in order.
    pub cases: Vec<TestCase>,
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
    /// `expect`.
    pub expect: Expect,
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

/// What a case expects; every part is optional.
#[derive(Debug, Default)]
pub struct Expect {
    /// `status` (Success when nothing is expected).
    pub status: Option<Located<Status>>,
    /// `path`: the steps in the order they ran.
    pub path: Option<Located<Vec<String>>>,
    /// `steps`: the status of each named step.
    pub steps: Vec<(String, Located<Status>)>,
    /// `outputs`: step outputs (`step.Output`) and document outputs.
    pub outputs: Vec<(String, Located<Value>)>,
    /// `failureMessage`: text the run's failure message contains.
    pub failure_message: Option<Located<String>>,
    /// `calls`: calls that must be made, in this order (others may come between).
    pub calls: Vec<Located<ExpectedCall>>,
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

const FILE_KEYS: &[&str] = &["runbook", "documents", "cases"];
const CASE_KEYS: &[&str] = &["name", "parameters", "context", "mocks", "mocksFile", "expect"];
const CONTEXT_KEYS: &[&str] = &["accountId", "region", "startTime"];
const EXPECT_KEYS: &[&str] = &["status", "path", "steps", "outputs", "failureMessage", "calls"];
const CALL_KEYS: &[&str] = &["service", "api", "params"];

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
        let documents = match root.get("documents") {
            Some(node) => vec![folder.join(reader.text(node, "documents")?)],
            None => Vec::new(),
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
        Ok(Self { path: path.to_path_buf(), runbook, documents, cases })
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
        let expect = match node.get("expect") {
            Some(expect) => self.expect(expect, &format!("{path}.expect"))?,
            None => Expect::default(),
        };
        Ok(TestCase { name, span: node.span, parameters, context, mocks, expect })
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
                runbook_engine::duration::parse_timestamp(&text).map_err(|message| {
                    self.error(start.span, format!("`{path}.startTime`: {message}"))
                })?;
        }
        Ok(context)
    }

    fn expect(&self, node: &Node, path: &str) -> Result<Expect, TestFileError> {
        let entries = self.map(node, &format!("`{path}`"))?;
        self.known_keys(entries, EXPECT_KEYS, path)?;
        let mut expect = Expect::default();
        for entry in entries {
            let value = &entry.value;
            let field = format!("{path}.{}", entry.key);
            match entry.key.as_str() {
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
                        let status = self.status(&step.value, &format!("{field}.{}", step.key))?;
                        expect.steps.push((step.key.clone(), status));
                    }
                }
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
                        let expected = ExpectedCall {
                            service: get("service")?,
                            api: get("api")?,
                            params: call.get("params").map(Node::to_json),
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
