//! Values at run time, one job per module: `template` resolves `{{ }}` references against a
//! run's state, `output` converts selected outputs to their declared types, `coerce` brings
//! parameter and variable values to theirs. Parameter binding and the executor both build on
//! this module; it depends on neither.

pub(crate) mod coerce;
pub(crate) mod output;
pub(crate) mod template;

use serde_json::Value;

use crate::syntax::{Node, NodeKind};

pub(crate) use coerce::coerce;
pub(crate) use output::convert_output;
pub(crate) use template::{Left, Missing, Strings, TargetRef, ValueTemplate};

/// A value for messages: `"text"`, `5`, `a list of 3 items`, `a map`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        Value::Array(items) => format!("a list of {} items", items.len()),
        Value::Object(_) => "a map".to_string(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// The value written in a node, for literal fields read at run time.
pub(crate) fn node_value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => Value::Null,
        _ => node.to_json(),
    }
}
