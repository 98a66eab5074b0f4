//! RB007 `unknown-input`: an input the action does not have (inputs are case-sensitive,
//! SPEC 10.16). Actions that pass their other inputs to an AWS API are exempt.

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::syntax::push_key;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB007", name: "unknown-input" },
    summary: "inputs are ones the action has, spelled as it spells them",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let Some(spec) = step.spec().filter(|spec| !spec.api_parameters) else { continue };
        let Some(entries) = step.inputs.as_ref().and_then(|inputs| inputs.as_map()) else {
            continue;
        };
        for entry in entries.iter().filter(|entry| spec.input(&entry.key).is_none()) {
            let mut path = format!("{}.inputs", step.path);
            push_key(&mut path, &entry.key);
            let mut diagnostic = Diagnostic::error(
                RULE.code,
                format!("`{}` has no input `{}`", spec.name, entry.key),
            )
            .step(&step.name.value)
            .path(path)
            .span(entry.key_span);
            let names = spec.inputs.iter().map(|input| input.name);
            if let Some(close) = closest(&entry.key, names) {
                diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
            } else if !spec.inputs.is_empty() {
                let all: Vec<_> = spec.inputs.iter().map(|input| input.name).collect();
                diagnostic = diagnostic.hint(format!("its inputs are {}", all.join(", ")));
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, runbook};

    #[test]
    fn misspelled_inputs_are_reported_with_the_right_name() {
        let found =
            run(RULE.code, &runbook("- {name: a, action: aws:sleep, inputs: {duration: PT1S}}\n"));
        assert_eq!(found[0].message, "`aws:sleep` has no input `duration`");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `Duration`?"));
    }

    #[test]
    fn api_actions_take_any_parameter() {
        let good = runbook(
            "- {name: a, action: aws:executeAwsApi, inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: [i-1]}}\n",
        );
        assert!(run(RULE.code, &good).is_empty());
    }
}
