//! The corpus's AWS API calls checked against botocore's models (RB028 to RB031): every
//! service and operation of every `aws:executeAwsApi`, `aws:assertAwsResourceProperty` and
//! `aws:waitForAwsResourceProperty` step is found (or the file has a real mistake there), and
//! the counts and every finding are recorded in `tests/corpus/model-findings.txt`. Each finding
//! there was read and is a real defect of its file (a parameter the operation does not have, a
//! selector reading a member the response cannot have) or a lenient spelling the service
//! accepts (a warning); a new finding, a false alarm included, fails the test.
//!
//! Needs botocore's models (`pip install botocore`, or `RUNBOOK_AWS_MODELS`). The file names the
//! botocore it was made with; another version that finds otherwise is reported as such.

use std::collections::BTreeMap;
use std::fmt::Write;

use runbook_aws::model::Models;
use runbook_aws::model::lint::{self, LintStats, MODEL_RULES, Written};
use runbook_engine::Document;

use crate::support::{botocore_line, corpus_files, expect_file_from_models};

fn models() -> Models {
    Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"))
}

#[test]
fn corpus_api_calls_are_found_in_the_models() {
    let models = models();
    let mut totals = LintStats::default();
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let mut services = std::collections::BTreeSet::new();
    let mut operations = std::collections::BTreeSet::new();
    let mut listing = String::new();
    let mut unexplained = Vec::new();
    for (name, path) in corpus_files() {
        let document = Document::load(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
        let (diagnostics, stats) = lint::lint_with_stats(&document, &models);
        totals.calls += stats.calls;
        totals.templated += stats.templated;
        totals.services_found += stats.services_found;
        totals.operations_found += stats.operations_found;
        totals.selectors_checked += stats.selectors_checked;
        for call in lint::api_calls(&document) {
            let (Written::Literal(service), Written::Literal(api)) = (call.service, call.api)
            else {
                continue;
            };
            let found = models.service(service).ok().and_then(|model| {
                model.operation(api).map(|op| (model.name().to_string(), op.name().to_string()))
            });
            match found {
                Some((service, operation)) => {
                    operations.insert(format!("{service}.{operation}"));
                    services.insert(service);
                }
                // A call not found must be reported as an error in its file.
                None if diagnostics.iter().any(|d| {
                    d.is_error() && d.step.as_deref() == Some(call.step.name.value.as_str())
                }) => {}
                None => unexplained.push(format!("{name}: {service}.{api}")),
            }
        }
        for diagnostic in &diagnostics {
            *counts.entry((diagnostic.code.id, diagnostic.severity.to_string())).or_default() += 1;
            let position = diagnostic
                .span
                .map(|s| format!("{}:{}", s.start.line, s.start.column))
                .unwrap_or_default();
            let _ = writeln!(
                listing,
                "{name}:{position}\t{}\t{}\t{}",
                diagnostic.severity, diagnostic.code.id, diagnostic.message
            );
        }
    }
    assert!(
        unexplained.is_empty(),
        "calls not found and not reported:\n{}",
        unexplained.join("\n")
    );
    let mut text = String::new();
    let _ = writeln!(text, "# AWS API calls of the corpus checked against botocore's models");
    let _ = writeln!(text, "{}", botocore_line(&models));
    let _ = writeln!(
        text,
        "calls: {} ({} with a templated Service or Api, not checked)",
        totals.calls, totals.templated
    );
    let _ = writeln!(
        text,
        "services found: {} calls, {} distinct",
        totals.services_found,
        services.len()
    );
    let _ = writeln!(
        text,
        "operations found: {} calls, {} distinct",
        totals.operations_found,
        operations.len()
    );
    let _ = writeln!(text, "selectors checked: {}", totals.selectors_checked);
    for rule in MODEL_RULES {
        for severity in ["error", "warning"] {
            let count = counts.get(&(rule.code.id, severity.to_string())).copied().unwrap_or(0);
            let _ = writeln!(text, "{} {} {severity}s: {count}", rule.code.id, rule.code.name);
        }
    }
    let _ = writeln!(
        text,
        "\n# findings (each one read: real defects, and warnings for lenient spellings)"
    );
    text.push_str(&listing);
    expect_file_from_models("tests/corpus/model-findings.txt", &text);
    assert_eq!(
        totals.services_found + totals.templated,
        totals.calls,
        "every call with a literal Service names a known service"
    );
}
