//! `runbook`: run, validate and unit-test AWS Systems Manager Automation runbooks on your
//! machine, with the service's semantics.
//!
//! One pipeline serves every use: a [`Loader`] loads a runbook and always validates it (the
//! engine's rules, and the checks of AWS API calls against botocore's [`Models`] when it has
//! them); a [`Validated`] runbook without errors becomes a [`Runbook`], planned once; a
//! [`Session`] holds what a run needs besides the runbook (mocks, approvals, parameters, the
//! clock, a [`CancelToken`], the step budget, an observer, targets) and runs it to a
//! [`Finished`] run whose [`Execution`] is the record, in the shape of the service's
//! `GetAutomationExecution`. `runbook run`, `runbook test` and the [`harness`] all go this way.
//!
//! The types the API takes from other crates are re-exported here ([`IndexMap`], [`Timestamp`],
//! [`Value`], [`json!`]), so that an embedder needs no other dependency; the crates behind the
//! facade are [`engine`] (documents, validation, the executor), [`actions`] (the `aws:*`
//! actions) and [`aws`] (mocks, models and AWS backends).
//!
//! # Load, run on mocks, read the record
//!
//! ```
//! use runbook::{Loader, MockFile, Session, Status};
//!
//! let text = r#"
//! schemaVersion: '0.3'
//! parameters:
//!   InstanceId: {type: String}
//! mainSteps:
//!   - name: describe
//!     action: aws:executeAwsApi
//!     inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ InstanceId }}']}
//!     outputs:
//!       - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
//! outputs: [describe.State]
//! "#;
//! let mocks = r#"
//! aws:
//!   - service: ec2
//!     api: DescribeInstances
//!     returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}
//! "#;
//! let runbook = Loader::new().parse("describe.yaml", text, runbook::Format::Yaml)?.into_runbook()?;
//! let session = Session::new()
//!     .mocks(MockFile::parse("mocks.yaml".as_ref(), mocks)?)
//!     .parameter("InstanceId", "i-0123456789abcdef0");
//! let execution = session.run(&runbook)?.execution;
//! assert_eq!(execution.automation_execution_status, Status::Success);
//! assert_eq!(execution.step("describe").unwrap().outputs["State"], "running");
//! assert_eq!(execution.calls[0].api, "DescribeInstances");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cancel a run
//!
//! Every session has a [`CancelToken`] ([`Session::token`]); cancelling it from anywhere (a
//! Ctrl-C handler, another thread) stops the run as `StopAutomationExecution` does: the running
//! step ends `Cancelled`, its `onCancel` steps run, and so does the run. [`Session::cancel_after`]
//! cancels after a time on the run's clock.
//!
//! ```
//! use std::time::Duration;
//!
//! use runbook::{Loader, Session, Status};
//!
//! let text = r#"
//! schemaVersion: '0.3'
//! mainSteps:
//!   - {name: soak, action: aws:sleep, inputs: {Duration: P1D}}
//!   - {name: after, action: aws:sleep, inputs: {Duration: PT1S}}
//! "#;
//! let runbook = Loader::new().parse("soak.yaml", text, runbook::Format::Yaml)?.into_runbook()?;
//! let session = Session::new().cancel_after(Duration::from_secs(3600));
//! let execution = session.run(&runbook)?.execution;
//! assert_eq!(execution.automation_execution_status, Status::Cancelled);
//! assert_eq!(execution.path(), ["soak"]);
//! assert_eq!(execution.step("soak").unwrap().step_status, Status::Cancelled);
//! assert!(session.token().is_cancelled());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A custom AWS backend
//!
//! Calls go to an [`AwsBackend`]: mocks by default, AWS or an emulator in `runbook run --aws`,
//! or one of the embedder's, given JSON in boto3's shape and answering JSON in boto3's shape.
//!
//! ```
//! use std::sync::Arc;
//!
//! use runbook::{ApiError, ApiRequest, AwsBackend, BoxFuture, Loader, Session, Status, Value, json};
//!
//! /// Every instance is running, and nothing else exists.
//! struct Fleet;
//!
//! impl AwsBackend for Fleet {
//!     fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
//!         Box::pin(async move {
//!             match (request.service.as_str(), request.api.as_str()) {
//!                 ("ec2", "DescribeInstanceStatus") => Ok(json!({"InstanceStatuses": [
//!                     {"InstanceId": request.params["InstanceIds"][0], "InstanceState": {"Name": "running"}}
//!                 ]})),
//!                 (service, api) => Err(ApiError::new("UnknownOperation", format!("{service}.{api}"))),
//!             }
//!         })
//!     }
//! }
//!
//! let text = r#"
//! schemaVersion: '0.3'
//! mainSteps:
//!   - name: isRunning
//!     action: aws:assertAwsResourceProperty
//!     inputs:
//!       Service: ec2
//!       Api: DescribeInstanceStatus
//!       InstanceIds: [i-0123456789abcdef0]
//!       PropertySelector: '$.InstanceStatuses[0].InstanceState.Name'
//!       DesiredValues: [running]
//! "#;
//! let runbook = Loader::new().parse("check.yaml", text, runbook::Format::Yaml)?.into_runbook()?;
//! let execution = Session::new().aws(Arc::new(Fleet)).run(&runbook)?.execution;
//! assert_eq!(execution.automation_execution_status, Status::Success);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod diff;
pub mod harness;
pub mod json;
pub mod permissions;
pub mod rules;
pub mod service;
mod session;
mod setup;
pub mod terminal;
pub mod testing;

pub use harness::{Harness, HarnessError};
pub use session::{
    DEFAULT_START, Finished, Loader, Refused, Rejected, RunError, Runbook, Session, Validated,
};
pub use setup::{Approvals, standard_actions};

pub use indexmap::IndexMap;
pub use jiff::Timestamp;
pub use runbook_aws::mock::MockFile;
pub use runbook_aws::mock::auto::Placeholders;
pub use runbook_aws::mock::record::Recorder;
pub use runbook_aws::model::Models;
pub use runbook_engine::{
    ApiError, ApiRequest, AwsBackend, BoxFuture, CancelToken, Clock, Decision, Diagnostic,
    Document, Event, Execution, Fleet, Format, IdGenerator, LoadError, Observer, ParameterError,
    Report, RunContext, Severity, Status, Target,
};
pub use serde_json::{Value, json};

pub use runbook_actions as actions;
pub use runbook_aws as aws;
pub use runbook_engine as engine;
