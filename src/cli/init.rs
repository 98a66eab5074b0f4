//! `runbook init`: writes a first test file for a runbook, one case per path found in its step
//! graph, from runs on the API models' placeholder answers.

use std::io::Write;
use std::path::{Path, PathBuf};

use runbook::Loader;
use runbook::testing::Scaffold;
use runbook_aws::mock::auto::Placeholders;

use super::Outcome;
use super::models::{self, Lookup};
use crate::render;

/// Arguments of `runbook init`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The runbook.
    runbook: PathBuf,
    /// Where to write the test file (`-` prints it). Default: NAME.test.yaml beside the runbook.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite a test file that exists.
    #[arg(long)]
    force: bool,
    /// botocore's `data` folder, for the placeholder answers. Default: $RUNBOOK_AWS_MODELS, else
    /// the installed botocore package.
    #[arg(long, value_name = "DIR")]
    aws_models: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let output = args.output.clone().unwrap_or_else(|| beside(&args.runbook));
    let printing = output == Path::new("-");
    if !printing && !args.force && output.exists() {
        eprintln!(
            "error: {} exists; `--force` overwrites it, `--output FILE` writes elsewhere",
            output.display()
        );
        return Ok(Outcome::UsageError);
    }
    let (placeholders, models) = match models::lookup(args.aws_models.clone()) {
        Ok(Lookup::Found(models)) => (Placeholders::new(models.clone()), Some(models)),
        Ok(Lookup::Missing(error)) => {
            eprintln!("warning: every call fails without placeholder answers: {error}");
            (Placeholders::unavailable(error), None)
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(Outcome::UsageError);
        }
    };
    let loader = Loader::new().models(models);
    let validated = match loader.load(&args.runbook) {
        Ok(validated) => validated,
        Err(error) => {
            eprint!("{}", render::human::load_error(&error));
            return Ok(Outcome::UsageError);
        }
    };
    let Ok(runbook) = validated.into_runbook() else {
        eprintln!(
            "error: {} has errors, so no case of it can run; `runbook validate` shows them",
            args.runbook.display()
        );
        return Ok(Outcome::UsageError);
    };
    let scaffold = Scaffold::new(&runbook, &placeholders);
    let relative = relative_runbook(&args.runbook, &output, printing);
    let text = scaffold.to_yaml(&relative);
    if printing {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        if let Err(error) = std::fs::write(&output, &text) {
            eprintln!("error: cannot write {}: {error}", output.display());
            return Ok(Outcome::UsageError);
        }
        eprintln!(
            "wrote {}: {} case{}, {} of them made to pass; `runbook test {}` runs them",
            output.display(),
            scaffold.cases.len(),
            if scaffold.cases.len() == 1 { "" } else { "s" },
            scaffold.made(),
            output.display()
        );
    }
    Ok(Outcome::Success)
}

/// `NAME.test.yaml` beside `runbook` (`NAME.yaml`, `NAME.yml`, `NAME.json`).
fn beside(runbook: &Path) -> PathBuf {
    let stem = runbook.file_stem().map_or_else(|| "runbook".into(), |s| s.to_string_lossy());
    runbook.with_file_name(format!("{stem}.test.yaml"))
}

/// The runbook as the test file names it: relative to the test file's folder (the runbook's
/// name when it is beside it), as test files name their runbook.
fn relative_runbook(runbook: &Path, output: &Path, printing: bool) -> PathBuf {
    let name = runbook.file_name().map_or_else(|| runbook.to_path_buf(), PathBuf::from);
    let folder = |path: &Path| {
        let parent = path.parent().unwrap_or(Path::new(""));
        std::path::absolute(if parent.as_os_str().is_empty() { Path::new(".") } else { parent })
            .map(|path| {
                path.components()
                    .map(|component| component.as_os_str().to_os_string())
                    .collect::<Vec<_>>()
            })
    };
    if printing {
        return name;
    }
    let (Ok(from), Ok(to)) = (folder(output), folder(runbook)) else { return name };
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for component in &to[common..] {
        relative.push(component);
    }
    relative.join(name)
}
