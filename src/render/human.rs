//! Findings as text, in the style of compiler messages: the message, the location, the source
//! line with the span marked, and the step, field and hint.

use std::fmt::Write;

use runbook_engine::Document;
use runbook_engine::diagnostic::{Diagnostic, Severity};
use runbook_engine::document::LoadError;
use runbook_engine::syntax::Span;
use runbook_engine::validate::Report;

use runbook::terminal::{escape, escape_lines};

use super::{Checked, FileResult};

/// Whether to color the output (`--color`, a terminal, `NO_COLOR`).
pub(crate) fn use_color() -> bool {
    crate::cli::color::stdout()
}

/// Whether to color what goes to standard error.
pub(crate) fn use_color_stderr() -> bool {
    crate::cli::color::stderr()
}

/// The findings about one document, as text.
pub(crate) fn diagnostics(document: &Document, report: &Report, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let path = escape(&document.source.path.display().to_string()).into_owned();
    for diagnostic in &report.diagnostics {
        let line = diagnostic.span.and_then(|span| document.source.line(span.start.line));
        render(&mut out, &style, &path, diagnostic, line);
    }
    out
}

/// Why a file did not load, as text with the source line when there is one.
pub(crate) fn load_error(error: &LoadError) -> String {
    let text = std::fs::read_to_string(&error.path).unwrap_or_default();
    let mut out = String::new();
    render_load_error(&mut out, &Style { color: use_color_stderr() }, error, &text);
    out
}

fn render_load_error(out: &mut String, style: &Style, error: &LoadError, text: &str) {
    let path = escape(&error.path.display().to_string()).into_owned();
    let _ = writeln!(
        out,
        "{}: {}",
        style.severity(Severity::Error),
        style.paint("1", &escape_lines(&error.kind.to_string(), ""))
    );
    let location = error
        .span
        .map(|span| format!(":{}:{}", span.start.line, span.start.column))
        .unwrap_or_default();
    let _ = writeln!(out, "  --> {path}{location}");
    if let Some(span) = error.span {
        let line = text.lines().nth(span.start.line.saturating_sub(1) as usize);
        snippet(out, style, span, line, Severity::Error);
    }
    out.push('\n');
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    fn severity(&self, severity: Severity) -> String {
        match severity {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
        }
    }
}

/// The whole report as text.
pub(crate) fn report(checked: &Checked, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    for file in &checked.files {
        match file {
            FileResult::Checked { document, report } => {
                out.push_str(&diagnostics(document, report, color));
            }
            FileResult::Failed { error, text } => render_load_error(&mut out, &style, error, text),
        }
    }
    let (errors, warnings) = checked.totals();
    let files = checked.files.len();
    let _ = write!(
        out,
        "{} {} checked: {} {}, {} {}",
        files,
        plural(files, "runbook", "runbooks"),
        errors,
        plural(errors, "error", "errors"),
        warnings,
        plural(warnings, "warning", "warnings"),
    );
    if checked.skipped > 0 {
        let _ = write!(
            out,
            " ({} other YAML/JSON {} skipped)",
            checked.skipped,
            plural(checked.skipped, "file", "files")
        );
    }
    out.push('\n');
    out
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

fn render(
    out: &mut String,
    style: &Style,
    path: &str,
    diagnostic: &Diagnostic,
    line: Option<&str>,
) {
    let _ = writeln!(
        out,
        "{}[{}]: {}",
        style.severity(diagnostic.severity),
        diagnostic.code.id,
        style.paint("1", &escape_lines(&diagnostic.message, ""))
    );
    match diagnostic.span {
        Some(span) => {
            let _ = writeln!(out, "  --> {path}:{}:{}", span.start.line, span.start.column);
            snippet(out, style, span, line, diagnostic.severity);
        }
        None => {
            let _ = writeln!(out, "  --> {path}");
        }
    }
    let mut context = Vec::new();
    if let Some(step) = &diagnostic.step {
        context.push(format!("step `{}`", escape(step)));
    }
    if !diagnostic.path.is_empty() {
        context.push(format!("field {}", escape(&diagnostic.path)));
    }
    context.push(format!("rule {}", diagnostic.code.name));
    let _ = writeln!(out, "   = {}", context.join(", "));
    if let Some(hint) = &diagnostic.hint {
        let _ =
            writeln!(out, "   = {}: {}", style.paint("1;36", "help"), escape_lines(hint, "     "));
    }
    out.push('\n');
}

/// The source line with the span marked under it.
fn snippet(out: &mut String, style: &Style, span: Span, line: Option<&str>, severity: Severity) {
    let Some(line) = line else { return };
    let number = span.start.line.to_string();
    let gutter = " ".repeat(number.len());
    let start = span.start.column.max(1) as usize;
    let line_chars = line.chars().count();
    let end = if span.end.line == span.start.line && span.end.column as usize > start {
        span.end.column as usize
    } else {
        (line_chars + 1).max(start + 1)
    };
    let marker = "^".repeat(end - start);
    let color = if severity == Severity::Error { "1;31" } else { "1;33" };
    let _ = writeln!(out, "{gutter} |");
    // Tabs stay as written (YAML allows them in text); other control characters show escaped.
    let line = if line.chars().any(|c| c.is_control() && c != '\t') {
        escape(line)
    } else {
        std::borrow::Cow::Borrowed(line)
    };
    let _ = writeln!(out, "{number} | {line}");
    let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(start - 1), style.paint(color, &marker));
}

#[cfg(test)]
mod tests {
    use runbook_engine::diagnostic::Code;
    use runbook_engine::syntax::Position;

    use super::*;

    #[test]
    fn diagnostics_mark_their_span() {
        let diagnostic =
            Diagnostic::error(Code { id: "RB009", name: "unknown-step-target" }, "bad jump")
                .step("start")
                .path("mainSteps[0].nextStep")
                .span(Span::new(Position::new(4, 15), Position::new(4, 20)))
                .hint("did you mean `start`?");
        let mut out = String::new();
        render(
            &mut out,
            &Style { color: false },
            "x.yaml",
            &diagnostic,
            Some("    nextStep: strat"),
        );
        assert_eq!(
            out,
            "error[RB009]: bad jump\n  --> x.yaml:4:15\n  |\n4 |     nextStep: strat\n  |               ^^^^^\n   = step `start`, field mainSteps[0].nextStep, rule unknown-step-target\n   = help: did you mean `start`?\n\n"
        );
    }

    #[test]
    fn file_names_and_messages_show_control_characters_escaped() {
        let document = Document::parse(
            "x\x1b[2J.yaml",
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: aws:sleep\n    inputs: {Duration: PT1S}\n    nextStep: \"b\\e[1A\"\n".into(),
            runbook_engine::document::Format::Yaml,
        )
        .unwrap();
        let report = runbook_engine::validate::validate(&document);
        let out = diagnostics(&document, &report, false);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("--> x\\e[2J.yaml:6:"), "{out}");
        assert!(out.contains("`b\\e[1A`"), "{out}");
    }
}
