//! `runbook-aws`: the backends behind the engine's AWS interface
//! ([`AwsBackend`](runbook_engine::host::AwsBackend)).
//!
//! - `mock`: scripted answers from a mock file, for dry-runs and tests.
//! - `model`: the AWS API models botocore publishes, loaded lazily.
//! - `client`: a signed HTTP client driven by those models, for a local emulator or AWS.

pub mod client;
pub mod model;
