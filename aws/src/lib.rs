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

pub mod client;
pub mod mock;
pub mod model;
pub mod sandbox;

pub use mock::auto::{AutoMock, Placeholders};
pub use mock::record::Recorder;
pub use mock::{MockAws, MockFile, MockFileError};
pub use model::{ModelError, Models};
