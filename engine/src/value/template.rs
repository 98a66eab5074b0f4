//! `{{ }}` templates resolved against a run's state: a value's references parsed once, each
//! resolved on use; a reference with no value yet stays as written (RULINGS 12).

use serde_json::{Map, Value};

use crate::record::as_text;
use crate::syntax::Node;
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
pub(crate) enum ValueTemplate {
    /// A value with no references.
    Literal(Value),
    /// A string with references.
    Text(Template),
    /// A list holding references somewhere.
    List(Vec<ValueTemplate>),
    /// A map holding references somewhere.
    Map(Vec<(String, ValueTemplate)>),
}

impl ValueTemplate {
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
        let value = ValueTemplate::from_json(value).resolve(&lookup, &mut left);
        assert!(left.is_empty(), "{left:?}");
        value
    }

    fn resolve_leaving(value: Value) -> (Result<Value, String>, Vec<Left>) {
        let mut left = Vec::new();
        let value = ValueTemplate::from_json(value).resolve(&lookup, &mut left);
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
}
