//! `runbook test`: find `*.test.yaml` files, run their cases in parallel, and report.

use std::io::Write;
use std::path::PathBuf;

use runbook::testing::coverage::Coverage;
use runbook::testing::{self, RunnerOptions, TestFile};

use super::Outcome;
use super::models::{self, Lookup};

/// Arguments of `runbook test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Test files, or folders to search for `*.test.yaml` (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Run only the cases whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// `human` prints a line per case; `junit` writes JUnit XML; `json` the full results.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// The Python interpreter for `aws:executeScript` (default: `python3` on PATH).
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
    /// How many cases run at once (default: one per processor).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// botocore's `data` folder, to check the cases' mocks against the AWS API models.
    /// Default: $RUNBOOK_AWS_MODELS, else the installed botocore package.
    #[arg(long, value_name = "DIR")]
    aws_models: Option<PathBuf>,
    /// The real time a case may take unless its file sets `timeLimit`: whole seconds or an
    /// ISO 8601 duration (default 60). A case over it fails.
    #[arg(long, value_name = "SECONDS|DURATION", value_parser = testing::parse_time_limit)]
    time_limit: Option<std::time::Duration>,
    /// How many step executions each case's run may start before it is stopped and fails
    /// (default 10000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_step_executions: Option<u64>,
    /// Show the values of `SecureString` parameters the runs decrypted (`WithDecryption`) in
    /// failures and warnings; by default they show as `********`.
    #[arg(long)]
    show_secrets: bool,
    /// Print, per runbook under test, the steps run, the branch choices and failure edges
    /// taken, and the steps and edges never reached.
    #[arg(long)]
    coverage: bool,
    /// Write the coverage as an LCOV tracefile to FILE, for CI coverage tools.
    #[arg(long, value_name = "FILE")]
    lcov: Option<PathBuf>,
    /// Keep watching the paths: run the test files again when a runbook, test, mock or script
    /// file they use changes, until Ctrl-C.
    #[arg(long)]
    watch: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    /// A line per case, with details for failures.
    Human,
    /// JUnit XML, for CI systems.
    Junit,
    /// Every case's results as JSON.
    Json,
}

#[allow(clippy::disallowed_methods, reason = "the suite's real duration is reported to the user")]
fn real_now() -> std::time::Instant {
    std::time::Instant::now()
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    if args.watch {
        return super::watch::run(args, &args.paths);
    }
    let cancel = runbook_engine::execute::CancelToken::new();
    let signals = super::signal::watch(cancel.clone());
    run_paths(args, &args.paths, &cancel, &signals)
}

/// Runs the test files under `paths` (the current folder when none) and prints the report;
/// `cancel` is what `signals` cancel.
pub(super) fn run_paths(
    args: &Args,
    paths: &[PathBuf],
    cancel: &runbook_engine::execute::CancelToken,
    signals: &super::signal::Signals,
) -> anyhow::Result<Outcome> {
    let started = real_now();
    let roots = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let mut paths = Vec::new();
    for root in &roots {
        match testing::find_test_files(root) {
            Ok(found) => paths.extend(found),
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", root.display());
                return Ok(Outcome::UsageError);
            }
        }
    }
    let mut files = Vec::new();
    let mut broken = false;
    for path in &paths {
        match TestFile::load(path) {
            Ok(file) => files.push(file),
            Err(error) => {
                eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
                broken = true;
            }
        }
    }
    if broken {
        return Ok(Outcome::UsageError);
    }
    if files.is_empty() {
        eprintln!(
            "error: no test files (*.test.yaml) under {}",
            roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ")
        );
        return Ok(Outcome::UsageError);
    }
    let mut options = RunnerOptions {
        filter: args.filter.clone(),
        scripts: std::sync::Arc::new(runbook_actions::script::LocalScriptRunner::new(
            args.python.clone(),
            None,
        )),
        show_secrets: args.show_secrets,
        ..RunnerOptions::default()
    };
    match models::lookup(args.aws_models.clone()) {
        Ok(Lookup::Found(models)) => options.models = Some(models),
        Ok(Lookup::Missing(error)) => {
            eprintln!(
                "note: the mocks were not checked against the AWS API models: {}",
                runbook::terminal::escape_lines(&error.to_string(), "")
            );
        }
        Err(error) => {
            eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
            return Ok(Outcome::UsageError);
        }
    }
    if let Some(limit) = args.time_limit {
        options.time_limit = limit;
    }
    if let Some(limit) = args.max_step_executions {
        options.max_step_executions = limit;
    }
    if let Some(jobs) = args.jobs {
        options.jobs = jobs.max(1);
    }
    // The tracefile is opened before the run, so that a path that cannot be written fails at
    // once rather than after the whole suite.
    let mut lcov = match &args.lcov {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some((path, file)),
            Err(error) => {
                eprintln!("error: cannot write {}: {error}", path.display());
                return Ok(Outcome::UsageError);
            }
        },
        None => None,
    };
    options.cancel = cancel.clone();
    let outcomes = testing::run_files(&files, &options);
    let elapsed = started.elapsed();
    let text = match args.format {
        ReportFormat::Human => {
            testing::report::human_styled(&outcomes, elapsed, super::color::stdout())
        }
        ReportFormat::Junit => testing::report::junit(&outcomes, elapsed),
        ReportFormat::Json => testing::report::json(&outcomes, elapsed),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if args.coverage || lcov.is_some() {
        let coverage = Coverage::gather(&files, &outcomes);
        if args.coverage {
            // Beside a machine-readable report, the coverage goes to standard error.
            if args.format == ReportFormat::Human {
                writeln!(stdout)?;
                stdout.write_all(coverage.human(super::color::stdout()).as_bytes())?;
            } else {
                eprint!("{}", coverage.human(super::color::stderr()));
            }
        }
        if let Some((path, file)) = &mut lcov
            && let Err(error) = file.write_all(coverage.lcov().as_bytes())
        {
            stdout.flush()?;
            eprintln!("error: cannot write {}: {error}", path.display());
            return Ok(Outcome::UsageError);
        }
    }
    stdout.flush()?;
    Ok(if signals.fired() {
        Outcome::Cancelled
    } else if outcomes.iter().all(testing::CaseOutcome::passed) {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
