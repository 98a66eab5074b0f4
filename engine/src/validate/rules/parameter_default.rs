//! RB016 `parameter-default`: a parameter's `default` must be a valid value of the parameter:
//! its type (SPEC 10.12: a Boolean default is `true`/`false`, an Integer default a bare whole
//! number), `allowedValues`, `allowedPattern`, and the item and character limits.
//!
//! A default of the wrong type is an error: the service refuses the document. A default that
//! breaks `allowedValues`, `allowedPattern` or the limits is a warning: the document is
//! accepted, and only a run that uses the default fails to start. Empty-string defaults
//! (`default: ''`, the service's idiom for "optional") are exempt from the pattern and limits;
//! Parameter Store defaults are checked when they are read; build-time placeholders
//! (`%%ROLE=X%%`, `${X}`) are left to the build that replaces them.

use crate::catalog::ValueType;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::Parameter;
use crate::params::{Pattern, item_texts};
use crate::syntax::{Node, NodeKind};
use crate::template::{Target, Template};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB016", name: "parameter-default" },
    summary: "parameter defaults satisfy the parameter's own type and constraints",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for parameter in &cx.document.parameters {
        let (Some(default), Some(ty)) = (&parameter.default, &parameter.ty) else { continue };
        if is_parameter_store(default) {
            continue;
        }
        if matches!(default.kind, NodeKind::Null) {
            out.push(
                Diagnostic::warning(
                    RULE.code,
                    format!(
                        "the default of `{}` is null, which is read as no value",
                        parameter.name.value
                    ),
                )
                .path(format!("parameters.{}.default", parameter.name.value))
                .span(default.span)
                .hint("write `default: ''` for an empty default"),
            );
            continue;
        }
        let path = format!("parameters.{}.default", parameter.name.value);
        let ty = ty.value.value_type();
        if let Some(problem) = type_problem(ty, default) {
            let message =
                format!("the default of `{}` is not a valid {ty}: {problem}", parameter.name.value);
            out.push(Diagnostic::error(RULE.code, message).path(&path).span(default.span));
            continue;
        }
        if has_placeholder(default) {
            continue;
        }
        for message in constraint_problems(parameter, default) {
            out.push(Diagnostic::warning(RULE.code, message).path(&path).span(default.span));
        }
    }
}

/// Whether the value holds a build-time placeholder (`%%ROLE=X%%`, `${X}`), which a build step
/// replaces before the document reaches the service.
fn has_placeholder(node: &Node) -> bool {
    item_texts(node).iter().any(|text| {
        text.find("%%").is_some_and(|start| text[start + 2..].contains("%%")) || text.contains("${")
    })
}

fn is_parameter_store(node: &Node) -> bool {
    node.as_str().is_some_and(|text| {
        Template::parse(text).as_whole_reference().is_some_and(|reference| {
            matches!(reference.target, Target::ParameterStore(_) | Target::SecureParameterStore(_))
        })
    })
}

/// What is wrong with `node` as a literal of type `ty`.
fn type_problem(ty: ValueType, node: &Node) -> Option<String> {
    let found = || Some(format!("found {}", node.type_name()));
    match (ty, &node.kind) {
        (ValueType::String, NodeKind::Seq(_) | NodeKind::Map(_) | NodeKind::Null) => found(),
        (ValueType::String, _)
        | (ValueType::Integer, NodeKind::Int(_))
        | (ValueType::Boolean, NodeKind::Bool(_))
        | (ValueType::StringMap, NodeKind::Map(_)) => None,
        (ValueType::Integer, NodeKind::Str(text)) => {
            Some(format!("found the text `{text}`; write the number without quotes"))
        }
        (ValueType::Boolean, NodeKind::Str(text)) => {
            Some(format!("found the text `{text}`; write true or false without quotes"))
        }
        (ValueType::StringList, NodeKind::Seq(items)) => items
            .iter()
            .find(|item| matches!(item.kind, NodeKind::Seq(_) | NodeKind::Map(_) | NodeKind::Null))
            .map(|item| format!("an item is {}", item.type_name())),
        (ValueType::StringMap, NodeKind::Str(text)) => {
            serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .is_none_or(|value| !value.is_object())
                .then(|| "found text that is not a JSON object".to_string())
        }
        (ValueType::MapList, NodeKind::Seq(items)) => items
            .iter()
            .find(|item| !matches!(item.kind, NodeKind::Map(_)))
            .map(|item| format!("an item is {}", item.type_name())),
        (ValueType::MapList, NodeKind::Str(text)) => {
            serde_json::from_str::<Vec<serde_json::Map<_, _>>>(text)
                .is_err()
                .then(|| "found text that is not a JSON list of objects".to_string())
        }
        _ => found(),
    }
}

fn constraint_problems(parameter: &Parameter, default: &Node) -> Vec<String> {
    let name = &parameter.name.value;
    let mut problems = Vec::new();
    let items = item_texts(default);
    if let Some(allowed) = &parameter.allowed_values {
        let allowed: Vec<String> = allowed.value.iter().filter_map(Node::scalar_text).collect();
        for item in &items {
            if !allowed.contains(item) {
                problems.push(format!(
                    "the default of `{name}` has value \"{item}\" not found in [{}]",
                    allowed.join(", ")
                ));
            }
        }
    }
    let empty = default.as_str() == Some("");
    if let Some(pattern) = parameter.allowed_pattern.as_ref().filter(|_| !empty)
        && let Some(matched) = Pattern::matches_once(&pattern.value, &items)
    {
        for (item, matched) in items.iter().zip(matched) {
            if !matched {
                problems.push(format!(
                    "the default of `{name}` is \"{item}\", which does not match the allowedPattern {}",
                    pattern.value
                ));
            }
        }
    }
    if let NodeKind::Seq(list) = &default.kind {
        let count = list.len() as u64;
        if let Some(min) = parameter.min_items.as_ref().filter(|min| count < min.value) {
            problems.push(format!(
                "the default of `{name}` has {count} items, fewer than minItems {}",
                min.value
            ));
        }
        if let Some(max) = parameter.max_items.as_ref().filter(|max| count > max.value) {
            problems.push(format!(
                "the default of `{name}` has {count} items, more than maxItems {}",
                max.value
            ));
        }
    }
    if !empty {
        for item in &items {
            let chars = item.chars().count() as u64;
            if let Some(min) = parameter.min_chars.as_ref().filter(|min| chars < min.value) {
                problems.push(format!(
                    "the default of `{name}` has {chars} characters, fewer than minChars {}",
                    min.value
                ));
            }
            if let Some(max) = parameter.max_chars.as_ref().filter(|max| chars > max.value) {
                problems.push(format!(
                    "the default of `{name}` has {chars} characters, more than maxChars {}",
                    max.value
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check, messages};

    fn with_parameters(parameters: &str) -> String {
        format!("schemaVersion: '0.3'\nparameters:\n{parameters}mainSteps: []\n")
    }

    #[test]
    fn typed_defaults_are_strict() {
        let text = with_parameters(
            "  A: {type: Boolean, default: 'true'}\n  B: {type: Integer, default: '3'}\n  C: {type: StringList, default: [[x]]}\n  D: {type: StringMap, default: 'not json'}\n",
        );
        assert_eq!(
            messages(RULE.code, &text),
            [
                "the default of `A` is not a valid Boolean: found the text `true`; write true or false without quotes",
                "the default of `B` is not a valid Integer: found the text `3`; write the number without quotes",
                "the default of `C` is not a valid StringList: an item is a list",
                "the default of `D` is not a valid StringMap: found text that is not a JSON object",
            ]
        );
    }

    #[test]
    fn constraints_apply_to_defaults() {
        let text = with_parameters(
            "  A: {type: String, default: install, allowedValues: [Install, Uninstall]}\n  B: {type: String, default: abc, allowedPattern: '^[0-9]+$'}\n  C: {type: StringList, default: [a, b, c], maxItems: 2}\n  D: {type: String, default: abcdef, maxChars: 3}\n",
        );
        assert_eq!(
            messages(RULE.code, &text),
            [
                "the default of `A` has value \"install\" not found in [Install, Uninstall]",
                "the default of `B` is \"abc\", which does not match the allowedPattern ^[0-9]+$",
                "the default of `C` has 3 items, more than maxItems 2",
                "the default of `D` has 6 characters, more than maxChars 3",
            ]
        );
    }

    #[test]
    fn constraint_problems_are_warnings_and_placeholders_are_skipped() {
        let text = with_parameters(
            "  A: {type: String, default: abc, allowedPattern: '^[0-9]+$'}\n  Role: {type: String, default: '%%ROLE=X%%', allowedPattern: '^arn:'}\n  N: {type: String, default: }\n",
        );
        let found = check(RULE.code, &text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|d| !d.is_error()));
        assert_eq!(found[1].message, "the default of `N` is null, which is read as no value");
    }

    #[test]
    fn good_defaults_and_idioms_pass() {
        let text = with_parameters(
            "  Role: {type: String, default: '', allowedPattern: '^arn:.*$'}\n  Map: {type: StringMap, default: '{}'}\n  Ami: {type: String, default: '{{ ssm:/x }}', allowedPattern: '^ami-'}\n  N: {type: Integer, default: 3}\n  L: {type: StringList, default: [a]}\n",
        );
        assert!(messages(RULE.code, &text).is_empty(), "{:?}", messages(RULE.code, &text));
    }
}
