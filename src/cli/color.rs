//! Whether the output is coloured, and the colours of statuses.
//!
//! `--color auto` (the default) colours a stream only when it is a terminal and neither
//! `NO_COLOR` is set nor `TERM` is `dumb` (`CLICOLOR_FORCE` forces it), as cargo and ripgrep do;
//! `always` and `never` override all of that. The choice is anstream's, made once for the process
//! before any output.

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use runbook_engine::record::Status;

/// The values of `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum When {
    /// Colour what goes to a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour, even through a pipe or with `NO_COLOR`.
    Always,
    /// Never colour.
    Never,
}

/// Makes `when` the choice for every stream of the process.
pub(crate) fn choose(when: When) {
    match when {
        When::Auto => ColorChoice::Auto,
        When::Always => ColorChoice::Always,
        When::Never => ColorChoice::Never,
    }
    .write_global();
}

/// Whether to colour standard output.
pub(crate) fn stdout() -> bool {
    AutoStream::choice(&std::io::stdout()) != ColorChoice::Never
}

/// Whether to colour standard error.
pub(crate) fn stderr() -> bool {
    AutoStream::choice(&std::io::stderr()) != ColorChoice::Never
}

/// The colour of a run's or a step's status: green for success, red for failure, yellow for
/// a cancel, plain for the rest.
pub(crate) fn status(status: Status) -> Style {
    match status {
        Status::Success => AnsiColor::Green.on_default(),
        Status::Failed | Status::TimedOut => AnsiColor::Red.on_default().bold(),
        Status::Cancelled | Status::Cancelling => AnsiColor::Yellow.on_default(),
        _ => Style::new(),
    }
}

/// `text` in `style` when `color`, else as it is.
pub(crate) fn paint(color: bool, style: Style, text: &str) -> std::borrow::Cow<'_, str> {
    if color && style != Style::new() {
        std::borrow::Cow::Owned(format!("{style}{text}{style:#}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}
