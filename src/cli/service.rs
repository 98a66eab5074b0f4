//! Reaching the service for `runbook deploy` and `runbook run --remote`: the signed client, on
//! a real-time runtime of its own, with the region, profile and endpoint the user chose.
//! Without the `aws` feature there is no client, and both commands say how to get one.

use std::path::PathBuf;

use super::Outcome;

/// Where the service is.
#[cfg_attr(
    not(feature = "aws"),
    allow(dead_code, reason = "read by the client of the `aws` feature")
)]
pub(crate) struct Options {
    /// `--aws-models`.
    pub(crate) aws_models: Option<PathBuf>,
    /// `--region`.
    pub(crate) region: Option<String>,
    /// `--profile`.
    pub(crate) profile: Option<String>,
    /// `--endpoint-url`.
    pub(crate) endpoint_url: Option<String>,
}

/// Prints `message` as an error; a usage error.
pub(crate) fn fail(message: &str) -> Outcome {
    eprintln!("error: {}", runbook::terminal::escape_lines(message, ""));
    Outcome::UsageError
}

#[cfg(not(feature = "aws"))]
mod connect {
    use std::sync::Arc;

    use runbook_engine::host::AwsBackend;

    use super::{Options, Outcome};

    /// Never built: this binary cannot reach the service.
    pub(crate) enum Connection {}

    impl Connection {
        pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
            match *self {}
        }
        pub(crate) fn backend(&self) -> Arc<dyn AwsBackend> {
            match *self {}
        }
        pub(crate) fn region(&self) -> &str {
            match *self {}
        }
        pub(crate) fn endpoint_url(&self) -> Option<&str> {
            match *self {}
        }
    }

    pub(crate) fn connect(_: Options, what: &str) -> Result<Connection, Outcome> {
        Err(super::fail(&format!(
            "{what} needs a build with AWS support: this binary was built without it (build it \
             with `cargo build --release --features aws`)"
        )))
    }
}

#[cfg(feature = "aws")]
mod connect {
    use std::sync::Arc;

    use runbook_aws::client::{AwsClient, ClientOptions};
    use runbook_engine::host::AwsBackend;

    use super::super::models::{self, Lookup};
    use super::{Options, Outcome, fail};

    /// A client, on the runtime it was made on.
    pub(crate) struct Connection {
        runtime: tokio::runtime::Runtime,
        client: AwsClient,
    }

    impl Connection {
        pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
            &self.runtime
        }
        pub(crate) fn backend(&self) -> Arc<dyn AwsBackend> {
            Arc::new(self.client.clone())
        }
        pub(crate) fn region(&self) -> &str {
            self.client.region()
        }
        pub(crate) fn endpoint_url(&self) -> Option<&str> {
            self.client.endpoint_url()
        }
    }

    /// A client for `what` (the command, for messages).
    pub(crate) fn connect(options: Options, what: &str) -> Result<Connection, Outcome> {
        let models = match models::lookup(options.aws_models) {
            Ok(Lookup::Found(models)) => models,
            Ok(Lookup::Missing(error)) => {
                return Err(fail(&format!("{what} needs the AWS API models: {error}")));
            }
            Err(error) => return Err(fail(&error.to_string())),
        };
        let mut client_options = ClientOptions::default();
        if let Some(region) = options.region {
            client_options = client_options.with_region(region);
        }
        if let Some(profile) = options.profile {
            client_options = client_options.with_profile(profile);
        }
        if let Some(url) = options.endpoint_url {
            client_options = client_options.with_endpoint_url(url);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| fail(&format!("cannot start a runtime: {error}")))?;
        let client = runtime
            .block_on(AwsClient::new(models, client_options))
            .map_err(|error| fail(&error.to_string()))?;
        Ok(Connection { runtime, client })
    }
}

pub(crate) use connect::{Connection, connect};
