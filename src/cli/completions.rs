//! `runbook completions`: the shell completion script for the command's own arguments, as
//! clap's generator writes it.

use std::io::Write as _;

use clap::CommandFactory as _;
use clap_complete::Shell;

use super::{Cli, Outcome};

/// Arguments of `runbook completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to write the script for. Bash: `runbook completions bash >
    /// ~/.local/share/bash-completion/completions/runbook`; zsh: into a folder of `$fpath` as
    /// `_runbook`; fish: `~/.config/fish/completions/runbook.fish`; PowerShell: dot-source it from
    /// `$PROFILE`; elvish: `eval (runbook completions elvish | slurp)` in `rc.elv`.
    #[arg(value_enum)]
    shell: Shell,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "runbook", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script)?;
    stdout.flush()?;
    Ok(Outcome::Success)
}
