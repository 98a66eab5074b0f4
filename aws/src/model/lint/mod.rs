//! The validation rules that need the API models: the AWS calls a runbook writes out
//! (`aws:executeAwsApi`, `aws:assertAwsResourceProperty`, `aws:waitForAwsResourceProperty`)
//! checked against botocore's models. They continue the engine's rule codes:
//!
//! | code | name | checks |
//! |---|---|---|
//! | RB028 | `unknown-api-service` | `Service` is a service with a model |
//! | RB029 | `unknown-api-operation` | `Api` is an operation of that service |
//! | RB030 | `api-parameter` | required parameters are given, no unknown ones, literals of the right type |
//! | RB031 | `api-selector` | output `Selector`s and `PropertySelector` name members the response has |
//!
//! Spellings the service resolves though the model spells them otherwise (`EC2` for `ec2`,
//! `listBuckets` or `describe_instances` for `ListBuckets`, `DescribeInstances`) are warnings
//! naming the model's spelling: AWS's own runbooks use them and they run. Every other finding
//! is an error: boto3 rejects a call with a missing, unknown or mistyped parameter before
//! sending it, and a selector that names a member the response cannot have leaves its output
//! without a value (or makes an assertion fail) on every run.
//!
//! A value holding a `{{ }}` template is skipped, as its type and its value are known only when
//! the runbook runs; a step whose `Service` or `Api` is a template is not checked at all.
//!
//! A branch `Variable` never reads a response directly: it reads `{{ step.Output }}`, the value
//! of an output whose `Selector` reads the response. That selector is checked here (RB031) and
//! the output's existence by the engine (RB012), so a branch that reads an API step's output is
//! covered by the check of the selector it goes through; the finding is reported once, at the
//! selector.

//!
//! One file per rule, each with its code, summary and check; [`MODEL_RULES`] lists them.

mod api_parameter;
mod api_selector;
mod unknown_api_operation;
mod unknown_api_service;

use runbook_engine::Document;
use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::document::Step;
use runbook_engine::syntax::{Entry, Node, Span};
use runbook_engine::template::has_references;
use std::collections::BTreeMap;

use serde_json::Value;

use super::Models;

pub use api_parameter::API_PARAMETER;
pub use api_selector::API_SELECTOR;
pub use unknown_api_operation::UNKNOWN_API_OPERATION;
pub use unknown_api_service::UNKNOWN_API_SERVICE;

/// A rule of this module: its code and what it checks, for listings (SARIF, the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelRule {
    /// The rule's stable code.
    pub code: Code,
    /// What it checks, in one line.
    pub summary: &'static str,
}

/// The rules of this module, in code order.
pub const MODEL_RULES: [ModelRule; 4] = [
    unknown_api_service::RULE,
    unknown_api_operation::RULE,
    api_parameter::RULE,
    api_selector::RULE,
];

/// The actions whose `Service` and `Api` inputs name the call they make.
pub const API_ACTIONS: [&str; 3] =
    ["aws:executeAwsApi", "aws:assertAwsResourceProperty", "aws:waitForAwsResourceProperty"];

/// The inputs of [`API_ACTIONS`] that are the action's own, not API parameters.
const ACTION_INPUTS: [&str; 4] = ["Service", "Api", "PropertySelector", "DesiredValues"];

/// A name a step writes (`Service` or `Api`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written<'d> {
    /// Literal text.
    Literal(&'d str),
    /// Text with a `{{ }}` template: known only when the runbook runs.
    Templated(&'d str),
    /// Absent, or not text (the engine's rules report it).
    Missing,
}

impl<'d> Written<'d> {
    fn of(node: Option<&'d Node>) -> Self {
        match node.and_then(Node::as_str) {
            Some(text) if has_references(text) => Self::Templated(text),
            Some(text) => Self::Literal(text),
            None => Self::Missing,
        }
    }

    /// The literal text, if it is one.
    pub fn literal(self) -> Option<&'d str> {
        match self {
            Self::Literal(text) => Some(text),
            _ => None,
        }
    }
}

/// An AWS call a step of [`API_ACTIONS`] writes out.
#[derive(Clone, Debug)]
pub struct ApiCall<'d> {
    /// The step.
    pub step: &'d Step,
    /// `Service`.
    pub service: Written<'d>,
    /// `Api`.
    pub api: Written<'d>,
    /// The API parameters: every input but the action's own.
    pub params: Vec<&'d Entry>,
}

impl ApiCall<'_> {
    /// The parameters as JSON, as the call sends them.
    pub fn params_json(&self) -> Value {
        Value::Object(
            self.params.iter().map(|entry| (entry.key.clone(), entry.value.to_json())).collect(),
        )
    }
}

/// Every step of `document` (loop bodies included) whose action names its AWS call in
/// `Service` and `Api`, in source order.
pub fn api_calls(document: &Document) -> Vec<ApiCall<'_>> {
    document
        .all_steps()
        .into_iter()
        .filter(|step| API_ACTIONS.contains(&step.action.value.as_str()))
        .map(|step| {
            let params = step
                .inputs
                .as_ref()
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .filter(|entry| !ACTION_INPUTS.contains(&entry.key.as_str()))
                .collect();
            ApiCall {
                step,
                service: Written::of(step.input("Service")),
                api: Written::of(step.input("Api")),
                params,
            }
        })
        .collect()
}

/// What [`lint_with_stats`] looked at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintStats {
    /// Steps of [`API_ACTIONS`].
    pub calls: usize,
    /// Of those, the steps whose `Service` or `Api` is a template (not checked).
    pub templated: usize,
    /// Literal `Service` names found among the models (spelled exactly or leniently).
    pub services_found: usize,
    /// Literal `Api` names found in their service's model (spelled exactly or leniently).
    pub operations_found: usize,
    /// Selectors (outputs and `PropertySelector`) checked against an output shape.
    pub selectors_checked: usize,
}

/// Checks the AWS calls of `document` against `models`; see the module's documentation.
pub fn lint(document: &Document, models: &Models) -> Vec<Diagnostic> {
    lint_with_stats(document, models).0
}

/// [`lint`], with counts of what was checked.
pub fn lint_with_stats(document: &Document, models: &Models) -> (Vec<Diagnostic>, LintStats) {
    let mut linter =
        Linter { models, out: Vec::new(), stats: LintStats::default(), selectors: BTreeMap::new() };
    for call in api_calls(document) {
        linter.call(&call);
    }
    let mut out = linter.out;
    out.sort_by(|a, b| {
        let position = |d: &Diagnostic| d.span.map(|span| span.start);
        position(a).cmp(&position(b)).then_with(|| a.code.cmp(&b.code))
    });
    (out, linter.stats)
}

struct Linter<'m, 'd> {
    models: &'m Models,
    out: Vec<Diagnostic>,
    stats: LintStats,
    /// What [`check_selector`](super::check_selector) found for a selector of a call, by the
    /// call's `Service` and `Api` as written and the selector: runbooks repeat their calls.
    selectors: BTreeMap<(&'d str, &'d str, &'d str), Option<super::SelectorProblem>>,
}

impl<'d> Linter<'_, 'd> {
    /// Checks one call, rule by rule: RB028 finds the service's model, RB029 the operation in
    /// it, and RB030 and RB031 check the call against that operation.
    fn call(&mut self, call: &ApiCall<'d>) {
        self.stats.calls += 1;
        let step = call.step;
        if matches!(call.service, Written::Templated(_))
            || matches!(call.api, Written::Templated(_))
        {
            self.stats.templated += 1;
            return;
        }
        let (Some(service), Some(service_node)) = (call.service.literal(), step.input("Service"))
        else {
            return;
        };
        let Some(model) = self.service(step, service, service_node) else { return };
        let (Some(api), Some(api_node)) = (call.api.literal(), step.input("Api")) else { return };
        let Some(operation) = self.operation(step, &model, api, api_node) else { return };
        self.parameters(call, &operation, api_node);
        self.selectors(step, (service, api), &operation);
    }

    fn push(&mut self, diagnostic: Diagnostic, step: &Step, path: &str, span: Span) {
        self.out.push(
            diagnostic.step(&step.name.value).path(format!("{}.{path}", step.path)).span(span),
        );
    }
}

/// How findings name an operation: `ec2.DescribeInstances`.
fn label(operation: &super::Operation<'_>) -> String {
    format!("{}.{}", operation.model().name(), operation.name())
}

/// One step of a problem's path (`Filters[0].Values`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Name(String),
    Index(usize),
}

/// Splits a problem's path (`Filters[0].Values`) into its steps.
pub(crate) fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut name = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !name.is_empty() {
                    out.push(Segment::Name(std::mem::take(&mut name)));
                }
            }
            '[' => {
                if !name.is_empty() {
                    out.push(Segment::Name(std::mem::take(&mut name)));
                }
                let mut digits = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    digits.push(d);
                }
                match digits.parse() {
                    Ok(index) => out.push(Segment::Index(index)),
                    Err(_) => return out,
                }
            }
            _ => name.push(c),
        }
    }
    if !name.is_empty() {
        out.push(Segment::Name(name));
    }
    out
}

/// Follows `segments` down from `root`: each value reached, with the span of its key (of the
/// item itself in a list), as far as the tree has them.
pub(crate) fn follow<'n>(root: &'n Node, segments: &[Segment]) -> Vec<(&'n Node, Span)> {
    let mut reached = Vec::new();
    let mut current = root;
    for segment in segments {
        let next = match segment {
            Segment::Name(name) => current.entry(name).map(|entry| (&entry.value, entry.key_span)),
            Segment::Index(index) => {
                current.as_seq().and_then(|items| items.get(*index)).map(|item| (item, item.span))
            }
        };
        let Some(next) = next else { break };
        reached.push(next);
        current = next.0;
    }
    reached
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use runbook_engine::diagnostic::Severity;
    use runbook_engine::document::Format;

    use super::*;

    fn models(tag: &str) -> (Models, PathBuf) {
        crate::model::tests_support::demo_models(&format!("lint-{tag}"))
    }

    fn lint_steps(tag: &str, steps: &str) -> (Vec<Diagnostic>, LintStats) {
        let text = format!("schemaVersion: '0.3'\nmainSteps:\n{steps}");
        let document = Document::parse("test.yaml", text, Format::Yaml).unwrap();
        let (models, root) = models(tag);
        let found = lint_with_stats(&document, &models);
        std::fs::remove_dir_all(root).unwrap();
        found
    }

    fn summary(diagnostics: &[Diagnostic]) -> Vec<String> {
        diagnostics
            .iter()
            .map(|d| {
                let span = d.span.unwrap_or_default();
                format!(
                    "{} {} {}:{} {} | {}",
                    d.severity, d.code, span.start.line, span.start.column, d.path, d.message
                )
            })
            .collect()
    }

    #[test]
    fn codes_are_in_order() {
        for pair in MODEL_RULES.windows(2) {
            assert!(pair[0].code.id < pair[1].code.id);
        }
    }

    #[test]
    fn unknown_services_and_operations_suggest_the_closest_name() {
        let (found, stats) = lint_steps(
            "names",
            "- {name: a, action: aws:executeAwsApi, inputs: {Service: dmeo, Api: Ping}}\n\
             - {name: b, action: aws:executeAwsApi, inputs: {Service: demo, Api: DescribeInstance}}\n",
        );
        assert_eq!(
            summary(&found),
            [
                "error RB028 3:58 mainSteps[0].inputs.Service | `dmeo` is not an AWS service with an API model",
                "error RB029 4:69 mainSteps[1].inputs.Api | service `demo` has no operation `DescribeInstance`",
            ]
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `demo`?"));
        assert_eq!(found[1].hint.as_deref(), Some("did you mean `DescribeInstances`?"));
        assert_eq!(
            stats,
            LintStats {
                calls: 2,
                templated: 0,
                services_found: 1,
                operations_found: 0,
                selectors_checked: 0
            }
        );
    }

    #[test]
    fn lenient_spellings_are_warnings_naming_the_model_spelling() {
        let (found, stats) = lint_steps(
            "lenient",
            "- {name: a, action: aws:executeAwsApi, inputs: {Service: DEMO, Api: describe_instances}}\n",
        );
        assert!(found.iter().all(|d| d.severity == Severity::Warning), "{found:?}");
        assert_eq!(
            found.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
            [
                "`DEMO` stands for the service `demo`",
                "`describe_instances` stands for the operation `DescribeInstances` of `demo`",
            ]
        );
        assert_eq!(
            found[1].hint.as_deref(),
            Some("write `Api: DescribeInstances`, as the API spells it")
        );
        assert_eq!((stats.services_found, stats.operations_found), (1, 1));
    }

    #[test]
    fn parameter_problems_point_at_the_key_the_value_or_the_api() {
        let (found, _) = lint_steps(
            "params",
            "- name: tag
  action: aws:executeAwsApi
  inputs:
    Service: demo
    Api: CreateTags
    Resources: i-1
    Tagz: []
- name: find
  action: aws:executeAwsApi
  inputs:
    Service: demo
    Api: DescribeInstances
    Filters:
      - Values: [a]
",
        );
        assert_eq!(
            summary(&found),
            [
                "error RB030 7:10 mainSteps[0].inputs | demo.CreateTags: missing required parameter `Tags`",
                "error RB030 8:16 mainSteps[0].inputs.Resources | demo.CreateTags: parameter `Resources` should be a list, not a string",
                "error RB030 9:5 mainSteps[0].inputs.Tagz | demo.CreateTags: unknown parameter `Tagz`; did you mean `Tags`?",
                "error RB030 16:9 mainSteps[1].inputs.Filters[0] | demo.DescribeInstances: missing required parameter `Filters[0].Name`",
            ]
        );
    }

    #[test]
    fn templates_are_not_checked() {
        let (found, stats) = lint_steps(
            "templates",
            "- {name: a, action: aws:executeAwsApi, inputs: {Service: '{{ S }}', Api: Ping}}\n\
             - {name: b, action: aws:executeAwsApi, inputs: {Service: demo, Api: CreateTags, Resources: '{{ Ids }}', Tags: [{Key: k, Value: '{{ V }}'}]},\n\
                outputs: [{Name: X, Selector: '{{ S }}'}]}\n",
        );
        assert_eq!(summary(&found), Vec::<String>::new());
        assert_eq!(stats.templated, 1);
        assert_eq!(stats.selectors_checked, 0);
    }

    #[test]
    fn selectors_name_members_of_the_response() {
        let (found, stats) = lint_steps(
            "selectors",
            "- name: check
  action: aws:assertAwsResourceProperty
  inputs:
    Service: demo
    Api: DescribeInstances
    InstanceIds: [i-1]
    PropertySelector: $.Reservations[0].Instances[0].State.Nmae
    DesiredValues: [running]
- name: loop
  action: aws:loop
  inputs:
    Iterators: [a]
    Steps:
      - name: read
        action: aws:executeAwsApi
        inputs: {Service: demo, Api: DescribeInstances}
        outputs:
          - {Name: Id, Selector: '$.Reservations[0].Instances[0].InstanceId'}
          - {Name: Next, Selector: $.NextTokn}
",
        );
        assert_eq!(
            summary(&found),
            [
                "error RB031 9:23 mainSteps[0].inputs.PropertySelector | selector `$.Reservations[0].Instances[0].State.Nmae` reads `Nmae`, but demo.DescribeInstances responses have no such member at `$.Reservations[0].Instances[0].State`",
                "error RB031 21:36 mainSteps[1].inputs.Steps[0].outputs[1].Selector | selector `$.NextTokn` reads `NextTokn`, but demo.DescribeInstances responses have no such member at `$`",
            ]
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `Name`?"));
        assert_eq!(stats.selectors_checked, 3);
    }

    #[test]
    fn problem_paths_split_into_names_and_indexes() {
        assert_eq!(
            segments("Filters[0].Values"),
            [Segment::Name("Filters".into()), Segment::Index(0), Segment::Name("Values".into())]
        );
        assert_eq!(segments("Tags"), [Segment::Name("Tags".into())]);
    }
}
