//! Placeholder answers for the calls no mock answers (`runbook run --auto-mock`), so that any
//! runbook can be walked end to end with no set-up.
//!
//! [`AutoMock`] asks the mock file first; a call no rule answers gets a response built from the
//! operation's output shape ([`auto_response`](crate::model::auto_response)): every member
//! present, strings named after their member (`"<InstanceId>"`) or the first value of their
//! enumeration, numbers `0`. The
//! answers are deterministic, so two walks of a runbook take the same path. A call a step
//! repeats with the same parameters (a wait's polling) gets the next value of each enumeration
//! ([`auto_response_variant`]), while another step making the same call starts from the first
//! value: a wait goes through the states the API has (`pending`, then `running`, ...) and ends, on the state it waits for or on one that fails it. A wait on
//! anything else (a count that stays 0) lasts until its timeout. A placeholder is the last page
//! of a paginated answer: it has no token asking for the next one, neither those botocore's
//! `paginators-1.json` names for the operation nor a conventional one (`NextToken`,
//! `NextMarker`, ...) matching a token member of its input.
//!
//! ```
//! use std::{path::Path, sync::Arc};
//! use runbook_aws::mock::auto::{AutoMock, Placeholders};
//! use runbook_aws::mock::{MockAws, MockFile};
//! use runbook_engine::host::ApiRequest;
//! use serde_json::json;
//!
//! let file = MockFile::parse(Path::new("mocks.yaml"), "aws: []")?;
//! let aws = AutoMock::new(Arc::new(MockAws::new(Arc::new(file))), Placeholders::unavailable("no models here"));
//! let error = aws.answer(&ApiRequest::new("ec2", "DescribeInstances", json!({}))).unwrap_err();
//! assert_eq!(error.code, "AutoMockUnavailable");
//! assert!(error.message.ends_with("no models here"), "{}", error.message);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use indexmap::IndexMap;
use runbook_engine::host::{ApiError, ApiRequest, AwsBackend, BoxFuture};
use serde_json::Value;

use super::pattern_value::value_matching;
use super::{MOCK_NOT_FOUND, MockAws};
use crate::model::{ModelError, Models, Operation, auto_response_variant};
use runbook_engine::Document;
use runbook_engine::catalog::ValueType;
use runbook_engine::template::{Target, Template};

/// Where the service keeps the webhook integrations `aws:invokeWebhook` reads (SPEC 6.16).
const WEBHOOK_INTEGRATIONS: &str =
    "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/";

/// The error code of a call that neither a mock nor a placeholder can answer.
pub const AUTO_MOCK_UNAVAILABLE: &str = "AutoMockUnavailable";

/// Where placeholder answers come from: the models, or why there are none.
#[derive(Clone, Debug)]
pub struct Placeholders {
    models: Result<Models, Arc<str>>,
    /// The output tokens of each paginated operation, by service, as botocore's paginators
    /// name them; read once per service.
    page_tokens: Arc<Mutex<IndexMap<String, Arc<PageTokens>>>>,
    /// The runbook's parameters whose default reads Parameter Store, by Parameter Store name.
    parameter_store: Arc<IndexMap<String, StoreDefault>>,
}

/// A runbook parameter whose default is `{{ ssm:/name }}`.
#[derive(Clone, Debug)]
struct StoreDefault {
    /// The runbook parameter.
    parameter: String,
    /// The value its placeholder gets, when one that fits it could be made.
    value: Option<String>,
    /// Its `allowedPattern`, when it has one.
    pattern: Option<String>,
    list: bool,
}

impl Placeholders {
    /// Placeholders built from `models`.
    pub fn new(models: Models) -> Self {
        Self { models: Ok(models), page_tokens: Arc::default(), parameter_store: Arc::default() }
    }

    /// No models (`reason` says why, and how to get them): every call a placeholder would
    /// answer fails with [`AUTO_MOCK_UNAVAILABLE`].
    pub fn unavailable(reason: impl std::fmt::Display) -> Self {
        Self {
            models: Err(Arc::from(reason.to_string())),
            page_tokens: Arc::default(),
            parameter_store: Arc::default(),
        }
    }

    /// The same placeholders, answering the Parameter Store reads of `document`'s parameter
    /// defaults with values those parameters accept: the first of `allowedValues`, else one
    /// made to match `allowedPattern`, else `0` for an Integer and `false` for a Boolean.
    #[must_use]
    pub fn for_document(mut self, document: &Document) -> Self {
        let mut defaults = IndexMap::new();
        for parameter in &document.parameters {
            let Some(text) = parameter.default.as_ref().and_then(|node| node.as_str()) else {
                continue;
            };
            let template = Template::parse(text);
            let Some(Target::ParameterStore(name)) =
                template.as_whole_reference().map(|reference| &reference.target)
            else {
                continue;
            };
            let pattern = parameter.allowed_pattern.as_ref().map(|pattern| pattern.value.clone());
            let allowed = parameter.allowed_values.as_ref().and_then(|values| {
                values.value.iter().find_map(runbook_engine::syntax::Node::scalar_text)
            });
            let ty = parameter.ty.as_ref().map(|ty| ty.value.value_type());
            let typed = match ty {
                Some(ValueType::Integer) => Some("0".to_string()),
                Some(ValueType::Boolean) => Some("false".to_string()),
                _ => None,
            };
            let value = allowed.or_else(|| pattern.as_deref().and_then(value_matching)).or(typed);
            let list = ty == Some(ValueType::StringList);
            defaults.entry(name.clone()).or_insert(StoreDefault {
                parameter: parameter.name.value.clone(),
                value,
                pattern,
                list,
            });
        }
        self.parameter_store = Arc::new(defaults);
        self
    }

    /// The placeholder response to `request`, shaped like its operation's output, with the
    /// `variant`-th value of each enumeration.
    pub fn answer(&self, request: &ApiRequest, variant: usize) -> Result<Value, ApiError> {
        // The request of an `aws:invokeWebhook` step has no API model: its placeholder is a
        // 200 with an empty body.
        if request.service == "webhook" && request.api == "Invoke" {
            return Ok(serde_json::json!({"StatusCode": 200, "Body": "", "Headers": {}}));
        }
        let call = format!("{}.{}", request.service, request.api);
        let models = self.models.as_ref().map_err(|reason| {
            ApiError::new(
                AUTO_MOCK_UNAVAILABLE,
                format!(
                    "no mock answers {call}, and placeholder answers need the AWS API models: \
                     {reason}"
                ),
            )
        })?;
        let model = models.service(&request.service).map_err(|error| match error {
            ModelError::UnknownService { .. } => ApiError::new(
                AUTO_MOCK_UNAVAILABLE,
                format!("no mock answers {call}, and no placeholder can: {error}"),
            ),
            other => ApiError::new(AUTO_MOCK_UNAVAILABLE, other.to_string()),
        })?;
        let operation = model.operation(&request.api).ok_or_else(|| {
            ApiError::new(
                AUTO_MOCK_UNAVAILABLE,
                format!(
                    "no mock answers {call}, and no placeholder can: {}",
                    model.unknown_operation(&request.api)
                ),
            )
        })?;
        let mut answer = auto_response_variant(&operation, variant);
        without_page_tokens(&operation, &mut answer);
        if let Some(paths) = self.page_tokens(models, model.name()).get(operation.name()) {
            for path in paths {
                without_path(&mut answer, path);
            }
        }
        if request.service == "ssm" && request.api == "GetParameter" {
            let name = request.params.get("Name").and_then(Value::as_str).unwrap_or_default();
            // An `aws:invokeWebhook` integration: a value the action can read, its URL naming
            // the integration.
            if let Some(integration) = name.strip_prefix(WEBHOOK_INTEGRATIONS)
                && let Some(parameter) = answer.get_mut("Parameter").and_then(Value::as_object_mut)
            {
                let value =
                    serde_json::json!({ "url": format!("https://{integration}.webhook.invalid/") });
                parameter.insert("Value".into(), Value::String(value.to_string()));
                parameter.insert("Type".into(), Value::String("SecureString".into()));
            }
            if let Some(default) = self.parameter_store.get(name)
                && let Some(value) = &default.value
                && let Some(parameter) = answer.get_mut("Parameter").and_then(Value::as_object_mut)
            {
                let kind = if default.list { "StringList" } else { "String" };
                parameter.insert("Value".into(), Value::String(value.clone()));
                parameter.insert("Type".into(), Value::String(kind.into()));
            }
        }
        Ok(answer)
    }
}

/// The output tokens of each paginated operation of a service, by operation: member paths
/// (`NextToken`, `Paging.Next`).
type PageTokens = IndexMap<String, Vec<Vec<String>>>;

impl Placeholders {
    /// The output tokens of `service`'s paginated operations, read from botocore's paginators
    /// on first use; none when it has no paginators file or it cannot be read.
    fn page_tokens(&self, models: &Models, service: &str) -> Arc<PageTokens> {
        let mut cache = self.page_tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let tokens = cache.entry(service.to_string()).or_insert_with(|| {
            let text =
                models.paginators_file(service).and_then(|file| std::fs::read_to_string(file).ok());
            Arc::new(text.as_deref().map(read_page_tokens).unwrap_or_default())
        });
        Arc::clone(tokens)
    }
}

/// The output tokens a paginators file names: each `output_token` (a name or a list of them),
/// each alternative of `A || B` that is a plain member path.
fn read_page_tokens(text: &str) -> PageTokens {
    let Ok(file) = serde_json::from_str::<Value>(text) else { return PageTokens::new() };
    let Some(pagination) = file.get("pagination").and_then(Value::as_object) else {
        return PageTokens::new();
    };
    pagination
        .iter()
        .map(|(operation, config)| {
            let expressions = match config.get("output_token") {
                Some(Value::String(token)) => vec![token.as_str()],
                Some(Value::Array(tokens)) => tokens.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let paths = expressions
                .into_iter()
                .flat_map(|expression| expression.split("||"))
                .map(|path| path.trim().split('.').map(str::to_string).collect::<Vec<_>>())
                .filter(|path| {
                    path.iter().all(|name| {
                        !name.is_empty()
                            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                })
                .collect();
            (operation.clone(), paths)
        })
        .collect()
}

/// Removes the member at `path` from `value`.
fn without_path(value: &mut Value, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            if let Value::Object(object) = value {
                object.shift_remove(last);
            }
        }
        [first, rest @ ..] => {
            if let Some(inner) = value.get_mut(first) {
                without_path(inner, rest);
            }
        }
    }
}

/// The input members by which an operation asks for a page after the first, as the services
/// name them (lowercase).
const PAGE_TOKEN_INPUTS: [&str; 8] = [
    "nexttoken",
    "marker",
    "nextmarker",
    "continuationtoken",
    "pagetoken",
    "nextpagetoken",
    "paginationtoken",
    "startingtoken",
];

/// Removes from a placeholder `answer` the members that would ask for another page: those
/// named like a page token of the operation's input (`NextToken` for `NextToken`, `Marker`, or
/// `NextMarker` for `Marker`, `NextContinuationToken` for `ContinuationToken`). A placeholder
/// answer is the last page, so a paginator stops after it rather than receiving the same
/// token twice.
fn without_page_tokens(operation: &Operation<'_>, answer: &mut Value) {
    let (Some(input), Value::Object(answer)) = (operation.input(), answer) else { return };
    let tokens: Vec<String> = input
        .members
        .keys()
        .map(|name| name.to_ascii_lowercase())
        .filter(|name| PAGE_TOKEN_INPUTS.contains(&name.as_str()))
        .collect();
    answer.retain(|name, _| {
        let name = name.to_ascii_lowercase();
        !tokens.iter().any(|token| name == *token || name.strip_prefix("next") == Some(token))
    });
}

/// An AWS backend that answers from a mock file first and with placeholders after.
#[derive(Debug)]
pub struct AutoMock {
    mocks: Arc<MockAws>,
    placeholders: Placeholders,
    /// How many placeholders each operation got (`ec2.DescribeInstances`).
    answered: Mutex<IndexMap<String, u64>>,
    /// How many placeholders each call got, by step, operation and parameters.
    repeated: Mutex<IndexMap<String, usize>>,
}

impl AutoMock {
    /// A backend asking `mocks` first, then `placeholders`.
    pub fn new(mocks: Arc<MockAws>, placeholders: Placeholders) -> Self {
        Self {
            mocks,
            placeholders,
            answered: Mutex::new(IndexMap::new()),
            repeated: Mutex::new(IndexMap::new()),
        }
    }

    /// The mock backend asked first.
    pub fn mocks(&self) -> &Arc<MockAws> {
        &self.mocks
    }

    /// Answers `request`: the mock file's answer (or error) when a rule matches it, else a
    /// placeholder.
    pub fn answer(&self, request: &ApiRequest) -> Result<Value, ApiError> {
        match self.mocks.answer(request) {
            Err(error) if error.code == MOCK_NOT_FOUND => {
                let variant = {
                    let step = request.step.as_deref().unwrap_or_default();
                    let key =
                        format!("{step} {}.{} {}", request.service, request.api, request.params);
                    let mut repeated = self.repeated.lock().unwrap_or_else(PoisonError::into_inner);
                    let count = repeated.entry(key).or_default();
                    *count += 1;
                    *count - 1
                };
                let answer = self.placeholders.answer(request, variant)?;
                let mut answered = self.answered.lock().unwrap_or_else(PoisonError::into_inner);
                *answered.entry(format!("{}.{}", request.service, request.api)).or_default() += 1;
                Ok(answer)
            }
            other => other,
        }
    }

    /// Why the run was refused over `parameter`, when its value came from a placeholder
    /// answer to the Parameter Store read of its default (`None` otherwise).
    pub fn refusal_note(&self, parameter: &str) -> Option<String> {
        let (name, default) = self
            .placeholders
            .parameter_store
            .iter()
            .find(|(_, default)| default.parameter == parameter)?;
        let read = ApiRequest::new("ssm", "GetParameter", serde_json::json!({"Name": name}));
        let answered = self.repeated.lock().unwrap_or_else(PoisonError::into_inner);
        let suffix = format!(" ssm.GetParameter {}", read.params);
        answered.keys().find(|key| key.ends_with(&suffix))?;
        let source = format!(
            "the value of `{parameter}` is a placeholder answer to ssm.GetParameter for \
             `{name}`, its default"
        );
        let why = match (&default.value, &default.pattern) {
            (None, Some(pattern)) => {
                format!("; no value matching its allowedPattern {pattern} could be made")
            }
            _ => String::new(),
        };
        Some(format!("{source}{why}; give it with -p {parameter}=VALUE, or mock ssm.GetParameter"))
    }

    /// The calls placeholders answered (`ec2.DescribeInstances`) and how many times, in the
    /// order they were first made.
    pub fn placeholder_calls(&self) -> Vec<(String, u64)> {
        let answered = self.answered.lock().unwrap_or_else(PoisonError::into_inner);
        answered.iter().map(|(call, count)| (call.clone(), *count)).collect()
    }
}

impl AwsBackend for AutoMock {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(async move { self.answer(&request) })
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::json;

    use super::*;
    use crate::mock::MockFile;

    fn models(tag: &str) -> (Models, PathBuf) {
        crate::model::tests_support::demo_models(&format!("auto-{tag}"))
    }

    fn auto_mock(tag: &str, mocks: &str) -> (AutoMock, PathBuf) {
        let file = MockFile::parse(Path::new("mocks.yaml"), mocks).unwrap();
        let (models, root) = models(tag);
        (AutoMock::new(Arc::new(MockAws::new(Arc::new(file))), Placeholders::new(models)), root)
    }

    #[test]
    fn a_webhook_integration_and_its_request_have_placeholders() {
        let placeholders = Placeholders::unavailable("no models needed");
        let invoke =
            ApiRequest::new("webhook", "Invoke", json!({"Url": "https://x/", "Body": "b"}));
        assert_eq!(
            placeholders.answer(&invoke, 0).unwrap(),
            json!({"StatusCode": 200, "Body": "", "Headers": {}})
        );
    }

    #[test]
    fn mocks_answer_first_and_placeholders_the_rest() {
        let (aws, root) = auto_mock(
            "order",
            "aws:\n  - {service: demo, api: Ping, error: Throttling}\n  - {service: demo, api: DescribeInstances, params: {InstanceIds: [i-1]}, returns: {NextToken: t}}\n",
        );
        let ping = ApiRequest::new("demo", "Ping", json!({}));
        assert_eq!(aws.answer(&ping).unwrap_err().code, "Throttling");
        let mocked = ApiRequest::new("demo", "DescribeInstances", json!({"InstanceIds": ["i-1"]}));
        assert_eq!(aws.answer(&mocked).unwrap(), json!({"NextToken": "t"}));
        let other = ApiRequest::new("demo", "DescribeInstances", json!({"InstanceIds": ["i-2"]}));
        let placeholder = aws.answer(&other).unwrap();
        assert_eq!(placeholder["Reservations"][0]["Instances"][0]["InstanceId"], "<InstanceId>");
        let state =
            |answer: &Value| answer["Reservations"][0]["Instances"][0]["State"]["Name"].clone();
        assert_eq!(state(&placeholder), "pending");
        // The same call again: the next state, as a wait polling it would see.
        assert_eq!(state(&aws.answer(&other).unwrap()), "running");
        let third = ApiRequest::new("demo", "DescribeInstances", json!({"InstanceIds": ["i-3"]}));
        assert_eq!(aws.answer(&third).unwrap(), placeholder, "other calls start over");
        assert_eq!(aws.placeholder_calls(), [("demo.DescribeInstances".to_string(), 3)]);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn enumerations_advance_per_step_and_call() {
        let (aws, root) = auto_mock("steps", "aws: []\n");
        let call = |step: &str| {
            let request =
                ApiRequest::new("demo", "DescribeInstances", json!({"InstanceIds": ["i-1"]}));
            let answer = aws.answer(&request.with_step(step)).unwrap();
            answer["Reservations"][0]["Instances"][0]["State"]["Name"].clone()
        };
        assert_eq!(call("wait"), "pending");
        assert_eq!(call("wait"), "running");
        assert_eq!(call("check"), "pending", "another step starts over");
        assert_eq!(call("check"), "running", "each step keeps its own count");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn placeholders_leave_out_the_tokens_of_another_page() {
        let model = crate::model::ServiceModel::from_json(
            "paged",
            br#"{"metadata": {"protocol": "json"}, "operations": {
              "List": {"name": "List", "input": {"shape": "ListIn"}, "output": {"shape": "ListOut"}},
              "Objects": {"name": "Objects", "input": {"shape": "ObjectsIn"}, "output": {"shape": "ObjectsOut"}},
              "Echo": {"name": "Echo", "input": {"shape": "EchoIn"}, "output": {"shape": "EchoOut"}}},
             "shapes": {
              "S": {"type": "string"},
              "B": {"type": "boolean"},
              "ListIn": {"type": "structure", "members": {"nextToken": {"shape": "S"}}},
              "ListOut": {"type": "structure", "members": {"Items": {"shape": "S"}, "nextToken": {"shape": "S"}}},
              "ObjectsIn": {"type": "structure", "members": {"Marker": {"shape": "S"}, "ContinuationToken": {"shape": "S"}}},
              "ObjectsOut": {"type": "structure", "members": {"Marker": {"shape": "S"}, "NextMarker": {"shape": "S"},
                "NextContinuationToken": {"shape": "S"}, "IsTruncated": {"shape": "B"}}},
              "EchoIn": {"type": "structure", "members": {"ClientToken": {"shape": "S"}}},
              "EchoOut": {"type": "structure", "members": {"ClientToken": {"shape": "S"}, "NextToken": {"shape": "S"}}}}}"#,
        )
        .unwrap();
        let keys = |api: &str| {
            let operation = model.operation(api).unwrap();
            let mut answer = auto_response_variant(&operation, 0);
            without_page_tokens(&operation, &mut answer);
            answer.as_object().unwrap().keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(keys("List"), ["Items", "ResponseMetadata"]);
        assert_eq!(keys("Objects"), ["IsTruncated", "ResponseMetadata"]);
        // Not a page token of the input: an idempotency token, and a token the input lacks.
        assert_eq!(keys("Echo"), ["ClientToken", "NextToken", "ResponseMetadata"]);
    }

    #[test]
    fn paginators_name_the_tokens_placeholders_leave_out() {
        let tokens = read_page_tokens(
            r#"{"pagination": {
              "Scan": {"input_token": "ExclusiveStartKey", "output_token": "LastEvaluatedKey"},
              "ListObjects": {"input_token": "Marker",
                              "output_token": "NextMarker || Contents[-1].Key"},
              "Nested": {"input_token": ["A", "B"], "output_token": ["Paging.Next", "B"]}}}"#,
        );
        let names = |operation: &str| -> Vec<String> {
            tokens[operation].iter().map(|path| path.join(".")).collect()
        };
        assert_eq!(names("Scan"), ["LastEvaluatedKey"]);
        assert_eq!(names("ListObjects"), ["NextMarker"]);
        assert_eq!(names("Nested"), ["Paging.Next", "B"]);
        let mut answer = json!({"Items": [], "LastEvaluatedKey": {"k": "v"}, "Paging": {"Next": "t", "Size": 1}});
        without_path(&mut answer, &tokens["Scan"][0]);
        without_path(&mut answer, &tokens["Nested"][0]);
        assert_eq!(answer, json!({"Items": [], "Paging": {"Size": 1}}));
        assert!(read_page_tokens("not json").is_empty());
    }

    #[test]
    fn unknown_calls_fail_with_the_reason() {
        let (aws, root) = auto_mock("unknown", "aws: []\n");
        let error =
            aws.answer(&ApiRequest::new("demo", "DescribeInstance", json!({}))).unwrap_err();
        assert_eq!(error.code, AUTO_MOCK_UNAVAILABLE);
        assert!(error.message.ends_with("did you mean `DescribeInstances`?"), "{}", error.message);
        let error = aws.answer(&ApiRequest::new("dmeo", "Ping", json!({}))).unwrap_err();
        assert!(error.message.contains("unknown aws service `dmeo`"), "{}", error.message);
        assert!(aws.placeholder_calls().is_empty());
        std::fs::remove_dir_all(root).unwrap();
    }
}
