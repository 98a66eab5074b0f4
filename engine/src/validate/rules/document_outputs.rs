//! RB021 `document-outputs`: each entry of the top-level `outputs` is `step.Output` naming a
//! step and one of its outputs (SPEC 10.17), written without braces.

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::validate::{Context, Rule};

use super::undefined_reference::{has_output, output_names};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB021", name: "document-outputs" },
    summary: "top-level outputs name real step outputs",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (index, output) in cx.document.outputs.iter().enumerate() {
        let text = output.value.trim();
        let report = |message: String| {
            Diagnostic::error(RULE.code, message)
                .path(format!("outputs[{index}]"))
                .span(output.span)
        };
        if text.starts_with("{{") {
            out.push(
                report(format!("output `{text}` is written with braces"))
                    .hint("write it as step.Output, without {{ }}"),
            );
            continue;
        }
        let Some((step_name, name)) = text.split_once('.') else {
            out.push(report(format!("output `{text}` must be written as step.Output")));
            continue;
        };
        match cx.step(step_name) {
            None => {
                let mut diagnostic = report(format!(
                    "output `{text}` names step `{step_name}`, which does not exist"
                ));
                if let Some(close) =
                    closest(step_name, cx.steps.iter().map(|s| s.name.value.as_str()))
                {
                    diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
                }
                out.push(diagnostic);
            }
            Some(step) if !has_output(step, name) => {
                let mut diagnostic =
                    report(format!("output `{text}`: step `{step_name}` has no output `{name}`"));
                if let Some(close) = closest(name, output_names(step)) {
                    diagnostic = diagnostic.hint(format!("did you mean `{step_name}.{close}`?"));
                }
                out.push(diagnostic);
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::messages;

    #[test]
    fn outputs_must_name_step_outputs() {
        let text = "schemaVersion: '0.3'\noutputs: [img.ImageId, img.Nope, gone.X, plain, '{{ img.ImageId }}']\nmainSteps:\n- {name: img, action: aws:createImage, inputs: {InstanceId: i, ImageName: n}}\n";
        assert_eq!(
            messages(RULE.code, text),
            [
                "output `img.Nope`: step `img` has no output `Nope`",
                "output `gone.X` names step `gone`, which does not exist",
                "output `plain` must be written as step.Output",
                "output `{{ img.ImageId }}` is written with braces",
            ]
        );
    }
}
