//! A scripted SSM endpoint served over HTTP in the test process, for `runbook deploy` and
//! `runbook run --remote`: the real signed client reaches it with `--endpoint-url` and speaks
//! awsJson1.1 to it (S3 `PutObject` too, path-style). Documents are kept as the service keeps
//! them; each execution plays a script of states, one per `GetAutomationExecution`, the last
//! repeated; `StopAutomationExecution` switches an execution to its script for a stop, when it
//! has one. Every request is logged, in order.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};

/// One answer to `GetAutomationExecution`.
#[derive(Clone, Debug)]
pub(crate) enum State {
    /// The execution (without `AutomationExecutionId`) and its steps.
    Record { execution: Value, steps: Vec<Value> },
    /// A throttling error.
    Throttle,
}

/// A record in `status` with `steps`; `extra` adds fields to the execution.
pub(crate) fn state(status: &str, steps: Vec<Value>, extra: &Value) -> State {
    let mut execution = json!({
        "DocumentName": "remote", "DocumentVersion": "1",
        "AutomationExecutionStatus": status, "Mode": "Auto",
        "ExecutionStartTime": 1_768_471_200.0,
    });
    if status_is_terminal(status) {
        execution["ExecutionEndTime"] = json!(1_768_471_260.0);
    }
    if let (Some(execution), Some(extra)) = (execution.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            execution.insert(key.clone(), value.clone());
        }
    }
    State::Record { execution, steps }
}

/// A step in `status`; `extra` adds fields.
pub(crate) fn step(name: &str, action: &str, status: &str, extra: &Value) -> Value {
    let mut step = json!({
        "StepName": name, "Action": action, "StepStatus": status,
        "StepExecutionId": format!("step-{name}"), "OnFailure": "Abort", "MaxAttempts": 1,
        "IsEnd": false, "IsCritical": true,
    });
    if status != "Pending" {
        step["ExecutionStartTime"] = json!(1_768_471_201.0);
    }
    if status_is_terminal(status) {
        step["ExecutionEndTime"] = json!(1_768_471_202.0);
    }
    if let (Some(step), Some(extra)) = (step.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            step.insert(key.clone(), value.clone());
        }
    }
    step
}

fn status_is_terminal(status: &str) -> bool {
    matches!(status, "Success" | "Failed" | "Cancelled" | "TimedOut")
}

/// An execution's script.
#[derive(Clone, Debug, Default)]
pub(crate) struct Script {
    /// The states, one per `GetAutomationExecution`, the last repeated.
    pub(crate) states: Vec<State>,
    /// The states after a `StopAutomationExecution`; without them, a stop changes nothing.
    pub(crate) on_stop: Option<Vec<State>>,
}

struct Execution {
    script: Script,
    next: usize,
    current: Option<(Value, Vec<Value>)>,
}

/// One request received: the operation (`ssm.CreateDocument`, `s3.PutObject`) and its JSON
/// body (for S3, the path and the body).
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) operation: String,
    pub(crate) params: Value,
}

#[derive(Default)]
struct Service {
    /// name → versions' contents (version n at n - 1), default version.
    documents: Vec<(String, Vec<String>, usize)>,
    executions: Vec<(String, Execution)>,
    /// The script of the next execution started, and its id.
    to_start: Vec<(String, Script)>,
    log: Vec<Request>,
    /// Error answers for operations, by name, used once each.
    failures: Vec<(String, u16, String, String)>,
}

/// The endpoint; it stops serving when the test process ends.
#[derive(Clone)]
pub(crate) struct Endpoint {
    url: String,
    service: Arc<Mutex<Service>>,
}

impl Endpoint {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let service = Arc::new(Mutex::new(Service::default()));
        let shared = Arc::clone(&service);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let service = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &service));
            }
        });
        Self { url, service }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Service> {
        self.service.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next `StartAutomationExecution` starts `id`, playing `script`.
    pub(crate) fn on_start(&self, id: &str, script: Script) {
        self.lock().to_start.push((id.to_string(), script));
    }

    /// An execution already running (or a child), playing `script`.
    pub(crate) fn execution(&self, id: &str, script: Script) {
        self.lock().executions.push((id.to_string(), Execution { script, next: 0, current: None }));
    }

    /// Makes `version` the default of the document `name`, as someone else might.
    pub(crate) fn set_default(&self, name: &str, version: usize) {
        let mut service = self.lock();
        let document = service.documents.iter_mut().find(|(n, ..)| n == name).unwrap();
        document.2 = version;
    }

    /// The next call of `operation` fails with `code`.
    pub(crate) fn fail_next(&self, operation: &str, status: u16, code: &str, message: &str) {
        self.lock().failures.push((
            operation.to_string(),
            status,
            code.to_string(),
            message.to_string(),
        ));
    }

    /// Every request so far.
    pub(crate) fn log(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    /// The operations called so far, in order.
    pub(crate) fn operations(&self) -> Vec<String> {
        self.log().into_iter().map(|request| request.operation).collect()
    }

    /// The requests of `operation`.
    pub(crate) fn calls(&self, operation: &str) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|request| request.operation == operation)
            .map(|request| request.params)
            .collect()
    }
}

fn serve(stream: TcpStream, service: &Mutex<Service>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut length = 0;
        let mut target = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "x-amz-target" => target = value.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (operation, params) = if let Some(api) = target.strip_prefix("AmazonSSM.") {
            (format!("ssm.{api}"), serde_json::from_slice(&body).unwrap_or(Value::Null))
        } else if method == "PUT" {
            (
                "s3.PutObject".to_string(),
                json!({"Path": path, "Body": String::from_utf8_lossy(&body)}),
            )
        } else {
            (format!("{method} {path}"), Value::Null)
        };
        let (status, answer) = {
            let mut service = service.lock().unwrap_or_else(PoisonError::into_inner);
            service.log.push(Request { operation: operation.clone(), params: params.clone() });
            service.answer(&operation, &params)
        };
        // S3 answers PutObject with headers alone.
        let text = if operation.starts_with("s3.") { String::new() } else { answer.to_string() };
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nETag: \"e\"\r\n\r\n{text}",
            text.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn error(code: &str, message: &str) -> (u16, Value) {
    (400, json!({"__type": code, "message": message}))
}

impl Service {
    fn answer(&mut self, operation: &str, params: &Value) -> (u16, Value) {
        if let Some(index) = self.failures.iter().position(|(name, ..)| name == operation) {
            let (_, status, code, message) = self.failures.remove(index);
            return (status, json!({"__type": code, "message": message}));
        }
        let text =
            |key: &str| params.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        match operation {
            "s3.PutObject" => (200, json!({})),
            "ssm.GetDocument" => {
                let name = text("Name");
                match self.documents.iter().find(|(n, ..)| *n == name) {
                    Some((_, versions, default)) => {
                        let version = if text("DocumentVersion") == "$LATEST" {
                            versions.len()
                        } else {
                            *default
                        };
                        (
                            200,
                            json!({"Name": name, "Content": versions[version - 1],
                                   "DocumentVersion": version.to_string(),
                                   "DocumentType": "Automation"}),
                        )
                    }
                    None => error(
                        "InvalidDocument",
                        &format!("Document with name {name} does not exist."),
                    ),
                }
            }
            "ssm.CreateDocument" => {
                let name = text("Name");
                self.documents.push((name.clone(), vec![text("Content")], 1));
                (200, json!({"DocumentDescription": {"Name": name, "DocumentVersion": "1"}}))
            }
            "ssm.UpdateDocument" => {
                let name = text("Name");
                let content = text("Content");
                let Some((_, versions, _)) = self.documents.iter_mut().find(|(n, ..)| *n == name)
                else {
                    return error("InvalidDocument", "no such document");
                };
                if versions.last() == Some(&content) {
                    return error(
                        "DuplicateDocumentContent",
                        "The content of the association document matches another document.",
                    );
                }
                versions.push(content);
                let version = versions.len().to_string();
                (200, json!({"DocumentDescription": {"Name": name, "DocumentVersion": version}}))
            }
            "ssm.UpdateDocumentDefaultVersion" => {
                let name = text("Name");
                let version: usize = text("DocumentVersion").parse().unwrap_or(0);
                let Some((_, versions, default)) =
                    self.documents.iter_mut().find(|(n, ..)| *n == name)
                else {
                    return error("InvalidDocument", "no such document");
                };
                if version == 0 || version > versions.len() {
                    return error("InvalidDocumentVersion", "no such version");
                }
                *default = version;
                (200, json!({"Description": {"Name": name, "DefaultVersion": version.to_string()}}))
            }
            "ssm.StartAutomationExecution" => {
                if self.to_start.is_empty() {
                    return error("InternalServerError", "the script starts no more executions");
                }
                let (id, script) = self.to_start.remove(0);
                self.executions.push((id.clone(), Execution { script, next: 0, current: None }));
                (200, json!({"AutomationExecutionId": id}))
            }
            "ssm.GetAutomationExecution" => {
                let id = text("AutomationExecutionId");
                let Some((_, execution)) = self.executions.iter_mut().find(|(i, _)| *i == id)
                else {
                    return error(
                        "AutomationExecutionNotFoundException",
                        &format!("Automation execution {id} not found"),
                    );
                };
                let states = &execution.script.states;
                let state = states[execution.next.min(states.len() - 1)].clone();
                execution.next += 1;
                match state {
                    State::Throttle => error("ThrottlingException", "Rate exceeded"),
                    State::Record { execution: mut record, steps } => {
                        record["AutomationExecutionId"] = json!(id);
                        execution.current = Some((record.clone(), steps));
                        (200, json!({"AutomationExecution": record}))
                    }
                }
            }
            "ssm.DescribeAutomationStepExecutions" => {
                let id = text("AutomationExecutionId");
                let Some((_, execution)) = self.executions.iter().find(|(i, _)| *i == id) else {
                    return error("AutomationExecutionNotFoundException", "not found");
                };
                let steps =
                    execution.current.as_ref().map(|(_, steps)| steps.clone()).unwrap_or_default();
                // Two pages, so that the client follows NextToken.
                let half = steps.len() / 2;
                if params.get("NextToken").is_some() {
                    (200, json!({"StepExecutions": steps[half..]}))
                } else if half > 0 {
                    (200, json!({"StepExecutions": steps[..half], "NextToken": "page-2"}))
                } else {
                    (200, json!({"StepExecutions": steps}))
                }
            }
            "ssm.StopAutomationExecution" => {
                let id = text("AutomationExecutionId");
                let Some((_, execution)) = self.executions.iter_mut().find(|(i, _)| *i == id)
                else {
                    return error("AutomationExecutionNotFoundException", "not found");
                };
                if let Some(states) = execution.script.on_stop.take() {
                    execution.script.states = states;
                    execution.next = 0;
                }
                (200, json!({}))
            }
            other => error(
                "UnknownOperationException",
                &format!("the scripted endpoint does not answer {other}"),
            ),
        }
    }
}
