//! `runbook diff`: compare two run records and print how they differ.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use runbook::diff::{self, RecordDiff};
use runbook::terminal::escape_lines;
use serde_json::Value;

use super::Outcome;

/// Arguments of `runbook diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The first run record (`runbook run --output json`, or the service's record), "A".
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The second run record, "B".
    #[arg(value_name = "B")]
    b: PathBuf,
    /// `human` prints each divergence; `json` prints them as a JSON document.
    #[arg(long, value_enum, default_value_t = OutputMode::Human)]
    output: OutputMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum OutputMode {
    /// Each divergence in a paragraph.
    Human,
    /// `{"same": bool, "divergences": [...]}`.
    Json,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let (a, b) = match (read(&args.a), read(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for error in [a.err(), b.err()].into_iter().flatten() {
                eprintln!("error: {}", escape_lines(&error, ""));
            }
            return Ok(Outcome::UsageError);
        }
    };
    let found = diff::diff_records(&a, &b);
    let mut stdout = std::io::stdout().lock();
    match args.output {
        OutputMode::Human => stdout.write_all(human(args, &found).as_bytes())?,
        OutputMode::Json => {
            let document = serde_json::json!({
                "same": found.is_empty(),
                "divergences": found.divergences,
            });
            serde_json::to_writer_pretty(&mut stdout, &document)?;
            writeln!(stdout)?;
        }
    }
    stdout.flush()?;
    Ok(if found.is_empty() { Outcome::Success } else { Outcome::Failure })
}

fn human(args: &Args, found: &RecordDiff) -> String {
    let name = |path: &Path| escape_lines(&path.display().to_string(), "");
    let mut text = format!("A: {}\nB: {}\n", name(&args.a), name(&args.b));
    text.push_str(&found.to_string());
    if !found.is_empty() {
        let count = found.divergences.len();
        let noun = if count == 1 { "divergence" } else { "divergences" };
        let _ = writeln!(text, "\n{count} {noun}");
    }
    text
}

/// Reads a run record, or says why it cannot be one: the file, and for JSON errors the line
/// and column.
fn read(path: &Path) -> Result<Value, String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    let value: Value = serde_json::from_str(&text).map_err(|error| {
        // serde_json's message ends with the position, which the prefix already gives.
        let message = error.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(message, _)| message)
            .to_string();
        format!("{shown}:{}:{}: not JSON: {message}", error.line(), error.column())
    })?;
    diff::check_record(&value).map_err(|error| format!("{shown}: not a run record: {error}"))?;
    Ok(value)
}
