//! `runbook-engine`: load, validate and run AWS Systems Manager Automation runbooks
//! (documents with `schemaVersion: '0.3'`) with the service's semantics, against hosts of the
//! embedder's: the engine knows no AWS client, prints nothing and reads no clock of its own.
//!
//! The pipeline has four stages, each a plain function of the previous one's output, and the
//! types of each are at this crate's root:
//!
//! 1. [`Document::load`] (or [`Document::parse`]) reads YAML or JSON into a typed [`Document`]
//!    whose every field keeps its source position. It fails, with a [`LoadError`], only when the
//!    text cannot be a runbook at all.
//! 2. [`validate()`] checks the document against the service's rules and returns a [`Report`]
//!    of located [`Diagnostic`]s. It never fails.
//! 3. [`Plan::new`] prepares a document once for any number of runs.
//! 4. [`Executor::run`] runs a plan on a [`Host`] (an [`AwsBackend`], a [`Clock`], an
//!    [`Approver`], a [`ScriptRunner`], ...) with [`RunOptions`] (parameters, a [`CancelToken`],
//!    a [`StepBudget`], a [`Fleet`] of targets) and returns the record, an [`Execution`] in the
//!    shape of `GetAutomationExecution`. It fails, with a [`ParameterError`], only when the
//!    start is refused.
//!
//! The `aws:*` actions that call AWS live in `runbook-actions`, mocks and real AWS backends in
//! `runbook-aws`, and the `runbook` crate puts everything together in one call; this crate runs
//! the control actions (`aws:sleep`, `aws:branch`, `aws:approve`, ...) by itself.
//!
//! # Load, validate, run, read the record
//!
//! ```
//! use std::sync::Arc;
//!
//! use runbook_engine::{
//!     ApiError, ApiRequest, Actions, AwsBackend, BoxFuture, Document, Executor, Format, Host,
//!     Plan, RunOptions, Status, VirtualClock, validate, virtual_runtime,
//! };
//! use serde_json::Value;
//!
//! /// An AWS that refuses every call (this runbook makes none).
//! struct NoAws;
//!
//! impl AwsBackend for NoAws {
//!     fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
//!         Box::pin(async move { Err(ApiError::new("NoAws", request.api)) })
//!     }
//! }
//!
//! let text = r#"
//! schemaVersion: '0.3'
//! parameters:
//!   Env: {type: String, default: dev}
//! mainSteps:
//!   - name: route
//!     action: aws:branch
//!     inputs:
//!       Choices: [{NextStep: wait, Variable: '{{ Env }}', StringEquals: prod}]
//!       Default: done
//!   - {name: wait, action: aws:sleep, inputs: {Duration: PT1H}}
//!   - {name: done, action: aws:sleep, inputs: {Duration: PT1S}}
//! "#;
//! let document = Document::parse("deploy.yaml", text.to_string(), Format::Yaml)?;
//! assert!(!validate(&document).has_errors());
//! let plan = Arc::new(Plan::new(Arc::new(document)));
//!
//! // Virtual time: the hour of `wait` passes at once.
//! let runtime = virtual_runtime()?;
//! let execution = runtime.block_on(async {
//!     let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
//!     let executor = Executor::new(Arc::new(Actions::new()), Host::new(Arc::new(NoAws), clock));
//!     executor.run(plan, RunOptions::new([("Env", "prod")])).await
//! })?;
//! assert_eq!(execution.automation_execution_status, Status::Success);
//! assert_eq!(execution.path(), ["route", "wait", "done"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cancel a run
//!
//! A [`CancelToken`] in the [`RunOptions`] stops the run between or during steps, as
//! `StopAutomationExecution` does: the running step ends `Cancelled`, its `onCancel` steps run,
//! and so does the run.
//!
//! ```
//! # use std::sync::Arc;
//! # use runbook_engine::{ApiError, ApiRequest, Actions, AwsBackend, BoxFuture, Document,
//! #     Executor, Format, Host, Plan, RunOptions, Status, VirtualClock, virtual_runtime};
//! # struct NoAws;
//! # impl AwsBackend for NoAws {
//! #     fn call(&self, r: ApiRequest) -> BoxFuture<'_, Result<serde_json::Value, ApiError>> {
//! #         Box::pin(async move { Err(ApiError::new("NoAws", r.api)) })
//! #     }
//! # }
//! use std::time::Duration;
//!
//! use runbook_engine::{CancelToken, Clock};
//!
//! let text = "schemaVersion: '0.3'\nmainSteps:\n  - {name: long, action: aws:sleep, inputs: {Duration: P1D}}\n";
//! let plan = Arc::new(Plan::new(Arc::new(Document::parse("long.yaml", text.into(), Format::Yaml)?)));
//! let execution = virtual_runtime()?.block_on(async {
//!     let clock = Arc::new(VirtualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
//!     let host = Host::new(Arc::new(NoAws), clock.clone());
//!     let executor = Executor::new(Arc::new(Actions::new()), host);
//!     let token = CancelToken::new();
//!     let options = RunOptions::default().with_cancel(token.clone());
//!     // Ctrl-C, a timeout, a user's button: anything that holds the token cancels.
//!     tokio::spawn(async move {
//!         clock.sleep(Duration::from_secs(600)).await;
//!         token.cancel();
//!     });
//!     executor.run(plan, options).await
//! })?;
//! assert_eq!(execution.automation_execution_status, Status::Cancelled);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! The modules hold the rest: [`action`] everything an action author writes against
//! ([`action::Action`], [`action::StepContext`], [`action::StepFailure`], ...), [`execute`] the
//! run's other parts (plans, rate control, ids), [`host`] the scripted and real sides of each
//! host trait, [`record`] every part of the record, [`catalog`] the actions as data,
//! [`validate`](mod@validate) the rules, [`syntax`] the source tree and its spans, [`template`] the
//! `{{ reference }}` syntax, [`graph`] the step graph.

pub mod action;
pub mod catalog;
pub mod diagnostic;
pub mod document;
mod duration;
pub mod execute;
pub mod graph;
pub mod host;
mod names;
pub mod params;
pub mod record;
mod schema;
mod selector;
pub mod syntax;
pub mod template;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod typing;
pub mod validate;
mod value;

pub use diagnostic::{Diagnostic, Severity};
pub use document::{Document, Format, LoadError, LoadErrorKind};
pub use execute::{
    Actions, CancelToken, Executor, Fleet, Host, IdGenerator, Locations, Plan, RunContext,
    RunOptions, StepBudget,
};
pub use host::{
    ApiError, ApiRequest, Approver, AwsBackend, BoxFuture, Clock, Decision, DocumentStore, Event,
    Observer, ScriptRunner, SystemClock, VirtualClock, virtual_runtime,
};
pub use params::ParameterError;
pub use record::{CallRecord, Execution, Status, StepExecution, Target};
pub use schema::runbook_schema;
pub use validate::{Report, validate};
