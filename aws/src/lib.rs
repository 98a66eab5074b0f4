//! `runbook-aws`: the backends behind the engine's AWS interface
//! ([`AwsBackend`](runbook_engine::host::AwsBackend)).
//!
//! - [`mock`]: scripted answers from a mock file, for dry-runs and tests.
//! - [`sandbox`]: the rhai sandbox that runs the scripts of mock files.
//! - [`model`]: the AWS API models botocore publishes, found on disk and loaded lazily, and
//!   the checks built on them (parameters, selectors, scripted responses) and placeholder
//!   responses. Light: `serde_json` and `flate2`.
//! - [`client`]: the six AWS wire protocols driven by those models (always compiled, plain
//!   data in and out), and with the `live` feature a signed HTTP client implementing
//!   `AwsBackend` for a local emulator (moto) or AWS, with credentials from `aws-config`.

//!
//! The backends and what makes them are at the root: [`MockFile`] and [`MockAws`],
//! [`Placeholders`] and [`AutoMock`] (`--auto-mock`), [`Recorder`] (`--record`), [`Models`], and
//! with `live` the `client::AwsClient`.
//!
//! # Answer calls from a mock file
//!
//! A mock file's rules are tried in order; the first whose service, operation and params
//! match answers, and a call no rule matches is an error naming it, as a dry run reports it.
//!
//! ```
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! use runbook_aws::{MockAws, MockFile};
//! use runbook_engine::host::ApiRequest;
//! use serde_json::json;
//!
//! let text = r#"
//! aws:
//!   - service: ec2
//!     api: DescribeInstances
//!     params: {InstanceIds: [i-0123456789abcdef0]}
//!     returns: {Reservations: [{Instances: [{State: {Name: running}}]}]}
//! "#;
//! let mocks = MockAws::new(Arc::new(MockFile::parse(Path::new("mocks.yaml"), text)?));
//!
//! let request = ApiRequest::new(
//!     "ec2",
//!     "DescribeInstances",
//!     json!({"InstanceIds": ["i-0123456789abcdef0"]}),
//! );
//! let answer = mocks.answer(&request)?;
//! assert_eq!(answer["Reservations"][0]["Instances"][0]["State"]["Name"], "running");
//!
//! let other = ApiRequest::new("ec2", "DescribeInstances", json!({"InstanceIds": ["i-other"]}));
//! assert!(mocks.answer(&other).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod client;
pub mod mock;
pub mod model;
pub mod sandbox;

pub use mock::auto::{AutoMock, Placeholders};
pub use mock::record::Recorder;
pub use mock::{MockAws, MockFile, MockFileError};
pub use model::{ModelError, Models};
