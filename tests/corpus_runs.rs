//! Every corpus runbook, started with its defaults plus generated values for its required
//! parameters, runs to a terminal status with a well-formed record: no panic, no hang, whatever
//! its steps do. AWS calls go to an empty mock file (they fail, showing the call); scripts do
//! not run here (their step fails at once), since the point is the engine, not the scripts.

use std::sync::Arc;

use indexmap::IndexMap;
use runbook::standard_actions;
use runbook::{Loader, Refused, Session};
use runbook_engine::Document;
use runbook_engine::catalog::ValueType;
use runbook_engine::document::{AwsResource, Parameter, ParameterType};
use runbook_engine::execute::NoScripts;
use runbook_engine::host::virtual_runtime;
use runbook_engine::params::Pattern;
use runbook_engine::record::Status;
use serde_json::{Value, json};

use crate::support::corpus_files;

/// Actions only AWS's own documents use; the service runs them, this engine cannot.
pub(crate) const INTERNAL_ACTIONS: &[&str] =
    &["aws:putServerUpgradeMetrics", "aws:shareSQLMedia", "aws:installDistributorPackageOnAzure"];

/// Text values tried, in order, for String parameters with an `allowedPattern`.
const CANDIDATES: &[&str] = &[
    "example",
    "i-0123456789abcdef0",
    "arn:aws:iam::123456789012:role/Example",
    "123456789012",
    "us-east-1",
    "ami-0123456789abcdef0",
    "sg-0123456789abcdef0",
    "subnet-0123456789abcdef0",
    "vpc-0123456789abcdef0",
    "vol-0123456789abcdef0",
    "snap-0123456789abcdef0",
    "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
    "arn:aws:sns:us-east-1:123456789012:Example",
    "arn:aws:s3:::example-bucket",
    "example-bucket",
    "1",
    "a",
    "Example",
    "yes",
    "true",
    "12345678-1234-1234-1234-123456789012",
    "https://sqs.us-east-1.amazonaws.com/123456789012/example",
];

fn text_value(parameter: &Parameter) -> Value {
    let resource = match parameter.ty.as_ref().map(|t| t.value) {
        Some(ParameterType::AwsResource { resource, .. }) => Some(resource),
        _ => None,
    };
    let pattern = parameter.allowed_pattern.as_ref().and_then(|p| Pattern::new(&p.value).ok());
    let preferred = match resource {
        Some(AwsResource::Ec2InstanceId) => "i-0123456789abcdef0",
        Some(AwsResource::IamRoleArn) => "arn:aws:iam::123456789012:role/Example",
        Some(AwsResource::S3BucketName) => "example-bucket",
        None => "example",
    };
    let fits = |candidate: &str| pattern.as_ref().is_none_or(|p| p.is_match(candidate));
    let generated =
        parameter.allowed_pattern.as_ref().map(|p| from_pattern(&p.value)).unwrap_or_default();
    let text = std::iter::once(preferred)
        .chain(CANDIDATES.iter().copied())
        .chain(generated.iter().map(String::as_str))
        .find(|candidate| fits(candidate))
        .unwrap_or(preferred);
    json!(text)
}

/// Drops look-around groups, which the syntax tree cannot express; what is generated without
/// them is checked against the whole pattern afterwards.
fn without_look_around(pattern: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let rest: String = chars[index..chars.len().min(index + 4)].iter().collect();
        if ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|start| rest.starts_with(start)) {
            let mut depth = 0;
            while index < chars.len() {
                match chars[index] {
                    '\\' => index += 1,
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                index += 1;
            }
            index += 1;
            continue;
        }
        out.push(chars[index]);
        index += 1;
    }
    out
}

/// Short texts that `pattern` may match, built from its syntax tree: one per alternative of the
/// whole pattern.
fn from_pattern(pattern: &str) -> Vec<String> {
    use regex_syntax::hir::{Hir, HirKind};
    fn build(hir: &Hir, out: &mut String) {
        match hir.kind() {
            HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
            HirKind::Class(regex_syntax::hir::Class::Unicode(class)) => {
                let ranges = class.ranges();
                let pick = ranges
                    .iter()
                    .find_map(|r| {
                        ('a'..='z').chain('0'..='9').find(|c| r.start() <= *c && *c <= r.end())
                    })
                    .or_else(|| ranges.first().map(regex_syntax::hir::ClassUnicodeRange::start));
                out.extend(pick);
            }
            HirKind::Class(regex_syntax::hir::Class::Bytes(class)) => {
                out.extend(class.ranges().first().map(|r| char::from(r.start())));
            }
            HirKind::Repetition(repetition) => {
                for _ in 0..repetition.min.clamp(1, 300) {
                    build(&repetition.sub, out);
                }
            }
            HirKind::Capture(capture) => build(&capture.sub, out),
            HirKind::Concat(items) => items.iter().for_each(|item| build(item, out)),
            HirKind::Alternation(items) => {
                if let Some(first) = items.first() {
                    build(first, out);
                }
            }
            HirKind::Empty | HirKind::Look(_) => {}
        }
    }
    let Ok(hir) =
        regex_syntax::parse(&without_look_around(&runbook_engine::params::from_java(pattern)))
    else {
        return Vec::new();
    };
    let alternatives: Vec<&Hir> = match hir.kind() {
        HirKind::Alternation(items) => items.iter().collect(),
        _ => vec![&hir],
    };
    alternatives
        .into_iter()
        .map(|alternative| {
            let mut out = String::new();
            build(alternative, &mut out);
            out
        })
        .collect()
}

/// A value for a required parameter: its first allowed value, or one of its type that fits
/// its pattern when a candidate does.
pub(crate) fn generated(parameter: &Parameter) -> Value {
    let ty = parameter.ty.as_ref().map_or(ValueType::String, |ty| ty.value.value_type());
    if let Some(first) = parameter.allowed_values.as_ref().and_then(|values| values.value.first()) {
        let value = json!(first.scalar_text().unwrap_or_default());
        return if ty == ValueType::StringList { json!([value]) } else { value };
    }
    match ty {
        ValueType::String => text_value(parameter),
        ValueType::StringList => json!([text_value(parameter)]),
        ValueType::Integer => {
            let pattern =
                parameter.allowed_pattern.as_ref().and_then(|p| Pattern::new(&p.value).ok());
            let number = (1..=100_000)
                .find(|n: &i64| pattern.as_ref().is_none_or(|p| p.is_match(&n.to_string())))
                .unwrap_or(1);
            json!(number)
        }
        ValueType::Boolean => json!(false),
        ValueType::StringMap => parameter
            .allowed_pattern
            .as_ref()
            .map(|pattern| from_pattern(&pattern.value))
            .unwrap_or_default()
            .iter()
            .find_map(|text| serde_json::from_str::<Value>(text).ok().filter(Value::is_object))
            .unwrap_or_else(|| json!({})),
        ValueType::MapList => json!([]),
    }
}

#[test]
fn every_corpus_runbook_runs_to_a_terminal_status() {
    let runtime = virtual_runtime().unwrap();
    let mut refused = Vec::new();
    let mut unsupported = Vec::new();
    let mut statuses: IndexMap<Status, usize> = IndexMap::new();
    let files = corpus_files();
    for (name, path) in &files {
        let validated = Loader::new().load(path).unwrap_or_else(|error| panic!("{name}: {error}"));
        let has_errors = validated.report().has_errors();
        let parameters: IndexMap<String, Value> = validated
            .document()
            .parameters
            .iter()
            .filter(|parameter| parameter.is_required())
            .map(|parameter| (parameter.name.value.clone(), generated(parameter)))
            .collect();
        // Runbooks with errors run too: a started run must end whatever the document holds.
        let runbook = validated.into_runbook_despite_errors();
        let mut parameters = parameters;
        // A default the run refuses (a build-time placeholder breaking its pattern, a Parameter
        // Store name no mock answers) is replaced by a generated value, as a user would.
        let execution = loop {
            let session = Session::new()
                .scripts(Arc::new(NoScripts))
                .parameters(parameters.clone())
                .start_time("2026-01-01T00:00:00Z".parse().unwrap());
            match runtime.block_on(session.run_async(&runbook)) {
                Ok(finished) => break Some(finished.execution),
                Err(Refused { error, .. }) if !parameters.contains_key(&error.parameter) => {
                    let parameter = runbook
                        .document()
                        .parameter(&error.parameter)
                        .expect("errors name a parameter");
                    parameters.insert(error.parameter.clone(), generated(parameter));
                }
                // A runbook with errors (a broken allowedPattern) may rightly refuse to start.
                Err(_) if has_errors => break None,
                Err(error) => {
                    refused.push(format!("{name}: {error}"));
                    break None;
                }
            }
        };
        let Some(execution) = execution else { continue };
        let status = execution.automation_execution_status;
        assert!(status.is_terminal(), "{name}: the run ended {status}");
        for step in &execution.step_executions {
            assert!(
                step.step_status.is_terminal() || step.step_status == Status::Pending,
                "{name}: step {} ended {}",
                step.step_name,
                step.step_status
            );
        }
        let record: Value = serde_json::from_str(&execution.to_json()).expect("the record is JSON");
        for step in &execution.step_executions {
            if let Some(message) = &step.failure_message
                && message.starts_with("unsupported")
            {
                unsupported
                    .push(format!("{name}: {} ({}): {message}", step.step_name, step.action));
            }
        }
        assert_eq!(record["AutomationExecutionStatus"], status.as_str(), "{name}");
        *statuses.entry(status).or_default() += 1;
    }
    eprintln!("corpus runs: {statuses:?}, refused at start: {}", refused.len());
    // Every step of the service's documented actions can run: only the internal actions of AWS's
    // own documents are unsupported.
    let official: Vec<&String> = unsupported
        .iter()
        .filter(|line| !INTERNAL_ACTIONS.iter().any(|action| line.contains(&format!("({action})"))))
        .collect();
    eprintln!(
        "steps that could not run: {} (internal actions: {})",
        unsupported.len(),
        unsupported.len() - official.len()
    );
    assert!(
        official.is_empty(),
        "steps of documented actions that cannot run:\n{}",
        official.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    assert!(
        refused.is_empty(),
        "runs refused at start even with generated values:\n{}",
        refused.join("\n")
    );
}

/// The control actions the executor runs itself.
const CONTROL_ACTIONS: &[&str] = &[
    "aws:branch",
    "aws:loop",
    "aws:sleep",
    "aws:pause",
    "aws:approve",
    "aws:updateVariable",
    "aws:executeAutomation",
];

#[test]
fn every_documented_action_in_the_corpus_can_run() {
    let actions = standard_actions();
    let mut runbooks = 0usize;
    let mut runnable = 0usize;
    let mut missing: IndexMap<String, usize> = IndexMap::new();
    for (_, path) in corpus_files() {
        let document = Document::load(&path).unwrap();
        runbooks += 1;
        let mut all = true;
        for step in document.all_steps() {
            let action = step.action.value.as_str();
            let documented = runbook_engine::catalog::action(action).is_some();
            if documented && actions.get(action).is_none() && !CONTROL_ACTIONS.contains(&action) {
                *missing.entry(action.to_string()).or_default() += 1;
                all = false;
            }
        }
        runnable += usize::from(all);
    }
    eprintln!("corpus runbooks whose documented actions all run: {runnable} of {runbooks}");
    assert!(missing.is_empty(), "documented actions that cannot run: {missing:?}");
    assert_eq!(runnable, runbooks);
}
