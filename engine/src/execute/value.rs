//! Values at run time: `{{ }}` templates resolved against the run's state (a reference with no
//! value yet stays as written, RULINGS 12), output type conversions (SPEC 4.2, RULINGS 14), and
//! parameter value coercions (SPEC 2.3).

use serde_json::{Map, Value};

use crate::catalog::ValueType;
use crate::record::as_text;
use crate::syntax::{Node, NodeKind};
use crate::template::{Part, Reference, Target, Template};

/// Why a reference has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    /// Not yet, in this run: the step did not run, or its selector matched nothing. The
    /// reference is left in place as it is written (RULINGS 12, 13).
    NotYet(String),
    /// Never: the reference is wrong, and the value holding it cannot be resolved.
    Invalid(String),
}

/// A reference left in place as its literal text, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Left {
    /// The reference as written, braces included.
    pub(crate) written: String,
    /// Why it had no value.
    pub(crate) reason: String,
}

/// Answers one reference.
pub(crate) type Lookup<'a> = dyn Fn(&Target) -> Result<Value, Missing> + 'a;

/// A value with its `{{ }}` references parsed once, ready to resolve on each use.
#[derive(Clone, Debug)]
pub(crate) enum Tpl {
    /// A value with no references.
    Literal(Value),
    /// A string with references.
    Text(Template),
    /// A list holding references somewhere.
    List(Vec<Tpl>),
    /// A map holding references somewhere.
    Map(Vec<(String, Tpl)>),
}

impl Tpl {
    /// Prepares `node`.
    pub(crate) fn from_node(node: &Node) -> Self {
        Self::from_json(node.to_json())
    }

    /// Prepares a JSON value.
    pub(crate) fn from_json(value: Value) -> Self {
        match value {
            Value::String(text) if crate::template::may_have_references(&text) => {
                let template = Template::parse(&text);
                if template.has_references() {
                    Self::Text(template)
                } else {
                    Self::Literal(Value::String(text))
                }
            }
            Value::Array(items) => {
                let items: Vec<Self> = items.into_iter().map(Self::from_json).collect();
                if items.iter().all(|item| matches!(item, Self::Literal(_))) {
                    Self::Literal(Value::Array(items.into_iter().map(Self::into_literal).collect()))
                } else {
                    Self::List(items)
                }
            }
            Value::Object(map) => {
                let entries: Vec<(String, Self)> =
                    map.into_iter().map(|(key, value)| (key, Self::from_json(value))).collect();
                if entries.iter().all(|(_, value)| matches!(value, Self::Literal(_))) {
                    Self::Literal(Value::Object(
                        entries
                            .into_iter()
                            .map(|(key, value)| (key, value.into_literal()))
                            .collect(),
                    ))
                } else {
                    Self::Map(entries)
                }
            }
            other => Self::Literal(other),
        }
    }

    fn into_literal(self) -> Value {
        match self {
            Self::Literal(value) => value,
            _ => Value::Null,
        }
    }

    /// Resolves the value; `lookup` answers each reference or says why it cannot. A reference
    /// with no value yet stays as its literal text and is added to `left`; an invalid one
    /// is the error.
    pub(crate) fn resolve(
        &self,
        lookup: &Lookup<'_>,
        left: &mut Vec<Left>,
    ) -> Result<Value, String> {
        match self {
            Self::Literal(value) => Ok(value.clone()),
            Self::Text(template) => resolve_text(template, lookup, left),
            Self::List(items) => {
                // A one-item list holding a whole reference to a list is that list (SPEC 5.2).
                if let [Self::Text(template)] = items.as_slice()
                    && template.as_whole_reference().is_some()
                {
                    let value = resolve_text(template, lookup, left)?;
                    return Ok(match value {
                        Value::Array(items) => Value::Array(items),
                        other => Value::Array(vec![other]),
                    });
                }
                items
                    .iter()
                    .map(|item| item.resolve(lookup, left))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
            Self::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    map.insert(key.clone(), value.resolve(lookup, left)?);
                }
                Ok(Value::Object(map))
            }
        }
    }
}

/// A string template: a whole reference keeps the value's type; anything else is text, with
/// values rendered by RULINGS 10 (strings as they are, other values as compact JSON).
fn resolve_text(
    template: &Template,
    lookup: &Lookup<'_>,
    left: &mut Vec<Left>,
) -> Result<Value, String> {
    if let Some(reference) = template.as_whole_reference() {
        return resolve_reference(reference, lookup, left);
    }
    let mut text = String::new();
    for part in &template.parts {
        match part {
            Part::Text(literal) => text.push_str(literal),
            Part::Ref(reference) => {
                text.push_str(&as_text(&resolve_reference(reference, lookup, left)?));
            }
        }
    }
    Ok(Value::String(text))
}

/// One reference's value, or its literal text when it has no value yet (RULINGS 12).
fn resolve_reference(
    reference: &Reference,
    lookup: &Lookup<'_>,
    left: &mut Vec<Left>,
) -> Result<Value, String> {
    match lookup(&reference.target) {
        Ok(value) => Ok(value),
        Err(Missing::NotYet(reason)) => {
            left.push(Left { written: reference.written.clone(), reason });
            Ok(Value::String(reference.written.clone()))
        }
        Err(Missing::Invalid(message)) => Err(message),
    }
}

/// Converts a selected output value to its declared type, by the service's table (SPEC 4.2):
/// `String` to `StringList`, `Integer` and `Boolean`; `Integer` and `Boolean` to `String` and
/// `StringList`; a one-item list to `String`, `Integer` and `Boolean`. Anything else is an error naming the value.
pub(crate) fn convert_output(value: Value, ty: ValueType) -> Result<Value, String> {
    let mismatch = |value: &Value| Err(format!("cannot convert {} to {ty}", describe(value)));
    match (ty, value) {
        (_, Value::Array(mut items))
            if items.len() == 1
                && matches!(ty, ValueType::String | ValueType::Integer | ValueType::Boolean)
                && !items[0].is_array()
                && !items[0].is_object() =>
        {
            convert_output(items.remove(0), ty)
        }
        (ValueType::String, Value::String(text)) => Ok(Value::String(text)),
        (ValueType::String, value @ (Value::Number(_) | Value::Bool(_))) => {
            Ok(Value::String(value.to_string()))
        }
        (ValueType::Integer, Value::Number(number)) => match number.as_i64() {
            Some(int) => Ok(Value::from(int)),
            None => number
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                .map_or_else(
                    || mismatch(&Value::Number(number.clone())),
                    |float| Ok(Value::from(float as i64)),
                ),
        },
        (ValueType::Integer, Value::String(text)) => match text.trim().parse::<i64>() {
            Ok(int) => Ok(Value::from(int)),
            Err(_) => mismatch(&Value::String(text)),
        },
        (ValueType::Boolean, Value::Bool(value)) => Ok(Value::Bool(value)),
        (ValueType::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("true") => {
            Ok(Value::Bool(true))
        }
        (ValueType::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("false") => {
            Ok(Value::Bool(false))
        }
        (ValueType::StringList, Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(Value::String(text)),
                scalar @ (Value::Number(_) | Value::Bool(_)) => {
                    Ok(Value::String(scalar.to_string()))
                }
                other => {
                    Err(format!("cannot convert a list holding {} to StringList", describe(&other)))
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (ValueType::StringList, Value::String(text)) => Ok(Value::Array(vec![Value::String(text)])),
        (ValueType::StringList, scalar @ (Value::Number(_) | Value::Bool(_))) => {
            Ok(Value::Array(vec![Value::String(scalar.to_string())]))
        }
        (ValueType::StringMap, Value::Object(map)) => Ok(Value::Object(map)),
        (ValueType::MapList, Value::Array(items)) if items.iter().all(Value::is_object) => {
            Ok(Value::Array(items))
        }
        (_, value) => mismatch(&value),
    }
}

/// Coerces a parameter or variable value to its type, as values arrive from the API (lists of
/// strings), the command line (text) or a parameters file (typed JSON).
pub(crate) fn coerce(value: &Value, ty: ValueType) -> Result<Value, String> {
    let bad = || Err(format!("{} is not a valid {ty}", describe(value)));
    match (ty, value) {
        // The API form: a one-item list of text for scalar types.
        (
            ValueType::String | ValueType::Integer | ValueType::Boolean | ValueType::StringMap,
            Value::Array(items),
        ) if items.len() == 1 => coerce(&items[0], ty),
        (ValueType::String, Value::String(_))
        | (ValueType::Boolean, Value::Bool(_))
        | (ValueType::StringMap, Value::Object(_)) => Ok(value.clone()),
        (ValueType::Integer, Value::Number(number)) if number.is_i64() => Ok(value.clone()),
        (ValueType::String, Value::Number(_) | Value::Bool(_)) => {
            Ok(Value::String(value.to_string()))
        }
        (ValueType::Integer, Value::String(text)) => {
            text.trim().parse::<i64>().map(Value::from).or_else(|_| bad())
        }
        (ValueType::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("true") => {
            Ok(Value::Bool(true))
        }
        (ValueType::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("false") => {
            Ok(Value::Bool(false))
        }
        (ValueType::StringList, Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(_) => Ok(item.clone()),
                Value::Number(_) | Value::Bool(_) => Ok(Value::String(item.to_string())),
                _ => bad(),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (ValueType::StringList, Value::String(text)) => {
            let trimmed = text.trim();
            if trimmed.starts_with('[')
                && let Ok(list @ Value::Array(_)) = serde_json::from_str::<Value>(trimmed)
            {
                return coerce(&list, ty);
            }
            if trimmed.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            Ok(Value::Array(
                text.split(',').map(|item| Value::String(item.trim().to_string())).collect(),
            ))
        }
        (ValueType::StringMap, Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(map @ Value::Object(_)) => Ok(map),
            _ => bad(),
        },
        (ValueType::MapList, Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Object(_) => Ok(item.clone()),
                Value::String(text) => match serde_json::from_str::<Value>(text) {
                    Ok(map @ Value::Object(_)) => Ok(map),
                    _ => bad(),
                },
                _ => bad(),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (ValueType::MapList, Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(list @ Value::Array(_)) => coerce(&list, ty),
            _ => bad(),
        },
        _ => bad(),
    }
}

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lookup(target: &Target) -> Result<Value, Missing> {
        match target {
            Target::Parameter(name) if name == "Ids" => Ok(json!(["i-1", "i-2"])),
            Target::Parameter(name) if name == "Count" => Ok(json!(5)),
            Target::Parameter(name) if name == "Map" => Ok(json!({"a": 1})),
            Target::Parameter(name) if name == "Name" => Ok(json!("web")),
            Target::StepOutput { step, .. } => {
                Err(Missing::NotYet(format!("`{step}` has not run")))
            }
            other => Err(Missing::Invalid(format!("`{other}` is not a parameter"))),
        }
    }

    fn resolve(value: Value) -> Result<Value, String> {
        let mut left = Vec::new();
        let value = Tpl::from_json(value).resolve(&lookup, &mut left);
        assert!(left.is_empty(), "{left:?}");
        value
    }

    fn resolve_leaving(value: Value) -> (Result<Value, String>, Vec<Left>) {
        let mut left = Vec::new();
        let value = Tpl::from_json(value).resolve(&lookup, &mut left);
        (value, left)
    }

    #[test]
    fn whole_references_keep_their_type() {
        assert_eq!(resolve(json!("{{ Ids }}")), Ok(json!(["i-1", "i-2"])));
        assert_eq!(resolve(json!("{{Count}}")), Ok(json!(5)));
        assert_eq!(resolve(json!({"m": "{{ Map }}"})), Ok(json!({"m": {"a": 1}})));
    }

    #[test]
    fn a_one_item_list_of_a_list_reference_is_that_list() {
        assert_eq!(resolve(json!(["{{ Ids }}"])), Ok(json!(["i-1", "i-2"])));
        assert_eq!(resolve(json!(["{{ Name }}"])), Ok(json!(["web"])));
        assert_eq!(resolve(json!(["{{ Name }}", "x"])), Ok(json!(["web", "x"])));
    }

    #[test]
    fn embedded_references_render_as_text() {
        assert_eq!(
            resolve(json!("ids={{ Ids }} n={{ Count }} m={{ Map }} {{ Name }}")),
            Ok(json!("ids=[\"i-1\",\"i-2\"] n=5 m={\"a\":1} web"))
        );
    }

    #[test]
    fn references_with_no_value_yet_stay_as_written() {
        let (value, left) = resolve_leaving(
            json!({"a": ["x-{{step.Out}}"], "b": "{{ other.Id }}", "c": ["{{ other.Id }}"]}),
        );
        assert_eq!(
            value,
            Ok(json!({"a": ["x-{{step.Out}}"], "b": "{{ other.Id }}", "c": ["{{ other.Id }}"]}))
        );
        assert_eq!(
            left,
            [
                Left { written: "{{step.Out}}".into(), reason: "`step` has not run".into() },
                Left { written: "{{ other.Id }}".into(), reason: "`other` has not run".into() },
                Left { written: "{{ other.Id }}".into(), reason: "`other` has not run".into() },
            ]
        );
    }

    #[test]
    fn invalid_references_are_errors() {
        let (value, _) = resolve_leaving(json!({"a": ["x-{{ Nope }}"]}));
        assert_eq!(value, Err("`Nope` is not a parameter".into()));
    }

    #[test]
    fn outputs_convert_by_the_services_table() {
        assert_eq!(convert_output(json!(16), ValueType::String), Ok(json!("16")));
        assert_eq!(convert_output(json!(["ami-1"]), ValueType::String), Ok(json!("ami-1")));
        assert_eq!(convert_output(json!("12"), ValueType::Integer), Ok(json!(12)));
        assert_eq!(convert_output(json!("True"), ValueType::Boolean), Ok(json!(true)));
        assert_eq!(convert_output(json!("a"), ValueType::StringList), Ok(json!(["a"])));
        assert_eq!(
            convert_output(json!([1, true]), ValueType::StringList),
            Ok(json!(["1", "true"]))
        );
        assert_eq!(
            convert_output(json!(["a", "b"]), ValueType::String),
            Err("cannot convert a list of 2 items to String".into())
        );
        assert_eq!(
            convert_output(json!("x"), ValueType::StringMap),
            Err("cannot convert \"x\" to StringMap".into())
        );
    }

    #[test]
    fn parameter_values_coerce_from_every_form() {
        assert_eq!(coerce(&json!(["5"]), ValueType::Integer), Ok(json!(5)));
        assert_eq!(coerce(&json!("TRUE"), ValueType::Boolean), Ok(json!(true)));
        assert_eq!(coerce(&json!("a, b"), ValueType::StringList), Ok(json!(["a", "b"])));
        assert_eq!(coerce(&json!("[\"a\"]"), ValueType::StringList), Ok(json!(["a"])));
        assert_eq!(coerce(&json!("{\"k\": \"v\"}"), ValueType::StringMap), Ok(json!({"k": "v"})));
        assert_eq!(coerce(&json!(["{\"k\": 1}"]), ValueType::MapList), Ok(json!([{"k": 1}])));
        assert_eq!(
            coerce(&json!("abc"), ValueType::Integer),
            Err("\"abc\" is not a valid Integer".into())
        );
        assert_eq!(
            coerce(&json!(3.5), ValueType::Integer),
            Err("3.5 is not a valid Integer".into())
        );
    }
}
