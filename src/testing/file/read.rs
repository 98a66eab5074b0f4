//! Reading a test file's syntax tree into its types: every key checked against the keys its
//! place allows, every value against its type, each error located at its key or value.

use super::{
    Arc, Cancel, CaseContext, Duration, Entry, Expect, ExpectedCall, ExpectedWarning, Fleet,
    IndexMap, Located, Locations, MockFile, Node, NodeKind, Path, Span, Status, StepExpect,
    TestCase, TestFileError, Value, closest, parse_time_limit, push_key,
};

pub(super) const FILE_KEYS: &[&str] = &["runbook", "documents", "timeLimit", "cases"];
pub(super) const CASE_KEYS: &[&str] = &[
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
pub(super) const CONTEXT_KEYS: &[&str] = &["accountId", "region", "startTime"];
pub(super) const CANCEL_KEYS: &[&str] = &["atStep", "after"];
pub(super) const EXPECT_KEYS: &[&str] = &[
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
pub(super) const CHILD_KEYS: &[&str] = match EXPECT_KEYS {
    [_refused, rest @ ..] => rest,
    [] => &[],
};
pub(super) const STEP_KEYS: &[&str] = &[
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
pub(super) const WARNING_KEYS: &[&str] = &["step", "reference", "message"];
pub(super) const FLEET_KEYS: &[&str] =
    &["TargetParameterName", "Targets", "TargetMaps", "MaxConcurrency", "MaxErrors"];
pub(super) const FAILURE_STAGES: &[&str] =
    &["InputValidation", "PreVerification", "Invocation", "PostVerification"];
pub(super) const CALL_KEYS: &[&str] = &["service", "api", "params", "step", "account", "region"];

pub(super) struct Reader<'a> {
    pub(super) path: &'a Path,
}

impl Reader<'_> {
    pub(super) fn error(&self, span: Span, message: String) -> TestFileError {
        TestFileError { path: self.path.to_path_buf(), span: Some(span), message }
    }

    pub(super) fn map<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Entry], TestFileError> {
        match &node.kind {
            NodeKind::Map(entries) => Ok(entries),
            NodeKind::Null => Ok(&[]),
            _ => {
                Err(self
                    .error(node.span, format!("{what} must be a map, found {}", node.type_name())))
            }
        }
    }

    pub(super) fn list<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], TestFileError> {
        match &node.kind {
            NodeKind::Seq(items) => Ok(items),
            NodeKind::Null => Ok(&[]),
            _ => Err(self
                .error(node.span, format!("`{what}` must be a list, found {}", node.type_name()))),
        }
    }

    pub(super) fn text(&self, node: &Node, what: &str) -> Result<String, TestFileError> {
        node.scalar_text().ok_or_else(|| {
            self.error(node.span, format!("`{what}` must be text, found {}", node.type_name()))
        })
    }

    pub(super) fn known_keys(
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

    pub(super) fn status(&self, node: &Node, what: &str) -> Result<Located<Status>, TestFileError> {
        let text = self.text(node, what)?;
        let status = Status::parse(&text).ok_or_else(|| {
            self.error(
                node.span,
                format!("`{what}`: `{text}` is not a status (Success, Failed, TimedOut, Cancelled, Pending, Exited, ...)"),
            )
        })?;
        Ok(Located { value: status, span: node.span })
    }

    pub(super) fn case(
        &self,
        node: &Node,
        path: &str,
        folder: &Path,
    ) -> Result<TestCase, TestFileError> {
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

    pub(super) fn fleet(&self, node: &Node, path: &str) -> Result<Located<Fleet>, TestFileError> {
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

    pub(super) fn count(&self, node: &Node, what: &str) -> Result<Located<u64>, TestFileError> {
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

    pub(super) fn values(
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
    pub(super) fn step(
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

    pub(super) fn warnings(
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

    pub(super) fn time_limit(
        &self,
        node: &Node,
        path: &str,
    ) -> Result<Located<Duration>, TestFileError> {
        let text = self.text(node, path)?;
        let limit = parse_time_limit(&text)
            .map_err(|message| self.error(node.span, format!("`{path}`: {message}")))?;
        Ok(Located { value: limit, span: node.span })
    }

    pub(super) fn cancel(&self, node: &Node, path: &str) -> Result<Located<Cancel>, TestFileError> {
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

    pub(super) fn context(&self, node: &Node, path: &str) -> Result<CaseContext, TestFileError> {
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

    pub(super) fn expect(
        &self,
        node: &Node,
        path: &str,
        keys: &[&str],
    ) -> Result<Expect, TestFileError> {
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
