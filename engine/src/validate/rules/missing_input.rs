//! RB006 `missing-input`: an input the action needs is not given, including the inputs that
//! are needed one of a pair (`Script` or `Attachment`, `InstanceIds` or `Targets`, ...), as the
//! catalog lists them.

use crate::diagnostic::{Code, Diagnostic};
use crate::document::Step;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB006", name: "missing-input" },
    summary: "the inputs an action needs are given",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let (Some(spec), Some(inputs)) = (step.spec(), &step.inputs) else { continue };
        let missing = |name: &str| inputs.get(name).is_none();
        for input in spec.inputs.iter().filter(|input| input.required && missing(input.name)) {
            out.push(report(step, format!("`{}` needs the input `{}`", spec.name, input.name)));
        }
        for names in spec.one_of {
            if names.iter().all(|name| missing(name)) {
                let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ");
                out.push(report(step, format!("`{}` needs the input {list}", spec.name)));
            }
        }
        let python = step
            .input("Runtime")
            .and_then(|node| node.as_str())
            .is_some_and(|runtime| runtime.starts_with("python"));
        if spec.name == "aws:executeScript" && python && missing("Handler") {
            out.push(report(step, "a Python `aws:executeScript` needs the input `Handler`".into()));
        }
    }
}

fn report(step: &Step, message: String) -> Diagnostic {
    let span = step.inputs.as_ref().map_or(step.span, |inputs| inputs.span);
    Diagnostic::error(RULE.code, message)
        .step(&step.name.value)
        .path(format!("{}.inputs", step.path))
        .span(span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn required_inputs_are_checked() {
        let bad = runbook("- {name: a, action: aws:executeAwsApi, inputs: {Service: ec2}}\n");
        assert_eq!(messages(RULE.code, &bad), ["`aws:executeAwsApi` needs the input `Api`"]);
        let good = runbook(
            "- {name: a, action: aws:executeAwsApi, inputs: {Service: ec2, Api: DescribeInstances}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }

    #[test]
    fn one_of_a_pair_is_needed() {
        let bad = runbook(
            "- {name: a, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h}}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            ["`aws:executeScript` needs the input `Script` or `Attachment`"]
        );
        let bad = runbook(
            "- {name: a, action: aws:executeScript, inputs: {Runtime: python3.11, Script: x}}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            ["a Python `aws:executeScript` needs the input `Handler`"]
        );
    }
}
