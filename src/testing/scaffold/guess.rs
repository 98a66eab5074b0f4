//! What a case cannot run without and what it expects: values for required parameters, and
//! the path a case is about, walked from the document.

use super::{
    Document, Execution, Goal, IndexMap, Parameter, Status, Step, Value, ValueType, all_steps,
    json, value_matching,
};

/// Values for the parameters a run needs: each required parameter without a default gets one
/// of its type (the first `allowedValues`, else one matching `allowedPattern`). Returns them and
/// how each was guessed.
pub(super) fn guess_parameters(document: &Document) -> (IndexMap<String, Value>, Vec<String>) {
    let mut values = IndexMap::new();
    let mut guessed = Vec::new();
    for parameter in document.parameters.iter().filter(|p| p.is_required()) {
        let (value, how) = guess_parameter(parameter);
        guessed.push(format!("{} ({how})", parameter.name.value));
        values.insert(parameter.name.value.clone(), value);
    }
    (values, guessed)
}

pub(super) fn guess_parameter(parameter: &Parameter) -> (Value, &'static str) {
    let ty = parameter.ty.as_ref().map_or(ValueType::String, |ty| ty.value.value_type());
    if let Some(first) = parameter.allowed_values.as_ref().and_then(|values| values.value.first()) {
        let value = first.to_json();
        return match ty {
            ValueType::StringList | ValueType::MapList if !value.is_array() => {
                (json!([value]), "the first of allowedValues")
            }
            _ => (value, "the first of allowedValues"),
        };
    }
    let pattern = parameter.allowed_pattern.as_ref().and_then(|p| value_matching(&p.value));
    let text = pattern
        .clone()
        .unwrap_or_else(|| format!("{}-placeholder", parameter.name.value.to_ascii_lowercase()));
    let how = if pattern.is_some() { "matches allowedPattern" } else { "a placeholder" };
    let value = match ty {
        ValueType::String => json!(text),
        ValueType::StringList => json!([text]),
        ValueType::Integer => json!(pattern.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1)),
        ValueType::Boolean => json!(false),
        ValueType::StringMap => json!({}),
        ValueType::MapList => json!([{}]),
    };
    (value, how)
}

/// The path a case not made expects: the run's path up to the goal's step, its jump, then on
/// from there as a success goes (a branch by its `Default`, else its first choice).
pub(super) fn intended_path(
    goal: &Goal,
    execution: Option<&Execution>,
    document: &Document,
) -> Vec<String> {
    let ran: Vec<String> =
        execution.map(|e| e.path().into_iter().map(str::to_string).collect()).unwrap_or_default();
    let steps = all_steps(&document.steps);
    let mut path: Vec<String> = match (goal.step(), goal.target()) {
        (Some(step), Some(target)) => {
            let mut path = match ran.iter().position(|name| name == step) {
                Some(at) => ran[..=at].to_vec(),
                None => walk(&steps, document, step),
            };
            if path.last().map(String::as_str) != Some(step) {
                path.push(step.to_string());
            }
            path.push(target.to_string());
            path
        }
        _ => {
            let failed = ran.iter().position(|name| {
                execution.is_some_and(|e| {
                    e.step_executions.iter().any(|s| {
                        s.step_name == *name
                            && s.action != "aws:loop"
                            && !matches!(s.step_status, Status::Success | Status::Pending)
                    })
                })
            });
            match failed {
                Some(at) => ran[..=at].to_vec(),
                None if !ran.is_empty() => ran.clone(),
                None => {
                    document.steps.first().map(|s| vec![s.name.value.clone()]).unwrap_or_default()
                }
            }
        }
    };
    // On from the last step as a success goes.
    while path.len() < 1000 {
        let Some(last) = path.last() else { break };
        let Some(next) = success_next(&steps, document, last) else { break };
        if matches!(goal, Goal::Success) && path.contains(&next) {
            break;
        }
        if path.iter().filter(|name| **name == next).count() > 1 {
            break;
        }
        path.push(next);
    }
    path
}

/// The steps from the first to `until` as successes go, or as far as they go without coming
/// back.
pub(super) fn walk(steps: &[&Step], document: &Document, until: &str) -> Vec<String> {
    let mut path = Vec::new();
    let mut at = document.steps.first().map(|step| step.name.value.clone());
    while let Some(name) = at {
        if path.contains(&name) {
            break;
        }
        let done = name == until;
        path.push(name);
        if done {
            break;
        }
        at = success_next(steps, document, path.last().map_or("", String::as_str));
    }
    path
}

/// Where a success of `name` goes: a branch's `Default` (else its first choice), else
/// `nextStep`, else the next step in its list, unless it ends the run.
pub(super) fn success_next(steps: &[&Step], document: &Document, name: &str) -> Option<String> {
    let step = steps.iter().find(|step| step.name.value == name)?;
    if let Some(branch) = &step.branch_inputs {
        return branch
            .default
            .as_ref()
            .map(|d| d.value.clone())
            .or_else(|| step.jumps().choices().next().map(|jump| jump.target.to_string()));
    }
    if step.is_end.as_ref().is_some_and(|end| end.value) {
        return None;
    }
    if let Some(next) = step.jumps().next_step() {
        return Some(next.target.to_string());
    }
    let list = sibling_list(&document.steps, name)?;
    let at = list.iter().position(|s| s.name.value == name)?;
    list.get(at + 1).map(|s| s.name.value.clone())
}

pub(super) fn sibling_list<'a>(steps: &'a [Step], name: &str) -> Option<&'a [Step]> {
    if steps.iter().any(|step| step.name.value == name) {
        return Some(steps);
    }
    steps
        .iter()
        .filter_map(|step| step.loop_inputs.as_ref())
        .find_map(|body| sibling_list(&body.steps, name))
}
