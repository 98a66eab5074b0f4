//! Builds a [`Document`] from the syntax tree.
//!
//! The service is lenient in ways real runbooks rely on (`isCritical: "false"`,
//! `timeoutSeconds: "600"`), so scalar fields accept their string spellings. Fields of the wrong
//! shape are left out and recorded as [`SHAPE`] problems.

use std::path::Path;

use super::{
    BranchInputs, Choice, Condition, Document, FileAttachment, LoadError, LoadErrorKind,
    LoopInputs, OnCancel, OnFailure, Operator, OutputDecl, Parameter, ParameterType, Source,
    Spanned, Step, Variable, error::NotAutomation,
};
use crate::catalog::ValueType;
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::syntax::{Entry, Node, NodeKind, Span, parse_json, parse_yaml, push_key};

/// A field that has the wrong type or shape, or is not a field the format has.
pub const SHAPE: Code = Code { id: "RB002", name: "invalid-field" };

/// A parameter, variable or output `type` that is not one of the service's types.
pub const UNKNOWN_TYPE: Code = Code { id: "RB017", name: "unknown-type" };

/// Top-level keys of Change Manager templates, which are Automation documents too.
const CHANGE_TEMPLATE_KEYS: &[&str] =
    &["templateInformation", "executableRunBooks", "emergencyChange", "autoApprovable"];

const TOP_LEVEL_KEYS: &[&str] = &[
    "schemaVersion",
    "description",
    "assumeRole",
    "parameters",
    "variables",
    "mainSteps",
    "outputs",
    "files",
];

const STEP_KEYS: &[&str] = &[
    "name",
    "action",
    "inputs",
    "description",
    "maxAttempts",
    "timeoutSeconds",
    "onFailure",
    "onCancel",
    "isEnd",
    "nextStep",
    "isCritical",
    "outputs",
];

const PARAMETER_KEYS: &[&str] = &[
    "type",
    "description",
    "default",
    "allowedValues",
    "allowedPattern",
    "displayType",
    "minItems",
    "maxItems",
    "minChars",
    "maxChars",
    "interpolationType",
];

pub(super) fn build(source: Source) -> Result<Document, LoadError> {
    let path = source.path.clone();
    let parsed = match source.format {
        super::Format::Yaml => parse_yaml(&source.text),
        super::Format::Json => parse_json(&source.text),
    };
    let root = parsed
        .map_err(|error| LoadError::at(&path, error.span, LoadErrorKind::Syntax(error.message)))?;
    let Some(entries) = root.as_map() else {
        return Err(shape_error(&path, "the document", "a map", &root));
    };

    let schema_version = schema_version(&path, &root)?;
    let mut builder = Builder::default();
    let mut document = Document {
        source,
        schema_version: Some(schema_version),
        description: None,
        assume_role: None,
        parameters: Vec::new(),
        variables: Vec::new(),
        steps: Vec::new(),
        outputs: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
        root: Node::new(NodeKind::Null, Span::default()),
    };

    let mut main_steps = None;
    for entry in entries {
        let value = &entry.value;
        match entry.key.as_str() {
            "schemaVersion" => {}
            "description" if matches!(value.kind, NodeKind::Null) => {}
            "description" => document.description = builder.text(value, "description", None),
            "assumeRole" => document.assume_role = builder.text(value, "assumeRole", None),
            "parameters" => {
                let map = top_level_map(&path, "parameters", value)?;
                document.parameters = map.iter().map(|entry| builder.parameter(entry)).collect();
            }
            "variables" => {
                let map = top_level_map(&path, "variables", value)?;
                document.variables = map.iter().map(|entry| builder.variable(entry)).collect();
            }
            "mainSteps" => {
                let items = top_level_list(&path, "mainSteps", value)?;
                main_steps = Some(items);
            }
            "outputs" => {
                let items = top_level_list(&path, "outputs", value)?;
                document.outputs = items
                    .iter()
                    .enumerate()
                    .filter_map(|(index, item)| {
                        builder.text(item, &format!("outputs[{index}]"), None)
                    })
                    .collect();
            }
            "files" => {
                let map = top_level_map(&path, "files", value)?;
                document.files = map.iter().filter_map(|entry| builder.file(entry)).collect();
            }
            key if CHANGE_TEMPLATE_KEYS.contains(&key) => {}
            key => {
                let mut problem =
                    Diagnostic::error(SHAPE, format!("unknown top-level field `{key}`"))
                        .path(key)
                        .span(entry.key_span);
                if let Some(close) = closest(key, TOP_LEVEL_KEYS.iter().copied()) {
                    problem = problem.hint(format!("did you mean `{close}`?"));
                }
                builder.problems.push(problem);
            }
        }
    }
    let Some(main_steps) = main_steps else {
        return Err(LoadError::at(
            &path,
            root.span,
            LoadErrorKind::Shape {
                field: "mainSteps".into(),
                expected: "a list of steps",
                found: "nothing",
            },
        ));
    };
    document.steps = builder.steps(main_steps, "mainSteps");
    document.problems = builder.problems;
    document.root = root;
    Ok(document)
}

fn schema_version(path: &Path, root: &Node) -> Result<Spanned<String>, LoadError> {
    let Some(node) = root.get("schemaVersion") else {
        return Err(LoadError::at(
            path,
            root.span,
            LoadErrorKind::NotAutomation(NotAutomation { schema_version: None }),
        ));
    };
    let text = node.scalar_text().unwrap_or_default();
    if text == "0.3" {
        Ok(Spanned::new(text, node.span))
    } else {
        Err(LoadError::at(
            path,
            node.span,
            LoadErrorKind::NotAutomation(NotAutomation { schema_version: Some(text) }),
        ))
    }
}

fn shape_error(path: &Path, field: &str, expected: &'static str, node: &Node) -> LoadError {
    LoadError::at(
        path,
        node.span,
        LoadErrorKind::Shape { field: field.into(), expected, found: node.type_name() },
    )
}

/// A top-level map; `null` (a key with no value) counts as empty.
fn top_level_map<'a>(path: &Path, field: &str, node: &'a Node) -> Result<&'a [Entry], LoadError> {
    match &node.kind {
        NodeKind::Map(entries) => Ok(entries),
        NodeKind::Null => Ok(&[]),
        _ => Err(shape_error(path, field, "a map", node)),
    }
}

/// A top-level list; `null` counts as empty.
fn top_level_list<'a>(path: &Path, field: &str, node: &'a Node) -> Result<&'a [Node], LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => Ok(items),
        NodeKind::Null => Ok(&[]),
        _ => Err(shape_error(path, field, "a list", node)),
    }
}

#[derive(Default)]
struct Builder {
    problems: Vec<Diagnostic>,
}

impl Builder {
    fn problem(&mut self, node: &Node, path: &str, step: Option<&str>, message: String) {
        let mut problem = Diagnostic::error(SHAPE, message).path(path).span(node.span);
        if let Some(step) = step {
            problem = problem.step(step);
        }
        self.problems.push(problem);
    }

    fn expected(&mut self, node: &Node, path: &str, step: Option<&str>, expected: &str) {
        let field = path.rsplit('.').next().unwrap_or(path);
        let message = format!("`{field}` must be {expected}, found {}", node.type_name());
        self.problem(node, path, step, message);
    }

    /// A scalar read as text (numbers and booleans as written).
    fn text(&mut self, node: &Node, path: &str, step: Option<&str>) -> Option<Spanned<String>> {
        match node.scalar_text() {
            Some(text) => Some(Spanned::new(text, node.span)),
            None => {
                self.expected(node, path, step, "text");
                None
            }
        }
    }

    /// A boolean, or the strings `true`/`false` in any case, as the service accepts.
    fn boolean(&mut self, node: &Node, path: &str, step: Option<&str>) -> Option<Spanned<bool>> {
        let value = match &node.kind {
            NodeKind::Bool(value) => Some(*value),
            NodeKind::Str(text) if text.eq_ignore_ascii_case("true") => Some(true),
            NodeKind::Str(text) if text.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        };
        if value.is_none() {
            self.expected(node, path, step, "true or false");
        }
        value.map(|value| Spanned::new(value, node.span))
    }

    /// A non-negative whole number, or its digits as a string.
    fn unsigned(&mut self, node: &Node, path: &str, step: Option<&str>) -> Option<Spanned<u64>> {
        let value = match &node.kind {
            NodeKind::Int(value) => u64::try_from(*value).ok(),
            NodeKind::Str(text) => text.trim().parse().ok(),
            _ => None,
        };
        match (&node.kind, value) {
            // "found an integer" would leave the reader wondering what is wrong with it.
            (NodeKind::Int(negative), None) => {
                let field = path.rsplit('.').next().unwrap_or(path);
                let message = format!(
                    "`{field}` must be a non-negative whole number, found {negative}, which is negative"
                );
                self.problem(node, path, step, message);
            }
            (_, None) => self.expected(node, path, step, "a non-negative whole number"),
            (_, Some(_)) => {}
        }
        value.map(|value| Spanned::new(value, node.span))
    }

    fn map<'a>(&mut self, node: &'a Node, path: &str, step: Option<&str>) -> Option<&'a [Entry]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            NodeKind::Null => Some(&[]),
            _ => {
                self.expected(node, path, step, "a map");
                None
            }
        }
    }

    fn list<'a>(&mut self, node: &'a Node, path: &str, step: Option<&str>) -> Option<&'a [Node]> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items),
            NodeKind::Null => Some(&[]),
            _ => {
                self.expected(node, path, step, "a list");
                None
            }
        }
    }

    fn unknown_key(&mut self, entry: &Entry, path: &str, step: Option<&str>, known: &[&str]) {
        let mut problem = Diagnostic::error(SHAPE, format!("unknown field `{}`", entry.key))
            .path(path)
            .span(entry.key_span);
        if let Some(step) = step {
            problem = problem.step(step);
        }
        if let Some(close) = closest(&entry.key, known.iter().copied()) {
            problem = problem.hint(format!("did you mean `{close}`?"));
        }
        self.problems.push(problem);
    }

    fn parameter(&mut self, entry: &Entry) -> Parameter {
        let base = format!("parameters.{}", entry.key);
        let mut parameter = Parameter {
            name: Spanned::new(entry.key.clone(), entry.key_span),
            span: entry.value.span,
            ty: None,
            description: None,
            default: None,
            allowed_values: None,
            allowed_pattern: None,
            display_type: None,
            min_items: None,
            max_items: None,
            min_chars: None,
            max_chars: None,
        };
        let Some(fields) = self.map(&entry.value, &base, None) else { return parameter };
        let mut saw_type = false;
        for field in fields {
            let path = format!("{base}.{}", field.key);
            let value = &field.value;
            match field.key.as_str() {
                "type" => {
                    saw_type = true;
                    let Some(text) = self.text(value, &path, None) else { continue };
                    match ParameterType::parse(&text.value) {
                        Some(ty) => parameter.ty = Some(Spanned::new(ty, text.span)),
                        None => {
                            let names = ValueType::ALL.iter().map(|ty| ty.as_str()).chain([
                                "AWS::EC2::Instance::Id",
                                "AWS::S3::Bucket::Name",
                                "AWS::IAM::Role::Arn",
                            ]);
                            let mut problem = Diagnostic::error(
                                UNKNOWN_TYPE,
                                format!("unknown parameter type `{}`", text.value),
                            )
                            .path(path)
                            .span(text.span);
                            if let Some(close) = closest(&text.value, names) {
                                problem = problem.hint(format!("did you mean `{close}`?"));
                            }
                            self.problems.push(problem);
                        }
                    }
                }
                "description" => parameter.description = self.text(value, &path, None),
                "default" => parameter.default = Some(value.clone()),
                "allowedValues" => {
                    if let Some(items) = self.list(value, &path, None) {
                        parameter.allowed_values = Some(Spanned::new(items.to_vec(), value.span));
                    }
                }
                "allowedPattern" => parameter.allowed_pattern = self.text(value, &path, None),
                "displayType" => parameter.display_type = self.text(value, &path, None),
                "minItems" => parameter.min_items = self.unsigned(value, &path, None),
                "maxItems" => parameter.max_items = self.unsigned(value, &path, None),
                "minChars" => parameter.min_chars = self.unsigned(value, &path, None),
                "maxChars" => parameter.max_chars = self.unsigned(value, &path, None),
                // Documented for Command documents only; accepted and ignored here.
                "interpolationType" => {}
                _ => self.unknown_key(field, &path, None, PARAMETER_KEYS),
            }
        }
        if !saw_type {
            let message = format!("parameter `{}` has no `type`", entry.key);
            self.problem(&entry.value, &base, None, message);
        }
        parameter
    }

    fn variable(&mut self, entry: &Entry) -> Variable {
        let base = format!("variables.{}", entry.key);
        let mut variable = Variable {
            name: Spanned::new(entry.key.clone(), entry.key_span),
            span: entry.value.span,
            ty: None,
            default: None,
            description: None,
        };
        let Some(fields) = self.map(&entry.value, &base, None) else { return variable };
        for field in fields {
            let path = format!("{base}.{}", field.key);
            match field.key.as_str() {
                "type" => variable.ty = self.value_type(&field.value, &path, None),
                "default" => variable.default = Some(field.value.clone()),
                "description" => variable.description = self.text(&field.value, &path, None),
                _ => self.unknown_key(field, &path, None, &["type", "default", "description"]),
            }
        }
        if variable.ty.is_none() && !fields.iter().any(|field| field.key == "type") {
            let message = format!("variable `{}` has no `type`", entry.key);
            self.problem(&entry.value, &base, None, message);
        }
        variable
    }

    fn value_type(
        &mut self,
        node: &Node,
        path: &str,
        step: Option<&str>,
    ) -> Option<Spanned<ValueType>> {
        let text = self.text(node, path, step)?;
        if let Some(ty) = ValueType::parse(&text.value) {
            return Some(Spanned::new(ty, text.span));
        }
        let mut problem = Diagnostic::error(UNKNOWN_TYPE, format!("unknown type `{}`", text.value))
            .path(path)
            .span(text.span)
            .hint(format!("the types are {}", ValueType::ALL.map(ValueType::as_str).join(", ")));
        if let Some(step) = step {
            problem = problem.step(step);
        }
        if let Some(close) = closest(&text.value, ValueType::ALL.map(ValueType::as_str)) {
            problem = problem.hint(format!("did you mean `{close}`?"));
        }
        self.problems.push(problem);
        None
    }

    fn file(&mut self, entry: &Entry) -> Option<FileAttachment> {
        let base = format!("files['{}']", entry.key);
        let fields = self.map(&entry.value, &base, None)?;
        let mut file = FileAttachment {
            name: Spanned::new(entry.key.clone(), entry.key_span),
            sha256: None,
            size: None,
        };
        for field in fields {
            let path = format!("{base}.{}", field.key);
            match field.key.as_str() {
                "checksums" => {
                    if let Some(sha) = field.value.get("sha256") {
                        file.sha256 = self.text(sha, &format!("{path}.sha256"), None);
                    }
                }
                "size" => file.size = self.unsigned(&field.value, &path, None),
                _ => self.unknown_key(field, &path, None, &["checksums", "size"]),
            }
        }
        Some(file)
    }

    fn steps(&mut self, items: &[Node], base: &str) -> Vec<Step> {
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| self.step(item, &format!("{base}[{index}]")))
            .collect()
    }

    fn step(&mut self, node: &Node, path: &str) -> Option<Step> {
        let Some(fields) = node.as_map() else {
            self.expected(node, path, None, "a step (a map)");
            return None;
        };
        let name = match node.get("name") {
            Some(value) => self.text(value, &format!("{path}.name"), None),
            None => {
                self.problem(node, path, None, "the step has no `name`".into());
                None
            }
        };
        let name = name.unwrap_or_else(|| Spanned::new(String::new(), node.span));
        let step_name = Some(name.value.as_str()).filter(|name| !name.is_empty());
        let action = match node.get("action") {
            Some(value) => self.text(value, &format!("{path}.action"), step_name),
            None => {
                let message = "the step has no `action`".to_string();
                self.problem(node, path, step_name, message);
                None
            }
        };
        let action = action.unwrap_or_else(|| Spanned::new(String::new(), node.span));
        let mut step = Step {
            name: name.clone(),
            action,
            span: node.span,
            path: path.to_string(),
            description: None,
            inputs: None,
            max_attempts: None,
            timeout_seconds: None,
            on_failure: None,
            on_cancel: None,
            is_end: None,
            next_step: None,
            is_critical: None,
            outputs: Vec::new(),
            branch_inputs: None,
            loop_inputs: None,
        };
        for field in fields {
            let mut field_path = path.to_string();
            push_key(&mut field_path, &field.key);
            let value = &field.value;
            match field.key.as_str() {
                "name" | "action" => {}
                "inputs" => {
                    if self.map(value, &field_path, step_name).is_some() {
                        step.inputs = Some(value.clone());
                    }
                }
                "description" => step.description = self.text(value, &field_path, step_name),
                "maxAttempts" => {
                    step.max_attempts = self
                        .unsigned(value, &field_path, step_name)
                        .map(|n| Spanned::new(u32::try_from(n.value).unwrap_or(u32::MAX), n.span));
                }
                "timeoutSeconds" => {
                    step.timeout_seconds = self.unsigned(value, &field_path, step_name);
                }
                "onFailure" => step.on_failure = self.on_failure(value, &field_path, step_name),
                "onCancel" => step.on_cancel = self.on_cancel(value, &field_path, step_name),
                "isEnd" => step.is_end = self.boolean(value, &field_path, step_name),
                "nextStep" => step.next_step = self.text(value, &field_path, step_name),
                "isCritical" => step.is_critical = self.boolean(value, &field_path, step_name),
                "outputs" => step.outputs = self.outputs(value, &field_path, step_name),
                _ => self.unknown_key(field, &field_path, step_name, STEP_KEYS),
            }
        }
        if step.inputs.is_none() && node.get("inputs").is_none() {
            self.problem(node, path, step_name, "the step has no `inputs`".into());
        }
        if let Some(inputs) = &step.inputs {
            let inputs_path = format!("{path}.inputs");
            match step.action.value.as_str() {
                "aws:branch" => {
                    step.branch_inputs = Some(self.branch(inputs, &inputs_path, step_name));
                }
                "aws:loop" => {
                    step.loop_inputs = Some(self.loop_inputs(inputs, &inputs_path, step_name));
                }
                _ => {}
            }
        }
        Some(step)
    }

    fn on_failure(
        &mut self,
        node: &Node,
        path: &str,
        step: Option<&str>,
    ) -> Option<Spanned<OnFailure>> {
        let text = self.text(node, path, step)?;
        let value = match text.value.as_str() {
            "Abort" => OnFailure::Abort,
            "Continue" => OnFailure::Continue,
            other => match other.strip_prefix("step:") {
                Some(target) => OnFailure::Step(target.trim().to_string()),
                None => {
                    let message = format!(
                        "`onFailure` must be `Abort`, `Continue` or `step:<name>`, found `{other}`"
                    );
                    self.problem(node, path, step, message);
                    return None;
                }
            },
        };
        Some(Spanned::new(value, text.span))
    }

    fn on_cancel(
        &mut self,
        node: &Node,
        path: &str,
        step: Option<&str>,
    ) -> Option<Spanned<OnCancel>> {
        let text = self.text(node, path, step)?;
        let value = match text.value.as_str() {
            "Abort" => OnCancel::Abort,
            other => match other.strip_prefix("step:") {
                Some(target) => OnCancel::Step(target.trim().to_string()),
                None => {
                    let message =
                        format!("`onCancel` must be `Abort` or `step:<name>`, found `{other}`");
                    self.problem(node, path, step, message);
                    return None;
                }
            },
        };
        Some(Spanned::new(value, text.span))
    }

    fn outputs(&mut self, node: &Node, path: &str, step: Option<&str>) -> Vec<OutputDecl> {
        let Some(items) = self.list(node, path, step) else { return Vec::new() };
        let mut outputs = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            let Some(fields) = self.map(item, &item_path, step) else { continue };
            let (mut name, mut selector, mut ty) = (None, None, None);
            for field in fields {
                let field_path = format!("{item_path}.{}", field.key);
                match field.key.as_str() {
                    "Name" => name = self.text(&field.value, &field_path, step),
                    "Selector" => selector = self.text(&field.value, &field_path, step),
                    "Type" => ty = self.value_type(&field.value, &field_path, step),
                    _ => self.unknown_key(field, &field_path, step, &["Name", "Selector", "Type"]),
                }
            }
            match (name, selector) {
                (Some(name), Some(selector)) => {
                    outputs.push(OutputDecl { name, selector, ty, span: item.span });
                }
                (name, _) => {
                    let missing = if name.is_none() { "Name" } else { "Selector" };
                    self.problem(item, &item_path, step, format!("the output has no `{missing}`"));
                }
            }
        }
        outputs
    }

    fn branch(&mut self, inputs: &Node, path: &str, step: Option<&str>) -> BranchInputs {
        let mut branch = BranchInputs { choices: Vec::new(), default: None };
        if let Some(default) = inputs.get("Default") {
            branch.default = self.text(default, &format!("{path}.Default"), step);
        }
        let Some(choices) = inputs.get("Choices") else { return branch };
        let choices_path = format!("{path}.Choices");
        let Some(items) = self.list(choices, &choices_path, step) else { return branch };
        for (index, item) in items.iter().enumerate() {
            let choice_path = format!("{choices_path}[{index}]");
            let next_step = match item.get("NextStep") {
                Some(node) => self.text(node, &format!("{choice_path}.NextStep"), step),
                None => {
                    self.problem(item, &choice_path, step, "the choice has no `NextStep`".into());
                    None
                }
            };
            let condition = self.condition(item, &choice_path, step, &["NextStep"]);
            branch.choices.push(Choice {
                next_step,
                condition,
                span: item.span,
                path: choice_path,
            });
        }
        branch
    }

    /// Reads a condition from the keys of `node`, apart from `skip` (a choice's `NextStep`).
    fn condition(
        &mut self,
        node: &Node,
        path: &str,
        step: Option<&str>,
        skip: &[&str],
    ) -> Condition {
        let Some(fields) = self.map(node, path, step) else { return Condition::Invalid };
        let fields: Vec<&Entry> =
            fields.iter().filter(|f| !skip.contains(&f.key.as_str())).collect();
        let logical: Vec<&&Entry> =
            fields.iter().filter(|f| matches!(f.key.as_str(), "And" | "Or" | "Not")).collect();
        if let Some(first) = logical.first() {
            if fields.len() > 1 {
                let message = format!(
                    "`{}` must be the only key of its condition, found {} keys",
                    first.key,
                    fields.len()
                );
                self.problem(node, path, step, message);
                return Condition::Invalid;
            }
            let inner_path = format!("{path}.{}", first.key);
            if first.key == "Not" {
                return Condition::Not(Box::new(self.condition(
                    &first.value,
                    &inner_path,
                    step,
                    &[],
                )));
            }
            let Some(items) = self.list(&first.value, &inner_path, step) else {
                return Condition::Invalid;
            };
            let conditions = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    self.condition(item, &format!("{inner_path}[{index}]"), step, &[])
                })
                .collect();
            return if first.key == "And" {
                Condition::And(conditions)
            } else {
                Condition::Or(conditions)
            };
        }

        let mut variable = None;
        let mut operator = None;
        for field in &fields {
            let field_path = format!("{path}.{}", field.key);
            if field.key == "Variable" {
                variable = Some(field.value.clone());
            } else if let Some(op) = Operator::parse(&field.key) {
                if operator.is_some() {
                    let message = "a condition compares with one operator, found two".to_string();
                    self.problem(&field.value, &field_path, step, message);
                    return Condition::Invalid;
                }
                operator = Some((Spanned::new(op, field.key_span), field.value.clone()));
            } else {
                let known = Operator::ALL.map(Operator::as_str);
                let mut problem =
                    Diagnostic::error(SHAPE, format!("unknown condition operator `{}`", field.key))
                        .path(field_path)
                        .span(field.key_span);
                if let Some(step) = step {
                    problem = problem.step(step);
                }
                let candidates = known.iter().copied().chain(["Variable", "And", "Or", "Not"]);
                if let Some(close) = closest(&field.key, candidates) {
                    problem = problem.hint(format!("did you mean `{close}`?"));
                }
                self.problems.push(problem);
                return Condition::Invalid;
            }
        }
        match (variable, operator) {
            (Some(variable), Some((operator, value))) => {
                Condition::Compare { variable, operator, value }
            }
            (None, _) => {
                self.problem(node, path, step, "the condition has no `Variable`".into());
                Condition::Invalid
            }
            (Some(_), None) => {
                let message = "the condition has no operator (such as `StringEquals`)".to_string();
                self.problem(node, path, step, message);
                Condition::Invalid
            }
        }
    }

    fn loop_inputs(&mut self, inputs: &Node, path: &str, step: Option<&str>) -> LoopInputs {
        let steps = match inputs.get("Steps") {
            Some(node) => {
                let steps_path = format!("{path}.Steps");
                match self.list(node, &steps_path, step) {
                    Some(items) => self.steps(items, &steps_path),
                    None => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        let iterator_data_type = inputs
            .get("IteratorDataType")
            .and_then(|node| self.text(node, &format!("{path}.IteratorDataType"), step));
        let loop_condition = inputs
            .get("LoopCondition")
            .map(|node| self.condition(node, &format!("{path}.LoopCondition"), step, &[]));
        LoopInputs {
            steps,
            iterators: inputs.get("Iterators").cloned(),
            iterator_data_type,
            loop_condition,
            max_iterations: inputs.get("MaxIterations").cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Format;
    use super::*;

    fn load(text: &str) -> Result<Document, LoadError> {
        Document::parse("test.yaml", text.to_string(), Format::Yaml)
    }

    #[test]
    fn reads_steps_with_lenient_scalars() {
        let doc = load(
            "schemaVersion: '0.3'\nmainSteps:\n- name: a\n  action: aws:sleep\n  isCritical: 'false'\n  timeoutSeconds: '600'\n  onFailure: step:b\n  inputs: {Duration: PT1S}\n- name: b\n  action: aws:pause\n  inputs: {}\n",
        )
        .unwrap();
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let step = &doc.steps[0];
        assert!(!step.is_critical.as_ref().unwrap().value);
        assert_eq!(step.timeout_seconds.as_ref().unwrap().value, 600);
        assert_eq!(step.on_failure.as_ref().unwrap().value, OnFailure::Step("b".into()));
        assert_eq!(step.path, "mainSteps[0]");
    }

    #[test]
    fn is_critical_defaults_follow_on_failure() {
        let doc = load(
            "schemaVersion: '0.3'\nmainSteps:\n- {name: a, action: aws:sleep, onFailure: Continue, inputs: {}}\n- {name: b, action: aws:sleep, onFailure: 'step:a', inputs: {}}\n",
        )
        .unwrap();
        assert!(!doc.steps[0].is_critical());
        assert!(doc.steps[1].is_critical());
    }

    #[test]
    fn command_documents_are_refused_with_what_they_are() {
        let error = load("schemaVersion: '2.2'\nmainSteps: []\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "test.yaml:1:16: schemaVersion '2.2' is a Command document; only Automation runbooks (schemaVersion '0.3') run here"
        );
    }

    #[test]
    fn wrong_top_level_types_are_load_errors() {
        let error = load("schemaVersion: '0.3'\nmainSteps: hello\n").unwrap_err();
        assert_eq!(error.to_string(), "test.yaml:2:12: `mainSteps` must be a list, found a string");
        let error = load("schemaVersion: '0.3'\nparameters: [1]\nmainSteps: []\n").unwrap_err();
        assert_eq!(error.to_string(), "test.yaml:2:13: `parameters` must be a map, found a list");
        let error = load("- 1\n").unwrap_err();
        assert!(error.to_string().contains("the document` must be a map"), "{error}");
    }

    #[test]
    fn shape_problems_are_kept_as_diagnostics() {
        let doc = load(
            "schemaVersion: '0.3'\nmainSteps:\n- name: a\n  action: aws:sleep\n  isEnd: maybe\n  inputz: {}\n",
        )
        .unwrap();
        let messages: Vec<_> = doc.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`isEnd` must be true or false, found a string",
                "unknown field `inputz`",
                "the step has no `inputs`"
            ]
        );
        assert_eq!(doc.problems[1].hint.as_deref(), Some("did you mean `inputs`?"));
        assert_eq!(doc.problems[0].span.unwrap().start.line, 5);
    }

    #[test]
    fn branch_choices_become_conditions() {
        let doc = load(
            "schemaVersion: '0.3'\nmainSteps:\n- name: b\n  action: aws:branch\n  inputs:\n    Choices:\n    - NextStep: x\n      And:\n      - {Variable: '{{ A }}', StringEquals: a}\n      - Not: {Variable: '{{ B }}', BooleanEquals: true}\n    Default: y\n",
        )
        .unwrap();
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let branch = doc.steps[0].branch_inputs.as_ref().unwrap();
        assert_eq!(branch.default.as_ref().unwrap().value, "y");
        let Condition::And(parts) = &branch.choices[0].condition else { panic!("not And") };
        assert!(matches!(parts[1], Condition::Not(_)));
    }

    #[test]
    fn loop_steps_are_steps_with_their_own_paths() {
        let doc = load(
            "schemaVersion: '0.3'\nmainSteps:\n- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 2\n    Steps:\n    - {name: inner, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        )
        .unwrap();
        let names: Vec<_> = doc.all_steps().iter().map(|s| s.name.value.as_str()).collect();
        assert_eq!(names, ["l", "inner"]);
        assert_eq!(doc.step("inner").unwrap().path, "mainSteps[0].inputs.Steps[0]");
    }
}
