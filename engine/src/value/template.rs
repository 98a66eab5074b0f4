//! `{{ }}` templates resolved against a run's state: a value's references parsed once, each
//! resolved on use; a reference with no value yet stays as written (RULINGS 12).
//!
//! A plan holds a template for every input of every step for the whole run, so templates are
//! kept small: a string is held once for all the steps that write it (input names, `Service:
//! ssm`), and a string with references keeps its text once, its parts and names being ranges
//! of it.

use std::sync::Arc;

use serde_json::{Map, Number, Value};

use crate::names::NameSet;
use crate::record::as_text;
use crate::syntax::{Node, NodeKind};
use crate::template::{Found, Part, Target, TargetKind, Template};

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

/// What a reference refers to, its names borrowed from the template's text (the forms of
/// [`Target`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetRef<'a> {
    /// `{{ Name }}`.
    Parameter(&'a str),
    /// `{{ step.Output }}`.
    StepOutput { step: &'a str, output: &'a str },
    /// `{{ variable:NAME }}`.
    Variable(&'a str),
    /// `{{ global:NAME }}`.
    Global(&'a str),
    /// `{{ automation:NAME }}`.
    Automation(&'a str),
    /// `{{ ssm:/path }}`.
    ParameterStore(&'a str),
    /// `{{ ssm-secure:/path }}`.
    SecureParameterStore(&'a str),
}

impl<'a> From<&'a Target> for TargetRef<'a> {
    fn from(target: &'a Target) -> Self {
        match target {
            Target::Parameter(name) => Self::Parameter(name),
            Target::StepOutput { step, output } => Self::StepOutput { step, output },
            Target::Variable(name) => Self::Variable(name),
            Target::Global(name) => Self::Global(name),
            Target::Automation(name) => Self::Automation(name),
            Target::ParameterStore(path) => Self::ParameterStore(path),
            Target::SecureParameterStore(path) => Self::SecureParameterStore(path),
        }
    }
}

/// Answers one reference.
pub(crate) type Lookup<'a> = dyn Fn(TargetRef<'_>) -> Result<Value, Missing> + 'a;

/// The strings of a plan's templates, each held once.
#[derive(Debug, Default)]
pub(crate) struct Strings(NameSet<Arc<str>>);

impl Strings {
    /// `text`, shared with every other use of the same text.
    pub(crate) fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// A value with its `{{ }}` references parsed once, ready to resolve on each use.
#[derive(Clone, Debug)]
pub(crate) enum ValueTemplate {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string with no references.
    Str(Arc<str>),
    /// A string with references.
    Text(Box<TextTemplate>),
    /// A list.
    List(Box<[ValueTemplate]>),
    /// A map, in order.
    Map(Box<[(Arc<str>, ValueTemplate)]>),
    /// A string with references too long for [`TextTemplate`]'s ranges.
    Large(Box<Template>),
}

/// A string with references: its text, and its parts as ranges of it.
#[derive(Clone, Debug)]
pub(crate) struct TextTemplate {
    text: Box<str>,
    parts: Box<[Piece]>,
}

/// A byte range of a [`TextTemplate`]'s text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Range {
    start: u32,
    end: u32,
}

/// A part of a [`TextTemplate`]: literal text, or a reference as written with its names.
#[derive(Clone, Copy, Debug)]
struct Piece {
    written: Range,
    name: Name,
}

/// What a piece is: literal text, or a reference of one of [`TargetRef`]'s forms with the
/// ranges of its names.
#[derive(Clone, Copy, Debug)]
enum Name {
    Literal,
    Parameter(Range),
    StepOutput(Range, Range),
    Variable(Range),
    Global(Range),
    Automation(Range),
    ParameterStore(Range),
    SecureParameterStore(Range),
}

impl Range {
    fn new(start: usize, end: usize) -> Option<Self> {
        Some(Self { start: u32::try_from(start).ok()?, end: u32::try_from(end).ok()? })
    }

    fn of(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize).unwrap_or_default()
    }
}

/// A piece of a string template, borrowed.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Literal(&'a str),
    Ref { written: &'a str, target: TargetRef<'a> },
}

impl TextTemplate {
    /// The template of `text`, read straight from it; `None` when it holds no reference. The
    /// text must fit [`Range`]s (4 GiB).
    fn read(text: &str) -> Option<Self> {
        // Each name the pieces hold is a slice of `text`: its place is its distance from the start.
        let base = text.as_ptr() as usize;
        let range = |part: &str| {
            let start = part.as_ptr() as usize - base;
            Range::new(start, start + part.len())
        };
        let mut parts = Vec::with_capacity(3);
        let mut references = false;
        for piece in crate::template::pieces(text) {
            let (written, name) = match piece {
                crate::template::Piece::Literal(literal) => (literal, Some(Name::Literal)),
                crate::template::Piece::Reference(found) => {
                    references = true;
                    (found.written, name_of(&found, range))
                }
            };
            if let (Some(written), Some(name)) = (range(written), name) {
                parts.push(Piece { written, name });
            }
        }
        references.then(|| Self { text: text.into(), parts: parts.into_boxed_slice() })
    }

    fn segments(&self) -> impl Iterator<Item = Segment<'_>> + Clone {
        let text = &*self.text;
        self.parts.iter().map(move |piece| {
            let written = piece.written.of(text);
            let target = match piece.name {
                Name::Literal => return Segment::Literal(written),
                Name::Parameter(name) => TargetRef::Parameter(name.of(text)),
                Name::StepOutput(step, output) => {
                    TargetRef::StepOutput { step: step.of(text), output: output.of(text) }
                }
                Name::Variable(name) => TargetRef::Variable(name.of(text)),
                Name::Global(name) => TargetRef::Global(name.of(text)),
                Name::Automation(name) => TargetRef::Automation(name.of(text)),
                Name::ParameterStore(path) => TargetRef::ParameterStore(path.of(text)),
                Name::SecureParameterStore(path) => TargetRef::SecureParameterStore(path.of(text)),
            };
            Segment::Ref { written, target }
        })
    }
}

/// The names of the reference `found`, as ranges of its text (`range` places a slice of it).
fn name_of(found: &Found<'_>, range: impl Fn(&str) -> Option<Range>) -> Option<Name> {
    let name = range(found.name)?;
    Some(match found.kind {
        TargetKind::Parameter => Name::Parameter(name),
        TargetKind::StepOutput => Name::StepOutput(name, range(found.output)?),
        TargetKind::Variable => Name::Variable(name),
        TargetKind::Global => Name::Global(name),
        TargetKind::Automation => Name::Automation(name),
        TargetKind::ParameterStore => Name::ParameterStore(name),
        TargetKind::SecureParameterStore => Name::SecureParameterStore(name),
    })
}

impl ValueTemplate {
    /// An empty map.
    pub(crate) fn empty_map() -> Self {
        Self::Map(Box::default())
    }

    /// Prepares `node`.
    pub(crate) fn from_node(node: &Node, strings: &mut Strings) -> Self {
        Self::from_node_without(node, &[], strings)
    }

    /// Prepares `node`, leaving out the map keys `skipped` at its top.
    pub(crate) fn from_node_without(node: &Node, skipped: &[&str], strings: &mut Strings) -> Self {
        match &node.kind {
            NodeKind::Str(text) => Self::from_text(text, strings),
            NodeKind::Seq(items) => {
                Self::List(items.iter().map(|item| Self::from_node(item, strings)).collect())
            }
            NodeKind::Map(entries) => Self::Map(
                entries
                    .iter()
                    .filter(|entry| !skipped.contains(&entry.key.as_str()))
                    .map(|entry| (strings.get(&entry.key), Self::from_node(&entry.value, strings)))
                    .collect(),
            ),
            _ => Self::from_json(node.to_json(), strings),
        }
    }

    /// Prepares a JSON value.
    pub(crate) fn from_json(value: Value, strings: &mut Strings) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(value) => Self::Bool(value),
            Value::Number(number) => Self::Number(number),
            Value::String(text) => Self::from_text(&text, strings),
            Value::Array(items) => {
                Self::List(items.into_iter().map(|item| Self::from_json(item, strings)).collect())
            }
            Value::Object(map) => Self::Map(
                map.into_iter()
                    .map(|(key, value)| (strings.get(&key), Self::from_json(value, strings)))
                    .collect(),
            ),
        }
    }

    fn from_text(text: &str, strings: &mut Strings) -> Self {
        if crate::template::may_have_references(text) {
            if u32::try_from(text.len()).is_ok() {
                if let Some(compact) = TextTemplate::read(text) {
                    return Self::Text(Box::new(compact));
                }
            } else {
                let template = Template::parse(text);
                if template.has_references() {
                    return Self::Large(Box::new(template));
                }
            }
        }
        Self::Str(strings.get(text))
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
            Self::Null => Ok(Value::Null),
            Self::Bool(value) => Ok(Value::Bool(*value)),
            Self::Number(number) => Ok(Value::Number(number.clone())),
            Self::Str(text) => Ok(Value::String(String::from(&**text))),
            Self::Text(template) => resolve_text(template.segments(), lookup, left),
            Self::Large(template) => resolve_text(large_segments(template), lookup, left),
            Self::List(items) => {
                // A one-item list holding a whole reference to a list is that list (SPEC 5.2).
                if let [item @ (Self::Text(_) | Self::Large(_))] = &**items
                    && item.is_whole_reference()
                {
                    return Ok(match item.resolve(lookup, left)? {
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
                    map.insert(String::from(&**key), value.resolve(lookup, left)?);
                }
                Ok(Value::Object(map))
            }
        }
    }

    /// The name of the `index`th entry of a map, shared, when it is `name`; else `name`.
    pub(crate) fn shared_key(&self, index: usize, name: &str) -> Arc<str> {
        match self {
            Self::Map(entries) => match entries.get(index) {
                Some((key, _)) if **key == *name => Arc::clone(key),
                _ => Arc::from(name),
            },
            _ => Arc::from(name),
        }
    }

    fn is_whole_reference(&self) -> bool {
        match self {
            Self::Text(template) => {
                matches!(&*template.parts, [Piece { name, .. }] if !matches!(name, Name::Literal))
            }
            Self::Large(template) => template.as_whole_reference().is_some(),
            _ => false,
        }
    }
}

fn large_segments(template: &Template) -> impl Iterator<Item = Segment<'_>> + Clone {
    template.parts.iter().map(|part| match part {
        Part::Text(literal) => Segment::Literal(literal),
        Part::Ref(reference) => {
            Segment::Ref { written: &reference.written, target: (&reference.target).into() }
        }
    })
}

/// A string template: a whole reference keeps the value's type; anything else is text, with
/// values rendered by RULINGS 10 (strings as they are, other values as compact JSON).
fn resolve_text<'a>(
    mut segments: impl Iterator<Item = Segment<'a>> + Clone,
    lookup: &Lookup<'_>,
    left: &mut Vec<Left>,
) -> Result<Value, String> {
    let mut pair = segments.clone();
    if let (Some(Segment::Ref { written, target }), None) = (pair.next(), pair.next()) {
        return resolve_reference(written, target, lookup, left);
    }
    let mut text = String::new();
    segments.try_for_each(|segment| {
        match segment {
            Segment::Literal(literal) => text.push_str(literal),
            Segment::Ref { written, target } => {
                text.push_str(&as_text(&resolve_reference(written, target, lookup, left)?));
            }
        }
        Ok::<_, String>(())
    })?;
    Ok(Value::String(text))
}

/// One reference's value, or its literal text when it has no value yet (RULINGS 12).
fn resolve_reference(
    written: &str,
    target: TargetRef<'_>,
    lookup: &Lookup<'_>,
    left: &mut Vec<Left>,
) -> Result<Value, String> {
    match lookup(target) {
        Ok(value) => Ok(value),
        Err(Missing::NotYet(reason)) => {
            left.push(Left { written: written.to_string(), reason });
            Ok(Value::String(written.to_string()))
        }
        Err(Missing::Invalid(message)) => Err(message),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lookup(target: TargetRef<'_>) -> Result<Value, Missing> {
        match target {
            TargetRef::Parameter("Ids") => Ok(json!(["i-1", "i-2"])),
            TargetRef::Parameter("Count") => Ok(json!(5)),
            TargetRef::Parameter("Map") => Ok(json!({"a": 1})),
            TargetRef::Parameter("Name") => Ok(json!("web")),
            TargetRef::StepOutput { step, .. } => {
                Err(Missing::NotYet(format!("`{step}` has not run")))
            }
            TargetRef::Parameter(name) => {
                Err(Missing::Invalid(format!("`{name}` is not a parameter")))
            }
            other => Err(Missing::Invalid(format!("{other:?} is not a parameter"))),
        }
    }

    fn resolve(value: Value) -> Result<Value, String> {
        let mut left = Vec::new();
        let value =
            ValueTemplate::from_json(value, &mut Strings::default()).resolve(&lookup, &mut left);
        assert!(left.is_empty(), "{left:?}");
        value
    }

    fn resolve_leaving(value: Value) -> (Result<Value, String>, Vec<Left>) {
        let mut left = Vec::new();
        let value =
            ValueTemplate::from_json(value, &mut Strings::default()).resolve(&lookup, &mut left);
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
    fn every_reference_form_is_read_from_the_text_as_written() {
        let text = "{{ A }}-{{b.C.d}}-{{  variable:V }}-{{global:REGION}}-{{automation:EXECUTION_ID}}-{{ ssm:/a/b }}-{{ ssm-secure:/db/pw }}-{{ x.x }}{{ nope";
        let template = Template::parse(text);
        let compact = TextTemplate::read(text).unwrap();
        let read: Vec<_> = compact
            .segments()
            .map(|segment| match segment {
                Segment::Literal(literal) => (literal, None),
                Segment::Ref { written, target } => (written, Some(target)),
            })
            .collect();
        let parsed: Vec<_> = large_segments(&template)
            .map(|segment| match segment {
                Segment::Literal(literal) => (literal, None),
                Segment::Ref { written, target } => (written, Some(target)),
            })
            .collect();
        assert_eq!(read, parsed);
        assert_eq!(read.len(), 16);
        assert_eq!(
            read[2],
            ("{{b.C.d}}", Some(TargetRef::StepOutput { step: "b", output: "C.d" }))
        );
        assert_eq!(read[14], ("{{ x.x }}", Some(TargetRef::StepOutput { step: "x", output: "x" })));
        assert_eq!(read[15], ("{{ nope", None));
    }

    #[test]
    fn a_template_kept_whole_resolves_as_a_compact_one() {
        let mut strings = Strings::default();
        for text in ["{{ Ids }}", "n={{ Count }} {{ Name }}", "{{ other.Id }}", "x{{ Nope }}"] {
            let compact = ValueTemplate::from_json(json!([text]), &mut strings);
            let large = ValueTemplate::List(Box::new([ValueTemplate::Large(Box::new(
                Template::parse(text),
            ))]));
            let (mut left, mut left_large) = (Vec::new(), Vec::new());
            assert_eq!(
                compact.resolve(&lookup, &mut left),
                large.resolve(&lookup, &mut left_large),
                "{text}"
            );
            assert_eq!(left, left_large);
        }
    }

    #[test]
    fn strings_are_held_once() {
        let mut strings = Strings::default();
        let one = ValueTemplate::from_json(json!({"Service": "ssm"}), &mut strings);
        let two = ValueTemplate::from_json(json!({"Service": "ssm"}), &mut strings);
        let (ValueTemplate::Map(one), ValueTemplate::Map(two)) = (one, two) else { panic!() };
        assert!(Arc::ptr_eq(&one[0].0, &two[0].0));
        let (ValueTemplate::Str(a), ValueTemplate::Str(b)) = (&one[0].1, &two[0].1) else {
            panic!()
        };
        assert!(Arc::ptr_eq(a, b));
    }
}
