//! The signed HTTP client: [`AwsClient`] answers the engine's AWS calls by sending them to a
//! local emulator or to AWS.
//!
//! Credentials and region come from the standard chain through `aws-config` (environment,
//! profiles, SSO, web identity, container and instance metadata); requests are signed with
//! `SigV4` and sent with a blocking HTTP client inside `spawn_blocking`, so a paused virtual
//! clock stays still while real I/O happens. Credential lookups run on a small runtime of
//! the client's own, whose timers are real, for the same reason.
//!
//! A call of the pseudo-service `webhook` is not an AWS API: it is sent as the plain HTTP
//! request it describes (see `webhook.rs`). Every HTTPS connection, to AWS or to a webhook,
//! trusts the built-in roots, or, when `AWS_CA_BUNDLE` (or [`ClientOptions::ca_bundle`]) names
//! a PEM file, the certificates in it instead, as the AWS CLI does.
//!
//! Before sending, a call's parameters are checked against the model as boto3 checks them
//! (`ParamValidationError`), and boto3's idempotency tokens are filled in. Throttling is not
//! retried here: the engine owns retries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use runbook_engine::host::{
    ApiError, ApiRequest, AwsBackend, BoxFuture, Location, RoleCredentials,
};
use serde_json::{Map, Value};
use ureq::tls::{Certificate, PemItem, RootCerts, parse_pem};

use super::endpoint::{Endpoint, EndpointTable, override_url};
use super::protocol::{HttpRequest, HttpResponse, build_request, parse_response};
use super::webhook;
use crate::model::{ModelError, Models, ServiceModel, check_params};

/// How to reach AWS.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Send every call here (`http://127.0.0.1:5000` for moto) instead of AWS. Without it,
    /// `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` are honoured.
    pub endpoint_url: Option<String>,
    /// The region; without it, the standard chain decides (`AWS_REGION`, the profile...).
    pub region: Option<String>,
    /// The profile of the shared config files; without it, `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// The longest one HTTP exchange may take (default 60 s).
    pub timeout: Option<Duration>,
    /// Fixed credentials instead of the chain's (an emulator takes any).
    pub credentials: Option<StaticCredentials>,
    /// A PEM file of the certificates HTTPS connections trust instead of the built-in roots;
    /// without it, the file `AWS_CA_BUNDLE` names, if any.
    pub ca_bundle: Option<PathBuf>,
}

/// Fixed credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl StaticCredentials {
    /// Long-term credentials.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Options that send every call to `endpoint_url`.
    #[must_use]
    pub fn with_endpoint_url(mut self, endpoint_url: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint_url.into());
        self
    }

    /// Options with `region`.
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Options with `profile`.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Options whose HTTPS connections trust the certificates of the PEM file `path`.
    #[must_use]
    pub fn with_ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Options with fixed `credentials`.
    #[must_use]
    pub fn with_credentials(mut self, credentials: StaticCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

/// Why a client could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No region anywhere in the chain.
    #[error("no aws region: set AWS_REGION, give a region, or set one in the profile")]
    NoRegion,
    /// No credentials provider in the chain.
    #[error(
        "no aws credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure a profile"
    )]
    NoCredentials,
    /// The client's own runtime could not start.
    #[error("cannot start the aws client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The CA bundle cannot be read, or holds no certificate.
    #[error("cannot use the CA bundle {path}: {reason}")]
    CaBundle {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A call made while setting up failed.
    #[error("{0}")]
    Api(#[from] ApiError),
}

/// Who the credentials belong to, and where calls go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account id (`123456789012`).
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
    /// The region calls go to.
    pub region: String,
}

/// A signed HTTP client for AWS APIs, driven by botocore's models.
#[derive(Clone)]
pub struct AwsClient {
    inner: Arc<Inner>,
}

struct Inner {
    models: Models,
    region: String,
    endpoint_url: Option<String>,
    credentials: SharedCredentialsProvider,
    cached: Mutex<Option<Credentials>>,
    /// Credentials of the roles assumed for runs over target locations, by role ARN.
    assumed: Mutex<BTreeMap<String, Credentials>>,
    endpoints: EndpointTable,
    resolved: Mutex<BTreeMap<String, Endpoint>>,
    agent: ureq::Agent,
    runtime: OwnRuntime,
}

/// The client's own runtime, where credential providers keep their connections and timers.
/// It is shut down in the background when dropped, which (unlike a plain drop) is allowed
/// in async contexts.
struct OwnRuntime(Option<tokio::runtime::Runtime>);

impl OwnRuntime {
    fn get(&self) -> Option<&tokio::runtime::Runtime> {
        self.0.as_ref()
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for AwsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsClient")
            .field("region", &self.inner.region)
            .field("endpoint_url", &self.inner.endpoint_url)
            .finish_non_exhaustive()
    }
}

impl AwsClient {
    /// A client with credentials and region from the standard chain.
    pub async fn new(models: Models, options: ClientOptions) -> Result<Self, ClientError> {
        let runtime = OwnRuntime(Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(ClientError::Runtime)?,
        ));
        let ClientOptions { endpoint_url, region, profile, timeout, credentials, ca_bundle } =
            options;
        let ca_bundle = ca_bundle.or_else(|| {
            std::env::var_os("AWS_CA_BUNDLE").filter(|path| !path.is_empty()).map(PathBuf::from)
        });
        let roots = ca_bundle.as_deref().map(read_ca_bundle).transpose()?;
        let (runtime, region, credentials) = tokio::task::spawn_blocking(move || {
            let Some(own) = runtime.get() else { return (runtime, None, None) };
            let config = own.block_on(async move {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(profile) = profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(region) = region {
                    loader = loader.region(aws_config::Region::new(region));
                }
                if let Some(fixed) = credentials {
                    loader = loader.credentials_provider(Credentials::new(
                        fixed.access_key_id,
                        fixed.secret_access_key,
                        fixed.session_token,
                        None,
                        "runbook",
                    ));
                }
                loader.load().await
            });
            (runtime, config.region().map(ToString::to_string), config.credentials_provider())
        })
        .await
        .map_err(|error| ClientError::Runtime(std::io::Error::other(error.to_string())))?;
        let region = region.ok_or(ClientError::NoRegion)?;
        let credentials = credentials.ok_or(ClientError::NoCredentials)?;
        let endpoints = std::fs::read(models.root().join("endpoints.json"))
            .map(|text| EndpointTable::from_json(&text))
            .unwrap_or_default();
        Ok(Self {
            inner: Arc::new(Inner {
                models,
                region,
                endpoint_url,
                credentials,
                cached: Mutex::new(None),
                assumed: Mutex::new(BTreeMap::new()),
                endpoints,
                resolved: Mutex::new(BTreeMap::new()),
                agent: agent(timeout.unwrap_or(Duration::from_secs(60)), roots),
                runtime,
            }),
        })
    }

    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The endpoint every call goes to, when one was given.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.inner.endpoint_url.as_deref()
    }

    /// The environment variables that make boto3 (in an `aws:executeScript` script) reach the
    /// same AWS as this client, as the same identity: the credentials (resolved now), the
    /// region and the endpoint.
    pub async fn script_environment(&self) -> Result<Vec<(String, String)>, ApiError> {
        let inner = Arc::clone(&self.inner);
        let credentials = tokio::task::spawn_blocking(move || inner.credentials())
            .await
            .map_err(|error| ApiError::new("NoCredentialsError", error.to_string()))??;
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID".to_string(), credentials.access_key_id().to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), credentials.secret_access_key().to_string()),
            ("AWS_REGION".to_string(), self.inner.region.clone()),
            ("AWS_DEFAULT_REGION".to_string(), self.inner.region.clone()),
        ];
        if let Some(token) = credentials.session_token() {
            env.push(("AWS_SESSION_TOKEN".to_string(), token.to_string()));
        }
        if let Some(url) = &self.inner.endpoint_url {
            env.push(("AWS_ENDPOINT_URL".to_string(), url.clone()));
        }
        Ok(env)
    }

    /// The account and ARN of the credentials (STS `GetCallerIdentity`), for a confirmation
    /// before a run touches real resources.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, ApiError> {
        let response = self
            .call(ApiRequest::new("sts", "GetCallerIdentity", Value::Object(Map::new())))
            .await?;
        let text =
            |key: &str| response.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        Ok(CallerIdentity {
            account: text("Account"),
            arn: text("Arn"),
            region: self.inner.region.clone(),
        })
    }
}

impl AwsBackend for AwsClient {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || inner.call(&request)).await.unwrap_or_else(
                |error| {
                    Err(ApiError::new("InternalError", format!("the call did not finish: {error}")))
                },
            )
        })
    }

    /// The role's credentials this client's own calls at `location` are signed with (the same
    /// assumption, from the same cache).
    fn credentials_at(
        &self,
        location: &Location,
    ) -> BoxFuture<'_, Result<Option<RoleCredentials>, ApiError>> {
        let inner = Arc::clone(&self.inner);
        let location = location.clone();
        Box::pin(async move {
            let credentials = tokio::task::spawn_blocking(move || inner.assumed(&location))
                .await
                .unwrap_or_else(|error| {
                Err(ApiError::new("InternalError", format!("the role was not assumed: {error}")))
            })?;
            Ok(Some(RoleCredentials {
                access_key_id: credentials.access_key_id().to_string(),
                secret_access_key: credentials.secret_access_key().to_string(),
                session_token: credentials.session_token().map(str::to_string),
            }))
        })
    }
}

impl Inner {
    /// Makes one call, blocking; runs on a blocking thread.
    fn call(&self, request: &ApiRequest) -> Result<Value, ApiError> {
        if request.service == webhook::SERVICE && request.api == webhook::API {
            return webhook::invoke(&self.agent, &request.params);
        }
        let model = self.models.service(&request.service).map_err(|error| match error {
            ModelError::UnknownService { .. } => {
                ApiError::new("UnknownServiceError", error.to_string())
            }
            other => ApiError::new("ModelError", other.to_string()),
        })?;
        let operation = model.operation(&request.api).ok_or_else(|| {
            ApiError::new("OperationNotFoundError", model.unknown_operation(&request.api))
        })?;
        let mut params = match &request.params {
            Value::Null => Value::Object(Map::new()),
            other => other.clone(),
        };
        let problems = check_params(&operation, &params);
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ApiError::new(
                "ParamValidationError",
                format!("parameter validation failed: {}", lines.join("; ")),
            ));
        }
        fill_idempotency_tokens(&operation, &mut params);
        let http_request = build_request(&operation, &params)?;
        // A call at a location is made in its Region, as the role assumed in its account.
        let (region, credentials) = match &request.location {
            None => (self.region.as_str(), self.credentials()?),
            Some(location) => (location.region.as_str(), self.assumed(location)?),
        };
        let endpoint = self.endpoint(&model, region);
        let url = url(&endpoint, &http_request);
        let headers = sign_request(&http_request, &url, &endpoint, credentials)?;
        let response = self.send(&http_request, &url, &headers)?;
        parse_response(&operation, &params, &response)
    }

    fn endpoint(&self, model: &ServiceModel, region: &str) -> Endpoint {
        let key = format!("{}@{region}", model.name());
        let mut resolved = self.resolved.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(endpoint) = resolved.get(&key) {
            return endpoint.clone();
        }
        let endpoint = match override_url(model, self.endpoint_url.as_deref(), |name| {
            std::env::var(name).ok()
        }) {
            Some(url) => Endpoint {
                url,
                signing_region: region.to_string(),
                signing_name: model.metadata().signing_name().to_string(),
                overridden: true,
            },
            None => self.endpoints.resolve(model, region),
        };
        resolved.insert(key, endpoint.clone());
        endpoint
    }

    /// Credentials of the role `location` names in its account, assumed with the client's own
    /// through `sts.AssumeRole` (as the service assumes `ExecutionRoleName`), kept until five
    /// minutes before they expire.
    fn assumed(&self, location: &Location) -> Result<Credentials, ApiError> {
        let arn = location.role_arn();
        let fresh = |credentials: &Credentials| {
            credentials
                .expiry()
                .is_none_or(|expiry| expiry > wall_clock() + Duration::from_secs(300))
        };
        if let Some(credentials) =
            self.assumed.lock().unwrap_or_else(PoisonError::into_inner).get(&arn)
            && fresh(credentials)
        {
            return Ok(credentials.clone());
        }
        let request = ApiRequest::new(
            "sts",
            "AssumeRole",
            serde_json::json!({"RoleArn": arn, "RoleSessionName": "runbook-automation"}),
        );
        let answer = self.call(&request).map_err(|error| ApiError {
            message: format!("cannot assume the role {arn}: {}", error.message),
            ..error
        })?;
        let text = |name: &str| {
            answer
                .pointer(&format!("/Credentials/{name}"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    ApiError::new(
                        "InvalidCredentials",
                        format!("sts.AssumeRole of {arn} answered no Credentials.{name}"),
                    )
                })
        };
        // AssumeRole's credentials last an hour by default: renew them well before.
        let credentials = Credentials::new(
            text("AccessKeyId")?,
            text("SecretAccessKey")?,
            text("SessionToken").ok(),
            Some(wall_clock() + Duration::from_secs(45 * 60)),
            "AssumeRole",
        );
        self.assumed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(arn, credentials.clone());
        Ok(credentials)
    }

    /// Cached credentials, refreshed when they expire within five minutes.
    fn credentials(&self) -> Result<Credentials, ApiError> {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = cached.as_ref().is_some_and(|credentials| {
            credentials
                .expiry()
                .is_none_or(|expiry| expiry > wall_clock() + Duration::from_secs(300))
        });
        if !fresh {
            let runtime = self.runtime.get().ok_or_else(|| {
                ApiError::new("NoCredentialsError", "the aws client is shutting down")
            })?;
            let provided =
                runtime.block_on(self.credentials.provide_credentials()).map_err(|error| {
                    ApiError::new(
                        "NoCredentialsError",
                        format!("unable to locate credentials: {error}"),
                    )
                })?;
            *cached = Some(provided);
        }
        cached
            .clone()
            .ok_or_else(|| ApiError::new("NoCredentialsError", "unable to locate credentials"))
    }

    fn send(
        &self,
        request: &HttpRequest,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, ApiError> {
        let mut builder = ureq::http::Request::builder().method(request.method.as_str()).uri(url);
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let connection_error = |error: &dyn std::fmt::Display| {
            ApiError::new(
                "EndpointConnectionError",
                format!("could not connect to the endpoint URL: \"{url}\": {error}"),
            )
        };
        let result = if request.body.is_empty() {
            let http_request = builder.body(()).map_err(|error| connection_error(&error))?;
            self.agent.run(http_request)
        } else {
            let http_request =
                builder.body(request.body.as_slice()).map_err(|error| connection_error(&error))?;
            self.agent.run(http_request)
        };
        let mut response = result.map_err(|error| match error {
            ureq::Error::Timeout(_) => ApiError::new(
                "ReadTimeoutError",
                format!("read timeout on endpoint URL: \"{url}\""),
            ),
            other => connection_error(&other),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned())
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .map_err(|error| connection_error(&error))?;
        Ok(HttpResponse { status, headers, body })
    }
}

/// The full URL of a request: the endpoint, its host prefix (not with an override), the path.
fn url(endpoint: &Endpoint, request: &HttpRequest) -> String {
    let mut url = endpoint.url.clone();
    if let (Some(prefix), false) = (&request.host_prefix, endpoint.overridden)
        && let Some(scheme_end) = url.find("://")
    {
        url.insert_str(scheme_end + 3, prefix);
    }
    url.push_str(&request.path);
    url
}

/// The request's headers with the `SigV4` signature added.
fn sign_request(
    request: &HttpRequest,
    url: &str,
    endpoint: &Endpoint,
    credentials: Credentials,
) -> Result<Vec<(String, String)>, ApiError> {
    let signing_error = |error: &dyn std::fmt::Display| {
        ApiError::new("SigningError", format!("cannot sign the request: {error}"))
    };
    let s3 = endpoint.signing_name == "s3";
    let mut settings = SigningSettings::default();
    if s3 {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let identity: Identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&endpoint.signing_region)
        .name(&endpoint.signing_name)
        .time(wall_clock())
        .settings(settings)
        .build()
        .map_err(|error| signing_error(&error))?
        .into();
    let signable = SignableRequest::new(
        &request.method,
        url,
        request.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .map_err(|error| signing_error(&error))?;
    let (instructions, _signature) =
        sign(signable, &params).map_err(|error| signing_error(&error))?.into_parts();
    let mut headers = request.headers.clone();
    headers
        .extend(instructions.headers().map(|(name, value)| (name.to_string(), value.to_string())));
    Ok(headers)
}

/// Gives absent idempotency tokens a fresh value, as boto3 does.
fn fill_idempotency_tokens(operation: &crate::model::Operation<'_>, params: &mut Value) {
    let (Some(input), Some(object)) = (operation.input(), params.as_object_mut()) else { return };
    for (name, member) in &input.members {
        if member.idempotency_token && !object.contains_key(name) {
            object.insert(name.clone(), Value::String(uuid_v4()));
        }
    }
}

fn uuid_v4() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    fastrand::fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes
        .iter()
        .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0x0f)]])
        .map(char::from)
        .collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The certificates of a PEM file.
fn read_ca_bundle(path: &Path) -> Result<Vec<Certificate<'static>>, ClientError> {
    let error = |reason: String| ClientError::CaBundle { path: path.to_path_buf(), reason };
    let text = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let mut certificates = Vec::new();
    for item in parse_pem(&text) {
        if let PemItem::Certificate(certificate) = item.map_err(|e| error(e.to_string()))? {
            certificates.push(certificate);
        }
    }
    if certificates.is_empty() {
        return Err(error("it holds no PEM certificate".to_string()));
    }
    Ok(certificates)
}

fn agent(timeout: Duration, roots: Option<Vec<Certificate<'static>>>) -> ureq::Agent {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(provider);
    if let Some(roots) = roots {
        tls = tls.root_certs(RootCerts::from(roots));
    }
    let tls = tls.build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .tls_config(tls)
        .build()
        .into()
}

/// The real time, which signatures and credential expiry are about.
#[allow(
    clippy::disallowed_methods,
    reason = "AWS checks signatures against its own clock: signing with virtual time would be rejected"
)]
fn wall_clock() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests;
