//! The `runbook` command: a thin layer that parses arguments, calls the libraries and maps the
//! outcome to an exit code (0 success, 1 a runbook or test failed, 2 usage or input errors).

mod cli;
mod render;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            cli::Outcome::UsageError.into()
        }
    }
}
