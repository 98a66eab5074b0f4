//! The one JSON-level AWS interface every action is written against: a call is a service, an
//! operation and its parameters as JSON (spelled as boto3 and runbooks spell them), and its
//! answer is a JSON response or an API error. Mocks, a local emulator and AWS itself are
//! interchangeable behind it.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::BoxFuture;

/// One AWS API call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiRequest {
    /// The service's boto3 name (`ec2`, `ssm`, `s3`).
    pub service: String,
    /// The operation's name (`DescribeInstances`).
    pub api: String,
    /// The request parameters (`{"InstanceIds": ["i-0abc"]}`).
    pub params: Value,
    /// The step that makes the call, when a step makes it. AWS never sees it; backends that
    /// stand in for AWS may answer per step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The account and Region the call is made as, for a run over target locations; `None`
    /// for the run's own. A backend makes the call there (AWS itself: as the role assumed in
    /// that account); stand-ins may answer per location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// An account and Region a run over target locations runs in, and the role it assumes there
/// (`ExecutionRoleName`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The account id.
    pub account: String,
    /// The Region.
    pub region: String,
    /// The name of the role assumed in the account.
    pub role_name: String,
}

impl Location {
    /// The ARN of the role assumed there, in the Region's partition.
    pub fn role_arn(&self) -> String {
        format!("arn:{}:iam::{}:role/{}", partition(&self.region), self.account, self.role_name)
    }
}

/// Temporary credentials of a role assumed at a [`Location`], for a script's own SDK.
#[derive(Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token (STS always gives one).
    pub session_token: Option<String>,
}

impl fmt::Debug for RoleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The partition a Region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

impl ApiRequest {
    /// A call of `service`'s `api` with `params`.
    pub fn new(service: impl Into<String>, api: impl Into<String>, params: Value) -> Self {
        Self { service: service.into(), api: api.into(), params, step: None, location: None }
    }

    /// The same call, made by the step `step`.
    #[must_use]
    pub fn with_step(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }

    /// The same call, made at `location` (`None`: the run's own account and Region).
    #[must_use]
    pub fn with_location(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }
}

impl fmt::Display for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}({})", self.service, self.api, self.params)
    }
}

/// An error answered by an AWS API (or by whatever stands in for it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The error code (`InvalidInstanceID.NotFound`, `ThrottlingException`).
    pub code: String,
    /// The error message.
    pub message: String,
    /// The HTTP status, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status: None }
    }

    /// Sets the HTTP status.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Whether the error is throttling, which the service retries with backoff.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_str(),
            "Throttling"
                | "ThrottlingException"
                | "ThrottledException"
                | "RequestThrottledException"
                | "TooManyRequestsException"
                | "ProvisionedThroughputExceededException"
                | "TransactionInProgressException"
                | "RequestLimitExceeded"
                | "BandwidthLimitExceeded"
                | "LimitExceededException"
                | "RequestThrottled"
                | "SlowDown"
                | "PriorRequestNotComplete"
                | "EC2ThrottledException"
        ) || self.status == Some(429)
    }
}

/// A backend that answers AWS calls.
pub trait AwsBackend: Send + Sync {
    /// Makes `request` and returns the response as JSON, in the shape boto3 returns it.
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>>;

    /// [`AwsBackend::call`], answering a response that may be shared: a backend whose answers
    /// are fixed (a mock's `returns`) hands out the one it holds, and the run keeps it in the
    /// step's record and the call's without a copy. By default, the answer of `call`.
    fn call_shared(&self, request: ApiRequest) -> BoxFuture<'_, Result<Arc<Value>, ApiError>> {
        Box::pin(async move { self.call(request).await.map(Arc::new) })
    }

    /// Learns of a call made around this backend, straight to AWS (a script's own botocore on
    /// a real run), with the answer AWS gave. Only backends that keep calls (a recorder) care.
    fn observe(&self, request: &ApiRequest, answer: &Result<Value, ApiError>) {
        let _ = (request, answer);
    }

    /// The credentials a script running at `location` reaches AWS with, by itself: those of
    /// the role the backend assumes there for its own calls at `location`. `None` (the default)
    /// when the backend stands in for AWS, whose scripts' calls come back through the run.
    fn credentials_at(
        &self,
        location: &Location,
    ) -> BoxFuture<'_, Result<Option<RoleCredentials>, ApiError>> {
        let _ = location;
        Box::pin(async { Ok(None) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn AwsBackend) {}

    #[test]
    fn role_credentials_keep_their_secrets_out_of_debug_output() {
        let credentials = RoleCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("token-secret".into()),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn a_location_names_its_role_in_its_partition() {
        let at = |region: &str| Location {
            account: "111122223333".into(),
            region: region.into(),
            role_name: "Exec".into(),
        };
        assert_eq!(at("eu-west-1").role_arn(), "arn:aws:iam::111122223333:role/Exec");
        assert_eq!(at("cn-north-1").role_arn(), "arn:aws-cn:iam::111122223333:role/Exec");
        assert_eq!(at("us-gov-west-1").role_arn(), "arn:aws-us-gov:iam::111122223333:role/Exec");
    }

    #[test]
    fn throttling_is_recognised_by_code_or_status() {
        assert!(ApiError::new("ThrottlingException", "slow down").is_throttling());
        assert!(ApiError::new("Whatever", "x").with_status(429).is_throttling());
        assert!(!ApiError::new("InvalidInstanceID.NotFound", "x").is_throttling());
    }
}
