//! Steering a run onto a case's path: the answers, approvals and parameter values that make a
//! step fail, a condition hold or fail, or a step that is not the case's subject get past
//! placeholder answers.

use super::{
    Condition, Document, Execution, Goal, Operator, Scenario, Status, Target, Template, Tried,
    Value, ValueType, all_steps, json,
};

/// Helps the first step that failed, when the case is not about its failure: a wait or an
/// assertion gets an answer whose selected property has the first desired value, a stack a
/// `CREATE_COMPLETE` status, a command `Success` on its instance, a script a stand-in returning
/// `{}`. What it did, or `None` when
/// there is nothing it can do.
pub(super) fn repair(
    goal: &Goal,
    execution: &Execution,
    scenario: &mut Scenario,
) -> Option<String> {
    let failed = execution.step_executions.iter().find(|step| {
        matches!(step.step_status, Status::Failed | Status::TimedOut)
            && step.action != "aws:loop"
            && step.action != "aws:executeAutomation"
    })?;
    let name = failed.step_name.as_str();
    if matches!(goal, Goal::Fail { step, .. } if step == name) {
        return None;
    }
    let last_call = |api: Option<&str>| {
        execution
            .calls
            .iter()
            .rev()
            .find(|call| call.step_name == name && api.is_none_or(|api| call.api == api))
    };
    let patched = |call: &runbook_engine::record::CallRecord, selector: &str, value: Value| {
        let mut answer = call.response.as_deref().cloned().unwrap_or_else(|| json!({}));
        // A command's plugins end as its invocation does.
        if call.api == "ListCommandInvocations" {
            set_selected(
                &mut answer,
                "$.CommandInvocations[0].CommandPlugins[0].Status",
                value.clone(),
            );
        }
        set_selected(&mut answer, selector, value).then(|| {
            json!({"service": call.service, "api": call.api, "params": call.params, "returns": answer})
        })
    };
    match failed.action.as_str() {
        "aws:waitForAwsResourceProperty" | "aws:assertAwsResourceProperty" => {
            let selector = failed.inputs.get("PropertySelector")?;
            let selector = selector.as_str()?;
            let desired = failed.inputs.get("DesiredValues")?.as_array()?.first()?.clone();
            let rule = patched(last_call(None)?, selector, desired.clone())?;
            if scenario.rules.contains(&rule) {
                return None;
            }
            scenario.rules.insert(0, rule);
            Some(format!("`{name}`'s answer gives {selector} = {desired}, as it wants"))
        }
        "aws:createStack" => {
            let rule = patched(
                last_call(Some("DescribeStacks"))?,
                "$.Stacks[0].StackStatus",
                json!("CREATE_COMPLETE"),
            )?;
            if scenario.rules.contains(&rule) {
                return None;
            }
            scenario.rules.insert(0, rule);
            Some(format!("`{name}`'s stack is answered CREATE_COMPLETE"))
        }
        "aws:runCommand" => {
            let rule = patched(
                last_call(Some("ListCommandInvocations"))?,
                "$.CommandInvocations[0].Status",
                json!("Success"),
            )?;
            if scenario.rules.contains(&rule) {
                return None;
            }
            scenario.rules.insert(0, rule);
            Some(format!("`{name}`'s command is answered Success on its instance"))
        }
        "aws:executeScript" if !scenario.scripts.contains_key(name) => {
            scenario.scripts.insert(name.to_string(), json!({"returns": {}}));
            Some(format!(
                "`{name}`'s script is stood in for by one returning {{}}: run for real it failed ({})",
                failed
                    .failure_message
                    .as_deref()
                    .unwrap_or("no message")
                    .lines()
                    .next()
                    .unwrap_or_default()
            ))
        }
        _ => None,
    }
}

/// Approves every `aws:approve` and resumes every `aws:pause`, so that the success path goes
/// on past them.
pub(super) fn approve_all(scenario: &mut Scenario, document: &Document) {
    for step in all_steps(&document.steps) {
        if matches!(step.action.value.as_str(), "aws:approve" | "aws:pause") {
            scenario.approvals.entry(step.name.value.clone()).or_insert("Approve");
        }
    }
}

/// A value for a reference that a branch condition compares.
pub(super) struct Setting {
    target: Target,
    value: Value,
    /// The value it is compared with, as text.
    compared: String,
    /// Whether the comparison is to hold.
    holds: bool,
}

/// The values of the `{{ references }}` that make `condition` hold (or not, when `holds` is
/// false), as far as simple comparisons tell: `(reference, value)`.
pub(super) fn satisfy(condition: &Condition, holds: bool, settings: &mut Vec<Setting>) {
    match condition {
        Condition::Compare { variable, operator, value } => {
            let Some(text) = variable.as_str() else { return };
            let template = Template::parse(text);
            let Some(reference) = template.as_whole_reference() else { return };
            let wanted = value.to_json();
            let value = if holds {
                value_that_holds(operator.value, &wanted)
            } else {
                value_that_fails(operator.value, &wanted)
            };
            if let Some(value) = value {
                settings.push(Setting {
                    target: reference.target.clone(),
                    value,
                    compared: runbook_engine::record::as_text(&wanted),
                    holds,
                });
            }
        }
        Condition::And(all) if holds => all.iter().for_each(|c| satisfy(c, true, settings)),
        Condition::Or(any) if !holds => any.iter().for_each(|c| satisfy(c, false, settings)),
        Condition::Or(any) => {
            if let Some(first) = any.first() {
                satisfy(first, true, settings);
            }
        }
        Condition::And(all) => {
            if let Some(first) = all.first() {
                satisfy(first, false, settings);
            }
        }
        Condition::Not(inner) => satisfy(inner, !holds, settings),
        Condition::Invalid => {}
    }
}

pub(super) fn number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
}

pub(super) fn whole(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9e15 { json!(number as i64) } else { json!(number) }
}

pub(super) fn value_that_holds(operator: Operator, wanted: &Value) -> Option<Value> {
    Some(match operator {
        Operator::StringEquals
        | Operator::EqualsIgnoreCase
        | Operator::StartsWith
        | Operator::EndsWith
        | Operator::Contains => json!(runbook_engine::record::as_text(wanted)),
        Operator::NumericEquals
        | Operator::NumericGreaterOrEquals
        | Operator::NumericLesserOrEquals => whole(number(wanted)?),
        Operator::NumericGreater => whole(number(wanted)? + 1.0),
        Operator::NumericLesser => whole(number(wanted)? - 1.0),
        Operator::BooleanEquals => json!(
            wanted
                .as_bool()
                .or_else(|| { wanted.as_str().map(|text| text.eq_ignore_ascii_case("true")) })?
        ),
    })
}

pub(super) fn value_that_fails(operator: Operator, wanted: &Value) -> Option<Value> {
    Some(match operator {
        Operator::StringEquals
        | Operator::EqualsIgnoreCase
        | Operator::StartsWith
        | Operator::EndsWith
        | Operator::Contains => json!(format!("not-{}", runbook_engine::record::as_text(wanted))),
        Operator::NumericEquals | Operator::NumericLesserOrEquals | Operator::NumericLesser => {
            whole(number(wanted)? + 1.0)
        }
        Operator::NumericGreater | Operator::NumericGreaterOrEquals => whole(number(wanted)? - 1.0),
        Operator::BooleanEquals => json!(
            !wanted
                .as_bool()
                .or_else(|| { wanted.as_str().map(|text| text.eq_ignore_ascii_case("true")) })?
        ),
    })
}

/// Makes the reference `target` resolve to `value`: a parameter is set; a step's output is
/// written into the answer of the call it is selected from.
pub(super) fn apply(
    Setting { target, value, compared, holds }: Setting,
    scenario: &mut Scenario,
    reached: Option<&Tried>,
    document: &Document,
    notes: &mut Vec<String>,
) {
    match &target {
        Target::Parameter(name) => {
            let parameter = document.parameters.iter().find(|p| p.name.value == *name);
            let value = match parameter.and_then(|p| p.ty.as_ref()).map(|ty| ty.value.value_type())
            {
                Some(ValueType::StringList) => json!([value]),
                Some(ValueType::String) | None => json!(runbook_engine::record::as_text(&value)),
                Some(_) => value,
            };
            // A parameter with allowedValues gets the one written as the condition's value,
            // ignoring case (`EqualsIgnoreCase` against `diagnosis`, allowed `Diagnosis`), or
            // for a comparison that must fail, one that is not.
            let value = parameter
                .and_then(|p| p.allowed_values.as_ref())
                .and_then(|allowed| {
                    allowed.value.iter().map(runbook_engine::syntax::Node::to_json).find(|v| {
                        runbook_engine::record::as_text(v).eq_ignore_ascii_case(&compared) == holds
                    })
                })
                .unwrap_or(value);
            notes.push(format!("parameter {name} is {value} for the branch"));
            scenario.parameters.insert(name.clone(), value);
        }
        Target::StepOutput { step, output } => {
            let selector = all_steps(&document.steps)
                .into_iter()
                .find(|candidate| candidate.name.value == *step)
                .and_then(|candidate| candidate.outputs.iter().find(|o| o.name.value == *output))
                .map(|declared| declared.selector.value.clone());
            let call = reached.and_then(|tried| {
                tried.execution.calls.iter().rev().find(|call| call.step_name == *step)
            });
            let patched = match (selector, call) {
                (Some(selector), Some(call)) => call.response.as_deref().cloned().and_then(|mut answer| {
                    set_selected(&mut answer, &selector, value.clone()).then(|| {
                        json!({"service": call.service, "api": call.api, "params": call.params, "returns": answer})
                    })
                }),
                _ => None,
            };
            if let Some(rule) = patched {
                notes.push(format!("{step}.{output} is answered as {value} for the branch"));
                scenario.rules.insert(0, rule);
            }
        }
        _ => {}
    }
}

/// Writes `value` where a simple selector (`$.A.B[0].C`) points in `answer`, making the maps
/// and lists on the way; false for a selector it cannot follow.
pub(super) fn set_selected(answer: &mut Value, selector: &str, value: Value) -> bool {
    let Some(rest) = selector.trim().strip_prefix('$') else { return false };
    let mut keys: Vec<Result<String, usize>> = Vec::new();
    for part in rest.split('.').filter(|part| !part.is_empty()) {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, i)| (n, i));
        if !name.is_empty() {
            keys.push(Ok(name.to_string()));
        }
        for index in indexes.split('[').filter(|index| !index.is_empty()) {
            let Ok(index) = index.trim_end_matches(']').parse::<usize>() else { return false };
            keys.push(Err(index));
        }
    }
    let mut at = answer;
    for key in keys {
        at = match key {
            Ok(name) => {
                if !at.is_object() {
                    *at = json!({});
                }
                let Some(map) = at.as_object_mut() else { return false };
                map.entry(name).or_insert(Value::Null)
            }
            Err(index) => {
                if !at.is_array() {
                    *at = json!([]);
                }
                let Some(items) = at.as_array_mut() else { return false };
                while items.len() <= index {
                    items.push(json!({}));
                }
                &mut items[index]
            }
        };
    }
    *at = value;
    true
}
