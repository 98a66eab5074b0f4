//! Test results for people (one line per case, details for failures), as `JUnit` XML for CI
//! systems, and as JSON.

use std::fmt::Write;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use serde_json::{Value, json};

use super::CaseOutcome;
use crate::terminal::{escape as visible, escape_lines};

/// One line per case, and for a failure what was expected, what happened, and where.
pub fn human(outcomes: &[CaseOutcome], elapsed: Duration) -> String {
    human_styled(outcomes, elapsed, false)
}

/// As [`human`], coloured for a terminal when `color`: passes green, failures red, warnings
/// yellow, and in a failure's message the `expected:` line green and the `actual:` line red.
pub fn human_styled(outcomes: &[CaseOutcome], elapsed: Duration, color: bool) -> String {
    let paint = |style: Style, text: &str| {
        if color { format!("{style}{text}{style:#}") } else { text.to_string() }
    };
    let mut out = String::new();
    for outcome in outcomes {
        let mark = if outcome.passed() { paint(PASSED, "✔") } else { paint(FAILED, "✘") };
        let file = outcome.file.display().to_string();
        let file = visible(&file);
        let _ = writeln!(
            out,
            "{mark} {file}:{}: {} ({} ms)",
            outcome.line,
            visible(&outcome.case),
            outcome.elapsed.as_millis()
        );
        for failure in &outcome.failures {
            let message = escape_lines(failure.message.trim_end_matches('\n'), "    ");
            let message = if color { diff_colors(&message, &paint) } else { message };
            let _ = writeln!(out, "    {file}:{}: {message}", failure.line);
        }
        for warning in &outcome.warnings {
            let _ = writeln!(
                out,
                "    {}: {}",
                paint(WARNING, "warning"),
                escape_lines(warning, "    ")
            );
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let warnings: usize = outcomes.iter().map(|o| o.warnings.len()).sum();
    let passed = format!("{} passed", outcomes.len() - failed);
    let failed_text = format!("{failed} failed");
    let _ = write!(
        out,
        "\n{}, {} in {:.2} s",
        if failed == 0 && !outcomes.is_empty() { paint(PASSED, &passed) } else { passed },
        if failed > 0 { paint(FAILED, &failed_text) } else { failed_text },
        elapsed.as_secs_f64()
    );
    if warnings > 0 {
        let _ = write!(out, " ({warnings} {})", if warnings == 1 { "warning" } else { "warnings" });
    }
    out.push('\n');
    out
}

const PASSED: Style = AnsiColor::Green.on_default();
const FAILED: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// Colours the `expected:` and `actual:` lines of a failure's message, the two sides of its
/// diff.
fn diff_colors(message: &str, paint: &dyn Fn(Style, &str) -> String) -> String {
    let lines: Vec<String> = message
        .split('\n')
        .map(|line| {
            let body = line.trim_start();
            let margin = &line[..line.len() - body.len()];
            if body.starts_with("expected:") {
                format!("{margin}{}", paint(AnsiColor::Green.on_default(), body))
            } else if body.starts_with("actual:") {
                format!("{margin}{}", paint(AnsiColor::Red.on_default(), body))
            } else {
                line.to_string()
            }
        })
        .collect();
    lines.join("\n")
}

/// The results as JSON: every case with its failures, warnings, final status and path.
pub fn json(outcomes: &[CaseOutcome], elapsed: Duration) -> String {
    let cases: Vec<Value> = outcomes
        .iter()
        .map(|outcome| {
            json!({
                "file": outcome.file.display().to_string(),
                "case": outcome.case,
                "line": outcome.line,
                "passed": outcome.passed(),
                "failures": outcome.failures.iter().map(|f| json!({"line": f.line, "message": f.message})).collect::<Vec<_>>(),
                "warnings": outcome.warnings,
                "status": outcome.execution.as_ref().map(|e| e.automation_execution_status.as_str()),
                "path": outcome.execution.as_ref().map(|e| e.path()),
                "durationMs": u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect();
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let document = json!({
        "cases": cases,
        "summary": {"passed": outcomes.len() - failed, "failed": failed, "seconds": elapsed.as_secs_f64()},
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// The results as `JUnit` XML: one test suite per test file. Control characters in messages
/// are written out visibly (XML 1.0 cannot carry most of them, and CI systems show the text on
/// terminals).
pub fn junit(outcomes: &[CaseOutcome], elapsed: Duration) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let _ = writeln!(
        out,
        "<testsuites name=\"runbook\" tests=\"{}\" failures=\"{failed}\" time=\"{:.3}\">",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    let mut index = 0;
    while index < outcomes.len() {
        let file = &outcomes[index].file;
        let end = outcomes[index..]
            .iter()
            .position(|o| &o.file != file)
            .map_or(outcomes.len(), |n| index + n);
        let suite = &outcomes[index..end];
        let suite_failed = suite.iter().filter(|o| !o.passed()).count();
        let time: f64 = suite.iter().map(|o| o.elapsed.as_secs_f64()).sum();
        let name = escape(&file.display().to_string());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{suite_failed}\" time=\"{time:.3}\">",
            suite.len()
        );
        for outcome in suite {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{name}\" file=\"{name}\" line=\"{}\" time=\"{:.3}\"",
                escape(&outcome.case),
                outcome.line,
                outcome.elapsed.as_secs_f64()
            );
            if outcome.passed() && outcome.warnings.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if let Some(first) = outcome.failures.first() {
                let details: Vec<String> = outcome
                    .failures
                    .iter()
                    .map(|f| format!("{}:{}: {}", file.display(), f.line, f.message))
                    .collect();
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\">{}</failure>",
                    escape(first.message.lines().next().unwrap_or_default()),
                    escape(&details.join("\n"))
                );
            }
            if !outcome.warnings.is_empty() {
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    escape(&outcome.warnings.join("\n"))
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
        index = end;
    }
    out.push_str("</testsuites>\n");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_lines(text, "").chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;\\x01");
    }

    #[test]
    fn control_characters_show_in_human_and_junit_reports() {
        let outcome = CaseOutcome {
            file: "t.test.yaml".into(),
            case: "a\x1b[2Jcase".into(),
            line: 3,
            failures: vec![super::super::Mismatch {
                line: 4,
                message: "expected Success\r✔ faked\nsecond \x07line".into(),
            }],
            warnings: vec!["w\x1b]0;title\x07".into()],
            execution: None,
            elapsed: Duration::ZERO,
        };
        let text = human(std::slice::from_ref(&outcome), Duration::ZERO);
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        assert!(text.contains("✘ t.test.yaml:3: a\\e[2Jcase"), "{text}");
        assert!(
            text.contains("t.test.yaml:4: expected Success\\r✔ faked\n    second \\x07line"),
            "{text}"
        );
        assert!(text.contains("warning: w\\e]0;title\\x07"), "{text}");
        let xml = junit(std::slice::from_ref(&outcome), Duration::ZERO);
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'), "{xml:?}");
        assert!(xml.contains("message=\"expected Success\\r✔ faked\""), "{xml}");
    }

    #[test]
    fn file_names_are_escaped_too() {
        let outcome = CaseOutcome {
            file: "t\x1b[2J.test.yaml".into(),
            case: "c".into(),
            line: 1,
            failures: vec![super::super::Mismatch { line: 2, message: "m".into() }],
            warnings: Vec::new(),
            execution: None,
            elapsed: Duration::ZERO,
        };
        let text = human(std::slice::from_ref(&outcome), Duration::ZERO);
        assert!(text.contains("✘ t\\e[2J.test.yaml:1: c"), "{text}");
        assert!(text.contains("    t\\e[2J.test.yaml:2: m"), "{text}");
    }
}
