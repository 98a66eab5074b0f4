//! Output type conversions: a value a selector found, converted to the output's declared type
//! (SPEC 4.2, RULINGS 14).

use serde_json::Value;

use super::describe;
use crate::catalog::ValueType;

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
}
