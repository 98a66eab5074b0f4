//! Command-line arguments and dispatch to the subcommands.

#![allow(clippy::doc_markdown, reason = "doc comments of arguments are the command's help text")]

pub(crate) mod color;
mod completions;
mod deploy;
mod diff;
mod files;
mod graph;
mod init;
mod live;
mod models;
mod permissions;
mod progress;
mod run;
mod service;
mod signal;
mod test;
mod validate;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// How a command ended, as its exit code says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    /// Everything passed (exit 0).
    Success,
    /// A runbook has errors, a run did not succeed, or a test failed (exit 1).
    Failure,
    /// Bad usage or unreadable input (exit 2).
    UsageError,
    /// Ctrl-C or SIGTERM cancelled the run or the tests (exit 130, as a shell reports a
    /// command Ctrl-C stopped).
    Cancelled,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
            Outcome::UsageError => ExitCode::from(2),
            Outcome::Cancelled => ExitCode::from(130),
        }
    }
}

/// Run, validate and unit-test AWS Systems Manager Automation runbooks locally.
#[derive(Debug, Parser)]
#[command(name = "runbook", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour the output: `auto` on a terminal unless NO_COLOR is set, `always`,
    /// `never`.
    #[arg(long, global = true, value_enum, default_value_t = color::When::Auto, value_name = "WHEN")]
    color: color::When,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check runbooks against the service's rules.
    Validate(validate::Args),
    /// Run a runbook: a dry run on mocks and the virtual clock unless told otherwise.
    Run(Box<run::Args>),
    /// Run runbook unit tests (`*.test.yaml` files).
    Test(test::Args),
    /// Print a runbook's step graph (Graphviz DOT or Mermaid).
    Graph(graph::Args),
    /// Print the IAM policy a runbook's role needs, from every AWS call it can make.
    Permissions(permissions::Args),
    /// Deploy a runbook to the service as an Automation document (needs the `aws` feature).
    Deploy(deploy::Args),
    /// Compare two run records: status, path, steps, outputs, calls and child runs.
    Diff(diff::Args),
    /// Write a first test file for a runbook: a case per path through its steps.
    Init(init::Args),
    /// Print the shell completion script for `runbook` (bash, zsh, fish, powershell, elvish).
    Completions(completions::Args),
}

/// Parses the command line and runs the subcommand.
pub(crate) fn run() -> anyhow::Result<Outcome> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let outcome = if error.use_stderr() { Outcome::UsageError } else { Outcome::Success };
            let _ = error.print();
            return Ok(outcome);
        }
    };
    color::choose(cli.color);
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Permissions(args) => permissions::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Deploy(args) => deploy::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Init(args) => init::run(&args),
    }
}
