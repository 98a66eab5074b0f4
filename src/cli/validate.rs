//! `runbook validate`: check runbooks and print the findings as text, JSON or SARIF.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use runbook::Loader;
use runbook_actions::script::check::ScriptChecker;
use runbook_engine::Document;
use runbook_engine::document::LoadErrorKind;

use super::Outcome;
use super::files;
use super::models::{self, Lookup};
use crate::render::{self, Checked, FileResult};

/// Arguments of `runbook validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Runbook files, or folders to search for `.yaml`, `.yml` and `.json` runbooks.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// botocore's `data` folder (or the botocore package folder), for the checks of AWS API
    /// calls (RB028-RB031). Default: $RUNBOOK_AWS_MODELS, else the installed botocore package.
    #[arg(long, value_name = "DIR")]
    aws_models: Option<PathBuf>,
    /// The Python interpreter that compiles `aws:executeScript` scripts for RB040 (default:
    /// `python3` on PATH).
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
    /// A folder to look for script attachments in before the runbook's own folder.
    #[arg(long, value_name = "DIR")]
    attachments: Option<PathBuf>,
}

/// The output formats of `runbook validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// Findings with the source line marked, for people.
    Human,
    /// One JSON document with every finding.
    Json,
    /// SARIF 2.1.0, which CI systems show inline.
    Sarif,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let models = match models::lookup(args.aws_models.clone()) {
        Ok(Lookup::Found(models)) => Some(models),
        Ok(Lookup::Missing(error)) => {
            eprintln!(
                "note: the checks of AWS API calls (RB028-RB031) were skipped: {}",
                runbook::terminal::escape_lines(&error.to_string(), "")
            );
            None
        }
        Err(error) => {
            eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
            return Ok(Outcome::UsageError);
        }
    };
    let loader = Loader::new().models(models);
    let (found, problems) = files::collect(&args.paths, files::is_runbook_name);
    for problem in &problems {
        eprintln!("error: {}", runbook::terminal::escape_lines(problem, ""));
    }
    let mut checked = Checked::default();
    for outcome in check_files(&found, &loader) {
        match outcome {
            FileOutcome::Checked(result) => checked.files.push(result),
            FileOutcome::Skipped => checked.skipped += 1,
            FileOutcome::Unreadable(message) => {
                eprintln!("error: {message}");
                checked.unreadable += 1;
            }
        }
    }
    check_scripts(args, &mut checked);
    let output = match args.format {
        OutputFormat::Human => render::human::report(&checked, render::human::use_color()),
        OutputFormat::Json => render::json::report(&checked),
        OutputFormat::Sarif => render::sarif::report(&checked),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(output.as_bytes())?;
    stdout.flush()?;
    let outcome = if !problems.is_empty() || checked.unreadable > 0 {
        Outcome::UsageError
    } else if checked.has_errors() {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    // The process ends now: freeing every document's tree one node at a time would cost more
    // than a tenth of the command.
    std::mem::forget(checked);
    Ok(outcome)
}

/// What became of one file.
enum FileOutcome {
    Checked(FileResult),
    /// Not an Automation runbook, found in a folder.
    Skipped,
    /// Why the file could not be read.
    Unreadable(String),
}

/// Loads, validates and checks against the models each of `found`, in order. The files are
/// shared out among the machine's cores: each is independent of the others, and the corpus of
/// a large repository takes most of the command's time this way.
fn check_files(found: &[files::Found], loader: &Loader) -> Vec<FileOutcome> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = threads.min(found.len().div_ceil(8)).max(1);
    if threads == 1 {
        return found.iter().map(|file| check_file(file, loader)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, FileOutcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = found.get(index) else { return done };
                        done.push((index, check_file(file, loader)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

fn check_file(file: &files::Found, loader: &Loader) -> FileOutcome {
    let text = match std::fs::read(&file.path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                return FileOutcome::Unreadable(format!(
                    "cannot read {}: the file is not UTF-8 text",
                    file.path.display()
                ));
            }
        },
        Err(error) => {
            return FileOutcome::Unreadable(format!(
                "cannot read {}: {error}",
                file.path.display()
            ));
        }
    };
    let format = runbook_engine::document::Format::from_path(&file.path);
    match loader.parse(&file.path, text.clone(), format) {
        Ok(validated) => {
            let (mut document, report) = validated.into_parts();
            // Only the rules read the syntax tree; the script check and the reports read the
            // typed document and the source. Freeing it now lets the next file reuse it.
            document.release_tree();
            FileOutcome::Checked(FileResult::Checked { document: Box::new(document), report })
        }
        // Folders hold other YAML and JSON too (test files, mock files, Command documents):
        // only files named on the command line must be Automation runbooks.
        Err(error) if !file.explicit && matches!(error.kind, LoadErrorKind::NotAutomation(_)) => {
            FileOutcome::Skipped
        }
        Err(error) => FileOutcome::Checked(FileResult::Failed { error, text }),
    }
}

/// Merges the findings of RB040 (Python scripts compile and define their handler) into each
/// report; all scripts not checked by an earlier command go to one Python process. Without
/// Python the check is skipped, with a note.
fn check_scripts(args: &Args, results: &mut Checked) {
    let python = runbook_actions::script::PythonRunner::new(args.python.clone());
    let checker = ScriptChecker::new(python, args.attachments.iter().cloned().collect())
        .with_cache(runbook_aws::model::cache_dir());
    let documents: Vec<&Document> = results
        .files
        .iter()
        .filter_map(|file| match file {
            FileResult::Checked { document, .. } => Some(&**document),
            FileResult::Failed { .. } => None,
        })
        .collect();
    let findings = match checker.check(&documents) {
        Ok((findings, _)) => findings,
        Err(error) => {
            eprintln!(
                "note: the checks of Python scripts (RB040) were skipped: {}",
                runbook::terminal::escape_lines(&error.to_string(), "")
            );
            return;
        }
    };
    let reports = results.files.iter_mut().filter_map(|file| match file {
        FileResult::Checked { report, .. } => Some(report),
        FileResult::Failed { .. } => None,
    });
    for (report, found) in reports.zip(findings) {
        report.merge(found);
    }
}
