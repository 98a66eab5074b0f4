//! The calls of a recording grouped into mock rules: one rule per service, API and parameters,
//! its answers a `sequence` when they changed, in an order where the first rule that matches a
//! replayed call is the one that answered it.

use indexmap::IndexMap;
use runbook_engine::host::{ApiError, ApiRequest};
use serde_json::{Map, Value, json};

use super::Call;
use crate::mock::matching::params_match;

/// The calls of one rule: the same service, API and parameters.
pub(super) struct Rule<'a> {
    request: &'a ApiRequest,
    answers: Vec<&'a Result<Value, ApiError>>,
}

impl Rule<'_> {
    pub(super) fn to_json(&self) -> Value {
        let mut rule = Map::new();
        rule.insert("service".into(), json!(self.request.service));
        rule.insert("api".into(), json!(self.request.api));
        if let Some(at) = &self.request.location {
            rule.insert("account".into(), json!(at.account));
            rule.insert("region".into(), json!(at.region));
        }
        let has_params = match &self.request.params {
            Value::Null => false,
            Value::Object(params) => !params.is_empty(),
            _ => true,
        };
        if has_params {
            rule.insert("params".into(), self.request.params.clone());
        }
        // A sequence's last answer repeats: the answers after the last change add nothing.
        let mut answers = self.answers.clone();
        while answers.len() > 1 && answers[answers.len() - 2] == answers[answers.len() - 1] {
            answers.pop();
        }
        match answers.as_slice() {
            [answer] => {
                let (key, value) = answer_entry(answer);
                rule.insert(key.into(), value);
            }
            answers => {
                let sequence = answers
                    .iter()
                    .map(|answer| {
                        let (key, value) = answer_entry(answer);
                        let mut item = Map::new();
                        item.insert(key.into(), value);
                        Value::Object(item)
                    })
                    .collect();
                rule.insert("sequence".into(), Value::Array(sequence));
            }
        }
        Value::Object(rule)
    }
}

/// An answer as a mock answer's key and value. A response that is not a map (never from a
/// real API) is written as an empty one.
pub(super) fn answer_entry(answer: &Result<Value, ApiError>) -> (&'static str, Value) {
    match answer {
        Ok(response @ Value::Object(_)) => ("returns", response.clone()),
        Ok(_) => ("returns", Value::Object(Map::new())),
        Err(error) => {
            let mut entry = Map::new();
            let code = if error.code.trim().is_empty() { "UnknownError" } else { &error.code };
            entry.insert("code".into(), json!(code));
            if !error.message.is_empty() {
                entry.insert("message".into(), json!(error.message));
            }
            if let Some(status) = error.status.filter(|status| (100..=599).contains(status)) {
                entry.insert("status".into(), json!(status));
            }
            ("error", Value::Object(entry))
        }
    }
}

/// Whether a rule written with `rule`'s parameters would answer `call`.
pub(super) fn answers(rule: &ApiRequest, call: &ApiRequest) -> bool {
    rule.service == call.service
        && rule.api == call.api
        && rule.location.as_ref().is_none_or(|at| {
            call.location
                .as_ref()
                .is_some_and(|call| (&call.account, &call.region) == (&at.account, &at.region))
        })
        && (rule.params.is_null() || params_match(&rule.params, &call.params))
}

/// The calls grouped into rules (calls whose rules would answer each other share one), in the
/// order of their first call, with a rule that would also answer another rule's calls moved
/// after that rule.
pub(super) fn rules(calls: &[Call]) -> Vec<Rule<'_>> {
    let mut groups: Vec<Rule<'_>> = Vec::new();
    // Groups by the exact text of their call (most repeated calls are exactly the same), and
    // by API, since only calls of the same API can share a rule.
    let mut exact: IndexMap<String, usize> = IndexMap::new();
    let mut by_api: IndexMap<(&str, &str), Vec<usize>> = IndexMap::new();
    for call in calls {
        let request = &call.request;
        let at = request.location.as_ref().map(|at| format!("{}/{}", at.account, at.region));
        let key = format!("{} {} {} {at:?}", request.service, request.api, request.params);
        let same_api = by_api.entry((&request.service, &request.api)).or_default();
        let found = exact.get(&key).copied().or_else(|| {
            same_api.iter().copied().find(|&index| {
                let group = groups[index].request;
                answers(group, request) && answers(request, group)
            })
        });
        match found {
            Some(index) => groups[index].answers.push(&call.answer),
            None => {
                same_api.push(groups.len());
                groups.push(Rule { request, answers: vec![&call.answer] });
            }
        }
        if let Some(index) = found.or(groups.len().checked_sub(1)) {
            exact.entry(key).or_insert(index);
        }
    }
    // Most specific first: a rule comes after every rule whose calls it would also answer;
    // otherwise in the order of first calls. Two rules cannot answer each other's calls (they
    // would be one group), so the order exists.
    let mut waiting_on = vec![0_usize; groups.len()];
    let mut answered_by: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for members in by_api.values() {
        for &general in members {
            for &specific in members {
                if general != specific && answers(groups[general].request, groups[specific].request)
                {
                    waiting_on[general] += 1;
                    answered_by[specific].push(general);
                }
            }
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..groups.len()).filter(|&index| waiting_on[index] == 0).collect();
    let mut order = Vec::with_capacity(groups.len());
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &general in &answered_by[next] {
            waiting_on[general] -= 1;
            if waiting_on[general] == 0 {
                ready.insert(general);
            }
        }
    }
    // Every rule is written even if the order above missed one.
    order.extend((0..groups.len()).filter(|&index| waiting_on[index] > 0));
    let mut slots: Vec<Option<Rule<'_>>> = groups.into_iter().map(Some).collect();
    order.into_iter().filter_map(|index| slots[index].take()).collect()
}
