//! RB012 `undefined-reference`: a `{{ }}` reference to a parameter, variable, step or step
//! output that the runbook does not define. Outputs are the ones a step declares plus the ones
//! its action always has (SPEC section 6).
//!
//! Maintenance window pseudo parameters (`{{ TARGET_ID }}`, `{{ RESOURCE_ID }}`, ...) have a
//! value only when a maintenance window task starts the runbook; they are a warning.

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::document::{Document, Step};
use crate::template::Target;
use crate::validate::{Context, Rule, Use};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB012", name: "undefined-reference" },
    summary: "references name parameters, variables, steps and outputs that exist",
    check,
};

/// The pseudo parameters maintenance window tasks fill in before the runbook starts.
const MAINTENANCE_WINDOW_PARAMETERS: &[&str] = &[
    "TARGET_ID",
    "TARGET_TYPE",
    "RESOURCE_ID",
    "WINDOW_ID",
    "WINDOW_TASK_ID",
    "WINDOW_TARGET_ID",
    "WINDOW_EXECUTION_ID",
    "TASK_EXECUTION_ID",
    "LOGGING_S3_BUCKET_NAME",
    "LOGGING_S3_KEY_PREFIX",
    "LOGGING_S3_REGION",
];

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for use_ in &cx.uses {
        if let Target::Parameter(name) = &use_.reference.target
            && cx.document.parameter(name).is_none()
            && MAINTENANCE_WINDOW_PARAMETERS.contains(&name.as_str())
        {
            let message = format!(
                "`{name}` is a maintenance window pseudo parameter: it has a value only when a maintenance window task starts the runbook"
            );
            out.push(located(Diagnostic::warning(RULE.code, message), use_));
            continue;
        }
        let problem = match &use_.reference.target {
            Target::Parameter(name) => (cx.document.parameter(name).is_none()).then(|| {
                let names = cx.document.parameters.iter().map(|p| p.name.value.as_str());
                (
                    format!("`{name}` is not a parameter of the runbook"),
                    closest(name, names).map(String::from),
                )
            }),
            Target::Variable(name) => (cx.document.variable(name).is_none()).then(|| {
                let names = cx.document.variables.iter().map(|v| v.name.value.as_str());
                (
                    format!("`variable:{name}` is not a variable of the runbook"),
                    closest(name, names).map(String::from),
                )
            }),
            Target::StepOutput { step, output } => step_output(cx, step, output),
            Target::Global(_)
            | Target::Automation(_)
            | Target::ParameterStore(_)
            | Target::SecureParameterStore(_) => None,
        };
        if let Some((message, close)) = problem {
            let mut diagnostic = located(Diagnostic::error(RULE.code, message), use_);
            if let Some(close) = close {
                diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
            }
            out.push(diagnostic);
        }
    }
}

/// Places a diagnostic at a reference.
pub(super) fn located(diagnostic: Diagnostic, use_: &Use<'_>) -> Diagnostic {
    let diagnostic = diagnostic.path(use_.path()).span(use_.span);
    match use_.step {
        Some(step) => diagnostic.step(&step.name.value),
        None => diagnostic,
    }
}

/// The names of the outputs `step` has: declared, predefined by its action, and for loops the
/// iteration outputs.
pub(super) fn output_names(step: &Step) -> Vec<&str> {
    let mut names: Vec<&str> = step.outputs.iter().map(|o| o.name.value.as_str()).collect();
    if let Some(spec) = step.spec() {
        names.extend(spec.outputs.iter().map(|o| o.name));
    }
    names
}

/// Whether `step` has an output named `output`. Steps of unknown actions are given the benefit
/// of the doubt (their action is reported on its own).
pub(super) fn has_output(step: &Step, output: &str) -> bool {
    let Some(spec) = step.spec() else { return true };
    step.outputs.iter().any(|declared| declared.name.value == output)
        || spec.outputs.iter().any(|predefined| predefined.name == output)
}

fn step_output(
    cx: &Context<'_>,
    step_name: &str,
    output: &str,
) -> Option<(String, Option<String>)> {
    let Some(step) = cx.step(step_name) else {
        let names = cx.steps.iter().map(|s| s.name.value.as_str());
        let parameter_hint = has_parameter(cx.document, step_name)
            .then(|| format!("`{step_name}` is a parameter; parameters have no outputs"));
        return Some((
            format!("`{step_name}.{output}` refers to step `{step_name}`, which does not exist"),
            parameter_hint.or_else(|| closest(step_name, names).map(String::from)),
        ));
    };
    if has_output(step, output) {
        return None;
    }
    if let Some((first, _)) = output.split_once('.')
        && has_output(step, first)
    {
        return Some((
            format!(
                "`{step_name}.{output}` indexes into output `{first}`, which templates cannot do"
            ),
            None,
        ));
    }
    Some((
        format!("step `{step_name}` has no output `{output}`"),
        closest(output, output_names(step)).map(String::from),
    ))
}

fn has_parameter(document: &Document, name: &str) -> bool {
    document.parameter(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, messages};

    const HEAD: &str = "schemaVersion: '0.3'\nparameters:\n  InstanceId: {type: String}\nvariables:\n  count: {type: Integer, default: 0}\nmainSteps:\n";

    #[test]
    fn undefined_names_are_reported() {
        let bad = format!(
            "{HEAD}- name: a\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: X, A: '{{{{ InstanceID }}}}', B: '{{{{ variable:cnt }}}}', C: '{{{{ nope.X }}}}', D: '{{{{ a.Missing }}}}'}}\n  outputs: [{{Name: Found, Selector: $.x}}]\n"
        );
        let found = run(RULE.code, &bad);
        let messages: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`InstanceID` is not a parameter of the runbook",
                "`variable:cnt` is not a variable of the runbook",
                "`nope.X` refers to step `nope`, which does not exist",
                "step `a` has no output `Missing`",
            ]
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `InstanceId`?"));
        assert_eq!(found[0].path, "mainSteps[0].inputs.A");
        assert_eq!(found[0].span.unwrap().start.column, 38);
    }

    #[test]
    fn maintenance_window_pseudo_parameters_are_warnings() {
        let text = format!(
            "{HEAD}- {{name: a, action: aws:sleep, inputs: {{Duration: '{{{{ TARGET_ID }}}}'}}}}\n"
        );
        let found = run(RULE.code, &text);
        assert_eq!(found.len(), 1);
        assert!(!found[0].is_error());
    }

    #[test]
    fn predefined_and_loop_outputs_exist() {
        let good = format!(
            "{HEAD}- name: img\n  action: aws:createImage\n  inputs: {{InstanceId: '{{{{ InstanceId }}}}', ImageName: n}}\n- name: l\n  action: aws:loop\n  inputs:\n    Iterators: ['{{{{ img.ImageId }}}}']\n    Steps:\n    - {{name: s, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n    - {{name: t, action: aws:executeAwsApi, inputs: {{Service: x, Api: Y, I: '{{{{ l.CurrentIteratorValue }}}}', N: '{{{{ variable:count }}}}'}}}}\n"
        );
        assert!(messages(RULE.code, &good).is_empty(), "{:?}", messages(RULE.code, &good));
    }

    #[test]
    fn indexing_into_an_output_is_explained() {
        let bad = format!(
            "{HEAD}- name: a\n  action: aws:executeScript\n  inputs: {{Runtime: python3.11, Handler: h, Script: x}}\n- name: b\n  action: aws:sleep\n  inputs: {{Duration: '{{{{ a.Payload.time }}}}'}}\n"
        );
        assert_eq!(
            messages(RULE.code, &bad),
            ["`a.Payload.time` indexes into output `Payload`, which templates cannot do"]
        );
    }
}
