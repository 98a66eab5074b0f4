//! The typed runbook: a schema 0.3 document read from YAML or JSON, every field with its
//! source span.
//!
//! Loading fails only when the text cannot be a runbook at all (I/O, syntax, duplicate keys,
//! top-level fields of the wrong type, another schema version). Everything else that is wrong
//! with the shape of a step or parameter is kept as data: the field is left out of the model and
//! a diagnostic goes to [`Document::problems`], so that the validator can report every problem at
//! once.

mod build;
mod error;
mod jumps;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// ISO 8601 durations (`PT10M`) and timestamps, as `aws:sleep` reads them.
pub use crate::duration::{parse_duration, parse_timestamp};
pub use build::{SHAPE, UNKNOWN_TYPE};
pub use error::{LoadError, LoadErrorKind};
pub use jumps::{Jump, JumpKind, Jumps};

use crate::catalog::{self, ActionSpec, ValueType};
use crate::diagnostic::Diagnostic;
use crate::syntax::{LineIndex, Node, NodeKind, Span};

/// A value with the span of its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// `value` written at `span`.
    pub const fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

/// The text format of a runbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The format a file name implies: JSON for `.json`, YAML otherwise.
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|ext| ext.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Yaml,
        }
    }
}

/// The text a document was read from.
#[derive(Debug)]
pub struct Source {
    /// The file's path, as given.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    /// Its format.
    pub format: Format,
    /// Where each line starts, found the first time a message quotes a line: most loads quote
    /// none, and on a long runbook the index is one more pass over every byte.
    lines: OnceLock<LineIndex>,
    /// The hash of the text that execution ids start from, found once.
    hash: OnceLock<u64>,
}

impl Source {
    /// Wraps `text` read from `path`.
    pub fn new(path: impl Into<PathBuf>, text: String, format: Format) -> Self {
        Self { path: path.into(), text, format, lines: OnceLock::new(), hash: OnceLock::new() }
    }

    /// The hash of the text that a run's execution ids follow from
    /// ([`IdGenerator::for_source`](crate::execute::IdGenerator::for_source)). Found once; a
    /// loader with a thread to spare finds it while the document is validated, as on a long
    /// runbook it is a pass over every byte whose steps cannot overlap.
    pub fn text_hash(&self) -> u64 {
        *self.hash.get_or_init(|| crate::execute::text_hash(&self.text))
    }

    /// The text of the 1-based `line`.
    pub fn line(&self, line: u32) -> Option<&str> {
        self.lines.get_or_init(|| LineIndex::new(&self.text)).line_text(&self.text, line)
    }
}

/// A runbook.
#[derive(Debug)]
pub struct Document {
    /// The text it was read from.
    pub source: Source,
    /// The whole tree, as written.
    pub root: Node,
    /// `schemaVersion`, as written (always `0.3` once loaded).
    pub schema_version: Option<Spanned<String>>,
    /// `description`.
    pub description: Option<Spanned<String>>,
    /// `assumeRole`: an ARN or a `{{ Parameter }}` reference.
    pub assume_role: Option<Spanned<String>>,
    /// `parameters`, in source order.
    pub parameters: Vec<Parameter>,
    /// `variables`, in source order.
    pub variables: Vec<Variable>,
    /// `mainSteps`, in source order.
    pub steps: Vec<Step>,
    /// `outputs`: `step.Output` names exposed by the run.
    pub outputs: Vec<Spanned<String>>,
    /// `files`: script attachments.
    pub files: Vec<FileAttachment>,
    /// Problems with the shape of fields found while reading the document.
    pub problems: Vec<Diagnostic>,
}

impl Document {
    /// Reads and parses the runbook at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|error| LoadError::new(path, LoadErrorKind::Io(error)))?;
        Self::parse(path, text, Format::from_path(path))
    }

    /// Parses runbook `text`; `path` names it in messages.
    pub fn parse(
        path: impl Into<PathBuf>,
        text: String,
        format: Format,
    ) -> Result<Self, LoadError> {
        build::build(Source::new(path, text, format))
    }

    /// Frees the syntax tree, which only validation reads, keeping the typed fields and the
    /// source: a run needs no more, and on a long runbook the tree is its largest part.
    pub fn release_tree(&mut self) {
        self.root = Node::new(NodeKind::Null, Span::at(self.root.span.start));
    }

    /// The parameter named `name`.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|parameter| parameter.name.value == name)
    }

    /// The variable named `name`.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|variable| variable.name.value == name)
    }

    /// Every step, nested loop steps included, in source order (a loop before its body).
    pub fn all_steps(&self) -> Vec<&Step> {
        fn collect<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
            for step in steps {
                out.push(step);
                if let Some(body) = &step.loop_inputs {
                    collect(&body.steps, out);
                }
            }
        }
        let mut out = Vec::new();
        collect(&self.steps, &mut out);
        out
    }

    /// The step named `name`, nested loop steps included.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.all_steps().into_iter().find(|step| step.name.value == name)
    }
}

/// The type of a runbook parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterType {
    /// One of the six base types.
    Value(ValueType),
    /// An `AWS::...` resource type, or `List<AWS::...>` when `list` is set.
    AwsResource {
        /// Which resource.
        resource: AwsResource,
        /// Whether it is the `List<...>` form.
        list: bool,
    },
}

impl ParameterType {
    /// Reads a type as runbooks spell it.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(ty) = ValueType::parse(text) {
            return Some(Self::Value(ty));
        }
        let (inner, list) = match text.strip_prefix("List<").and_then(|t| t.strip_suffix('>')) {
            Some(inner) => (inner, true),
            None => (text, false),
        };
        AwsResource::parse(inner).map(|resource| Self::AwsResource { resource, list })
    }

    /// The base type values of this parameter have: `AWS::X` is a `String`, `List<AWS::X>` a
    /// `StringList`.
    pub fn value_type(self) -> ValueType {
        match self {
            Self::Value(ty) => ty,
            Self::AwsResource { list: false, .. } => ValueType::String,
            Self::AwsResource { list: true, .. } => ValueType::StringList,
        }
    }
}

/// The `AWS::...` parameter types the service documents (SPEC 2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsResource {
    /// `AWS::EC2::Instance::Id`.
    Ec2InstanceId,
    /// `AWS::S3::Bucket::Name`.
    S3BucketName,
    /// `AWS::IAM::Role::Arn`.
    IamRoleArn,
}

impl AwsResource {
    /// Reads the type name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "AWS::EC2::Instance::Id" => Some(Self::Ec2InstanceId),
            "AWS::S3::Bucket::Name" => Some(Self::S3BucketName),
            "AWS::IAM::Role::Arn" => Some(Self::IamRoleArn),
            _ => None,
        }
    }

    /// The pattern the console uses to list such resources (SPEC 2.2).
    pub const fn pattern(self) -> &'static str {
        match self {
            Self::Ec2InstanceId => "^m?i-([a-z0-9]{8}|[a-z0-9]{17})$",
            Self::S3BucketName => r"^[0-9a-z][a-z0-9\-\.]{3,63}$",
            Self::IamRoleArn => {
                "^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::[0-9]{12}:role/.*$"
            }
        }
    }
}

/// A runbook parameter.
#[derive(Clone, Debug)]
pub struct Parameter {
    /// Its name.
    pub name: Spanned<String>,
    /// The whole definition's span.
    pub span: Span,
    /// `type`; `None` when missing or unknown (a problem is recorded).
    pub ty: Option<Spanned<ParameterType>>,
    /// `description`.
    pub description: Option<Spanned<String>>,
    /// `default`, as written.
    pub default: Option<Node>,
    /// `allowedValues`.
    pub allowed_values: Option<Spanned<Vec<Node>>>,
    /// `allowedPattern`.
    pub allowed_pattern: Option<Spanned<String>>,
    /// `displayType`: `textfield` or `textarea` (console only).
    pub display_type: Option<Spanned<String>>,
    /// `minItems`.
    pub min_items: Option<Spanned<u64>>,
    /// `maxItems`.
    pub max_items: Option<Spanned<u64>>,
    /// `minChars`.
    pub min_chars: Option<Spanned<u64>>,
    /// `maxChars`.
    pub max_chars: Option<Spanned<u64>>,
}

impl Parameter {
    /// Whether a value must be given when the run starts (no default).
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// A runbook variable (`variables`), changed by `aws:updateVariable`.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Its name.
    pub name: Spanned<String>,
    /// The whole definition's span.
    pub span: Span,
    /// `type`.
    pub ty: Option<Spanned<ValueType>>,
    /// `default`.
    pub default: Option<Node>,
    /// `description`.
    pub description: Option<Spanned<String>>,
}

/// A script attachment declared under `files`.
#[derive(Clone, Debug)]
pub struct FileAttachment {
    /// The file name, as `Attachment` inputs name it.
    pub name: Spanned<String>,
    /// `checksums.sha256`, lower-case hex.
    pub sha256: Option<Spanned<String>>,
    /// `size` in bytes, when given.
    pub size: Option<Spanned<u64>>,
}

/// What to do when a step fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// End the run (the default).
    Abort,
    /// Go on as after a success.
    Continue,
    /// Go to the named step.
    Step(String),
}

/// What to do when the run is cancelled while a step runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnCancel {
    /// End the run (the default).
    Abort,
    /// Run the named step (a cleanup chain).
    Step(String),
}

/// A declared step output.
#[derive(Clone, Debug)]
pub struct OutputDecl {
    /// `Name`.
    pub name: Spanned<String>,
    /// `Selector`: a `JSONPath` into the action's response.
    pub selector: Spanned<String>,
    /// `Type`; `String` when absent.
    pub ty: Option<Spanned<ValueType>>,
    /// The whole declaration's span.
    pub span: Span,
}

impl OutputDecl {
    /// The declared type, `String` by default.
    pub fn value_type(&self) -> ValueType {
        self.ty.as_ref().map_or(ValueType::String, |ty| ty.value)
    }
}

/// A step of `mainSteps` or of an `aws:loop` body.
#[derive(Clone, Debug)]
pub struct Step {
    /// `name`.
    pub name: Spanned<String>,
    /// `action`, as written.
    pub action: Spanned<String>,
    /// The whole step's span.
    pub span: Span,
    /// The step's field path from the document root (`mainSteps[2].inputs.Steps[0]`).
    pub path: String,
    /// `description`.
    pub description: Option<Spanned<String>>,
    /// `inputs`, as written (a map).
    pub inputs: Option<Node>,
    /// `maxAttempts`.
    pub max_attempts: Option<Spanned<u32>>,
    /// `timeoutSeconds`.
    pub timeout_seconds: Option<Spanned<u64>>,
    /// `onFailure`.
    pub on_failure: Option<Spanned<OnFailure>>,
    /// `onCancel`.
    pub on_cancel: Option<Spanned<OnCancel>>,
    /// `isEnd`.
    pub is_end: Option<Spanned<bool>>,
    /// `nextStep`.
    pub next_step: Option<Spanned<String>>,
    /// `isCritical`.
    pub is_critical: Option<Spanned<bool>>,
    /// `outputs`.
    pub outputs: Vec<OutputDecl>,
    /// For `aws:branch`: the choices, read into conditions (boxed: a document holds every
    /// step for as long as it runs, and few are branches).
    pub branch_inputs: Option<Box<BranchInputs>>,
    /// For `aws:loop`: the loop's settings and nested steps.
    pub loop_inputs: Option<Box<LoopInputs>>,
}

/// A selector written in a step ([`Step::literal_selectors`]).
#[derive(Clone, Copy, Debug)]
pub struct WrittenSelector<'d> {
    /// The selector.
    pub text: &'d str,
    /// Where it is written.
    pub span: Span,
    /// The index of the output it selects for; `None` for the `PropertySelector` input.
    pub output: Option<usize>,
}

impl WrittenSelector<'_> {
    /// The field it is written in, below the step: `outputs[0].Selector` or
    /// `inputs.PropertySelector`.
    pub fn field(&self) -> String {
        match self.output {
            Some(index) => format!("outputs[{index}].Selector"),
            None => "inputs.PropertySelector".to_string(),
        }
    }
}

impl Step {
    /// The catalog entry of this step's action, if the service has the action.
    pub fn spec(&self) -> Option<&'static ActionSpec> {
        catalog::action(&self.action.value)
    }

    /// The input named `name`.
    pub fn input(&self, name: &str) -> Option<&Node> {
        self.inputs.as_ref()?.get(name)
    }

    /// The selectors written literally in the step: each output's `Selector`, then the
    /// `PropertySelector` input. One that holds a template is known only when the step runs, and
    /// is left out.
    pub fn literal_selectors(&self) -> impl Iterator<Item = WrittenSelector<'_>> {
        let outputs = self.outputs.iter().enumerate().map(|(index, output)| WrittenSelector {
            text: output.selector.value.as_str(),
            span: output.selector.span,
            output: Some(index),
        });
        let property = self.input("PropertySelector").and_then(|node| {
            node.as_str().map(|text| WrittenSelector { text, span: node.span, output: None })
        });
        outputs.chain(property).filter(|selector| !crate::template::has_references(selector.text))
    }

    /// `isCritical` with its default: `false` with `onFailure: Continue`, else `true`.
    pub fn is_critical(&self) -> bool {
        self.is_critical.as_ref().map_or_else(
            || !matches!(self.on_failure.as_ref().map(|f| &f.value), Some(OnFailure::Continue)),
            |critical| critical.value,
        )
    }

    /// `maxAttempts` with its default of 1.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.as_ref().map_or(1, |attempts| attempts.value.max(1))
    }

    /// `onFailure` with its default, `Abort`.
    pub fn on_failure(&self) -> &OnFailure {
        self.on_failure.as_ref().map_or(&OnFailure::Abort, |on_failure| &on_failure.value)
    }

    /// `onCancel` with its default, `Abort`.
    pub fn on_cancel(&self) -> &OnCancel {
        self.on_cancel.as_ref().map_or(&OnCancel::Abort, |on_cancel| &on_cancel.value)
    }

    /// `isEnd` with its default, `false`.
    pub fn is_end(&self) -> bool {
        self.is_end.as_ref().is_some_and(|is_end| is_end.value)
    }
}

/// The inputs of an `aws:branch` step.
#[derive(Clone, Debug)]
pub struct BranchInputs {
    /// `Choices`, in order.
    pub choices: Vec<Choice>,
    /// `Default`: the step to go to when no choice matches.
    pub default: Option<Spanned<String>>,
}

/// One choice of an `aws:branch` step.
#[derive(Clone, Debug)]
pub struct Choice {
    /// `NextStep`.
    pub next_step: Option<Spanned<String>>,
    /// The condition that selects it.
    pub condition: Condition,
    /// The choice's span.
    pub span: Span,
    /// The choice's field path.
    pub path: String,
}

/// A condition of `aws:branch` choices and `aws:loop`'s `LoopCondition`.
#[derive(Clone, Debug)]
pub enum Condition {
    /// `Variable` compared with a value.
    Compare {
        /// `Variable`: usually a `{{ reference }}`.
        variable: Node,
        /// The operator.
        operator: Spanned<Operator>,
        /// The value to compare with, as written.
        value: Node,
    },
    /// `And`: every condition holds.
    And(Vec<Condition>),
    /// `Or`: any condition holds.
    Or(Vec<Condition>),
    /// `Not`: the condition does not hold.
    Not(Box<Condition>),
    /// A condition that could not be read (a problem is recorded).
    Invalid,
}

impl Condition {
    /// Calls `visit` on every comparison in the condition.
    pub fn for_each_compare<'a>(&'a self, visit: &mut impl FnMut(&'a Node, &'a Node)) {
        match self {
            Self::Compare { variable, value, .. } => visit(variable, value),
            Self::And(conditions) | Self::Or(conditions) => {
                for condition in conditions {
                    condition.for_each_compare(visit);
                }
            }
            Self::Not(condition) => condition.for_each_compare(visit),
            Self::Invalid => {}
        }
    }
}

/// The comparison operators of conditions (SPEC 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// Text equal, case-sensitive.
    StringEquals,
    /// Text equal, ignoring case.
    EqualsIgnoreCase,
    /// Text starts with.
    StartsWith,
    /// Text ends with.
    EndsWith,
    /// Text contains.
    Contains,
    /// Numbers equal.
    NumericEquals,
    /// Number greater.
    NumericGreater,
    /// Number lesser.
    NumericLesser,
    /// Number greater or equal.
    NumericGreaterOrEquals,
    /// Number lesser or equal.
    NumericLesserOrEquals,
    /// Boolean equal.
    BooleanEquals,
}

impl Operator {
    /// Every operator.
    pub const ALL: [Self; 11] = [
        Self::StringEquals,
        Self::EqualsIgnoreCase,
        Self::StartsWith,
        Self::EndsWith,
        Self::Contains,
        Self::NumericEquals,
        Self::NumericGreater,
        Self::NumericLesser,
        Self::NumericGreaterOrEquals,
        Self::NumericLesserOrEquals,
        Self::BooleanEquals,
    ];

    /// The operator's key as runbooks spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::StringEquals => "StringEquals",
            Self::EqualsIgnoreCase => "EqualsIgnoreCase",
            Self::StartsWith => "StartsWith",
            Self::EndsWith => "EndsWith",
            Self::Contains => "Contains",
            Self::NumericEquals => "NumericEquals",
            Self::NumericGreater => "NumericGreater",
            Self::NumericLesser => "NumericLesser",
            Self::NumericGreaterOrEquals => "NumericGreaterOrEquals",
            Self::NumericLesserOrEquals => "NumericLesserOrEquals",
            Self::BooleanEquals => "BooleanEquals",
        }
    }

    /// Reads an operator key.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|operator| operator.as_str() == key)
    }
}

/// The inputs of an `aws:loop` step.
#[derive(Clone, Debug)]
pub struct LoopInputs {
    /// `Steps`: the loop body.
    pub steps: Vec<Step>,
    /// `Iterators`, as written (a list or a `{{ reference }}`).
    pub iterators: Option<Node>,
    /// `IteratorDataType`.
    pub iterator_data_type: Option<Spanned<String>>,
    /// `LoopCondition`.
    pub loop_condition: Option<Condition>,
    /// `MaxIterations`, as written.
    pub max_iterations: Option<Node>,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::execute::Plan;

    const RUNBOOK: &str = "schemaVersion: '0.3'\nparameters:\n  Id: {type: String, default: i-1}\nmainSteps:\n  - name: describe\n    action: aws:executeAwsApi\n    inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ Id }}']}\n    outputs: [{Name: State, Selector: $.State, Type: String}]\n  - name: wait\n    action: aws:sleep\n    inputs: {Duration: '{{ describe.State }}'}\n";

    #[test]
    fn a_document_without_its_tree_plans_the_same_steps() {
        let whole = Document::parse("chain.yaml", RUNBOOK.to_string(), Format::Yaml).unwrap();
        let mut released =
            Document::parse("chain.yaml", RUNBOOK.to_string(), Format::Yaml).unwrap();
        released.release_tree();
        assert_eq!(released.root.kind, NodeKind::Null);
        assert_eq!(released.steps.len(), 2);
        let (whole, released) = (Plan::new(Arc::new(whole)), Plan::new(Arc::new(released)));
        assert_eq!(format!("{:?}", whole.steps), format!("{:?}", released.steps));
        assert_eq!(whole.main, released.main);
        let for_run = Plan::for_run(
            Document::parse("chain.yaml", RUNBOOK.to_string(), Format::Yaml).unwrap(),
        );
        assert_eq!(format!("{:?}", whole.steps), format!("{:?}", for_run.steps));
        assert!(whole.document.steps.iter().all(|step| step.inputs.is_some()));
        assert!(for_run.document.steps.iter().all(|step| step.inputs.is_none()));
    }
}
