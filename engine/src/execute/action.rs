//! The contract between the engine and the actions that talk to the outside world: an
//! [`Action`] gets its resolved inputs and a [`StepContext`] (AWS calls, the clock, scripts),
//! and answers an [`ActionOutput`] or a [`StepFailure`]. The control actions (`aws:branch`,
//! `aws:loop`, ...) are part of the executor itself, in `execute/control/`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::environment::RunEnvironment;
use crate::host::{
    ApiError, ApiRequest, BoxFuture, Event, ScriptCalls, ScriptError, ScriptOutput, ScriptRequest,
};
use crate::record::{CallRecord, FailureStage, FailureType};

/// One `aws:*` action.
pub trait Action: Send + Sync {
    /// The action's name (`aws:executeAwsApi`).
    fn name(&self) -> &'static str;

    /// Runs one attempt with `inputs` (templates resolved). The engine applies the step's
    /// timeout around this future and retries it per `maxAttempts`.
    fn run<'a>(
        &'a self,
        inputs: Value,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<ActionOutput, StepFailure>>;
}

/// What an action produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionOutput {
    /// The response that declared output selectors read (`$.Payload.x` reads `Payload`),
    /// shared with the record of the call it came from when it is a call's answer.
    pub response: Arc<Value>,
    /// Outputs the action always has (SPEC section 6), by name.
    pub outputs: IndexMap<String, Value>,
    /// What a script printed.
    pub stdout: String,
    /// What a script wrote to standard error.
    pub stderr: String,
}

impl ActionOutput {
    /// An output whose response is `response` and which has no predefined outputs.
    pub fn response(response: Value) -> Self {
        Self::shared_response(Arc::new(response))
    }

    /// An output whose response is `response`, kept as it is shared (a call's answer from
    /// [`StepContext::call_shared`]).
    pub fn shared_response(response: Arc<Value>) -> Self {
        Self { response, ..Self::default() }
    }

    /// Adds a predefined output.
    #[must_use]
    pub fn with_output(mut self, name: &str, value: Value) -> Self {
        self.outputs.insert(name.to_string(), value);
        self
    }
}

/// Why a step attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The attempt ran longer than the step's timeout (or a wait never ended).
    Timeout,
    /// An AWS API answered an error.
    Api {
        /// The error code.
        code: String,
    },
    /// The inputs are not what the action takes.
    InvalidInputs,
    /// A checked value was not the desired one.
    AssertionFailed,
    /// An approval was rejected.
    Rejected,
    /// The run was cancelled during the step.
    Cancelled,
    /// The action cannot run here.
    Unsupported,
    /// The action itself failed (a script raised, a child run failed, ...).
    Action,
}

/// A failed step attempt: data that feeds `maxAttempts`, `onFailure` and the record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepFailure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// What happened, as the step's `FailureMessage`.
    pub message: String,
    /// What a script printed before failing.
    pub stdout: String,
    /// What a script wrote to standard error before failing.
    pub stderr: String,
}

impl StepFailure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), stdout: String::new(), stderr: String::new() }
    }

    /// The action failed.
    pub fn action(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Action, message)
    }

    /// The inputs are wrong.
    pub fn invalid_inputs(message: impl Into<String>) -> Self {
        Self::new(FailureKind::InvalidInputs, message)
    }

    /// An AWS API error, with the call it answered.
    pub fn api(request: &str, error: &ApiError) -> Self {
        Self::new(
            FailureKind::Api { code: error.code.clone() },
            format!("{request} failed: {}: {}", error.code, error.message),
        )
    }

    /// The action cannot run here.
    pub fn unsupported(action: &str) -> Self {
        Self::new(
            FailureKind::Unsupported,
            format!("unsupported action `{action}`: this engine cannot run it yet"),
        )
    }

    pub(crate) fn stage_and_type(&self) -> (FailureStage, FailureType) {
        match &self.kind {
            FailureKind::InvalidInputs => (FailureStage::InputValidation, FailureType::Action),
            FailureKind::Api { code } if code.contains("Throttl") => {
                (FailureStage::Invocation, FailureType::Throttling)
            }
            FailureKind::Api { code }
                if code.contains("AccessDenied") || code.contains("Unauthorized") =>
            {
                (FailureStage::Invocation, FailureType::Permission)
            }
            FailureKind::AssertionFailed => {
                (FailureStage::PostVerification, FailureType::Verification)
            }
            FailureKind::Unsupported => (FailureStage::PreVerification, FailureType::Internal),
            _ => (FailureStage::Invocation, FailureType::Action),
        }
    }
}

/// Reads an action's inputs into its typed form; errors name the field.
pub fn parse_inputs<T: DeserializeOwned>(action: &str, inputs: Value) -> Result<T, StepFailure> {
    serde_json::from_value(inputs).map_err(|error| {
        StepFailure::invalid_inputs(format!("invalid inputs for {action}: {error}"))
    })
}

/// What a step can use while it runs.
pub struct StepContext<'a> {
    pub(crate) environment: &'a RunEnvironment,
    pub(crate) step: &'a str,
    pub(crate) timeout: Option<Duration>,
}

impl StepContext<'_> {
    /// The step's name.
    pub fn step(&self) -> &str {
        self.step
    }

    /// The step's timeout per attempt, if it has one (`timeoutSeconds` or the action's default).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The current time on the run's clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.environment.host.clock.now()
    }

    /// Waits on the run's clock.
    pub async fn sleep(&self, duration: Duration) {
        self.environment.host.clock.sleep(duration).await;
    }

    /// The run's execution id.
    pub fn execution_id(&self) -> &str {
        &self.environment.run_ref.execution_id
    }

    /// The region the run is in.
    pub fn region(&self) -> &str {
        &self.environment.host.context.region
    }

    /// The account the run is in.
    pub fn account_id(&self) -> &str {
        &self.environment.host.context.account_id
    }

    /// The partition (`aws`, `aws-cn`, ...).
    pub fn partition(&self) -> &str {
        &self.environment.host.context.partition
    }

    /// Makes an AWS call through the run's backend. Every call is recorded with its answer;
    /// throttling errors are retried with exponential backoff on the run's clock, as the
    /// service does, up to [`THROTTLE_RETRIES`] times.
    pub async fn call(&self, service: &str, api: &str, params: Value) -> Result<Value, ApiError> {
        self.call_shared(service, api, params).await.map(Arc::unwrap_or_clone)
    }

    /// [`call`](Self::call), answering the response as the call's record holds it, for an
    /// action whose response is the call's (`aws:executeAwsApi`): the step's record and the
    /// call's then share it.
    pub async fn call_shared(
        &self,
        service: &str,
        api: &str,
        mut params: Value,
    ) -> Result<Arc<Value>, ApiError> {
        let mut delay = Duration::from_secs(1);
        let mut retries = 0;
        loop {
            let request = ApiRequest::new(service, api, params.clone())
                .with_step(self.step)
                .with_location(self.environment.host.context.location.clone());
            let answer = self.environment.host.aws.call_shared(request).await;
            let retry =
                retries < THROTTLE_RETRIES && answer.as_ref().is_err_and(ApiError::is_throttling);
            // The last attempt's parameters go to the record as they are.
            let recorded = if retry { params.clone() } else { std::mem::take(&mut params) };
            self.record(service, api, recorded, &answer);
            if !retry {
                return answer;
            }
            retries += 1;
            self.sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }

    /// Puts a call and its answer in the run's record and tells the observer.
    fn record(
        &self,
        service: &str,
        api: &str,
        params: Value,
        answer: &Result<Arc<Value>, ApiError>,
    ) {
        if let Ok(response) = answer {
            self.environment.host.context.secrets.learn_from_call(service, api, &params, response);
        }
        let location = self.environment.host.context.location.as_ref();
        let call = CallRecord {
            automation_execution_id: self.environment.run_ref.execution_id.clone(),
            step_name: self.step.to_string(),
            service: service.to_string(),
            api: api.to_string(),
            params,
            response: answer.as_ref().ok().cloned(),
            error: answer.as_ref().err().cloned().map(Box::new),
            time: self.now(),
            account: location.map(|l| l.account.clone()),
            region: location.map(|l| l.region.clone()),
        };
        self.environment.emit(&Event::AwsCall { run: &self.environment.run_ref, call: &call });
        self.environment.record_call(call);
    }

    /// Runs a script through the host's script runner and reports what it printed. The AWS
    /// calls the runner hands back go through [`call`](Self::call), as the step's own.
    pub async fn run_script(&self, request: ScriptRequest) -> Result<ScriptOutput, ScriptError> {
        let result = self.environment.host.scripts.run(request, self).await;
        let (stdout, stderr, warnings) = match &result {
            Ok(output) => (output.stdout.as_str(), output.stderr.as_str(), &output.warnings),
            Err(error) => (error.stdout.as_str(), error.stderr.as_str(), &error.warnings),
        };
        let mut stderr = stderr.to_string();
        append_warnings(&mut stderr, warnings);
        if !stdout.is_empty() || !stderr.is_empty() {
            self.environment.emit(&Event::ScriptOutput {
                run: &self.environment.run_ref,
                step: self.step,
                stdout,
                stderr: &stderr,
            });
        }
        result
    }

    /// Where the attachment `name` of the runbook's `files` is on disk: the first of
    /// [`attachment_folders`](Self::attachment_folders) that holds it.
    pub fn attachment(&self, name: &str) -> Option<PathBuf> {
        self.attachment_folders()
            .into_iter()
            .map(|folder| folder.join(name))
            .find(|path| path.is_file())
    }

    /// Where attachments are looked for, in order: the attachments folder the host gave, then
    /// the runbook's own folder.
    pub fn attachment_folders(&self) -> Vec<PathBuf> {
        let context = &self.environment.host.context;
        context
            .attachments
            .iter()
            .cloned()
            .chain(self.environment.document.source.path.parent().map(PathBuf::from))
            .collect()
    }

    /// Environment variables a script needs to reach the same AWS the run uses, as the same
    /// identity. At a target location whose backend reaches AWS itself, that identity is the
    /// role assumed there, as the service runs the script: its credentials replace the run's,
    /// and any profile that would override them is dropped. Fails when the role cannot be
    /// assumed.
    pub async fn script_environment(&self) -> Result<Vec<(String, String)>, ApiError> {
        let host = &self.environment.host;
        let mut env = host.context.script_environment.clone();
        let Some(location) = &host.context.location else { return Ok(env) };
        let Some(credentials) = host.aws.credentials_at(location).await? else { return Ok(env) };
        env.retain(|(name, _)| !IDENTITY_VARIABLES.contains(&name.as_str()));
        env.push(("AWS_ACCESS_KEY_ID".to_string(), credentials.access_key_id));
        env.push(("AWS_SECRET_ACCESS_KEY".to_string(), credentials.secret_access_key));
        if let Some(token) = credentials.session_token {
            env.push(("AWS_SESSION_TOKEN".to_string(), token));
        }
        Ok(env)
    }

    /// Whether `name` is an attachment the runbook declares in `files`.
    pub fn declares_attachment(&self, name: &str) -> bool {
        self.environment.document.files.iter().any(|file| file.name.value == name)
    }

    /// The `sha256` the runbook declares for its attachment `name` in `files`, if any.
    pub fn attachment_sha256(&self, name: &str) -> Option<&str> {
        let file = self.environment.document.files.iter().find(|file| file.name.value == name)?;
        file.sha256.as_ref().map(|sha| sha.value.as_str())
    }
}

impl ScriptCalls for StepContext<'_> {
    fn call<'a>(
        &'a self,
        service: &'a str,
        api: &'a str,
        params: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(StepContext::call(self, service, api, params))
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(StepContext::sleep(self, duration))
    }

    /// Records the call as the step's own and tells the backend, which did not answer it.
    fn observed(&self, service: &str, api: &str, params: Value, answer: Result<Value, ApiError>) {
        let request = ApiRequest::new(service, api, params)
            .with_step(self.step)
            .with_location(self.environment.host.context.location.clone());
        self.environment.host.aws.observe(&request, &answer);
        self.record(service, api, request.params, &answer.map(Arc::new));
    }
}

/// Adds warnings about a script (an interpreter other than the runbook's runtime) to what it
/// wrote to standard error, one `warning:` line each: they have no place of their own in a
/// step's record.
pub fn append_warnings(stderr: &mut String, warnings: &[String]) {
    for warning in warnings {
        if !stderr.is_empty() && !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        stderr.push_str("warning: ");
        stderr.push_str(warning);
        stderr.push('\n');
    }
}

/// The environment variables through which the AWS SDKs and CLI find an identity of their
/// own: a script at a location must not keep the run's.
const IDENTITY_VARIABLES: [&str; 7] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
];

/// How many times a throttled call is retried before its error fails the step.
pub const THROTTLE_RETRIES: u32 = 5;

/// The actions a run can use, by name.
#[derive(Clone, Default)]
pub struct Actions {
    actions: IndexMap<&'static str, Arc<dyn Action>>,
}

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.actions.keys()).finish()
    }
}

impl Actions {
    /// No actions (the control actions are always available).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `action`, replacing any of the same name.
    pub fn register(&mut self, action: impl Action + 'static) -> &mut Self {
        self.actions.insert(action.name(), Arc::new(action));
        self
    }

    /// The action named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Action>> {
        self.actions.get(name)
    }

    /// The names of the registered actions.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.actions.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn Action) {}

    #[test]
    fn input_errors_name_the_action() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code, reason = "only the error matters here")]
        struct Inputs {
            #[serde(rename = "ImageId")]
            image_id: String,
        }
        let error = parse_inputs::<Inputs>("aws:deleteImage", serde_json::json!({})).unwrap_err();
        assert_eq!(error.message, "invalid inputs for aws:deleteImage: missing field `ImageId`");
        assert_eq!(error.kind, FailureKind::InvalidInputs);
    }
}
