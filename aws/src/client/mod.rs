//! Calling AWS APIs over HTTP, driven by the models.
//!
//! [`protocol`] turns an operation's JSON parameters into an HTTP request and the response
//! back into the JSON boto3 returns, for the `ec2`, `query`, `json`, `rest-json` and
//! `rest-xml` protocols. It is plain data in and out, always compiled, and tested against
//! recorded exchanges.

pub mod protocol;
