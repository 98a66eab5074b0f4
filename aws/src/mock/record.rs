//! Recording a run as a mock file (`runbook run --record FILE`): every AWS call the run made,
//! with its answer, and every approval decision, written so that `--mocks FILE` replays the run
//! on the same path.
//!
//! [`Recorder::backend`] puts the recorder in front of a run's AWS backend, whatever that
//! backend is (mocks, placeholders, an emulator or AWS), so the runbook's steps, its scripts'
//! calls, Parameter Store reads and child runbooks are all recorded in the order they are made.
//! On a real run a script's botocore reaches AWS itself; the calls it reports once made come
//! to [`AwsBackend::observe`] and are recorded the same way. [`Recorder::mock_file`] turns the
//! calls into rules:
//! - a rule has a call's service, API and every parameter it was made with, except the
//!   parameters that hold the date of the run (`{{ global:DATE }}`, `{{ global:DATE_TIME }}` in
//!   an image's name), which a replay on another day would change; calls with the same
//!   parameters share a rule whose answers, in the order they were given, are a `sequence` (a
//!   wait's polling), cut after the last change since a sequence's last answer repeats; a
//!   call made at a location (a child of a run over target locations) gives a rule with its
//!   `account` and `region`;
//! - rules in the order their call was first made, except that a rule whose parameters a later
//!   call's also fit (a call with no parameters, then the same API with some) moves after that
//!   call's rule, since the first rule that matches answers;
//! - errors as `error` answers with their code, message and HTTP status;
//! - approval decisions under `approvals`, and the source file's script stand-ins under
//!   `scripts`, so that the replay makes the same decisions and stands in for the same scripts.
//!
//! ```
//! use std::{path::Path, sync::Arc};
//! use runbook_aws::mock::record::Recorder;
//! use runbook_aws::mock::{MockAws, MockFile};
//! use runbook_engine::host::{ApiRequest, AwsBackend};
//! use serde_json::json;
//!
//! let file = MockFile::parse(Path::new("m.yaml"), "aws:\n  - {service: ec2, api: StopInstances, returns: {}}\n")?;
//! let recorder = Arc::new(Recorder::new());
//! let aws = recorder.backend(Arc::new(MockAws::new(Arc::new(file))), None);
//! let stop = ApiRequest::new("ec2", "StopInstances", json!({"InstanceIds": ["i-1"]}));
//! tokio::runtime::Builder::new_current_thread().build()?.block_on(aws.call(stop))?;
//! assert_eq!(
//!     recorder.to_yaml(),
//!     "aws:\n  - service: ec2\n    api: StopInstances\n    params:\n      InstanceIds:\n        - i-1\n    returns: {}\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use indexmap::IndexMap;
use runbook_engine::execute::Host;
use runbook_engine::host::{
    ApiError, ApiRequest, ApprovalRequest, Approver, AwsBackend, AwsParameterStore, BoxFuture,
    Clock, Decision, Location, RoleCredentials,
};
use serde_json::{Map, Value, json};

mod rules;
mod yaml;

use super::{ScriptStandIn, StandInResult};
use rules::{Rule, rules};
use yaml::yaml_map;

/// One call and its answer, as made.
#[derive(Clone, Debug)]
struct Call {
    request: ApiRequest,
    answer: Result<Value, ApiError>,
}

#[derive(Debug, Default)]
struct Recording {
    calls: Vec<Call>,
    approvals: IndexMap<String, Decision>,
}

/// Records the AWS calls and approval decisions of a run, through the backend and the approver
/// it wraps ([`backend`](Self::backend), [`approver`](Self::approver), or both at once with
/// [`attach`](Self::attach)), and writes them as a mock file.
#[derive(Default)]
pub struct Recorder {
    recording: Mutex<Recording>,
    scripts: IndexMap<String, ScriptStandIn>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("calls", &self.calls()).finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also writes these script stand-ins (a mock file's `scripts`), which the run uses in
    /// place of the scripts they name.
    #[must_use]
    pub fn with_stand_ins(mut self, scripts: IndexMap<String, ScriptStandIn>) -> Self {
        self.scripts = scripts;
        self
    }

    /// A backend that passes each call on to `inner` and records it with its answer; `clock`
    /// (the run's) tells the run's date, which recorded parameters leave out.
    pub fn backend(
        self: &Arc<Self>,
        inner: Arc<dyn AwsBackend>,
        clock: Option<Arc<dyn Clock>>,
    ) -> Arc<dyn AwsBackend> {
        Arc::new(RecordingAws { inner, clock, recorder: Arc::clone(self) })
    }

    /// An approver that decides as `inner` does and records each decision by step.
    pub fn approver(self: &Arc<Self>, inner: Arc<dyn Approver>) -> Arc<dyn Approver> {
        Arc::new(RecordingApprover { inner, recorder: Arc::clone(self) })
    }

    /// `host`, with its AWS calls (Parameter Store reads included) and its approval decisions
    /// recorded.
    pub fn attach(self: &Arc<Self>, mut host: Host) -> Host {
        let aws = self.backend(host.aws.clone(), Some(host.clock.clone()));
        host.parameter_store = Arc::new(AwsParameterStore::new(aws.clone()));
        host.aws = aws;
        host.approver = self.approver(host.approver);
        host
    }

    /// How many calls were recorded.
    pub fn calls(&self) -> usize {
        self.lock().calls.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.recording.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The recording as a mock file's tree: `aws` rules, then `approvals` and `scripts` when
    /// there are any.
    pub fn mock_file(&self) -> Value {
        let recording = self.lock();
        let mut file = Map::new();
        let rules: Vec<Value> = rules(&recording.calls).iter().map(Rule::to_json).collect();
        file.insert("aws".into(), Value::Array(rules));
        if !recording.approvals.is_empty() {
            let approvals = recording
                .approvals
                .iter()
                .map(|(step, decision)| {
                    let mut entry = Map::new();
                    let name = if decision.approve { "Approve" } else { "Reject" };
                    entry.insert("decision".into(), json!(name));
                    entry.insert("approver".into(), json!(decision.approver));
                    if let Some(comment) = &decision.comment {
                        entry.insert("comment".into(), json!(comment));
                    }
                    (step.clone(), Value::Object(entry))
                })
                .collect();
            file.insert("approvals".into(), Value::Object(approvals));
        }
        if !self.scripts.is_empty() {
            let scripts = self
                .scripts
                .iter()
                .map(|(step, stand_in)| {
                    let entry = match &stand_in.result {
                        StandInResult::Returns(value) => json!({"returns": value}),
                        StandInResult::Rhai(script) => json!({"rhai": script.source}),
                        StandInResult::Error(message) => json!({"error": message}),
                    };
                    (step.clone(), entry)
                })
                .collect();
            file.insert("scripts".into(), Value::Object(scripts));
        }
        Value::Object(file)
    }

    /// The recording as a YAML mock file.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        yaml_map(&mut out, self.mock_file().as_object().map(|map| map.iter()), 0);
        out
    }

    /// The recording as a JSON mock file.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.mock_file()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the recording to `path`: JSON when its name ends in `.json`, YAML otherwise (the
    /// formats [`MockFile::load`](super::MockFile::load) reads).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let is_json = path.extension().is_some_and(|extension| extension == "json");
        std::fs::write(path, if is_json { self.to_json() } else { self.to_yaml() })
    }
}

/// The entries of `map` as YAML in block style, each line indented by `indent` spaces, written
/// as mock files are, so that files which embed mocks (test files) read the same.
pub fn yaml_block(map: &Map<String, Value>, indent: usize) -> String {
    let mut out = String::new();
    yaml_map(&mut out, Some(map.iter()), indent);
    out
}

/// The backend of [`Recorder::backend`].
struct RecordingAws {
    inner: Arc<dyn AwsBackend>,
    clock: Option<Arc<dyn Clock>>,
    recorder: Arc<Recorder>,
}

impl RecordingAws {
    fn keep(&self, mut request: ApiRequest, answer: Result<Value, ApiError>) {
        if let Some(clock) = &self.clock {
            let today = clock.now().strftime("%Y-%m-%d").to_string();
            without_text(&mut request.params, &today);
        }
        self.recorder.lock().calls.push(Call { request, answer });
    }
}

impl AwsBackend for RecordingAws {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(async move {
            let answer = self.inner.call(request.clone()).await;
            self.keep(request, answer.clone());
            answer
        })
    }

    /// A call a script made to AWS itself is recorded as if it had come through.
    fn observe(&self, request: &ApiRequest, answer: &Result<Value, ApiError>) {
        self.inner.observe(request, answer);
        self.keep(request.clone(), answer.clone());
    }

    fn credentials_at(
        &self,
        location: &Location,
    ) -> BoxFuture<'_, Result<Option<RoleCredentials>, ApiError>> {
        self.inner.credentials_at(location)
    }
}

/// The approver of [`Recorder::approver`].
struct RecordingApprover {
    inner: Arc<dyn Approver>,
    recorder: Arc<Recorder>,
}

impl Approver for RecordingApprover {
    fn decide(&self, request: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>> {
        let decision = self.inner.decide(request);
        let step = request.step.clone();
        Box::pin(async move {
            let decision = decision.await;
            if let Some(decision) = &decision {
                self.recorder.lock().approvals.insert(step, decision.clone());
            }
            decision
        })
    }
}

/// Removes from the maps in `params` every member that holds `text` (in a string, or in a
/// string of a list).
fn without_text(params: &mut Value, text: &str) {
    let holds = |value: &Value| match value {
        Value::String(value) => value.contains(text),
        Value::Array(items) => {
            items.iter().any(|item| item.as_str().is_some_and(|item| item.contains(text)))
        }
        _ => false,
    };
    match params {
        Value::Object(map) => {
            map.retain(|_, value| !holds(value));
            map.values_mut().for_each(|value| without_text(value, text));
        }
        Value::Array(items) => items.iter_mut().for_each(|item| without_text(item, text)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::mock::{MockAws, MockFile};

    /// Answers each API from a fixed list, in turn, the last one repeating.
    struct Scripted(Mutex<IndexMap<String, Vec<Result<Value, ApiError>>>>);

    impl AwsBackend for Scripted {
        fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
            let mut answers = self.0.lock().unwrap();
            let key = format!("{} {}", request.api, request.params);
            let list = answers.get_mut(&key).unwrap_or_else(|| panic!("unexpected {key}"));
            let answer = if list.len() > 1 { list.remove(0) } else { list[0].clone() };
            Box::pin(async move { answer })
        }
    }

    type Answers = Vec<Result<Value, ApiError>>;

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    /// Records `calls` answered by `answers`, then replays them on the written file (in
    /// `format`) and checks each call gets the answer it got first.
    fn round_trip(
        answers: &[(&str, Value, Answers)],
        calls: &[(&str, Value)],
        json: bool,
    ) -> String {
        let scripted = answers
            .iter()
            .map(|(api, params, list)| (format!("{api} {params}"), list.clone()))
            .collect();
        let recorder = Arc::new(Recorder::new());
        let aws = recorder.backend(Arc::new(Scripted(Mutex::new(scripted))), None);
        let request = |(api, params): &(&str, Value)| ApiRequest::new("ec2", *api, params.clone());
        let first: Vec<_> = calls.iter().map(|call| block_on(aws.call(request(call)))).collect();
        assert_eq!(recorder.calls(), calls.len());
        let (text, name) = if json {
            (recorder.to_json(), "recorded.json")
        } else {
            (recorder.to_yaml(), "recorded.yaml")
        };
        let file = MockFile::parse(Path::new(name), &text)
            .unwrap_or_else(|error| panic!("{error}\n{text}"));
        let replay = MockAws::new(Arc::new(file));
        for (call, first) in calls.iter().zip(&first) {
            assert_eq!(&replay.answer(&request(call)), first, "{call:?}\n{text}");
        }
        assert!(replay.unused_rules().is_empty(), "{text}");
        text
    }

    /// Answers every call with a function of it.
    struct Answering(fn(&ApiRequest) -> Result<Value, ApiError>);

    impl AwsBackend for Answering {
        fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
            let answer = (self.0)(&request);
            Box::pin(async move { answer })
        }
    }

    #[test]
    fn calls_at_locations_are_recorded_with_their_account_and_region() {
        let recorder = Arc::new(Recorder::new());
        let answer = |request: &ApiRequest| {
            let region = request.location.as_ref().map_or("home", |at| at.region.as_str());
            Ok(json!({"Vpcs": [{"VpcId": format!("vpc-{region}")}]}))
        };
        let inner = Arc::new(Answering(answer));
        let aws = recorder.backend(inner, None);
        let at = |region: &str| runbook_engine::host::Location {
            account: "111111111111".into(),
            region: region.into(),
            role_name: "R".into(),
        };
        let calls = [None, Some(at("eu-west-1")), Some(at("us-west-2"))];
        let request = |at: &Option<runbook_engine::host::Location>| {
            ApiRequest::new("ec2", "DescribeVpcs", json!({})).with_location(at.clone())
        };
        let first: Vec<_> = calls.iter().map(|at| block_on(aws.call(request(at)))).collect();
        let text = recorder.to_yaml();
        assert!(text.contains("account: \"111111111111\""), "{text}");
        let replay = MockAws::new(Arc::new(MockFile::parse(Path::new("r.yaml"), &text).unwrap()));
        for (at, first) in calls.iter().zip(&first) {
            assert_eq!(&replay.answer(&request(at)), first, "{at:?}\n{text}");
        }
        assert!(replay.unused_rules().is_empty(), "{text}");
    }

    fn state(name: &str) -> Value {
        json!({"InstanceStatuses": [{"InstanceState": {"Name": name}}]})
    }

    #[test]
    fn calls_made_around_the_backend_are_recorded_in_order_with_the_others() {
        let recorder = Arc::new(Recorder::new());
        let answers = [("DescribeImages {}".to_string(), vec![Ok(json!({"Images": []}))])];
        let aws =
            recorder.backend(Arc::new(Scripted(Mutex::new(answers.into_iter().collect()))), None);
        let get = ApiRequest::new("ssm", "GetParameter", json!({"Name": "/a"}));
        aws.observe(&get, &Ok(json!({"Parameter": {"Value": "v"}})));
        block_on(aws.call(ApiRequest::new("ec2", "DescribeImages", json!({})))).unwrap();
        let missing = ApiRequest::new("ssm", "GetParameter", json!({"Name": "/b"}));
        aws.observe(&missing, &Err(ApiError::new("ParameterNotFound", "no /b").with_status(400)));
        assert_eq!(recorder.calls(), 3);
        let text = recorder.to_yaml();
        let replay = MockAws::new(Arc::new(MockFile::parse(Path::new("r.yaml"), &text).unwrap()));
        assert_eq!(replay.answer(&get), Ok(json!({"Parameter": {"Value": "v"}})), "{text}");
        assert_eq!(
            replay.answer(&missing),
            Err(ApiError::new("ParameterNotFound", "no /b").with_status(400)),
            "{text}"
        );
        let apis: Vec<&str> = text.lines().filter(|line| line.contains("api:")).collect();
        assert_eq!(
            apis,
            ["    api: GetParameter", "    api: DescribeImages", "    api: GetParameter"],
            "{text}"
        );
    }

    #[test]
    fn polling_becomes_a_sequence_cut_after_the_last_change() {
        let ids = json!({"InstanceIds": ["i-1"]});
        let answers = vec![Ok(state("pending")), Ok(state("pending")), Ok(state("running"))];
        let calls = vec![("DescribeInstanceStatus", ids.clone()); 5];
        let text = round_trip(&[("DescribeInstanceStatus", ids, answers)], &calls, false);
        assert_eq!(text.matches("returns:").count(), 3, "{text}");
        assert!(text.contains("    sequence:\n      - returns:\n"), "{text}");
    }

    #[test]
    fn the_same_answer_every_time_is_one_answer() {
        let calls = vec![("DescribeImages", json!({})); 3];
        let text = round_trip(
            &[("DescribeImages", json!({}), vec![Ok(json!({"Images": []}))])],
            &calls,
            false,
        );
        assert_eq!(
            text,
            "aws:\n  - service: ec2\n    api: DescribeImages\n    returns:\n      Images: []\n"
        );
    }

    #[test]
    fn a_rule_that_would_answer_a_later_call_moves_after_its_rule() {
        let all = json!({});
        let one = json!({"InstanceIds": ["i-1"]});
        let filtered = json!({"InstanceIds": ["i-1"], "Filters": [{"Name": "a"}]});
        let text = round_trip(
            &[
                ("DescribeInstances", all.clone(), vec![Ok(json!({"Reservations": []}))]),
                ("DescribeInstances", one.clone(), vec![Ok(json!({"NextToken": "one"}))]),
                ("DescribeInstances", filtered.clone(), vec![Ok(json!({"NextToken": "two"}))]),
            ],
            &[
                ("DescribeInstances", all.clone()),
                ("DescribeInstances", one.clone()),
                ("DescribeInstances", filtered),
                ("DescribeInstances", one),
                ("DescribeInstances", all),
            ],
            false,
        );
        let order: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("NextToken") || line.contains("Reservations"))
            .collect();
        assert_eq!(
            order,
            ["      NextToken: two", "      NextToken: one", "      Reservations: []"]
        );
    }

    #[test]
    fn errors_keep_their_code_message_and_status() {
        let throttled = ApiError::new("ThrottlingException", "Rate exceeded").with_status(400);
        let gone = ApiError::new("InvalidInstanceID.NotFound", "");
        let ids = json!({"InstanceIds": ["i-1"]});
        let text = round_trip(
            &[
                (
                    "StopInstances",
                    ids.clone(),
                    vec![Err(throttled), Ok(json!({"StoppingInstances": []}))],
                ),
                ("RebootInstances", ids.clone(), vec![Err(gone)]),
            ],
            &[
                ("StopInstances", ids.clone()),
                ("StopInstances", ids.clone()),
                ("RebootInstances", ids),
            ],
            true,
        );
        assert!(text.contains("\"status\": 400"), "{text}");
    }

    #[test]
    fn any_text_reads_back_as_itself() {
        let texts = [
            "plain",
            "",
            " lead",
            "yes",
            "No",
            "ON",
            "null",
            "~",
            "123",
            "1.5",
            "0x1F",
            "1e3",
            "2026-01-01T00:00:00Z",
            "a: b",
            "a:",
            "k #c",
            "#c",
            "-",
            "- a",
            "? q",
            "*alias",
            "&anchor",
            "!tag",
            "|",
            ">",
            "'q'",
            "\"q\"",
            "[a]",
            "{a}",
            "line\nbreak\n",
            "tab\t",
            "\u{1}",
            "é ü",
            "😀",
            "\u{2028}",
            "\u{85}",
            "arn:aws:iam::123456789012:role/x",
            "%x",
            "@at",
            "`tick`",
            ".inf",
            "NaN",
            "i-0abc",
            "/path/name",
            "a,b",
            "go ahead",
            "a #b",
            "a  b",
            "end ",
            "a - b",
            "a: b: c",
            "yes no",
        ];
        let response: Map<String, Value> = texts
            .iter()
            .enumerate()
            .map(|(index, text)| (format!("k{index}"), json!(text)))
            .chain(texts.iter().map(|text| ((*text).to_string(), json!(1))))
            .collect();
        let response = Value::Object(response);
        let nested = json!({"a": [[1, [2, {}]], [], {"b": [{"c": null, "d": [true, 1.25, -3]}]}],
            "e": {"f": {}}, "big": 12_345_678_901_234_567_u64, "small": 1.0e-7, "neg": -0.5});
        round_trip(
            &[
                ("DescribeTags", json!({"Key": "x"}), vec![Ok(response.clone())]),
                ("DescribeTags", json!({"Key": "y"}), vec![Ok(nested.clone())]),
            ],
            &[("DescribeTags", json!({"Key": "x"})), ("DescribeTags", json!({"Key": "y"}))],
            false,
        );
    }

    #[test]
    fn approvals_and_stand_ins_are_written() {
        struct Approve;
        impl Approver for Approve {
            fn decide(&self, _: &ApprovalRequest) -> BoxFuture<'_, Option<Decision>> {
                Box::pin(async {
                    Some(Decision {
                        approve: false,
                        approver: "ops".into(),
                        comment: Some("no".into()),
                    })
                })
            }
        }
        let mocks = MockFile::parse(
            Path::new("m.yaml"),
            "scripts:\n  a: {returns: {x: 1}}\n  b: {rhai: 'events.n + 1'}\n  c: {error: boom}\n",
        )
        .unwrap();
        let recorder = Arc::new(Recorder::new().with_stand_ins(mocks.scripts.clone()));
        let clock = Arc::new(runbook_engine::host::VirtualClock::new(jiff::Timestamp::UNIX_EPOCH));
        let host = Host::new(Arc::new(MockAws::new(Arc::new(mocks))), clock)
            .with_approver(Arc::new(Approve));
        let host = Recorder::attach(&recorder, host);
        let request = ApprovalRequest {
            execution_id: "e-1".into(),
            step: "gate".into(),
            kind: runbook_engine::host::WaitKind::Approval,
            approvers: Vec::new(),
            message: None,
            min_required_approvals: 1,
        };
        assert!(block_on(host.approver.decide(&request)).is_some());
        let answer = block_on(host.parameter_store.get("/name"));
        assert!(answer.is_err());
        assert_eq!(recorder.calls(), 1, "Parameter Store is read through the recorder");
        let text = recorder.to_yaml();
        let file =
            MockFile::parse(Path::new("r.yaml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let approval = &file.approvals["gate"];
        assert_eq!(approval.decision, crate::mock::ApprovalDecision::Reject);
        assert_eq!(
            (approval.approver.as_deref(), approval.comment.as_deref()),
            (Some("ops"), Some("no"))
        );
        assert_eq!(file.stand_in_result("a", &json!({})), Some(Ok(json!({"x": 1}))));
        assert_eq!(file.stand_in_result("b", &json!({"n": 1})), Some(Ok(json!(2))));
        assert_eq!(file.stand_in_result("c", &json!({})), Some(Err("boom".into())));
        assert_eq!(file.aws[0].api, "GetParameter");
    }

    #[test]
    fn parameters_holding_the_run_date_are_left_out() {
        let mocks = MockFile::parse(
            Path::new("m.yaml"),
            "aws:\n  - {service: ec2, api: CreateImage, returns: {ImageId: ami-1}}\n",
        )
        .unwrap();
        let aws = Arc::new(MockAws::new(Arc::new(mocks)));
        let recorder = Arc::new(Recorder::new());
        let start = "2026-01-02T03:04:05Z".parse().unwrap();
        let clock = Arc::new(runbook_engine::host::VirtualClock::new(start));
        let host = Recorder::attach(&recorder, Host::new(aws, clock));
        let params = json!({"InstanceId": "i-1", "Name": "image-2026-01-02_03.04.05",
            "TagSpecifications": [{"Tags": [{"Key": "Day", "Value": "2026-01-02"}], "ResourceType": "image"}],
            "Names": ["x", "on 2026-01-02"]});
        block_on(host.aws.call(ApiRequest::new("ec2", "CreateImage", params))).unwrap();
        let file = recorder.mock_file();
        assert_eq!(
            file["aws"][0]["params"],
            json!({"InstanceId": "i-1", "TagSpecifications": [{"Tags": [{"Key": "Day"}], "ResourceType": "image"}]})
        );
    }
}
