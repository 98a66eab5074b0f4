//! RB014 `system-variable`: `{{ global:... }}` and `{{ automation:... }}` name a variable the
//! service has: `ACCOUNT_ID`, `REGION`, `AWS_PARTITION`, `DATE`, `DATE_TIME` and
//! `EXECUTION_ID` (SPEC 5.1).

use crate::diagnostic::{Code, Diagnostic, closest};
use crate::template::{AUTOMATION_VARIABLES, GLOBAL_VARIABLES, Target};
use crate::validate::{Context, Rule};

use super::undefined_reference::located;

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB014", name: "system-variable" },
    summary: "global: and automation: variables are ones the service has",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for use_ in &cx.uses {
        let (prefix, name, known) = match &use_.reference.target {
            Target::Global(name) => ("global", name, GLOBAL_VARIABLES),
            Target::Automation(name) => ("automation", name, AUTOMATION_VARIABLES),
            _ => continue,
        };
        if known.contains(&name.as_str()) {
            continue;
        }
        let mut diagnostic = located(
            Diagnostic::error(RULE.code, format!("`{prefix}:{name}` is not a system variable")),
            use_,
        );
        diagnostic = match closest(name, known.iter().copied()) {
            Some(close) => diagnostic.hint(format!("did you mean `{prefix}:{close}`?")),
            None => diagnostic.hint(format!(
                "the {prefix} variables are {}",
                known.iter().map(|v| format!("{prefix}:{v}")).collect::<Vec<_>>().join(", ")
            )),
        };
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check as run, runbook};

    #[test]
    fn misspelled_system_variables_are_reported() {
        let found = run(
            RULE.code,
            &runbook(
                "- {name: a, action: aws:sleep, inputs: {Duration: '{{ global:ACOUNT_ID }}-{{automation:EXECUTION_ID}}-{{ global:REGION }}'}}\n",
            ),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "`global:ACOUNT_ID` is not a system variable");
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `global:ACCOUNT_ID`?"));
    }
}
