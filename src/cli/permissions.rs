//! `runbook permissions`: the IAM policy a runbook's role needs, from every call it can make.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use runbook::permissions::{Permissions, permissions};
use runbook_engine::Document;

use super::Outcome;
use super::models::{self, Lookup};
use crate::render;

/// Arguments of `runbook permissions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The runbook.
    runbook: PathBuf,
    /// A folder of runbooks that `aws:executeAutomation` steps run (repeat for more): their
    /// calls are included.
    #[arg(long, value_name = "DIR")]
    documents: Vec<PathBuf>,
    /// botocore's `data` folder, for the API's spelling of names and the IAM prefixes.
    /// Default: $RUNBOOK_AWS_MODELS, else the installed botocore package.
    #[arg(long, value_name = "DIR")]
    aws_models: Option<PathBuf>,
    /// `text` lists each IAM action with the steps that need it, then the policy; `json` prints
    /// the policy document alone (nothing, with a note, when there is nothing to grant).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The actions, what needs them, and the policy.
    Text,
    /// The policy document.
    Json,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let document = match Document::load(&args.runbook) {
        Ok(document) => document,
        Err(error) => {
            eprint!("{}", render::human::load_error(&error));
            return Ok(Outcome::UsageError);
        }
    };
    let models = match models::lookup(args.aws_models.clone()) {
        Ok(Lookup::Found(models)) => Some(models),
        Ok(Lookup::Missing(error)) => {
            eprintln!(
                "note: names are taken as written and IAM prefixes from a built-in table: {error}"
            );
            None
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(Outcome::UsageError);
        }
    };
    let name = args.runbook.file_name().map_or_else(
        || args.runbook.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let found = permissions(&document, &name, &args.documents, models.as_ref());
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Text => stdout.write_all(text(&found, &name).as_bytes())?,
        Format::Json => {
            for unknown in &found.unknown {
                eprintln!("note: {unknown}");
            }
            // IAM refuses a statement without actions: print no policy rather than one it refuses.
            match found.policy() {
                Some(policy) => writeln!(stdout, "{}", serde_json::to_string_pretty(&policy)?)?,
                None => eprintln!("note: {NOTHING_TO_GRANT}"),
            }
        }
    }
    stdout.flush()?;
    Ok(Outcome::Success)
}

/// The calls as a table (steps of child runbooks as `Child/step`), what they leave out, and
/// the policy.
fn text(found: &Permissions, runbook: &str) -> String {
    let mut out = String::new();
    let mutating = found.mutating().count();
    let _ = writeln!(out, "{} calls ({mutating} that change something):", found.calls.len());
    let width = found.calls.iter().map(|call| call.iam_actions.join(", ").len()).max().unwrap_or(0);
    for call in &found.calls {
        let kind = if call.mutating { "changes" } else { "reads  " };
        let sites: Vec<String> = call
            .sites
            .iter()
            .map(|site| {
                let step = if site.runbook == runbook {
                    site.step.clone()
                } else {
                    format!("{}/{}", site.runbook, site.step)
                };
                if site.in_script { format!("{step} (script)") } else { step }
            })
            .collect();
        let _ =
            writeln!(out, "  {:width$}  {kind}  {}", call.iam_actions.join(", "), sites.join("; "));
    }
    if !found.unknown.is_empty() {
        let _ = writeln!(out, "\nnot covered:");
        for unknown in &found.unknown {
            let _ = writeln!(out, "  {unknown}");
        }
    }
    match found.policy() {
        Some(policy) => {
            let _ = writeln!(out, "\npolicy:");
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&policy).unwrap_or_default());
        }
        None => {
            let _ = writeln!(out, "\n{NOTHING_TO_GRANT}");
        }
    }
    out
}

const NOTHING_TO_GRANT: &str =
    "nothing to grant: the runbook makes no AWS call that can be known before it runs";
