//! RB030 `api-parameter`: an API step's parameters fit the operation's input: required ones
//! given, no unknown ones, literal values of the right type (templates are not checked).

use std::fmt::Write;

use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::syntax::{Node, Span, push_key};

use super::{ApiCall, Linter, ModelRule, Segment, follow, label, segments};
use crate::model::Operation;
use crate::model::check::{ProblemKind, ValueProblem, check_params};

/// RB030: the call's parameters do not fit the operation's input.
pub const API_PARAMETER: Code = Code { id: "RB030", name: "api-parameter" };

pub(super) const RULE: ModelRule = ModelRule {
    code: API_PARAMETER,
    summary: "API parameters are known, complete and of the right type",
};

impl Linter<'_, '_> {
    /// Checks the parameters of `call` against `operation`'s input; `label` names the
    /// operation in messages.
    pub(super) fn parameters(
        &mut self,
        call: &ApiCall<'_>,
        operation: &Operation<'_>,
        api_node: &Node,
    ) {
        let step = call.step;
        for problem in check_params(operation, &call.params_json()) {
            let (span, path) = locate(call, &problem, api_node.span);
            let diagnostic =
                Diagnostic::error(API_PARAMETER, format!("{}: {problem}", label(operation)))
                    .hint(hint(&problem));
            self.out.push(
                diagnostic.step(&step.name.value).path(format!("{}.{path}", step.path)).span(span),
            );
        }
    }
}

fn hint(problem: &ValueProblem) -> String {
    match &problem.kind {
        ProblemKind::Missing => "the operation needs it; add it under `inputs`".to_string(),
        ProblemKind::Unknown { closest: Some(closest) } => format!("did you mean `{closest}`?"),
        ProblemKind::Unknown { closest: None } => {
            "boto3 refuses parameters the operation does not have".to_string()
        }
        ProblemKind::WrongType { .. } => {
            "boto3 refuses a value of the wrong type before sending the call".to_string()
        }
    }
}

/// Where a parameter problem is written, and its field path under the step: the key of an
/// unknown member, the value of a mistyped one, the map that lacks a required member (the
/// `Api` input for a top-level one). Falls back to the deepest part of the path found.
fn locate(call: &ApiCall<'_>, problem: &ValueProblem, api_span: Span) -> (Span, String) {
    let segments = segments(&problem.path);
    let wanted = match problem.kind {
        ProblemKind::Missing => segments.len().saturating_sub(1),
        _ => segments.len(),
    };
    let mut path = "inputs".to_string();
    let Some(inputs) = call.step.inputs.as_ref() else { return (api_span, path) };
    let reached = follow(inputs, &segments[..wanted]);
    for segment in &segments[..reached.len()] {
        match segment {
            Segment::Name(name) => push_key(&mut path, name),
            Segment::Index(index) => {
                let _ = write!(path, "[{index}]");
            }
        }
    }
    let span = match (reached.last(), &problem.kind) {
        (None, _) => api_span,
        (Some((_, key_span)), ProblemKind::Unknown { .. }) => *key_span,
        (Some((node, _)), _) => node.span,
    };
    (span, path)
}
