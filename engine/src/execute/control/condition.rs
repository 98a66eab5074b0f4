//! Evaluating the conditions of `aws:branch` choices and `aws:loop`'s `LoopCondition`
//! (RULINGS 15): text operators compare text, case-sensitive except `EqualsIgnoreCase`;
//! numeric operators need numbers on both sides; `BooleanEquals` takes booleans or the text
//! `true`/`false` in any case.

use serde_json::Value;

use super::super::plan::PlannedCondition;
use super::super::run::Run;
use crate::document::Operator;
use crate::record::as_text;
use crate::value::{Left, TargetRef, describe};

impl Run {
    /// Whether `condition` holds now. An operand that cannot be compared is an error, except
    /// a reference left as written (RULINGS 12, added to `left`): a comparison against it
    /// simply does not match.
    pub(crate) fn evaluate(
        &self,
        condition: &PlannedCondition,
        left: &mut Vec<Left>,
    ) -> Result<bool, String> {
        match condition {
            PlannedCondition::Compare { variable, operator, value } => {
                let before = left.len();
                let lookup = |target: TargetRef<'_>| self.lookup(target);
                let operand = variable.resolve(&lookup, left)?;
                let against = value.resolve(&lookup, left)?;
                match compare(&operand, *operator, &against) {
                    Err(_) if left.len() > before => Ok(false),
                    result => result,
                }
            }
            PlannedCondition::And(items) => {
                for item in items {
                    if !self.evaluate(item, left)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            PlannedCondition::Or(items) => {
                for item in items {
                    if self.evaluate(item, left)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            PlannedCondition::Not(inner) => self.evaluate(inner, left).map(|holds| !holds),
            PlannedCondition::Invalid => {
                Err("the condition is not valid (see `runbook validate`)".into())
            }
        }
    }
}

pub(crate) fn compare(left: &Value, operator: Operator, right: &Value) -> Result<bool, String> {
    let name = operator.as_str();
    match operator {
        Operator::StringEquals => Ok(as_text(left) == as_text(right)),
        Operator::EqualsIgnoreCase => {
            Ok(as_text(left).to_lowercase() == as_text(right).to_lowercase())
        }
        Operator::StartsWith => Ok(as_text(left).starts_with(&as_text(right))),
        Operator::EndsWith => Ok(as_text(left).ends_with(&as_text(right))),
        Operator::Contains => Ok(as_text(left).contains(&as_text(right))),
        Operator::BooleanEquals => Ok(boolean(left, name)? == boolean(right, name)?),
        _ => {
            let (left, right) = (number(left, name)?, number(right, name)?);
            Ok(match operator {
                Operator::NumericEquals => (left - right).abs() < f64::EPSILON,
                Operator::NumericGreater => left > right,
                Operator::NumericLesser => left < right,
                Operator::NumericGreaterOrEquals => left >= right,
                _ => left <= right,
            })
        }
    }
}

fn number(value: &Value, operator: &str) -> Result<f64, String> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("`{operator}` compares numbers, but got {}", describe(value)))
}

fn boolean(value: &Value, operator: &str) -> Result<bool, String> {
    match value {
        Value::Bool(value) => Some(*value),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
    .ok_or_else(|| format!("`{operator}` compares true or false, but got {}", describe(value)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operators_follow_the_rulings() {
        assert_eq!(
            compare(&json!("Windows"), Operator::StringEquals, &json!("windows")),
            Ok(false)
        );
        assert_eq!(
            compare(&json!("Windows"), Operator::EqualsIgnoreCase, &json!("windows")),
            Ok(true)
        );
        assert_eq!(compare(&json!("linux-2"), Operator::StartsWith, &json!("lin")), Ok(true));
        assert_eq!(compare(&json!("5"), Operator::NumericGreater, &json!(3)), Ok(true));
        assert_eq!(compare(&json!(3), Operator::NumericEquals, &json!("3.0")), Ok(true));
        assert_eq!(compare(&json!("TRUE"), Operator::BooleanEquals, &json!(true)), Ok(true));
        assert_eq!(
            compare(&json!("many"), Operator::NumericLesser, &json!(3)),
            Err("`NumericLesser` compares numbers, but got \"many\"".into())
        );
        assert_eq!(
            compare(&json!("yes"), Operator::BooleanEquals, &json!(true)),
            Err("`BooleanEquals` compares true or false, but got \"yes\"".into())
        );
    }
}
