//! The options of `runbook run` that use the AWS API models or reach an AWS: the check of the
//! mock file against the models, `--auto-mock` (placeholder answers), and, with the `aws`
//! feature, `--aws` (a real run) and `--sandbox` (a run against a moto server started for it).
//!
//! Nothing is ever sent to AWS without `--aws`. Before a real run, the account, the region and
//! the calls the runbook can make that change something are printed, and the run waits for a
//! `y` unless `--yes` is given (with no terminal to ask, and no `--yes`, it does not start).
//! A sandbox run needs no confirmation: nothing leaves the machine.

use std::path::PathBuf;

use runbook_aws::mock::MockFile;
use runbook_aws::mock::auto::Placeholders;
use runbook_aws::mock::check::check_mock_file;

use super::Outcome;
use super::models::{self, Lookup};

/// The options of `runbook run` for models, placeholders and real runs.
#[allow(clippy::struct_excessive_bools, reason = "each flag is a command-line switch")]
#[derive(Debug, clap::Args)]
pub(crate) struct LiveArgs {
    /// Answer the AWS calls no mock answers with placeholder responses built from the AWS API
    /// models (every member present, deterministic values), so that any runbook can be walked
    /// end to end with no set-up.
    #[arg(long)]
    auto_mock: bool,
    /// botocore's `data` folder: for the check of the mock file, `--auto-mock` and real runs.
    /// Default: $RUNBOOK_AWS_MODELS, else the installed botocore package.
    #[arg(long, value_name = "DIR")]
    aws_models: Option<PathBuf>,
    /// Run for real against AWS, on the real clock: credentials and region from the standard
    /// AWS chain (environment, profiles, SSO, instance roles). Asks for confirmation first.
    #[arg(long, group = "service", conflicts_with_all = ["mocks", "auto_mock", "sandbox"])]
    aws: bool,
    /// Run against a moto server (the local AWS emulator) started for the run and stopped
    /// afterwards, on the real clock. Needs `pip install 'moto[server]'`.
    #[arg(long, conflicts_with_all = ["mocks", "auto_mock"])]
    sandbox: bool,
    /// With --aws or --remote: the profile of the AWS configuration files.
    #[arg(long, value_name = "NAME", requires = "service")]
    profile: Option<String>,
    /// With --aws or --remote: send every call to this endpoint (an emulator) instead of AWS.
    /// Default: $AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL", requires = "service")]
    endpoint_url: Option<String>,
    /// With --aws or --remote: start without asking for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
}

impl LiveArgs {
    /// Whether the run goes to an AWS (real or emulated) rather than to mocks.
    pub(crate) fn is_live(&self) -> bool {
        self.aws || self.sandbox
    }

    /// What a run on the service (`--remote`) takes from these options.
    pub(crate) fn for_service(&self) -> ForService {
        let mut refused = Vec::new();
        if self.auto_mock {
            refused.push("--auto-mock");
        }
        if self.sandbox {
            refused.push("--sandbox");
        }
        ForService {
            aws_models: self.aws_models.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            yes: self.yes,
            refused,
        }
    }
}

/// What a run on the service takes from [`LiveArgs`].
pub(crate) struct ForService {
    pub(crate) aws_models: Option<PathBuf>,
    pub(crate) profile: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    /// `--yes`.
    pub(crate) yes: bool,
    /// The options given that only local runs take.
    pub(crate) refused: Vec<&'static str>,
}

/// The AWS API models for a run: its runbook's API calls are checked against them before it
/// starts, and they check the mock file and make `--auto-mock`'s placeholders. A models folder
/// named that holds none stops the run.
pub(crate) fn find_models(args: &LiveArgs) -> Result<Lookup, Outcome> {
    models::lookup(args.aws_models.clone()).map_err(|error| {
        eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
        Outcome::UsageError
    })
}

/// For a run on mocks: checks the mock file against the models and gives the placeholders of
/// `--auto-mock`. Problems in the mock file are warnings; `--auto-mock` without models stops
/// the run.
pub(crate) fn prepare_mocks(
    args: &LiveArgs,
    mocks: Option<&MockFile>,
    models: &Lookup,
) -> Result<Option<Placeholders>, Outcome> {
    if !args.auto_mock && mocks.is_none() {
        return Ok(None);
    }
    match models {
        Lookup::Found(models) => {
            for warning in mocks.map(|file| check_mock_file(file, models)).unwrap_or_default() {
                eprintln!("warning: {}", runbook::terminal::escape_lines(&warning.to_string(), ""));
            }
            Ok(args.auto_mock.then(|| Placeholders::new(models.clone())))
        }
        Lookup::Missing(error) if args.auto_mock => {
            eprintln!(
                "error: --auto-mock needs the AWS API models: {}",
                runbook::terminal::escape_lines(&error.to_string(), "")
            );
            Err(Outcome::UsageError)
        }
        Lookup::Missing(error) => {
            eprintln!(
                "note: the mock file was not checked against the AWS API models: {}",
                runbook::terminal::escape_lines(&error.to_string(), "")
            );
            Ok(None)
        }
    }
}

/// Prints what placeholders answered, after an `--auto-mock` run.
pub(crate) fn report_placeholders(calls: &[(String, u64)]) {
    if calls.is_empty() {
        return;
    }
    let listed: Vec<String> = calls
        .iter()
        .map(|(call, count)| if *count == 1 { call.clone() } else { format!("{call} ({count}×)") })
        .collect();
    eprintln!("note: placeholders answered {}", listed.join(", "));
}

#[cfg(not(feature = "aws"))]
mod connect {
    //! Without the `aws` feature, there is no client to reach AWS with.

    use super::{LiveArgs, Outcome};

    /// Never built: this binary cannot reach AWS.
    pub(crate) enum Live {}

    impl Live {
        pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
            match *self {}
        }
        pub(crate) fn backend(&self) -> std::sync::Arc<dyn runbook_engine::host::AwsBackend> {
            match *self {}
        }
        pub(crate) fn account(&self) -> &str {
            match *self {}
        }
        pub(crate) fn region(&self) -> &str {
            match *self {}
        }
        pub(crate) fn script_environment(&self) -> Vec<(String, String)> {
            match *self {}
        }
    }

    #[allow(dead_code, reason = "the same request as with the `aws` feature, which reads it all")]
    pub(crate) struct Request<'a> {
        pub(crate) args: &'a LiveArgs,
        pub(crate) region: Option<&'a str>,
        pub(crate) document: &'a runbook_engine::Document,
        pub(crate) runbook: &'a str,
        pub(crate) documents: &'a [std::path::PathBuf],
        pub(crate) python: Option<std::path::PathBuf>,
    }

    pub(crate) fn connect(request: &Request<'_>) -> Result<Option<Live>, Outcome> {
        if !request.args.is_live() {
            return Ok(None);
        }
        let flag = if request.args.aws { "--aws" } else { "--sandbox" };
        eprintln!(
            "error: {flag} needs a build with AWS support: this binary was built without it \
             (build it with `cargo build --release --features aws`)"
        );
        Err(Outcome::UsageError)
    }
}

#[cfg(feature = "aws")]
mod connect {
    //! Reaching AWS, or a moto server started for the run.

    use std::sync::Arc;

    use runbook::permissions::permissions;
    use runbook_aws::client::moto::MotoServer;
    use runbook_aws::client::{AwsClient, CallerIdentity, ClientOptions};
    use runbook_aws::model::Models;
    use runbook_engine::host::AwsBackend;

    use super::super::models::{self, Lookup};
    use super::{LiveArgs, Outcome};

    /// A client ready for a run, on the real-time runtime it was made on.
    pub(crate) struct Live {
        // Declared first so that it is dropped first: the client's runtime, then the server.
        runtime: tokio::runtime::Runtime,
        client: AwsClient,
        identity: CallerIdentity,
        script_environment: Vec<(String, String)>,
        _sandbox: Option<MotoServer>,
    }

    impl Live {
        pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
            &self.runtime
        }
        pub(crate) fn backend(&self) -> Arc<dyn AwsBackend> {
            Arc::new(self.client.clone())
        }
        pub(crate) fn account(&self) -> &str {
            &self.identity.account
        }
        pub(crate) fn region(&self) -> &str {
            &self.identity.region
        }
        pub(crate) fn script_environment(&self) -> Vec<(String, String)> {
            self.script_environment.clone()
        }
    }

    /// What a live run is made from.
    pub(crate) struct Request<'a> {
        pub(crate) args: &'a LiveArgs,
        /// `--region`, when given.
        pub(crate) region: Option<&'a str>,
        pub(crate) document: &'a runbook_engine::Document,
        /// The runbook's name, for the list of calls.
        pub(crate) runbook: &'a str,
        /// `--documents`.
        pub(crate) documents: &'a [std::path::PathBuf],
        /// `--python`, which also runs the moto server.
        pub(crate) python: Option<std::path::PathBuf>,
    }

    /// The client of a `--aws` or `--sandbox` run, once the user agreed; `None` for a dry run.
    pub(crate) fn connect(request: &Request<'_>) -> Result<Option<Live>, Outcome> {
        let args = request.args;
        if !args.is_live() {
            return Ok(None);
        }
        let fail = |message: String| {
            eprintln!("error: {}", runbook::terminal::escape_lines(&message, ""));
            Outcome::UsageError
        };
        let models = match models::lookup(args.aws_models.clone()) {
            Ok(Lookup::Found(models)) => models,
            Ok(Lookup::Missing(error)) => {
                return Err(fail(format!("a run against AWS needs the AWS API models: {error}")));
            }
            Err(error) => return Err(fail(error.to_string())),
        };
        let sandbox = if args.sandbox {
            eprintln!("starting a moto server for the run...");
            Some(MotoServer::start(request.python.clone()).map_err(|e| fail(e.to_string()))?)
        } else {
            None
        };
        let mut options = ClientOptions::default();
        if let Some(server) = &sandbox {
            options = options
                .with_endpoint_url(server.url())
                .with_credentials(MotoServer::credentials())
                .with_region(request.region.unwrap_or("us-east-1"));
        } else {
            if let Some(region) = request.region {
                options = options.with_region(region);
            }
            if let Some(profile) = &args.profile {
                options = options.with_profile(profile.clone());
            }
            if let Some(url) = &args.endpoint_url {
                options = options.with_endpoint_url(url.clone());
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| fail(format!("cannot start a runtime: {error}")))?;
        let (client, identity, script_environment) = runtime
            .block_on(async {
                let client =
                    AwsClient::new(models.clone(), options).await.map_err(|e| e.to_string())?;
                let identity = client
                    .caller_identity()
                    .await
                    .map_err(|error| format!("cannot reach AWS to learn the account: {error}"))?;
                let environment =
                    client.script_environment().await.map_err(|error| error.to_string())?;
                Ok::<_, String>((client, identity, environment))
            })
            .map_err(fail)?;
        announce(request, &client, &identity, &models, sandbox.as_ref());
        if sandbox.is_none() && !args.yes {
            super::confirm("a real run", "start the run?")?;
        }
        Ok(Some(Live { runtime, client, identity, script_environment, _sandbox: sandbox }))
    }

    /// Prints where the run goes and the calls it can make that change something.
    fn announce(
        request: &Request<'_>,
        client: &AwsClient,
        identity: &CallerIdentity,
        models: &Models,
        sandbox: Option<&MotoServer>,
    ) {
        match sandbox {
            Some(server) => eprintln!(
                "a sandbox run on the moto server at {} (account {}, region {})",
                server.url(),
                identity.account,
                identity.region
            ),
            None => {
                eprintln!(
                    "a REAL run in AWS account {} as {}, region {}",
                    identity.account, identity.arn, identity.region
                );
                if let Some(url) = client.endpoint_url() {
                    eprintln!("calls go to {url}");
                }
            }
        }
        let found = permissions(request.document, request.runbook, request.documents, Some(models));
        let mutating: Vec<_> = found.mutating().collect();
        if mutating.is_empty() {
            eprintln!("the runbook makes no call that changes something");
        } else {
            eprintln!("the calls it can make that change something:");
            for call in mutating {
                let steps: Vec<String> = call
                    .sites
                    .iter()
                    .map(|site| {
                        if site.runbook == request.runbook {
                            site.step.clone()
                        } else {
                            format!("{}/{}", site.runbook, site.step)
                        }
                    })
                    .collect();
                eprintln!("  {}.{} ({})", call.service, call.api, steps.join(", "));
            }
        }
        for unknown in &found.unknown {
            eprintln!(
                "  and what only the run can tell: {}",
                runbook::terminal::escape_lines(&unknown.to_string(), "")
            );
        }
    }
}

pub(crate) use connect::{Live, Request, connect};

/// Asks `question` for a `y` on the terminal; without a terminal, says that `what` asks
/// for confirmation and how to give it.
pub(crate) fn confirm(what: &str, question: &str) -> Result<(), Outcome> {
    use std::io::{BufRead, IsTerminal};

    if !std::io::stdin().is_terminal() {
        eprintln!(
            "error: {what} asks for confirmation and there is no terminal to ask: pass --yes \
             to start it without asking"
        );
        return Err(Outcome::UsageError);
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return Err(Outcome::UsageError);
    }
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        eprintln!("not started");
        Err(Outcome::Failure)
    }
}
