//! Findings as SARIF 2.1.0 (the Static Analysis Results Interchange Format), which CI systems
//! such as GitHub code scanning show inline on the changed lines.

use runbook::rules;
use runbook_engine::diagnostic::{Diagnostic, Severity};
use serde_json::{Value, json};

use super::{Checked, FileResult};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The rule id used for files that do not load at all.
const LOAD_ERROR: &str = "RB000";

/// The whole report as a SARIF log.
pub(crate) fn report(checked: &Checked) -> String {
    let mut rules: Vec<Value> = vec![json!({
        "id": LOAD_ERROR,
        "name": "load-error",
        "shortDescription": {"text": "the file is a readable schema 0.3 runbook"},
        "defaultConfiguration": {"level": "error"},
    })];
    rules.extend(rules::all().into_iter().map(|rule| {
        json!({
            "id": rule.code.id,
            "name": rule.code.name,
            "shortDescription": {"text": rule.summary},
        })
    }));
    let mut results = Vec::new();
    for file in &checked.files {
        let uri = file.path().display().to_string().replace('\\', "/");
        match file {
            FileResult::Checked { report, .. } => {
                results.extend(report.diagnostics.iter().map(|d| result(d, &uri)));
            }
            FileResult::Failed { error, .. } => {
                let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri}}});
                if let Some(span) = error.span {
                    location["physicalLocation"]["region"] =
                        json!({"startLine": span.start.line, "startColumn": span.start.column});
                }
                results.push(json!({
                    "ruleId": LOAD_ERROR,
                    "level": "error",
                    "message": {"text": error.kind.to_string()},
                    "locations": [location],
                }));
            }
        }
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "runbook",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn result(diagnostic: &Diagnostic, uri: &str) -> Value {
    let level = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut text = diagnostic.message.clone();
    if let Some(hint) = &diagnostic.hint {
        text.push_str(" (");
        text.push_str(hint);
        text.push(')');
    }
    let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri}}});
    if let Some(span) = diagnostic.span {
        let mut region = json!({"startLine": span.start.line, "startColumn": span.start.column});
        if span.end > span.start {
            region["endLine"] = json!(span.end.line);
            region["endColumn"] = json!(span.end.column);
        }
        location["physicalLocation"]["region"] = region;
    }
    if !diagnostic.path.is_empty() {
        location["logicalLocations"] =
            json!([{"fullyQualifiedName": diagnostic.path, "kind": "member"}]);
    }
    json!({
        "ruleId": diagnostic.code.id,
        "level": level,
        "message": {"text": text},
        "locations": [location],
    })
}
