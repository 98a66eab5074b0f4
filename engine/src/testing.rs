//! Scripted stand-ins for the engine's own tests and benchmarks (feature `testing`): an AWS
//! backend that answers from a script and keeps what it was asked, and `aws:executeAwsApi`
//! reduced to a bare call. The real action and the mock file live in other crates, which this
//! one cannot depend on.

use std::sync::Mutex;

use serde_json::Value;

use crate::action::{Action, ActionOutput, StepContext, StepFailure};
use crate::host::{ApiError, ApiRequest, AwsBackend, BoxFuture};

type Answer = dyn Fn(&ApiRequest) -> Option<Result<Value, ApiError>> + Send + Sync;

/// Answers each call with the first of its answers that takes it (none: a `NotScripted` error
/// naming the call), and keeps every request in the order it came.
#[derive(Default)]
pub struct ScriptedAws {
    answers: Vec<Box<Answer>>,
    calls: Mutex<Vec<ApiRequest>>,
}

impl ScriptedAws {
    /// A backend that answers with `answer`, which returns `None` for calls it does not take.
    pub fn new(
        answer: impl Fn(&ApiRequest) -> Option<Result<Value, ApiError>> + Send + Sync + 'static,
    ) -> Self {
        Self::default().or(answer)
    }

    /// Adds `answer` for the calls the earlier answers do not take.
    #[must_use]
    pub fn or(
        mut self,
        answer: impl Fn(&ApiRequest) -> Option<Result<Value, ApiError>> + Send + Sync + 'static,
    ) -> Self {
        self.answers.push(Box::new(answer));
        self
    }

    /// Answers every call of operation `api` (of any service) with `answer`.
    #[must_use]
    pub fn answer(self, api: &str, answer: Result<Value, ApiError>) -> Self {
        let api = api.to_string();
        self.or(move |request| (request.api == api).then(|| answer.clone()))
    }

    /// The requests made so far, in order.
    pub fn calls(&self) -> Vec<ApiRequest> {
        self.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
    }
}

impl AwsBackend for ScriptedAws {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        let answer = self
            .answers
            .iter()
            .find_map(|answer| answer(&request))
            .unwrap_or_else(|| Err(ApiError::new("NotScripted", format!("{request}"))));
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(request);
        }
        Box::pin(async move { answer })
    }
}

/// `aws:executeAwsApi` at its simplest: calls `Service.Api` with the other inputs and answers
/// the response, with no output selectors of its own.
pub struct CallApi;

impl Action for CallApi {
    fn name(&self) -> &'static str {
        "aws:executeAwsApi"
    }

    fn run<'a>(
        &'a self,
        inputs: Value,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<ActionOutput, StepFailure>> {
        Box::pin(async move {
            let mut params = inputs.as_object().cloned().unwrap_or_default();
            let mut text = |key: &str| {
                params
                    .shift_remove(key)
                    .and_then(|value| value.as_str().map(String::from))
                    .unwrap_or_default()
            };
            let (service, api) = (text("Service"), text("Api"));
            cx.call(&service, &api, Value::Object(params))
                .await
                .map(ActionOutput::response)
                .map_err(|error| StepFailure::api(&format!("{service}.{api}"), &error))
        })
    }
}
