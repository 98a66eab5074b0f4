//! RB018 `selector-syntax`: output `Selector`s and `PropertySelector`s must be `JSONPath` the
//! service can evaluate (SPEC 4.3).

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::selector::Selector;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB018", name: "selector-syntax" },
    summary: "selectors are valid JSONPath",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // Runbooks repeat their selectors (every step of a chain reads `$.Parameter.Value`), so
    // each text is compiled once; the error's text when it does not compile.
    let mut verdicts: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for step in &cx.steps {
        for written in step.literal_selectors() {
            let text = written.text;
            let verdict = verdicts.entry(text).or_insert_with(|| Selector::compile(text).err());
            if let Some(error) = verdict {
                let path = format!("{}.{}", step.path, written.field());
                out.push(
                    Diagnostic::error(
                        RULE.code,
                        format!("selector `{text}` is not valid JSONPath: {error}"),
                    )
                    .step(&step.name.value)
                    .path(path)
                    .span(written.span)
                    .hint("selectors look like $.Reservations[0].Instances[0].State.Name"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, runbook};

    #[test]
    fn broken_selectors_are_reported() {
        let found = run(
            RULE.code,
            &runbook(
                "- name: a\n  action: aws:assertAwsResourceProperty\n  inputs: {Service: s, Api: A, PropertySelector: '$.a[', DesiredValues: [x]}\n  outputs: [{Name: X, Selector: '$.ok'}]\n",
            ),
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.starts_with("selector `$.a[` is not valid JSONPath"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].path, "mainSteps[0].inputs.PropertySelector");
    }

    #[test]
    fn lenient_selectors_pass() {
        let good = runbook(
            "- name: a\n  action: aws:executeAwsApi\n  inputs: {Service: s, Api: A}\n  outputs: [{Name: X, Selector: Role.Arn}, {Name: Y, Selector: '$.Payload.my-key'}]\n",
        );
        assert!(run(RULE.code, &good).is_empty());
    }
}
