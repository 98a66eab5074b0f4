//! The AWS calls a Python script makes on a run that uses mocks, handed to the run through
//! `ScriptCalls`: answers parsed as botocore parses them, errors as `ClientError`, paginators,
//! waiters on the run's clock, calls from threads, and calls nothing answers. And on a real run
//! that records its calls, the calls botocore made itself, reported with their answers.
//!
//! These tests need `python3` with boto3 on `PATH` and fail with a message saying so when it is
//! missing.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use runbook_actions::script::{MOCK_AWS_ENV, PythonRunner};
use runbook_engine::host::{
    ApiError, BoxFuture, Clock, ScriptCalls, ScriptError, ScriptOutput, ScriptRequest,
    ScriptRunner, VirtualClock, virtual_runtime,
};
use serde_json::{Value, json};

type Answer = Box<dyn Fn(&str, &Value, usize) -> Result<Value, ApiError> + Send + Sync>;

/// Answers each call with `answer(service.api, params, calls of that API so far)`, recording
/// the calls and waiting on the run's clock.
struct Scripted {
    answer: Answer,
    calls: Mutex<Vec<(String, Value)>>,
    slept: Mutex<Vec<Duration>>,
    observed: Mutex<Vec<Report>>,
}

/// A call the script reported: `service.api`, its params and its answer.
type Report = (String, Value, Result<Value, ApiError>);

impl Scripted {
    fn new(
        answer: impl Fn(&str, &Value, usize) -> Result<Value, ApiError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            answer: Box::new(answer),
            calls: Mutex::new(Vec::new()),
            slept: Mutex::new(Vec::new()),
            observed: Mutex::new(Vec::new()),
        }
    }

    fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().unwrap().clone()
    }
}

impl ScriptCalls for Scripted {
    fn call<'a>(
        &'a self,
        service: &'a str,
        api: &'a str,
        params: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        let name = format!("{service}.{api}");
        let mut calls = self.calls.lock().unwrap();
        let earlier = calls.iter().filter(|(call, _)| *call == name).count();
        calls.push((name.clone(), params.clone()));
        let answer = (self.answer)(&name, &params, earlier);
        Box::pin(async move { answer })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.slept.lock().unwrap().push(duration);
        VirtualClock::new(jiff::Timestamp::UNIX_EPOCH).sleep(duration)
    }

    fn observed(&self, service: &str, api: &str, params: Value, answer: Result<Value, ApiError>) {
        self.observed.lock().unwrap().push((format!("{service}.{api}"), params, answer));
    }
}

fn runner() -> PythonRunner {
    support::assert_boto3();
    PythonRunner::new(None)
}

fn request(runner: &PythonRunner, script: &str) -> ScriptRequest {
    let version = runner.version().expect("python3 reports its version");
    ScriptRequest {
        step: "inspect".to_string(),
        runtime: format!("python{}.{}", version.major, version.minor),
        handler: Some("h".to_string()),
        script: Some(script.to_string()),
        attachment: None,
        input_payload: json!({}),
        timeout: Duration::from_secs(60),
        env: vec![
            (MOCK_AWS_ENV.to_string(), "mock".to_string()),
            ("AWS_REGION".to_string(), "eu-west-1".to_string()),
        ],
    }
}

/// Runs `script` on virtual time with `calls` answering; also says how much virtual time passed.
fn run(script: &str, calls: &Scripted) -> (Result<ScriptOutput, ScriptError>, Duration) {
    let runner = runner();
    let request = request(&runner, script);
    let runtime = virtual_runtime().expect("a runtime");
    runtime.block_on(async {
        let clock = VirtualClock::new(jiff::Timestamp::UNIX_EPOCH);
        let outcome = runner.run(request, calls).await;
        (outcome, clock.elapsed())
    })
}

fn payload(outcome: Result<ScriptOutput, ScriptError>) -> Value {
    match outcome {
        Ok(output) => output.payload,
        Err(error) => panic!("the script failed: {}", error.message),
    }
}

#[test]
fn a_call_is_answered_by_the_run_and_parsed_as_botocore_parses_it() {
    let calls = Scripted::new(|_, _, _| {
        Ok(json!({
            "Reservations": [{"Instances": [{
                "InstanceId": "i-0abc",
                "LaunchTime": "2026-03-01T12:30:00Z",
                "State": {"Name": "running"}
            }]}]
        }))
    });
    let script = r#"
import datetime
import boto3

def h(events, context):
    ec2 = boto3.client("ec2")
    answer = ec2.describe_instances(
        InstanceIds=["i-0abc"],
        Filters=[{"Name": "launch-time", "Values": [datetime.datetime(2026, 3, 1).isoformat()]}],
    )
    instance = answer["Reservations"][0]["Instances"][0]
    return {
        "id": instance["InstanceId"],
        "launch_is_datetime": isinstance(instance["LaunchTime"], datetime.datetime),
        "launch_year": instance["LaunchTime"].year,
        "launch_utc": instance["LaunchTime"].utcoffset() == datetime.timedelta(0),
        "status": answer["ResponseMetadata"]["HTTPStatusCode"],
        "region": ec2.meta.region_name,
    }
"#;
    let (outcome, _) = run(script, &calls);
    assert_eq!(
        payload(outcome),
        json!({
            "id": "i-0abc",
            "launch_is_datetime": true,
            "launch_year": 2026,
            "launch_utc": true,
            "status": 200,
            "region": "eu-west-1",
        })
    );
    assert_eq!(
        calls.calls(),
        [(
            "ec2.DescribeInstances".to_string(),
            json!({
                "InstanceIds": ["i-0abc"],
                "Filters": [{"Name": "launch-time", "Values": ["2026-03-01T00:00:00"]}]
            })
        )]
    );
}

#[test]
fn parameters_botocore_takes_as_objects_reach_the_run_as_json() {
    let calls = Scripted::new(|_, _, _| Ok(json!({})));
    let script = r#"
import datetime
import boto3

def h(events, context):
    boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/EC2", MetricName="CPUUtilization",
        StartTime=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        EndTime=datetime.datetime(2026, 1, 2, 4, 4, 5, tzinfo=datetime.timezone.utc),
        Period=60, Statistics=("Average",))
    boto3.client("kms").encrypt(KeyId="alias/k", Plaintext=b"hi")
    return "done"
"#;
    let (outcome, _) = run(script, &calls);
    assert_eq!(payload(outcome), json!("done"));
    let made = calls.calls();
    assert_eq!(made[0].0, "cloudwatch.GetMetricStatistics");
    assert_eq!(made[0].1["StartTime"], json!("2026-01-02T03:04:05+00:00"));
    assert_eq!(made[0].1["Statistics"], json!(["Average"]));
    assert_eq!(
        made[1],
        ("kms.Encrypt".to_string(), json!({"KeyId": "alias/k", "Plaintext": "aGk="}))
    );
}

#[test]
fn a_streaming_body_reads_as_botocore_gives_it_and_a_file_body_stays_readable() {
    let calls = Scripted::new(|name, _, _| match name {
        "s3.GetObject" => Ok(json!({"Body": "aGVsbG8=", "ContentLength": 5})),
        _ => Ok(json!({})),
    });
    let script = r#"
import io
import boto3

def h(events, context):
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket="b", Key="k")["Body"]
    upload = io.BytesIO(b"hi")
    s3.put_object(Bucket="b", Key="k", Body=upload)
    return {"read": body.read().decode(), "left": upload.read().decode()}
"#;
    let (outcome, _) = run(script, &calls);
    assert_eq!(payload(outcome), json!({"read": "hello", "left": "hi"}));
    let made = calls.calls();
    assert_eq!(
        made[1],
        ("s3.PutObject".to_string(), json!({"Bucket": "b", "Key": "k", "Body": "aGk="}))
    );
}

#[test]
fn on_a_recorded_real_run_botocore_makes_the_calls_and_reports_each_with_its_answer() {
    // botocore's Stubber answers in place of AWS, behind `_make_api_call` as AWS would.
    let calls = Scripted::new(|name, _, _| panic!("{name} must not be answered by the run"));
    let script = r#"
import datetime
import boto3
from botocore.stub import Stubber
from botocore.exceptions import ClientError

def h(events, context):
    ssm = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="a",
                       aws_secret_access_key="s")
    with Stubber(ssm) as stub:
        when = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.timezone.utc)
        stub.add_response("get_parameter",
            {"Parameter": {"Name": "/a", "Value": "v", "LastModifiedDate": when}}, {"Name": "/a"})
        stub.add_client_error("get_parameter", "ParameterNotFound", "no /b", 400, expected_params={"Name": "/b"})
        value = ssm.get_parameter(Name="/a")["Parameter"]["Value"]
        try:
            ssm.get_parameter(Name="/b")
            code = None
        except ClientError as error:
            code = error.response["Error"]["Code"]
    return {"value": value, "code": code}
"#;
    let runner = runner();
    let mut request = request(&runner, script);
    request.env[0].1 = runbook_actions::script::OBSERVE_AWS.to_string();
    let runtime = virtual_runtime().expect("a runtime");
    let outcome = runtime.block_on(runner.run(request, &calls));
    assert_eq!(payload(outcome), json!({"value": "v", "code": "ParameterNotFound"}));
    assert!(calls.calls().is_empty());
    let observed = calls.observed.lock().unwrap().clone();
    assert_eq!(observed.len(), 2, "{observed:?}");
    assert_eq!(observed[0].0, "ssm.GetParameter");
    assert_eq!(observed[0].1, json!({"Name": "/a"}));
    let parameter = &observed[0].2.as_ref().expect("an answer")["Parameter"];
    assert_eq!(parameter["LastModifiedDate"], "2026-03-01T12:30:00+00:00");
    assert_eq!(parameter["Value"], "v");
    assert_eq!(observed[1].1, json!({"Name": "/b"}));
    assert_eq!(observed[1].2, Err(ApiError::new("ParameterNotFound", "no /b").with_status(400)));
}

#[test]
fn an_api_error_reaches_the_script_as_a_client_error_with_its_code() {
    let calls = Scripted::new(|name, _, _| match name {
        "ssm.GetParameter" => {
            Err(ApiError::new("ParameterNotFound", "no such parameter /app/x").with_status(400))
        }
        _ => {
            Err(ApiError::new("InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist"))
        }
    });
    let script = r#"
import boto3
from botocore.exceptions import ClientError

def h(events, context):
    seen = {}
    ssm = boto3.client("ssm")
    try:
        ssm.get_parameter(Name="/app/x")
    except ssm.exceptions.ParameterNotFound as e:
        seen["modeled"] = [e.response["Error"]["Code"], e.response["Error"]["Message"],
                           e.response["ResponseMetadata"]["HTTPStatusCode"], isinstance(e, ClientError)]
    try:
        boto3.client("ec2").stop_instances(InstanceIds=["i-1"])
    except ClientError as e:
        seen["plain"] = [e.response["Error"]["Code"], e.operation_name, str(e)]
    return seen
"#;
    let (outcome, _) = run(script, &calls);
    assert_eq!(
        payload(outcome),
        json!({
            "modeled": ["ParameterNotFound", "no such parameter /app/x", 400, true],
            "plain": [
                "InvalidInstanceID.NotFound",
                "StopInstances",
                "An error occurred (InvalidInstanceID.NotFound) when calling the StopInstances \
                 operation: The instance ID 'i-1' does not exist"
            ],
        })
    );
}

#[test]
fn an_uncaught_client_error_fails_the_step_as_the_service_shows_it() {
    let calls = Scripted::new(|_, _, _| Err(ApiError::new("UnauthorizedOperation", "not allowed")));
    let script =
        "import boto3\n\ndef h(events, context):\n    boto3.client('ec2').describe_vpcs()\n";
    let (outcome, _) = run(script, &calls);
    let error = outcome.expect_err("the script raises");
    assert!(
        error.message.ends_with(
            "ClientError - An error occurred (UnauthorizedOperation) when calling the \
             DescribeVpcs operation: not allowed"
        ),
        "{}",
        error.message
    );
}

#[test]
fn a_paginator_goes_through_every_page() {
    let calls = Scripted::new(|_, params, _| {
        Ok(match params.get("NextToken").and_then(Value::as_str) {
            None => json!({"Parameters": [{"Name": "/a"}, {"Name": "/b"}], "NextToken": "t1"}),
            Some("t1") => json!({"Parameters": [{"Name": "/c"}], "NextToken": "t2"}),
            Some(_) => json!({"Parameters": [{"Name": "/d"}]}),
        })
    });
    let script = r#"
import boto3

def h(events, context):
    pages = boto3.client("ssm").get_paginator("describe_parameters").paginate(MaxResults=2)
    return [p["Name"] for page in pages for p in page["Parameters"]]
"#;
    let (outcome, _) = run(script, &calls);
    assert_eq!(payload(outcome), json!(["/a", "/b", "/c", "/d"]));
    let tokens: Vec<Value> =
        calls.calls().iter().map(|(_, params)| params["NextToken"].clone()).collect();
    assert_eq!(tokens, [Value::Null, json!("t1"), json!("t2")]);
}

#[test]
fn a_waiter_polls_and_waits_on_the_run_s_clock() {
    let calls = Scripted::new(|_, _, earlier| {
        let state = if earlier < 2 { "pending" } else { "running" };
        Ok(
            json!({"Reservations": [{"Instances": [{"InstanceId": "i-1", "State": {"Name": state}}]}]}),
        )
    });
    let script = r#"
import boto3

def h(events, context):
    boto3.client("ec2").get_waiter("instance_running").wait(InstanceIds=["i-1"])
    return "running"
"#;
    let (outcome, elapsed) = run(script, &calls);
    assert_eq!(payload(outcome), json!("running"));
    assert_eq!(calls.calls().len(), 3);
    // The ec2 waiter waits 15 seconds between polls: on the run's clock, not in real time.
    assert_eq!(*calls.slept.lock().unwrap(), [Duration::from_secs(15), Duration::from_secs(15)]);
    assert_eq!(elapsed, Duration::from_secs(30));
}

#[test]
fn calls_from_several_threads_each_get_their_own_answer() {
    let calls = Scripted::new(|_, params, _| Ok(json!({"Parameter": {"Value": params["Name"]}})));
    let script = r#"
import boto3
from concurrent.futures import ThreadPoolExecutor

def h(events, context):
    ssm = boto3.client("ssm")
    names = ["/p/%d" % n for n in range(20)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda n: ssm.get_parameter(Name=n)["Parameter"]["Value"], names))
    return values == names
"#;
    let (outcome, _) = run(script, &calls);
    assert_eq!(payload(outcome), json!(true));
    assert_eq!(calls.calls().len(), 20);
}

#[test]
fn an_unanswered_call_cannot_be_swallowed_and_names_the_call() {
    let calls = Scripted::new(|name, _, _| {
        Err(ApiError::new("MockNotFound", format!("no mock answers {name} {{}}")))
    });
    let script = r#"
import boto3

def h(events, context):
    try:
        boto3.client("sts").get_caller_identity()
    except Exception:
        return "swallowed"
"#;
    let (outcome, _) = run(script, &calls);
    let error = outcome.expect_err("the call is not answered");
    assert!(
        error.message.ends_with(
            "UnansweredAwsCall - sts.GetCallerIdentity made by step inspect was not answered: \
             no mock answers sts.GetCallerIdentity {}"
        ),
        "{}",
        error.message
    );
}

#[test]
fn the_shell_s_credentials_and_profile_stay_out_of_a_run_on_mocks() {
    let calls = Scripted::new(|_, _, _| Ok(json!({"Account": "123456789012"})));
    let script = r#"
import os
import boto3

def h(events, context):
    account = boto3.client("sts").get_caller_identity()["Account"]
    return [account, os.environ.get("AWS_PROFILE"), os.environ.get("AWS_SECRET_ACCESS_KEY"),
            os.environ.get("RUNBOOK_SCRIPT_AWS")]
"#;
    let runner = runner();
    let mut request = request(&runner, script);
    request.env.push(("AWS_PROFILE".to_string(), "no-such-profile".to_string()));
    request.env.push(("AWS_SECRET_ACCESS_KEY".to_string(), "real-secret".to_string()));
    let runtime = virtual_runtime().expect("a runtime");
    let outcome = runtime.block_on(runner.run(request, &calls));
    assert_eq!(payload(outcome), json!(["123456789012", null, "mock", null]));
}

#[test]
fn a_script_that_makes_no_call_works_without_boto3_being_imported() {
    let calls = Scripted::new(|_, _, _| Ok(json!({})));
    let script = "import sys\n\ndef h(events, context):\n    return 'botocore' in sys.modules\n";
    // In a process of its own (a warm interpreter has boto3 imported already).
    let runner = runner().with_warm_interpreter(false);
    let request = request(&runner, script);
    let runtime = virtual_runtime().expect("a runtime");
    let outcome = runtime.block_on(runner.run(request, &calls));
    assert_eq!(payload(outcome), json!(false));
    assert!(calls.calls().is_empty());
}

#[test]
fn a_warm_step_s_calls_go_to_the_run_too() {
    let runner = runner();
    assert!(runner.warm_up(), "the warm interpreter starts");
    let calls = Scripted::new(|_, _, _| Ok(json!({"Account": "123456789012"})));
    let script = "import sys, boto3\n\ndef h(events, context):\n    return ['boto3' in sys.modules, boto3.client('sts').get_caller_identity()['Account']]\n";
    let request = request(&runner, script);
    let runtime = virtual_runtime().expect("a runtime");
    let outcome = runtime.block_on(runner.run(request, &calls));
    assert_eq!(payload(outcome), json!([true, "123456789012"]));
    assert_eq!(calls.calls().len(), 1);
}
