//! RB008 `input-type`: an input value of the wrong type.
//!
//! - A literal (a list where the action takes text, a word where it takes a number). The check
//!   is as lenient as the service is with literals: numbers and booleans pass for text, digit
//!   strings for integers, `"true"`/`"false"` for booleans, and JSON text for maps.
//! - A whole reference whose declared type does not fit (see [`crate::typing`]): an error for
//!   `aws:runCommand`, whose documents the service refuses to create with one (SPEC 1.4), and a
//!   warning for the other actions, whose steps fail when they run.

use crate::catalog::{InputType, ValueType};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Node, NodeKind, push_key};
use crate::template::has_references;
use crate::typing;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB008", name: "input-type" },
    summary: "literal input values have the type the action takes",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    literals(cx, out);
    for step in &cx.steps {
        let checked_at_creation = step.action.value == "aws:runCommand";
        for mismatch in typing::mismatches_among(cx.document, step, &|name| cx.step(name)) {
            let mut path = format!("{}.inputs", step.path);
            push_key(&mut path, &mismatch.input);
            let diagnostic = if checked_at_creation {
                Diagnostic::error(RULE.code, mismatch.message)
                    .hint("the service refuses to create an aws:runCommand document with this")
            } else {
                Diagnostic::warning(RULE.code, mismatch.message)
                    .hint("the step fails when it runs and its inputs are checked")
            };
            out.push(diagnostic.step(&step.name.value).path(path).span(mismatch.span));
        }
    }
}

fn literals(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in &cx.steps {
        let Some(spec) = step.spec() else { continue };
        let Some(entries) = step.inputs.as_ref().and_then(|inputs| inputs.as_map()) else {
            continue;
        };
        for entry in entries {
            let Some(input) = spec.input(&entry.key) else { continue };
            if let Some(found) = mismatch(input.ty, &entry.value) {
                let mut path = format!("{}.inputs", step.path);
                push_key(&mut path, &entry.key);
                out.push(
                    Diagnostic::error(
                        RULE.code,
                        format!("`{}` takes {}, found {found}", entry.key, describe(input.ty)),
                    )
                    .step(&step.name.value)
                    .path(path)
                    .span(entry.value.span),
                );
            }
        }
    }
}

fn describe(ty: InputType) -> String {
    match ty {
        InputType::Value(ValueType::String) => "text (String)".into(),
        InputType::Value(ValueType::Integer) => "a whole number (Integer)".into(),
        InputType::Value(ValueType::Boolean) => "true or false (Boolean)".into(),
        InputType::Value(ValueType::StringList) => "a list of text (StringList)".into(),
        InputType::Value(ValueType::StringMap) => "a map (StringMap)".into(),
        InputType::Value(ValueType::MapList) => "a list of maps (MapList)".into(),
        InputType::Map => "a map".into(),
        InputType::List => "a list".into(),
        InputType::Any => "any value".into(),
    }
}

/// Whether the text holds a `{{ }}` reference, whose type is only known at run time.
fn templated(node: &Node) -> bool {
    node.as_str().is_some_and(has_references)
}

/// What was found instead, when `node` does not fit `ty`.
fn mismatch(ty: InputType, node: &Node) -> Option<String> {
    if templated(node) || matches!(node.kind, NodeKind::Null) {
        return None;
    }
    let found = || Some(node.type_name().to_string());
    match ty {
        InputType::Any => None,
        InputType::Value(ValueType::String) => {
            matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_))
                .then(|| node.type_name().into())
        }
        InputType::Value(ValueType::Integer) => match &node.kind {
            NodeKind::Int(_) => None,
            NodeKind::Str(text) if text.trim().parse::<i64>().is_ok() => None,
            NodeKind::Str(text) => Some(format!("`{text}`")),
            _ => found(),
        },
        InputType::Value(ValueType::Boolean) => match &node.kind {
            NodeKind::Bool(_) => None,
            NodeKind::Str(text)
                if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") =>
            {
                None
            }
            NodeKind::Str(text) => Some(format!("`{text}`")),
            _ => found(),
        },
        InputType::Value(ValueType::StringList) => match &node.kind {
            NodeKind::Seq(items) => items
                .iter()
                .find(|item| {
                    matches!(item.kind, NodeKind::Seq(_) | NodeKind::Map(_)) && !templated(item)
                })
                .map(|item| format!("a list holding {}", item.type_name())),
            _ => found(),
        },
        InputType::Value(ValueType::StringMap) | InputType::Map => match &node.kind {
            NodeKind::Map(_) => None,
            NodeKind::Str(text) if serde_json::from_str::<serde_json::Map<_, _>>(text).is_ok() => {
                None
            }
            _ => found(),
        },
        InputType::Value(ValueType::MapList) => match &node.kind {
            NodeKind::Seq(items) => items
                .iter()
                .find(|item| !matches!(item.kind, NodeKind::Map(_)) && !templated(item))
                .map(|item| format!("a list holding {}", item.type_name())),
            _ => found(),
        },
        InputType::List => {
            (!matches!(node.kind, NodeKind::Seq(_))).then(|| node.type_name().into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::validate::testing::{check, messages, runbook};

    #[test]
    fn wrong_literals_are_reported() {
        let bad = runbook(
            "- name: a\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: i-1, DesiredState: [stopped], Force: maybe}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "`InstanceIds` takes a list of text (StringList), found a string",
                "`DesiredState` takes text (String), found a list",
                "`Force` takes true or false (Boolean), found `maybe`",
            ]
        );
    }

    #[test]
    fn lenient_spellings_and_references_pass() {
        let good = runbook(
            "- name: a\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: '{{ Ids }}', DesiredState: stopped, Force: 'true'}\n- name: b\n  action: aws:runInstances\n  inputs: {ImageId: ami-1, MaxInstanceCount: '1', MinInstanceCount: 1}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }

    #[test]
    fn run_command_references_of_the_wrong_type_are_errors() {
        let yaml = "schemaVersion: '0.3'\nparameters:\n  Id: {type: String}\n  Timeout: {type: String, default: '600'}\n  Ids: {type: StringList}\nmainSteps:\n- name: a\n  action: aws:runCommand\n  inputs: {DocumentName: AWS-RunShellScript, InstanceIds: '{{ Id }}', TimeoutSeconds: '{{ Timeout }}'}\n- name: b\n  action: aws:runCommand\n  inputs: {DocumentName: AWS-RunShellScript, InstanceIds: ['{{ Id }}']}\n- name: c\n  action: aws:runCommand\n  inputs: {DocumentName: AWS-RunShellScript, InstanceIds: '{{ Ids }}'}\n";
        let found = check(RULE.code, yaml);
        let shown: Vec<(Severity, &str)> =
            found.iter().map(|d| (d.severity, d.message.as_str())).collect();
        assert_eq!(
            shown,
            [
                (
                    Severity::Error,
                    "parameter `Id` is a String, but input `InstanceIds` takes a StringList"
                ),
                (
                    Severity::Error,
                    "parameter `Timeout` is a String, but input `TimeoutSeconds` takes an Integer"
                ),
            ]
        );
        assert_eq!(found[0].path, "mainSteps[0].inputs.InstanceIds");
    }

    #[test]
    fn other_actions_get_a_warning_and_fail_when_they_run() {
        let yaml = "schemaVersion: '0.3'\nparameters:\n  Count: {type: String}\nmainSteps:\n- name: a\n  action: aws:runInstances\n  inputs: {ImageId: ami-1, MaxInstanceCount: '{{ Count }}'}\n";
        let found = check(RULE.code, yaml);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(
            found[0].message,
            "parameter `Count` is a String, but input `MaxInstanceCount` takes an Integer"
        );
    }
}
