//! `runbook deploy`: make a runbook an Automation document of the account (created, updated
//! and made the default version, or left alone when unchanged), its script attachments
//! uploaded to S3. `runbook run --remote` deploys the same way before it starts.

use std::io::Write;
use std::path::{Path, PathBuf};

use runbook::service::{DeployError, DeployRequest, Deployed, deploy};
use runbook::{Loader, Validated};
use runbook_engine::Document;
use runbook_engine::document::Format;

use super::Outcome;
use super::service::{self, Connection, fail};
use crate::render;

/// Arguments of `runbook deploy`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The runbook to deploy.
    runbook: PathBuf,
    #[command(flatten)]
    target: DeployArgs,
    /// The region (default: the AWS configuration's).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The profile of the AWS configuration files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Send every call to this endpoint instead of AWS. Default: $AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// botocore's `data` folder. Default: $RUNBOOK_AWS_MODELS, else the installed botocore.
    #[arg(long, value_name = "DIR")]
    aws_models: Option<PathBuf>,
    /// A folder holding the runbook's script attachments (default: next to the runbook).
    #[arg(long, value_name = "DIR")]
    attachments: Option<PathBuf>,
}

/// Where a runbook is deployed to: shared by `runbook deploy` and `runbook run --remote`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct DeployArgs {
    /// The document's name in the account (default: the file's name without its extension).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// The S3 bucket the runbook's script attachments are uploaded to.
    #[arg(long, value_name = "BUCKET")]
    pub(crate) attachments_bucket: Option<String>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let Some(validated) = load(&args.runbook) else { return Ok(Outcome::UsageError) };
    let connection = match service::connect(
        service::Options {
            aws_models: args.aws_models.clone(),
            region: args.region.clone(),
            profile: args.profile.clone(),
            endpoint_url: args.endpoint_url.clone(),
        },
        "runbook deploy",
    ) {
        Ok(connection) => connection,
        Err(outcome) => return Ok(outcome),
    };
    match deploy_runbook(
        &connection,
        &args.runbook,
        validated.document(),
        &args.target,
        args.attachments.as_deref(),
    ) {
        Ok(deployed) => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{}", runbook::terminal::escape_lines(&deployed.to_string(), ""))?;
            Ok(Outcome::Success)
        }
        Err(outcome) => Ok(outcome),
    }
}

/// Loads and validates the runbook; `None`, having said why, when it cannot be deployed.
pub(crate) fn load(path: &Path) -> Option<Validated> {
    let validated = match Loader::new().load(path) {
        Ok(validated) => validated,
        Err(error) => {
            eprint!("{}", render::human::load_error(&error));
            return None;
        }
    };
    if validated.report().has_errors() {
        eprint!(
            "{}",
            render::human::diagnostics(
                validated.document(),
                validated.report(),
                render::human::use_color_stderr()
            )
        );
        eprintln!("error: the runbook has errors; fix them before deploying it");
        return None;
    }
    Some(validated)
}

/// The document name of the runbook at `path`: `--name`, else the file's stem.
pub(crate) fn document_name(path: &Path, target: &DeployArgs) -> String {
    target.name.clone().unwrap_or_else(|| {
        path.file_stem().map_or_else(String::new, |stem| stem.to_string_lossy().into_owned())
    })
}

/// Deploys the runbook at `path`, or says why not.
pub(crate) fn deploy_runbook(
    connection: &Connection,
    path: &Path,
    document: &Document,
    target: &DeployArgs,
    attachments: Option<&Path>,
) -> Result<Deployed, Outcome> {
    let content = std::fs::read_to_string(path)
        .map_err(|error| fail(&format!("cannot read {}: {error}", path.display())))?;
    let folder = attachments.map_or_else(
        || path.parent().map(Path::to_path_buf).unwrap_or_default(),
        Path::to_path_buf,
    );
    let request = DeployRequest {
        name: document_name(path, target),
        content,
        format: Format::from_path(path),
        attachments: document
            .files
            .iter()
            .map(|file| {
                (file.name.value.clone(), file.sha256.as_ref().map(|sha| sha.value.clone()))
            })
            .collect(),
        attachments_dir: folder,
        bucket: target.attachments_bucket.clone(),
        region: connection.region().to_string(),
    };
    let backend = connection.backend();
    connection.runtime().block_on(deploy(&*backend, &request)).map_err(|error| {
        let outcome = match error {
            DeployError::Api { .. } => Outcome::Failure,
            _ => Outcome::UsageError,
        };
        eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
        outcome
    })
}
