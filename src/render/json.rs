//! Findings as one JSON document, for scripts.

use runbook_engine::diagnostic::Diagnostic;
use serde_json::{Value, json};

use super::{Checked, FileResult};

/// The whole report as pretty-printed JSON.
pub(crate) fn report(checked: &Checked) -> String {
    let files: Vec<Value> = checked
        .files
        .iter()
        .map(|file| {
            let (errors, warnings) = file.counts();
            let mut entry = json!({
                "path": file.path().display().to_string(),
                "errors": errors,
                "warnings": warnings,
            });
            match file {
                FileResult::Checked { report, .. } => {
                    entry["diagnostics"] = report.diagnostics.iter().map(diagnostic).collect();
                }
                FileResult::Failed { error, .. } => {
                    entry["loadError"] = json!({
                        "message": error.kind.to_string(),
                        "line": error.span.map(|s| s.start.line),
                        "column": error.span.map(|s| s.start.column),
                    });
                }
            }
            entry
        })
        .collect();
    let (errors, warnings) = checked.totals();
    let document = json!({
        "files": files,
        "summary": {
            "files": checked.files.len(),
            "errors": errors,
            "warnings": warnings,
            "skipped": checked.skipped,
        },
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn diagnostic(diagnostic: &Diagnostic) -> Value {
    json!({
        "severity": diagnostic.severity,
        "code": diagnostic.code.id,
        "rule": diagnostic.code.name,
        "message": diagnostic.message,
        "step": diagnostic.step,
        "path": diagnostic.path,
        "line": diagnostic.span.map(|s| s.start.line),
        "column": diagnostic.span.map(|s| s.start.column),
        "endLine": diagnostic.span.map(|s| s.end.line),
        "endColumn": diagnostic.span.map(|s| s.end.column),
        "hint": diagnostic.hint,
    })
}
