//! The AWS calls of a Python script on a run that uses mocks: the bootstrap hands each botocore
//! call to the runner, which answers it through the step's [`ScriptCalls`], so that a script's
//! calls meet the same mock rules, checks and record as the runbook's own.
//!
//! The exchange is one JSON line each way on the script's lifeline socket (its standard input),
//! one request at a time:
//!
//! - `{"call": {"service": "ec2", "api": "DescribeInstances", "params": {...}}}` is answered
//!   `{"ok": RESPONSE}`, `{"error": {"code", "message", "status"}}` (the script gets a
//!   `botocore.exceptions.ClientError`), or `{"unanswered": MESSAGE}` when nothing answers the
//!   call (the script gets an exception that `except Exception` does not catch);
//! - `{"sleep": SECONDS}` (a botocore waiter between two polls) waits on the run's clock and is
//!   answered `{"slept": SECONDS}`.
//!
//! On a real run that records its calls, the script's botocore reaches AWS itself and the
//! bootstrap only reports each call once it has its answer, unanswered:
//! `{"observed": {"service", "api", "params", "ok": RESPONSE}}`, or with
//! `"error": {"code", "message", "status"}` in place of `"ok"`. The runner records it through
//! [`ScriptCalls::observed`], in the order the script made its calls.

use std::time::Duration;

use runbook_engine::host::{ApiError, SCRIPT_CALL_UNANSWERED, ScriptCalls};
use serde::Deserialize;
use serde_json::{Value, json};

/// The error codes that mean nobody answered a call, rather than that AWS answered an error:
/// no mock rule matches it (`MockNotFound`), the rule's script failed (`MockScriptError`), or
/// the host has no AWS to ask ([`SCRIPT_CALL_UNANSWERED`]).
pub const UNANSWERED_CODES: [&str; 3] = ["MockNotFound", "MockScriptError", SCRIPT_CALL_UNANSWERED];

/// The longest wait a script may ask for at once: a day, far more than any botocore waiter.
const MAX_SLEEP: Duration = Duration::from_secs(24 * 60 * 60);

/// A request from the bootstrap.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Request {
    Call(Call),
    Sleep(f64),
    Observed(Observed),
}

#[derive(Debug, Deserialize)]
struct Observed {
    service: String,
    api: String,
    #[serde(default)]
    params: Value,
    #[serde(default)]
    ok: Option<Value>,
    #[serde(default)]
    error: Option<ObservedError>,
}

#[derive(Debug, Deserialize)]
struct ObservedError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: Option<u16>,
}

#[derive(Debug, Deserialize)]
struct Call {
    service: String,
    api: String,
    #[serde(default)]
    params: Value,
}

/// The reply line to the request line `line`; `None` for a report, which has none.
pub(crate) async fn answer(line: &str, calls: &dyn ScriptCalls) -> Option<String> {
    let request = match serde_json::from_str::<Request>(line) {
        Ok(request) => request,
        Err(error) => {
            return Some(
                json!({ "unanswered": format!("the script's request is not readable: {error}") })
                    .to_string(),
            );
        }
    };
    let reply = match request {
        Request::Observed(observed) => {
            let answer = match (observed.ok, observed.error) {
                (_, Some(ObservedError { code, message, status })) => {
                    let code = if code.is_empty() { "Unknown".into() } else { code };
                    let error = ApiError::new(code, message);
                    Err(match status {
                        Some(status) => error.with_status(status),
                        None => error,
                    })
                }
                (response, None) => Ok(response.unwrap_or_else(|| json!({}))),
            };
            calls.observed(&observed.service, &observed.api, object(observed.params), answer);
            return None;
        }
        Request::Call(call) => {
            let params = object(call.params);
            match calls.call(&call.service, &call.api, params).await {
                Ok(response) => json!({ "ok": response }),
                Err(error) => error_reply(&error),
            }
        }
        Request::Sleep(seconds) => {
            let duration = Duration::try_from_secs_f64(seconds).unwrap_or_default().min(MAX_SLEEP);
            calls.sleep(duration).await;
            json!({ "slept": duration.as_secs_f64() })
        }
    };
    Some(reply.to_string())
}

/// Call parameters: none given is an empty map.
fn object(params: Value) -> Value {
    match params {
        Value::Null => Value::Object(serde_json::Map::new()),
        params => params,
    }
}

/// The reply line to the request line `line` when nothing can answer AWS calls: each call is
/// unanswered, a wait returns at once, and a report is dropped.
pub(crate) fn answer_none(line: &str) -> Option<String> {
    let reply = match serde_json::from_str::<Request>(line) {
        Ok(Request::Observed(_)) => return None,
        Ok(Request::Call(call)) => json!({
            "unanswered": format!(
                "{}.{} cannot be answered: no AWS backend is at hand",
                call.service, call.api
            )
        }),
        Ok(Request::Sleep(_)) => json!({ "slept": 0.0 }),
        Err(error) => {
            json!({ "unanswered": format!("the script's request is not readable: {error}") })
        }
    };
    Some(reply.to_string())
}

fn error_reply(error: &ApiError) -> Value {
    if UNANSWERED_CODES.contains(&error.code.as_str()) {
        return json!({ "unanswered": error.message });
    }
    json!({ "error": { "code": error.code, "message": error.message, "status": error.status } })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use runbook_engine::host::{BoxFuture, NoScriptCalls};

    use super::*;

    /// Answers every call with its own params, or the error its `fail` param names; records
    /// waits.
    /// A reported call: `service.api`, its params and its answer.
    type Report = (String, Value, Result<Value, ApiError>);

    #[derive(Default)]
    struct Echo {
        slept: Mutex<Vec<Duration>>,
        observed: Mutex<Vec<Report>>,
    }

    impl ScriptCalls for Echo {
        fn call<'a>(
            &'a self,
            service: &'a str,
            api: &'a str,
            params: Value,
        ) -> BoxFuture<'a, Result<Value, ApiError>> {
            Box::pin(async move {
                match params.get("fail").and_then(Value::as_str) {
                    Some(code) => {
                        Err(ApiError::new(code, format!("{service}.{api} failed")).with_status(400))
                    }
                    None => Ok(json!({ "called": format!("{service}.{api}"), "params": params })),
                }
            })
        }

        fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
            self.slept.lock().unwrap().push(duration);
            Box::pin(async {})
        }

        fn observed(
            &self,
            service: &str,
            api: &str,
            params: Value,
            answer: Result<Value, ApiError>,
        ) {
            self.observed.lock().unwrap().push((format!("{service}.{api}"), params, answer));
        }
    }

    fn reply(calls: &dyn ScriptCalls, line: &str) -> Option<String> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(answer(line, calls))
    }

    fn ask(calls: &dyn ScriptCalls, line: &str) -> Value {
        serde_json::from_str(&reply(calls, line).expect("a reply")).unwrap()
    }

    #[test]
    fn a_reported_call_is_recorded_with_its_answer_and_not_replied_to() {
        let echo = Echo::default();
        let ok = r#"{"observed": {"service": "ssm", "api": "GetParameter", "params": {"Name": "/a"}, "ok": {"Parameter": {"Value": "v"}}}}"#;
        let failed = r#"{"observed": {"service": "ssm", "api": "GetParameter", "params": {"Name": "/b"}, "error": {"code": "ParameterNotFound", "message": "no /b", "status": 400}}}"#;
        let bare = r#"{"observed": {"service": "sts", "api": "GetCallerIdentity"}}"#;
        for line in [ok, failed, bare] {
            assert_eq!(reply(&echo, line), None);
            assert_eq!(answer_none(line), None);
        }
        let observed = echo.observed.lock().unwrap().clone();
        assert_eq!(
            observed,
            [
                (
                    "ssm.GetParameter".to_string(),
                    json!({"Name": "/a"}),
                    Ok(json!({"Parameter": {"Value": "v"}}))
                ),
                (
                    "ssm.GetParameter".to_string(),
                    json!({"Name": "/b"}),
                    Err(ApiError::new("ParameterNotFound", "no /b").with_status(400))
                ),
                ("sts.GetCallerIdentity".to_string(), json!({}), Ok(json!({}))),
            ]
        );
    }

    #[test]
    fn a_call_is_answered_with_the_response_or_the_error() {
        let echo = Echo::default();
        let ok = ask(
            &echo,
            r#"{"call": {"service": "ec2", "api": "DescribeVpcs", "params": {"A": 1}}}"#,
        );
        assert_eq!(ok, json!({"ok": {"called": "ec2.DescribeVpcs", "params": {"A": 1}}}));
        let no_params = ask(&echo, r#"{"call": {"service": "sts", "api": "GetCallerIdentity"}}"#);
        assert_eq!(no_params["ok"]["params"], json!({}));
        let error = ask(
            &echo,
            r#"{"call": {"service": "ec2", "api": "DescribeVpcs", "params": {"fail": "InvalidVpcID.NotFound"}}}"#,
        );
        assert_eq!(
            error,
            json!({"error": {"code": "InvalidVpcID.NotFound", "message": "ec2.DescribeVpcs failed", "status": 400}})
        );
    }

    #[test]
    fn a_call_nothing_answers_is_unanswered_not_an_api_error() {
        for code in UNANSWERED_CODES {
            let line = format!(
                r#"{{"call": {{"service": "ec2", "api": "DescribeVpcs", "params": {{"fail": "{code}"}}}}}}"#
            );
            assert_eq!(
                ask(&Echo::default(), &line),
                json!({"unanswered": "ec2.DescribeVpcs failed"})
            );
        }
        let none = ask(&NoScriptCalls, r#"{"call": {"service": "ec2", "api": "DescribeVpcs"}}"#);
        assert_eq!(
            none,
            json!({"unanswered": "ec2.DescribeVpcs cannot be answered: no AWS backend is at hand"})
        );
    }

    #[test]
    fn a_sleep_waits_on_the_run_s_clock_within_bounds() {
        let echo = Echo::default();
        assert_eq!(ask(&echo, r#"{"sleep": 15}"#), json!({"slept": 15.0}));
        assert_eq!(ask(&echo, r#"{"sleep": -1}"#), json!({"slept": 0.0}));
        assert_eq!(ask(&echo, r#"{"sleep": 1e12}"#), json!({"slept": 86400.0}));
        let slept = echo.slept.lock().unwrap().clone();
        assert_eq!(slept, [Duration::from_secs(15), Duration::ZERO, MAX_SLEEP]);
    }

    #[test]
    fn an_unreadable_request_is_unanswered() {
        let reply = ask(&Echo::default(), "{\"shout\": 1}");
        let message = reply["unanswered"].as_str().unwrap();
        assert!(message.starts_with("the script's request is not readable: "), "{message}");
    }
}
