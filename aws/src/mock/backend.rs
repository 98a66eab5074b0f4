//! [`MockAws`]: the AWS backend that answers calls from a [`MockFile`], counting the calls each
//! rule answers.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use runbook_engine::diagnostic::closest;
use runbook_engine::host::{ApiError, ApiRequest, AwsBackend, BoxFuture};
use runbook_engine::syntax::Span;
use serde_json::Value;

use super::matching::{compare, params_match};
use super::{MockAnswer, MockFile, MockRule, MockScript};
use crate::sandbox::FailureKind;

/// The error code of a call that no rule answers.
pub const MOCK_NOT_FOUND: &str = "MockNotFound";
/// The error code of a call whose mock script failed (rather than answering an API error).
pub const MOCK_SCRIPT_ERROR: &str = "MockScriptError";

/// The longest a JSON value is shown in a message before it is cut.
const MAX_SHOWN_JSON: usize = 300;

/// Answers AWS calls from a mock file. Use one per run: each rule counts the calls it answered,
/// for `sequence` positions, the `calls` of scripts and [`unused_rules`](Self::unused_rules).
#[derive(Debug)]
pub struct MockAws {
    file: Arc<MockFile>,
    /// For each rule of `file.aws`, how many calls it has answered.
    calls: Vec<AtomicU64>,
    printed: Mutex<Vec<PrintedLine>>,
}

/// A rule that answered no call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnusedRule {
    /// The rule's field path (`aws[3]`).
    pub path: String,
    /// The service of the calls it answers.
    pub service: String,
    /// The API of the calls it answers.
    pub api: String,
    /// The file it is written in.
    pub origin: PathBuf,
    /// Where it is written.
    pub span: Span,
}

impl fmt::Display for UnusedRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} ({}.{}) answered no call",
            self.origin.display(),
            self.span,
            self.path,
            self.service,
            self.api
        )
    }
}

/// A line a mock script printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintedLine {
    /// The field path of the script that printed it (`aws[2].script`).
    pub script: String,
    /// What it printed.
    pub text: String,
}

impl MockAws {
    /// A backend answering from `file`, with every rule's count at zero.
    pub fn new(file: Arc<MockFile>) -> Self {
        let calls = file.aws.iter().map(|_| AtomicU64::new(0)).collect();
        Self { file, calls, printed: Mutex::new(Vec::new()) }
    }

    /// The mock file it answers from.
    pub fn file(&self) -> &MockFile {
        &self.file
    }

    /// Answers `request`: the first rule whose service, API and params match answers it, with
    /// the answer its count of earlier calls selects.
    pub fn answer(&self, request: &ApiRequest) -> Result<Value, ApiError> {
        self.answer_shared(request).map(Arc::unwrap_or_clone)
    }

    /// [`MockAws::answer`], with a `returns` answer shared rather than copied.
    pub fn answer_shared(&self, request: &ApiRequest) -> Result<Arc<Value>, ApiError> {
        let found = self.file.aws.iter().enumerate().find(|(_, rule)| {
            rule.service == request.service
                && rule.api == request.api
                && rule.answers_at(request.location.as_ref())
                && rule.params.as_ref().is_none_or(|params| params_match(params, &request.params))
        });
        let Some((index, rule)) = found else {
            return Err(ApiError::new(MOCK_NOT_FOUND, self.not_found_message(request)));
        };
        let calls = self.calls.get(index).map_or(0, |count| count.fetch_add(1, Ordering::Relaxed));
        match rule.answer_for(calls) {
            Some(MockAnswer::Returns(response)) => Ok(response.clone()),
            Some(MockAnswer::Error(error)) => Err(error.clone()),
            Some(MockAnswer::Script(script)) => {
                self.run_script(rule, script, request, calls).map(Arc::new)
            }
            // The parser never builds a rule without answers.
            None => {
                Err(ApiError::new(MOCK_SCRIPT_ERROR, format!("mock {} has no answer", rule.path)))
            }
        }
    }

    /// How many calls each rule of the file has answered, in the file's order.
    pub fn call_counts(&self) -> Vec<u64> {
        self.calls.iter().map(|count| count.load(Ordering::Relaxed)).collect()
    }

    /// The rules that answered no call, in the file's order, but for those marked `optional`.
    pub fn unused_rules(&self) -> Vec<UnusedRule> {
        self.file
            .aws
            .iter()
            .zip(&self.calls)
            .filter(|(rule, count)| !rule.optional && count.load(Ordering::Relaxed) == 0)
            .map(|(rule, _)| UnusedRule {
                path: rule.path.clone(),
                service: rule.service.clone(),
                api: rule.api.clone(),
                origin: self.file.origin.clone(),
                span: rule.span,
            })
            .collect()
    }

    /// What mock scripts have printed so far, in order.
    pub fn printed(&self) -> Vec<PrintedLine> {
        self.printed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn keep_printed(&self, script: &MockScript, lines: Vec<String>) {
        if lines.is_empty() {
            return;
        }
        let mut printed = self.printed.lock().unwrap_or_else(PoisonError::into_inner);
        printed.extend(
            lines.into_iter().map(|text| PrintedLine { script: script.path.clone(), text }),
        );
    }

    fn run_script(
        &self,
        rule: &MockRule,
        script: &MockScript,
        request: &ApiRequest,
        calls: u64,
    ) -> Result<Value, ApiError> {
        let no_params = Value::Object(serde_json::Map::new());
        let params = if request.params.is_null() { &no_params } else { &request.params };
        let calls = Value::from(calls);
        let failed = |kind: &FailureKind| {
            ApiError::new(
                MOCK_SCRIPT_ERROR,
                format!(
                    "the mock script {} for {}.{} ({}): {kind}",
                    script.path,
                    rule.service,
                    rule.api,
                    script.location(kind)
                ),
            )
        };
        match script.script.eval(&[("params", params), ("calls", &calls)]) {
            Ok(evaluation) => {
                self.keep_printed(script, evaluation.printed);
                match evaluation.value {
                    response @ Value::Object(_) => Ok(response),
                    other => Err(failed(&FailureKind::Output(format!(
                        "the script returned {}; return a map (the API's response) or call \
                         error(code, message)",
                        json_type(&other)
                    )))),
                }
            }
            Err(failure) => {
                self.keep_printed(script, failure.printed);
                match failure.kind {
                    FailureKind::ApiError(error) => Err(error),
                    kind => Err(failed(&kind)),
                }
            }
        }
    }

    /// Why no rule answers `request`, with the rule that comes closest.
    fn not_found_message(&self, request: &ApiRequest) -> String {
        let params =
            if request.params.is_null() { "{}".to_string() } else { shown(&request.params) };
        let at = request
            .location
            .as_ref()
            .map(|at| format!(" as account {} in {}", at.account, at.region))
            .unwrap_or_default();
        let call = format!("no mock answers {}.{} {params}{at}", request.service, request.api);
        let rules = &self.file.aws;
        let location = |rule: &MockRule| format!("{}:{}", self.file.origin.display(), rule.span);

        // Same API, other parameters: show where the closest rule's parameters differ.
        let closest_rule = rules
            .iter()
            .filter(|rule| rule.service == request.service && rule.api == request.api)
            .filter(|rule| rule.answers_at(request.location.as_ref()))
            .filter_map(|rule| {
                let params = rule.params.as_ref()?;
                Some((rule, compare(params, &request.params)))
            })
            .min_by_key(|(_, comparison)| {
                (comparison.differences.len(), std::cmp::Reverse(comparison.agreements))
            });
        if let Some((rule, comparison)) = closest_rule {
            let differences = comparison.differences;
            let Some(first) = differences.first() else {
                return call;
            };
            let has = match &first.actual {
                Some(actual) => format!("the call has {}", shown(actual)),
                None => "the call does not have it".to_string(),
            };
            let more = match differences.len() {
                1 => String::new(),
                2 => " (and 1 more difference)".to_string(),
                count => format!(" (and {} more differences)", count - 1),
            };
            return format!(
                "{call}; the closest mock, {} at {}, wants {} = {} but {has}{more}",
                rule.path,
                location(rule),
                first.path,
                shown(&first.expected)
            );
        }

        // Same service, other APIs: the likely typo, or what the service's mocks answer.
        let same_service: Vec<&MockRule> =
            rules.iter().filter(|rule| rule.service == request.service).collect();
        if !same_service.is_empty() {
            let apis = unique(same_service.iter().map(|rule| rule.api.as_str()));
            if let Some(api) = closest(&request.api, apis.iter().copied()) {
                let rule = same_service.iter().find(|rule| rule.api == api);
                let at = rule.map(|rule| format!(" ({} at {})", rule.path, location(rule)));
                return format!(
                    "{call}; the closest mock is for {}.{api}{}",
                    request.service,
                    at.unwrap_or_default()
                );
            }
            return format!("{call}; the mocks for {} answer {}", request.service, apis.join(", "));
        }

        // Another service altogether.
        if rules.is_empty() {
            return format!("{call}; the mocks have no `aws` rules");
        }
        let services = unique(rules.iter().map(|rule| rule.service.as_str()));
        match closest(&request.service, services.iter().copied()) {
            Some(service) => {
                format!("{call}; no mock is for {}, the closest is {service}", request.service)
            }
            None => format!(
                "{call}; no mock is for {}, the mocks are for {}",
                request.service,
                services.join(", ")
            ),
        }
    }
}

impl AwsBackend for MockAws {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(async move { self.answer(&request) })
    }

    fn call_shared(&self, request: ApiRequest) -> BoxFuture<'_, Result<Arc<Value>, ApiError>> {
        Box::pin(async move { self.answer_shared(&request) })
    }
}

/// Names in first-seen order, once each.
fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

/// A value as compact JSON, cut when it is long.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_SHOWN_JSON {
        return text;
    }
    let cut: String = text.chars().take(MAX_SHOWN_JSON).collect();
    format!("{cut}…")
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _send_sync() {
        fn check<T: Send + Sync>() {}
        check::<MockAws>();
        check::<MockFile>();
    }

    fn at(account: &str, region: &str) -> runbook_engine::host::Location {
        runbook_engine::host::Location {
            account: account.into(),
            region: region.into(),
            role_name: "R".into(),
        }
    }

    #[test]
    fn rules_naming_an_account_or_region_answer_only_calls_made_there() {
        let text = "aws:\n  - {service: ec2, api: DescribeVpcs, account: '111111111111', region: eu-west-1, returns: {Vpcs: [a]}}\n  - {service: ec2, api: DescribeVpcs, region: eu-west-1, returns: {Vpcs: [b]}}\n  - {service: ec2, api: DescribeVpcs, params: {VpcIds: [v]}, returns: {Vpcs: [c]}}\n";
        let file = MockFile::parse(std::path::Path::new("m.yaml"), text).unwrap();
        assert_eq!(file.aws[0].account.as_deref(), Some("111111111111"));
        let aws = MockAws::new(Arc::new(file));
        let call = |location| {
            let request = ApiRequest::new("ec2", "DescribeVpcs", serde_json::json!({}))
                .with_location(location);
            aws.answer(&request)
        };
        assert_eq!(call(Some(at("111111111111", "eu-west-1"))).unwrap()["Vpcs"][0], "a");
        assert_eq!(call(Some(at("222222222222", "eu-west-1"))).unwrap()["Vpcs"][0], "b");
        let elsewhere = call(Some(at("222222222222", "us-east-1"))).unwrap_err();
        assert_eq!(elsewhere.code, MOCK_NOT_FOUND);
        assert!(
            elsewhere.message.contains("as account 222222222222 in us-east-1"),
            "{}",
            elsewhere.message
        );
        // The run's own calls are at no location: only rules without one answer them.
        assert_eq!(call(None).unwrap_err().code, MOCK_NOT_FOUND);
    }

    #[test]
    fn a_rule_s_account_is_text_or_a_number() {
        let text =
            "aws:\n  - {service: ec2, api: DescribeVpcs, account: 011111111111, returns: {}}\n";
        let file = MockFile::parse(std::path::Path::new("m.yaml"), text).unwrap();
        assert_eq!(file.aws[0].account.as_deref(), Some("011111111111"));
        let text = "aws:\n  - {service: ec2, api: DescribeVpcs, account: [1], returns: {}}\n";
        let error = MockFile::parse(std::path::Path::new("m.yaml"), text).unwrap_err();
        assert!(error.to_string().contains("aws[0].account"), "{error}");
    }
}
