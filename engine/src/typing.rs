//! Whether the declared type of what a reference names fits the action input it feeds
//! (SPEC 1.3, 1.4, 2.3): "to use a parameter for a plugin input, the parameter type must match
//! the accepted type". Types are static, so this is known before the step runs: the service
//! refuses an `aws:runCommand` document with a mismatch when it is created, and fails any other
//! step when its inputs are checked. Nothing is converted on the way: an Integer does not
//! become a one-item `StringList`, a String `"true"` does not become a Boolean.
//!
//! One exception, which AWS's own AWS-UpdateLinuxAmi and AWS-UpdateWindowsAmi rely on: a
//! `StringList` given whole to a String input (`InstanceId: '{{ launchInstance.InstanceIds }}'`)
//! is its only item, as the service's output conversions take a one-item list for a String
//! (SPEC 4.2); a list of any other length fails the step ([`single_item`]).
//!
//! Only whole references are typed here (an input that is exactly `{{ ref }}`, or a list whose
//! items are); text with a reference inside is a String, and literals are RB008's.

use crate::catalog::{InputType, ValueType};
use crate::document::{Document, Step};
use crate::syntax::{Node, NodeKind, Span};
use crate::template::{Target, Template};

/// A reference whose declared type does not fit the input it is given to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TypeMismatch {
    /// The input.
    pub(crate) input: String,
    /// The string holding the reference.
    pub(crate) span: Span,
    /// What is wrong, naming the reference, its type and the type wanted.
    pub(crate) message: String,
}

/// The mismatches in `step`'s inputs, in the order they are written.
#[cfg(test)]
pub(crate) fn mismatches(document: &Document, step: &Step) -> Vec<TypeMismatch> {
    mismatches_among(document, step, &|name| document.step(name))
}

/// [`mismatches`], finding the steps references name through `step_named`: a caller that
/// checks every step keeps an index rather than searching the document for each reference.
pub(crate) fn mismatches_among<'d>(
    document: &'d Document,
    step: &Step,
    step_named: &dyn Fn(&str) -> Option<&'d Step>,
) -> Vec<TypeMismatch> {
    let (Some(spec), Some(entries)) =
        (step.spec(), step.inputs.as_ref().and_then(|inputs| inputs.as_map()))
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries {
        let Some(input) = spec.input(&entry.key) else { continue };
        if input.ty == InputType::Any {
            continue;
        }
        // The message's words are made only for a mismatch: most references fit.
        let mut check =
            |node: &Node, fits: &dyn Fn(ValueType) -> bool, wanted: &dyn Fn() -> String| {
                let Some(target) = whole_reference(node) else { return };
                let Some(declared) = declared_type(document, &target, step_named) else {
                    return;
                };
                if !fits(declared) {
                    found.push(TypeMismatch {
                        input: entry.key.clone(),
                        span: node.span,
                        message: format!(
                            "{} is {}, but input `{}` takes {}",
                            describe(&target),
                            article(declared),
                            entry.key,
                            wanted()
                        ),
                    });
                }
            };
        match &entry.value.kind {
            NodeKind::Str(_) => {
                check(&entry.value, &|declared| fits(declared, input.ty), &|| wanted(input.ty));
            }
            NodeKind::Seq(items) => {
                // A one-item list holding a whole reference to a list is that list (SPEC 5.2).
                let only = items.len() == 1;
                for item in items {
                    check(item, &|declared| fits_item(declared, input.ty, only), &|| {
                        format!("{} (items of {})", wanted(input.ty), item_types(input.ty, only))
                    });
                }
            }
            _ => {}
        }
    }
    found
}

fn whole_reference(node: &Node) -> Option<Target> {
    let text = node.as_str()?;
    // A whole reference has no text around it; most strings fail this first look.
    if !(text.starts_with("{{") && text.ends_with("}}")) {
        return None;
    }
    let template = Template::parse(text);
    template.as_whole_reference().map(|reference| reference.target.clone())
}

/// What a reference names, for messages.
fn describe(target: &Target) -> String {
    match target {
        Target::Parameter(name) => format!("parameter `{name}`"),
        Target::Variable(name) => format!("variable `{name}`"),
        Target::StepOutput { step, output } => format!("output `{step}.{output}`"),
        Target::Global(name) => format!("`global:{name}`"),
        Target::Automation(name) => format!("`automation:{name}`"),
        Target::ParameterStore(_) | Target::SecureParameterStore(_) => target.to_string(),
    }
}

/// The declared type of what a reference names, when it has one.
fn declared_type<'d>(
    document: &'d Document,
    target: &Target,
    step_named: &dyn Fn(&str) -> Option<&'d Step>,
) -> Option<ValueType> {
    match target {
        Target::Parameter(name) => Some(document.parameter(name)?.ty.as_ref()?.value.value_type()),
        Target::Variable(name) => Some(document.variable(name)?.ty.as_ref()?.value),
        Target::StepOutput { step, output } => {
            let source = step_named(step)?;
            // A loop's iterator value has the type of the iterated items, known only when run.
            if source.loop_inputs.is_some() {
                return None;
            }
            match source.outputs.iter().find(|decl| decl.name.value == *output) {
                Some(decl) => Some(decl.value_type()),
                None => Some(source.spec()?.output(output)?.ty),
            }
        }
        Target::Global(_) | Target::Automation(_) => Some(ValueType::String),
        Target::ParameterStore(_) | Target::SecureParameterStore(_) => None,
    }
}

/// The inputs of `step` given a whole `StringList` where they take a String: at run time each
/// takes the list's only item.
pub(crate) fn one_item_inputs<'d>(
    document: &'d Document,
    step: &Step,
    step_named: &dyn Fn(&str) -> Option<&'d Step>,
) -> Vec<String> {
    let (Some(spec), Some(entries)) =
        (step.spec(), step.inputs.as_ref().and_then(|inputs| inputs.as_map()))
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|entry| {
            spec.input(&entry.key).is_some_and(|input| {
                input.ty == InputType::Value(ValueType::String)
                    && whole_reference(&entry.value)
                        .and_then(|target| declared_type(document, &target, step_named))
                        .is_some_and(|ty| ty == ValueType::StringList)
            })
        })
        .map(|entry| entry.key.clone())
        .collect()
}

/// The only item of a list given to a String input, or why there is none.
pub(crate) fn single_item(
    input: &str,
    value: serde_json::Value,
) -> Result<serde_json::Value, String> {
    match value {
        serde_json::Value::Array(mut items) if items.len() == 1 => Ok(items.remove(0)),
        serde_json::Value::Array(items) => Err(format!(
            "input `{input}` takes a String, but its StringList has {} items; a String takes a list of one",
            items.len()
        )),
        other => Ok(other),
    }
}

/// Whether a value of type `declared` may be the whole of an input of type `wanted`.
fn fits(declared: ValueType, wanted: InputType) -> bool {
    match wanted {
        InputType::Any => true,
        InputType::Map => declared == ValueType::StringMap,
        InputType::List => matches!(declared, ValueType::StringList | ValueType::MapList),
        // A one-item `StringList` stands for its item (see the module's documentation).
        InputType::Value(ValueType::String) => {
            matches!(declared, ValueType::String | ValueType::StringList)
        }
        InputType::Value(ty) => declared == ty,
    }
}

/// Whether a value of type `declared` may be an item of a list given to an input of type
/// `wanted`; the only item of a list may be a whole list of the right type.
fn fits_item(declared: ValueType, wanted: InputType, only: bool) -> bool {
    match wanted {
        InputType::Value(ValueType::StringList) => {
            declared == ValueType::String || (only && declared == ValueType::StringList)
        }
        InputType::Value(ValueType::MapList) => {
            declared == ValueType::StringMap || (only && declared == ValueType::MapList)
        }
        // A list where no list is wanted is RB008's; a plain list holds anything.
        _ => true,
    }
}

fn wanted(ty: InputType) -> String {
    match ty {
        InputType::Value(ty) => article(ty),
        InputType::Map => "a StringMap".into(),
        InputType::List => "a list".into(),
        InputType::Any => "any value".into(),
    }
}

fn item_types(ty: InputType, only: bool) -> &'static str {
    match (ty, only) {
        (InputType::Value(ValueType::MapList), true) => "StringMap, or one MapList",
        (InputType::Value(ValueType::MapList), false) => "StringMap",
        (_, true) => "String, or one StringList",
        (_, false) => "String",
    }
}

fn article(ty: ValueType) -> String {
    match ty {
        ValueType::Integer => "an Integer".into(),
        other => format!("a {other}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::document::Format;

    fn messages(steps: &str) -> Vec<String> {
        let yaml = format!(
            "schemaVersion: '0.3'\nparameters:\n  Count: {{type: Integer}}\n  Flag: {{type: String}}\n  Ids: {{type: StringList}}\n  Id: {{type: 'AWS::EC2::Instance::Id'}}\n  Tags: {{type: StringMap}}\nvariables:\n  Done: {{type: Boolean, default: false}}\nmainSteps:\n{steps}"
        );
        let document = Document::parse("t.yaml", yaml, Format::Yaml).unwrap();
        document
            .all_steps()
            .into_iter()
            .flat_map(|step| mismatches(&document, step))
            .map(|mismatch| mismatch.message)
            .collect()
    }

    #[test]
    fn declared_types_must_be_the_types_wanted() {
        assert_eq!(
            messages(
                "- name: a\n  action: aws:runInstances\n  inputs: {ImageId: '{{ Count }}', MaxInstanceCount: '{{ Flag }}', MinInstanceCount: '{{ Count }}'}\n- name: b\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: '{{ Count }}', DesiredState: stopped, Force: '{{ Flag }}'}\n"
            ),
            [
                "parameter `Count` is an Integer, but input `ImageId` takes a String",
                "parameter `Flag` is a String, but input `MaxInstanceCount` takes an Integer",
                "parameter `Count` is an Integer, but input `InstanceIds` takes a StringList",
                "parameter `Flag` is a String, but input `Force` takes a Boolean",
            ]
        );
    }

    #[test]
    fn list_items_are_strings_or_one_whole_list() {
        assert_eq!(
            messages(
                "- name: a\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: ['{{ Id }}', '{{ Count }}'], DesiredState: stopped}\n- name: b\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: ['{{ Ids }}'], DesiredState: stopped}\n- name: c\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: ['{{ Ids }}', x], DesiredState: stopped}\n"
            ),
            [
                "parameter `Count` is an Integer, but input `InstanceIds` takes a StringList (items of String)",
                "parameter `Ids` is a StringList, but input `InstanceIds` takes a StringList (items of String)",
            ]
        );
    }

    #[test]
    fn matching_types_text_and_untyped_values_pass() {
        assert!(
            messages(
                "- name: a\n  action: aws:changeInstanceState\n  inputs: {InstanceIds: '{{ Ids }}', DesiredState: 'x-{{ Count }}', Force: '{{ variable:Done }}'}\n- name: b\n  action: aws:runInstances\n  inputs: {ImageId: '{{ global:REGION }}', MaxInstanceCount: '{{ Count }}', SubnetId: '{{ Id }}'}\n- name: c\n  action: aws:executeScript\n  inputs: {Runtime: python3.11, Handler: h, Script: s, InputPayload: {n: '{{ Count }}'}}\n- name: d\n  action: aws:createTags\n  inputs: {ResourceIds: ['{{ Id }}'], Tags: [{Key: a, Value: b}]}\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn step_outputs_have_their_declared_or_predefined_types() {
        assert_eq!(
            messages(
                "- name: run\n  action: aws:runInstances\n  inputs: {ImageId: ami-1}\n- name: image\n  action: aws:createImage\n  inputs: {InstanceId: '{{ run.InstanceIds }}', ImageName: n}\n- name: s\n  action: aws:executeScript\n  inputs: {Runtime: python3.11, Handler: h, Script: s}\n  outputs: [{Name: N, Selector: $.Payload.n, Type: Integer}]\n- {name: w, action: aws:sleep, inputs: {Duration: '{{ s.N }}'}}\n- {name: t, action: aws:createTags, inputs: {ResourceIds: '{{ s.N }}', Tags: [{Key: a, Value: b}]}}\n"
            ),
            [
                "output `s.N` is an Integer, but input `Duration` takes a String",
                "output `s.N` is an Integer, but input `ResourceIds` takes a StringList",
            ]
        );
    }

    #[test]
    fn a_string_list_given_to_a_string_input_is_its_only_item() {
        let yaml = "schemaVersion: '0.3'\nmainSteps:\n- name: run\n  action: aws:runInstances\n  inputs: {ImageId: ami-1}\n- name: image\n  action: aws:createImage\n  inputs: {InstanceId: '{{ run.InstanceIds }}', ImageName: '{{ run.InstanceIds }}-x'}\n";
        let document = Document::parse("t.yaml", yaml.to_string(), Format::Yaml).unwrap();
        let image = document.step("image").unwrap();
        assert_eq!(one_item_inputs(&document, image, &|name| document.step(name)), ["InstanceId"]);
        assert_eq!(single_item("InstanceId", json!(["i-1"])), Ok(json!("i-1")));
        assert_eq!(
            single_item("InstanceId", json!(["i-1", "i-2"])),
            Err("input `InstanceId` takes a String, but its StringList has 2 items; a String takes a list of one".into())
        );
    }
}
