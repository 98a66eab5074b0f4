//! RB019 `sleep-input`: `aws:sleep` takes one of `Duration` (an ISO 8601 duration of at most
//! 604799 seconds) and `Timestamp` (an ISO 8601 timestamp), not both (SPEC 6.21, 10.18).

use crate::diagnostic::{Code, Diagnostic};
use crate::duration::{parse_duration, parse_timestamp};
use crate::template::has_references;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB019", name: "sleep-input" },
    summary: "aws:sleep durations and timestamps are valid ISO 8601 within the limit",
    check,
};

/// The longest sleep the service allows.
pub(crate) const MAX_SLEEP_SECONDS: u64 = 604_799;

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for step in cx.steps.iter().filter(|step| step.action.value == "aws:sleep") {
        let report = |message: String, field: &str, span| {
            Diagnostic::error(RULE.code, message)
                .step(&step.name.value)
                .path(format!("{}.inputs.{field}", step.path))
                .span(span)
        };
        let duration = step.input("Duration");
        let timestamp = step.input("Timestamp");
        if let (Some(_), Some(timestamp)) = (duration, timestamp) {
            out.push(report(
                "give `Duration` or `Timestamp`, not both".into(),
                "Timestamp",
                timestamp.span,
            ));
        }
        let literal =
            |node: &crate::syntax::Node| node.scalar_text().filter(|text| !has_references(text));
        if let Some(node) = duration
            && let Some(text) = literal(node)
        {
            match parse_duration(&text) {
                Err(error) => out.push(report(error, "Duration", node.span)),
                Ok(length) if length.as_secs() > MAX_SLEEP_SECONDS => out.push(report(
                    format!("`{text}` is longer than the service's longest sleep, {MAX_SLEEP_SECONDS} seconds"),
                    "Duration",
                    node.span,
                )),
                Ok(_) => {}
            }
        }
        if let Some(node) = timestamp
            && let Some(text) = literal(node)
            && let Err(error) = parse_timestamp(&text)
        {
            out.push(report(error, "Timestamp", node.span));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    #[test]
    fn bad_durations_and_timestamps_are_reported() {
        let bad = runbook(
            "- {name: a, action: aws:sleep, inputs: {Duration: 10 minutes}}\n- {name: b, action: aws:sleep, inputs: {Duration: PT168H}}\n- {name: c, action: aws:sleep, inputs: {Timestamp: tomorrow}}\n- {name: d, action: aws:sleep, inputs: {Duration: PT1S, Timestamp: '2020-01-01T00:00:00Z'}}\n",
        );
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "`10 minutes` is not an ISO 8601 duration such as PT10M or P1DT2H",
                "`PT168H` is longer than the service's longest sleep, 604799 seconds",
                "`tomorrow` is not an ISO 8601 timestamp such as 2020-01-01T01:00:00Z",
                "give `Duration` or `Timestamp`, not both",
            ]
        );
    }

    #[test]
    fn good_sleeps_pass() {
        let good = runbook(
            "- {name: a, action: aws:sleep, inputs: {Duration: PT10M}}\n- {name: b, action: aws:sleep, inputs: {Timestamp: '{{ When }}'}}\n",
        );
        assert!(messages(RULE.code, &good).is_empty());
    }
}
