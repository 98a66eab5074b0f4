//! Calling AWS APIs over HTTP, driven by the models.
//!
//! [`protocol`] turns an operation's JSON parameters into an HTTP request and the response
//! back into the JSON boto3 returns, for the `ec2`, `query`, `json`, `rest-json`, `rest-xml`
//! and `smithy-rpc-v2-cbor` protocols. It is plain data in and out, always compiled, and tested
//! against recorded exchanges. [`endpoint`] says where a service's requests go.
//!
//! With the `live` feature, `AwsClient` sends calls, signed, to AWS or to an emulator such
//! as moto, and implements the engine's [`AwsBackend`](runbook_engine::host::AwsBackend);
//! `moto` starts and stops a local moto server. The same client sends the HTTP requests of
//! webhook steps (`webhook.Invoke`, in `webhook`), and every connection it makes trusts the
//! certificates of `AWS_CA_BUNDLE` when that names a file.

pub mod endpoint;
#[cfg(feature = "live")]
mod live;
#[cfg(feature = "live")]
pub mod moto;
pub mod protocol;
#[cfg(feature = "live")]
mod webhook;

#[cfg(feature = "live")]
pub use live::{AwsClient, CallerIdentity, ClientError, ClientOptions, StaticCredentials};
