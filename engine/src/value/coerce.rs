//! Parameter and variable value coercions (SPEC 2.3): values as they arrive from the API (lists
//! of text), the command line (text) or a parameters file (typed JSON), to their declared type.

use serde_json::Value;

use super::describe;
use crate::catalog::ValueType;

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
