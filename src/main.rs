//! The `runbook` command: a thin layer that parses arguments, calls the libraries and maps the
//! outcome to an exit code (0 success, 1 a runbook or test failed, 2 usage or input errors, 130
//! cancelled by a signal).

mod cli;
mod pages;
mod render;

use std::process::ExitCode;

/// A long run's record is millions of small allocations, and mimalloc serves them in about 15% less
/// time and 8% less memory than the system's allocator (a 100,000-step chain).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    pages::start_small();
    match cli::run() {
        Ok(outcome) => outcome.into(),
        // A reader that stops early (`runbook run ... | head`) is not an error worth a message.
        Err(error)
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            cli::Outcome::Success.into()
        }
        Err(error) => {
            eprintln!("error: {}", runbook::terminal::escape_lines(&format!("{error:#}"), ""));
            cli::Outcome::UsageError.into()
        }
    }
}
