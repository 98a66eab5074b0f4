//! What the AWS actions share: reading inputs with the service's leniency (digit strings for
//! integers, `"true"` for booleans, one value for a list), calling AWS with errors that name the
//! call, polling on the run's clock, and the property check of `aws:assertAwsResourceProperty`
//! and `aws:waitForAwsResourceProperty` (RULINGS 16).

/// Implements `Action` for an action whose work is the module's
/// `async fn run(inputs: Value, cx: &StepContext<'_>) -> Result<ActionOutput, StepFailure>` and
/// whose name is the module's `NAME`: most actions are exactly that.
macro_rules! forward_action {
    ($action:ident) => {
        impl runbook_engine::action::Action for $action {
            fn name(&self) -> &'static str {
                NAME
            }

            fn run<'a>(
                &'a self,
                inputs: serde_json::Value,
                cx: &'a runbook_engine::action::StepContext<'a>,
            ) -> runbook_engine::action::BoxFuture<
                'a,
                Result<runbook_engine::action::ActionOutput, runbook_engine::action::StepFailure>,
            > {
                Box::pin(run(inputs, cx))
            }
        }
    };
}

pub(crate) use forward_action;

use std::fmt;
use std::time::Duration;

use runbook_engine::action::Selector;
use runbook_engine::action::{FailureKind, StepContext, StepFailure};
use serde::de::value::MapDeserializer;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// How long the actions wait between two looks at a resource they wait for. The service does
/// not document its intervals; RULINGS 17 fixes 5 seconds for `aws:waitForAwsResourceProperty`
/// and every other wait uses the same, so that a mock's `sequence` reads the same everywhere.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Reads an action's inputs into `T`. The message names the input at fault
/// (`invalid inputs for aws:createImage: NoReboot: expected true or false, found "yes"`).
pub(crate) fn parse<T: DeserializeOwned>(action: &str, inputs: Value) -> Result<T, StepFailure> {
    parse_from(action, inputs)
}

/// [`parse`] from any deserializer of JSON values, such as the named inputs alone.
fn parse_from<'de, T: Deserialize<'de>>(
    action: &str,
    inputs: impl Deserializer<'de, Error = serde_json::Error>,
) -> Result<T, StepFailure> {
    serde_path_to_error::deserialize(inputs).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        // serde names an unknown field itself; its path would only repeat the name.
        let message = if path == "." || inner.to_string().starts_with("unknown field") {
            format!("invalid inputs for {action}: {inner}")
        } else {
            format!("invalid inputs for {action}: {path}: {inner}")
        };
        StepFailure::invalid_inputs(message)
    })
}

/// Calls `service.api` with `params`; an API error fails the step with a message naming the
/// call. Throttling is retried by the step context before it gets here.
pub(crate) async fn call(
    cx: &StepContext<'_>,
    service: &str,
    api: &str,
    params: Value,
) -> Result<Value, StepFailure> {
    cx.call(service, api, params)
        .await
        .map_err(|error| StepFailure::api(&format!("{service}.{api}"), &error))
}

/// The rhythm of a wait: the first look happens at once, each later one [`POLL_INTERVAL`]
/// after the previous, on the run's clock. The engine's step timeout ends a wait that never
/// finishes, so the loops that use this have no limit of their own.
pub(crate) struct Poll<'a> {
    cx: &'a StepContext<'a>,
    interval: Duration,
    looks: u64,
}

impl<'a> Poll<'a> {
    /// A wait at [`POLL_INTERVAL`].
    pub(crate) fn new(cx: &'a StepContext<'a>) -> Self {
        Self { cx, interval: POLL_INTERVAL, looks: 0 }
    }

    /// Waits until the next look is due.
    pub(crate) async fn next(&mut self) {
        if self.looks > 0 {
            self.cx.sleep(self.interval).await;
        }
        self.looks += 1;
    }
}

/// [`call`], answering the response as the call's record holds it, for an action whose
/// response is the call's: the step's record and the call's share it.
pub(crate) async fn call_shared(
    cx: &StepContext<'_>,
    service: &str,
    api: &str,
    params: Value,
) -> Result<std::sync::Arc<Value>, StepFailure> {
    cx.call_shared(service, api, params)
        .await
        .map_err(|error| StepFailure::api(&format!("{service}.{api}"), &error))
}

/// A failure of the action itself (`FailureKind::Action`).
pub(crate) fn failed(message: impl Into<String>) -> StepFailure {
    StepFailure::action(message)
}

/// A value as the property check compares it (RULINGS 16): text as it is, booleans as `True`
/// and `False` and `null` as `None` (the service renders values as Python does), numbers as
/// written, lists and maps as compact JSON.
pub(crate) fn compare_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Null => "None".to_string(),
        other => other.to_string(),
    }
}

/// The `PropertySelector` and `DesiredValues` of the property actions, ready to check
/// responses.
#[derive(Clone, Debug)]
pub(crate) struct PropertyCheck {
    selector: Selector,
    desired: Vec<String>,
}

/// The outcome of checking one response.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PropertyMatch {
    /// The selected value is desired.
    Matched(Value),
    /// The selected value is not desired.
    Mismatched(Value),
    /// The selector selected nothing.
    Nothing,
}

impl PropertyCheck {
    /// Compiles `selector`; the error names the input.
    pub(crate) fn new(selector: &str, desired: Vec<String>) -> Result<Self, StepFailure> {
        let compiled = Selector::compile(selector).map_err(|error| {
            StepFailure::invalid_inputs(format!(
                "PropertySelector `{selector}` is not a valid JSONPath: {error}"
            ))
        })?;
        Ok(Self { selector: compiled, desired })
    }

    /// Whether `response` has a desired value: a single value must be one of `DesiredValues`;
    /// a list must be non-empty and every element desired.
    pub(crate) fn check(&self, response: &Value) -> PropertyMatch {
        let Some(selected) = self.selector.select(response) else {
            return PropertyMatch::Nothing;
        };
        let is_desired = |value: &Value| self.desired.contains(&compare_text(value));
        let matched = match &selected {
            Value::Array(items) => !items.is_empty() && items.iter().all(is_desired),
            single => is_desired(single),
        };
        if matched { PropertyMatch::Matched(selected) } else { PropertyMatch::Mismatched(selected) }
    }

    /// The selector as written.
    pub(crate) fn selector(&self) -> &str {
        self.selector.as_str()
    }

    /// What a mismatch says: the selector, what it found and what was desired.
    pub(crate) fn describe(&self, found: &PropertyMatch) -> String {
        let found = match found {
            PropertyMatch::Matched(value) | PropertyMatch::Mismatched(value) => match value {
                Value::Array(items) if items.is_empty() => "an empty list".to_string(),
                Value::Array(items) => {
                    let shown: Vec<String> = items.iter().map(compare_text).collect();
                    format!("{shown:?}")
                }
                single => format!("{:?}", compare_text(single)),
            },
            PropertyMatch::Nothing => "nothing".to_string(),
        };
        format!(
            "PropertySelector {} selected {found}, which is not in DesiredValues {:?}",
            self.selector(),
            self.desired
        )
    }
}

/// The assertion failure for a mismatch.
pub(crate) fn assertion_failed(message: String) -> StepFailure {
    StepFailure::new(FailureKind::AssertionFailed, message)
}

/// `DesiredValues`: each value as the property check compares it (YAML `true` stands for
/// `True`, `16` for `16`), or one value standing for a one-item list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DesiredValues(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for DesiredValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => Ok(Self(items.iter().map(compare_text).collect())),
            Value::Object(_) => Err(D::Error::custom("expected a list of values, found a map")),
            single => Ok(Self(vec![compare_text(&single)])),
        }
    }
}

/// Splits the inputs of an action whose other inputs are API request parameters: the named
/// inputs, read into `T`, and the rest, unchanged, as the request's parameters.
pub(crate) fn split_api_inputs<T: DeserializeOwned>(
    action: &str,
    inputs: Value,
    named: &[&str],
) -> Result<(T, Value), StepFailure> {
    let Value::Object(all) = inputs else {
        return Err(StepFailure::invalid_inputs(format!(
            "invalid inputs for {action}: expected a map of inputs"
        )));
    };
    // The parameters go to the call's record, which lives as long as the run: sized to what
    // they hold, not to the inputs they came from.
    let mut found: Vec<Option<Value>> = vec![None; named.len()];
    let own = all.keys().filter(|key| named.contains(&key.as_str())).count();
    let mut params = Map::with_capacity(all.len() - own);
    for (key, value) in all {
        match named.iter().position(|name| *name == key) {
            Some(index) => found[index] = Some(value),
            None => {
                params.insert(key, value);
            }
        }
    }
    // Read straight from the pairs: a map of their own would be built for every API step.
    // Tracking the path of what is read costs more than the reading, so it is done only to
    // say where inputs that could not be read went wrong.
    let pairs = named.iter().zip(&found).filter_map(|(name, value)| Some((*name, value.as_ref()?)));
    if let Ok(own) = T::deserialize(MapDeserializer::<_, serde_json::Error>::new(pairs)) {
        return Ok((own, Value::Object(params)));
    }
    let own = named.iter().zip(found).filter_map(|(name, value)| Some((*name, value?)));
    Ok((parse_from(action, MapDeserializer::new(own))?, Value::Object(params)))
}

/// Text: a string, or a number or boolean written where text is wanted (`ImageName: 2024`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

impl Text {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(Self(text)),
            scalar @ (Value::Number(_) | Value::Bool(_)) => Ok(Self(scalar.to_string())),
            other => Err(D::Error::custom(format!("expected text, found {}", shown(&other)))),
        }
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A boolean: `true`/`false`, or the text `"true"`/`"false"` in any case as a literal in the
/// document (`Force: 'true'`). A `String` reference never gets here: the engine fails a step
/// whose references do not have the types of their inputs (`runbook_engine::typing`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Bool(flag) => Ok(Self(flag)),
            Value::String(text) if text.trim().eq_ignore_ascii_case("true") => Ok(Self(true)),
            Value::String(text) if text.trim().eq_ignore_ascii_case("false") => Ok(Self(false)),
            other => {
                Err(D::Error::custom(format!("expected true or false, found {}", shown(&other))))
            }
        }
    }
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(self.0)
    }
}

/// A whole number: a JSON integer or a string of digits (`MaxInstanceCount: "2"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Int(pub(crate) i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let number = match &value {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        number.map(Self).ok_or_else(|| {
            D::Error::custom(format!("expected an integer, found {}", shown(&value)))
        })
    }
}

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

/// A list of text: a list of scalars, or one scalar standing for a one-item list. References
/// of another type than `StringList` never get here (`runbook_engine::typing`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TextList(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for TextList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let item = |value: Value| match value {
            Value::String(text) => Ok(text),
            scalar @ (Value::Number(_) | Value::Bool(_)) => Ok(scalar.to_string()),
            other => Err(D::Error::custom(format!(
                "expected a list of text, found a list holding {}",
                shown(&other)
            ))),
        };
        match Value::deserialize(deserializer)? {
            Value::Array(items) => items.into_iter().map(item).collect::<Result<_, _>>().map(Self),
            scalar @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
                Ok(Self(vec![item(scalar)?]))
            }
            other => {
                Err(D::Error::custom(format!("expected a list of text, found {}", shown(&other))))
            }
        }
    }
}

impl Serialize for TextList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A value, briefly, for messages: its kind and, for scalars, the value.
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => format!("the text {text:?}"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a map".to_string(),
    }
}

/// Serializes typed inputs into request parameters (the inputs' fields skip what is not given).
pub(crate) fn to_params(inputs: &impl Serialize) -> Result<Map<String, Value>, StepFailure> {
    match serde_json::to_value(inputs) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(failed("the inputs cannot be written as request parameters")),
    }
}

/// The string at `pointer` (`/Command/CommandId`) of an AWS response, or a failure saying that
/// `call` answered without it.
pub(crate) fn required_text(
    response: &Value,
    pointer: &str,
    call: &str,
) -> Result<String, StepFailure> {
    match response.pointer(pointer) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(scalar @ (Value::Number(_) | Value::Bool(_))) => Ok(scalar.to_string()),
        _ => Err(failed(format!(
            "{call} answered without {}: {}",
            pointer.trim_start_matches('/').replace('/', "."),
            brief_json(response)
        ))),
    }
}

/// A JSON value for a message, cut to a readable length.
pub(crate) fn brief_json(value: &Value) -> String {
    const LIMIT: usize = 300;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        text
    } else {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{cut}...")
    }
}

/// A value as output text: strings as they are, anything else as compact JSON (dates that
/// boto3 gives as datetimes arrive as text or numbers from mocks and emulators).
pub(crate) fn as_output_text(value: &Value) -> String {
    runbook_engine::action::as_text(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(selector: &str, desired: &[&str], response: &Value) -> PropertyMatch {
        PropertyCheck::new(selector, desired.iter().map(ToString::to_string).collect())
            .unwrap()
            .check(response)
    }

    #[test]
    fn values_compare_as_the_service_writes_them() {
        assert_eq!(compare_text(&json!(true)), "True");
        assert_eq!(compare_text(&json!(false)), "False");
        assert_eq!(compare_text(&json!(16)), "16");
        assert_eq!(compare_text(&json!(1.5)), "1.5");
        assert_eq!(compare_text(&json!("running")), "running");
        assert_eq!(compare_text(&json!(null)), "None");
        assert_eq!(compare_text(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn single_values_must_be_one_of_the_desired() {
        let response = json!({"State": {"Name": "running", "Ok": true, "Code": 16}});
        assert!(matches!(
            check("$.State.Name", &["running"], &response),
            PropertyMatch::Matched(_)
        ));
        assert!(matches!(
            check("$.State.Name", &["stopped", "pending"], &response),
            PropertyMatch::Mismatched(_)
        ));
        assert!(matches!(check("$.State.Ok", &["True"], &response), PropertyMatch::Matched(_)));
        assert!(matches!(check("$.State.Ok", &["true"], &response), PropertyMatch::Mismatched(_)));
        assert!(matches!(check("$.State.Code", &["16"], &response), PropertyMatch::Matched(_)));
        assert_eq!(check("$.State.Missing", &["x"], &response), PropertyMatch::Nothing);
    }

    #[test]
    fn lists_need_every_element_desired_and_at_least_one() {
        let response = json!({"Items": [{"S": "ok"}, {"S": "ok"}, {"S": "bad"}]});
        assert!(matches!(check("$.Items[*].S", &["ok"], &response), PropertyMatch::Mismatched(_)));
        assert!(matches!(
            check("$.Items[*].S", &["ok", "bad"], &response),
            PropertyMatch::Matched(_)
        ));
        let empty = json!({"Items": []});
        assert!(matches!(check("$.Items", &["ok"], &empty), PropertyMatch::Mismatched(_)));
    }

    #[test]
    fn mismatches_show_the_selected_value_and_the_desired_values() {
        let check = PropertyCheck::new("$.Items[*].S", vec!["ok".into()]).unwrap();
        let found = check.check(&json!({"Items": [{"S": "ok"}, {"S": "bad"}]}));
        assert_eq!(
            check.describe(&found),
            r#"PropertySelector $.Items[*].S selected ["ok", "bad"], which is not in DesiredValues ["ok"]"#
        );
        let single = PropertyCheck::new("$.A", vec!["True".into()]).unwrap();
        assert_eq!(
            single.describe(&single.check(&json!({"A": false}))),
            r#"PropertySelector $.A selected "False", which is not in DesiredValues ["True"]"#
        );
    }

    #[test]
    fn bad_selectors_are_input_errors() {
        let error = PropertyCheck::new("$.Images[", vec![]).unwrap_err();
        assert_eq!(error.kind, FailureKind::InvalidInputs);
        assert!(error.message.starts_with("PropertySelector `$.Images[` is not a valid JSONPath"));
    }

    #[derive(Debug, Deserialize, Serialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Sample {
        name: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        no_reboot: Option<Flag>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<Int>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ids: Option<TextList>,
    }

    #[test]
    fn inputs_are_read_with_the_service_s_leniency() {
        let sample: Sample =
            parse("aws:x", json!({"Name": 2024, "NoReboot": "TRUE", "Count": "3", "Ids": "i-1"}))
                .unwrap();
        assert_eq!(sample.name.as_str(), "2024");
        assert_eq!(sample.no_reboot, Some(Flag(true)));
        assert_eq!(sample.count, Some(Int(3)));
        assert_eq!(sample.ids, Some(TextList(vec!["i-1".into()])));
        assert_eq!(
            Value::Object(to_params(&sample).unwrap()),
            json!({"Name": "2024", "NoReboot": true, "Count": 3, "Ids": ["i-1"]})
        );
    }

    #[test]
    fn input_errors_name_the_input() {
        let error = parse::<Sample>("aws:x", json!({"Name": "a", "NoReboot": "yes"})).unwrap_err();
        assert_eq!(
            error.message,
            r#"invalid inputs for aws:x: NoReboot: expected true or false, found the text "yes""#
        );
        let error = parse::<Sample>("aws:x", json!({"Name": "a", "Extra": 1})).unwrap_err();
        assert_eq!(
            error.message,
            "invalid inputs for aws:x: unknown field `Extra`, expected one of `Name`, `NoReboot`, `Count`, `Ids`"
        );
        let error = parse::<Sample>("aws:x", json!({})).unwrap_err();
        assert_eq!(error.message, "invalid inputs for aws:x: missing field `Name`");
        let error = parse::<Sample>("aws:x", json!({"Name": "a", "Ids": [{"k": 1}]})).unwrap_err();
        assert_eq!(
            error.message,
            "invalid inputs for aws:x: Ids: expected a list of text, found a list holding a map"
        );
    }
}
