//! What an action author needs, in one place: the [`Action`] trait, the [`StepContext`] an
//! attempt gets (AWS calls recorded in the run's record, the run's clock, scripts,
//! attachments), what it answers ([`ActionOutput`], [`StepFailure`]), and the helpers the
//! standard actions share. An action is registered in an [`Actions`] for the
//! [`Executor`](crate::Executor); the [`CONTROL_ACTIONS`] are the executor's own.
//!
//! ```
//! use std::sync::Arc;
//!
//! use runbook_engine::action::{
//!     Action, ActionOutput, Actions, ApiError, ApiRequest, BoxFuture, StepContext, StepFailure,
//!     parse_inputs,
//! };
//! use runbook_engine::{
//!     AwsBackend, Document, Executor, Format, Host, Plan, RunOptions, Status, VirtualClock,
//!     virtual_runtime,
//! };
//! use serde_json::{Value, json};
//!
//! /// `aws:invokeLambdaFunction`, reduced to its call.
//! struct Invoke;
//!
//! #[derive(serde::Deserialize)]
//! struct Inputs {
//!     #[serde(rename = "FunctionName")]
//!     function: String,
//! }
//!
//! impl Action for Invoke {
//!     fn name(&self) -> &'static str {
//!         "aws:invokeLambdaFunction"
//!     }
//!
//!     fn run<'a>(
//!         &'a self,
//!         inputs: Value,
//!         cx: &'a StepContext<'a>,
//!     ) -> BoxFuture<'a, Result<ActionOutput, StepFailure>> {
//!         Box::pin(async move {
//!             let inputs: Inputs = parse_inputs(self.name(), inputs)?;
//!             let params = json!({"FunctionName": inputs.function});
//!             let answer = cx
//!                 .call("lambda", "Invoke", params)
//!                 .await
//!                 .map_err(|error| StepFailure::api("lambda.Invoke", &error))?;
//!             Ok(ActionOutput::response(answer.clone()).with_output("StatusCode", answer["StatusCode"].clone()))
//!         })
//!     }
//! }
//!
//! /// A Lambda that always answers 200.
//! struct Lambda;
//!
//! impl AwsBackend for Lambda {
//!     fn call(&self, _: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
//!         Box::pin(async { Ok(json!({"StatusCode": 200})) })
//!     }
//! }
//!
//! let text = "schemaVersion: '0.3'\nmainSteps:\n  - {name: call, action: aws:invokeLambdaFunction, inputs: {FunctionName: f}}\n";
//! let plan = Arc::new(Plan::new(Arc::new(Document::parse("call.yaml", text.into(), Format::Yaml)?)));
//! let mut actions = Actions::new();
//! actions.register(Invoke);
//! let execution = virtual_runtime()?.block_on(async {
//!     let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
//!     let executor = Executor::new(Arc::new(actions), Host::new(Arc::new(Lambda), clock));
//!     executor.run(plan, RunOptions::default()).await
//! })?;
//! assert_eq!(execution.automation_execution_status, Status::Success);
//! assert_eq!(execution.step_executions[0].outputs["StatusCode"], 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::execute::action::{
    Action, ActionOutput, Actions, FailureKind, StepContext, StepFailure, THROTTLE_RETRIES,
    append_warnings, parse_inputs,
};
pub use crate::execute::control::CONTROL_ACTIONS;
pub use crate::host::{
    ApiError, ApiRequest, BoxFuture, ScriptAttachment, ScriptError, ScriptErrorKind, ScriptOutput,
    ScriptRequest,
};
pub use crate::record::as_text;
pub use crate::selector::Selector;
