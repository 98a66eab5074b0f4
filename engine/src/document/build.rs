//! Builds a [`Document`] from the syntax tree.
//!
//! The service is lenient in ways real runbooks rely on (`isCritical: "false"`,
//! `timeoutSeconds: "600"`), so scalar fields accept their string spellings. Fields of the wrong
//! shape are left out and recorded as [`SHAPE`] problems.
//!
//! This module reads the top level; `scalars` reads fields, `declarations` parameters,
//! variables and files, `steps` the steps, `inputs` the branch and loop inputs.

mod declarations;
mod inputs;
mod scalars;
mod steps;

use std::fmt;
use std::path::Path;

use super::{Document, LoadError, LoadErrorKind, Source, Spanned, error::NotAutomation};
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
            "description" => {
                document.description = builder.text(value, At::Text("description"), None);
            }
            "assumeRole" => {
                document.assume_role = builder.text(value, At::Text("assumeRole"), None);
            }
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
                        builder.text(item, At::Index(&At::Text("outputs"), index), None)
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
    document.steps = builder.steps(main_steps, At::Text("mainSteps"));
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

/// A field's path from the document root (`mainSteps[2].inputs.Api`), written out only when a
/// problem names it or a step keeps it: most fields have no problem, and formatting every
/// field's path was a large part of reading a long runbook.
#[derive(Clone, Copy)]
enum At<'a> {
    /// A path written out already.
    Text(&'a str),
    /// `parent.key`, the key as it is.
    Dot(&'a At<'a>, &'a str),
    /// `parent.key`, or `parent['key']` when the key is not a plain name.
    Key(&'a At<'a>, &'a str),
    /// `parent[index]`.
    Index(&'a At<'a>, usize),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            Self::Dot(parent, key) => write!(f, "{parent}.{key}"),
            Self::Key(parent, key) => {
                let mut path = parent.to_string();
                push_key(&mut path, key);
                f.write_str(&path)
            }
            Self::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Condition, Format, OnFailure};
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
