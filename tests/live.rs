//! Runbooks run for real, through the executor and the signed client, against a moto server:
//! an instance launched, tagged, stopped and imaged by the EC2 actions; an IAM role created and
//! read (query protocol); an SSM parameter written and read (json); Lambda functions listed
//! (rest-json); an S3 bucket created and listed (rest-xml); a script whose boto3 reads what an
//! earlier step created, on the same server, or at a target location as the role assumed
//! there. And `runbook run --sandbox` and `--aws` driven as
//! users drive them, and a run recorded with `--record` replayed on its recording, the calls
//! its scripts made to the server included. Webhook steps reach a local HTTP and HTTPS server,
//! the latter trusted through a CA bundle.
//!
//! The server is the one at `RUNBOOK_TEST_MOTO_URL` when it is set, else one started for this
//! test process (ending with it). Without moto, the tests fail and say how to install it
//! (`python3 -m pip install 'moto[server]' boto3`).

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use runbook::{Loader, Session};
use runbook_aws::client::moto::MotoServer;
use runbook_aws::client::{AwsClient, ClientOptions};
use runbook_aws::model::Models;
use runbook_engine::document::Format;
use runbook_engine::execute::RunContext;
use runbook_engine::host::virtual_runtime;
use runbook_engine::record::{Execution, Status};
use serde_json::{Value, json};

use crate::support::{Cli, TempDir};

fn moto_url() -> String {
    static SERVER: OnceLock<Result<MotoServer, String>> = OnceLock::new();
    if let Some(url) = std::env::var("RUNBOOK_TEST_MOTO_URL").ok().filter(|url| !url.is_empty()) {
        return url;
    }
    match SERVER.get_or_init(|| MotoServer::start(None).map_err(|error| error.to_string())) {
        Ok(server) => server.url(),
        Err(error) => panic!("these tests need a moto server: {error}"),
    }
}

/// A name no other run on the same server used.
fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `yaml` with `parameters` against the moto server, on virtual time (the client's real
/// I/O holds it still), with scripts that reach the same server.
fn run(yaml: &str, parameters: &[(&str, Value)]) -> Execution {
    run_with(yaml, parameters, |options| options)
}

/// [`run`], with the client's options changed by `options`.
fn run_with(
    yaml: &str,
    parameters: &[(&str, Value)],
    options: impl FnOnce(ClientOptions) -> ClientOptions + Send + 'static,
) -> Execution {
    run_session(yaml, parameters, options, |session| session)
}

/// [`run_with`], with the session changed by `session`.
fn run_session(
    yaml: &str,
    parameters: &[(&str, Value)],
    options: impl FnOnce(ClientOptions) -> ClientOptions + Send + 'static,
    change: impl FnOnce(Session) -> Session + Send + 'static,
) -> Execution {
    let url = moto_url();
    let validated = Loader::new().parse("live.yaml", yaml, Format::Yaml).unwrap();
    assert!(!validated.report().has_errors(), "{:?}", validated.report().diagnostics);
    let runbook = validated.into_runbook().unwrap();
    let parameters: IndexMap<String, Value> =
        parameters.iter().map(|(name, value)| ((*name).to_string(), value.clone())).collect();
    let runtime = virtual_runtime().unwrap();
    runtime.block_on(async move {
        let models = Models::discover(None)
            .unwrap_or_else(|error| panic!("these tests need botocore's models: {error}"));
        let options = options(
            ClientOptions::default()
                .with_endpoint_url(url)
                .with_region("us-east-1")
                .with_credentials(MotoServer::credentials()),
        );
        let client = AwsClient::new(models, options).await.unwrap();
        let identity = client.caller_identity().await.unwrap();
        let session = Session::new()
            .aws(Arc::new(client.clone()))
            .context(RunContext {
                account_id: identity.account,
                region: identity.region,
                script_environment: client.script_environment().await.unwrap(),
                ..RunContext::default()
            })
            .parameters(parameters);
        change(session).run_async(&runbook).await.unwrap().execution
    })
}

fn assert_success(execution: &Execution) {
    assert_eq!(
        execution.automation_execution_status,
        Status::Success,
        "{}",
        execution.failure_message.as_deref().unwrap_or_default()
    );
}

fn output<'a>(execution: &'a Execution, name: &str) -> &'a Value {
    let (step, output) = name.split_once('.').unwrap();
    execution
        .step(step)
        .and_then(|record| record.outputs.get(output))
        .unwrap_or_else(|| panic!("no output {name}"))
}

#[test]
fn an_instance_is_launched_tagged_stopped_and_imaged() {
    let execution = run(
        r"schemaVersion: '0.3'
parameters:
  ImageName: {type: String}
mainSteps:
  - name: findImage
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeImages, Owners: [amazon], MaxResults: 5}
    outputs:
      - {Name: ImageId, Selector: '$.Images[0].ImageId'}
  - name: launch
    action: aws:runInstances
    inputs: {ImageId: '{{ findImage.ImageId }}', InstanceType: t3.micro}
  - name: tag
    action: aws:createTags
    inputs:
      ResourceIds: '{{ launch.InstanceIds }}'
      Tags: [{Key: Env, Value: test}]
  - name: stop
    action: aws:changeInstanceState
    inputs: {InstanceIds: '{{ launch.InstanceIds }}', DesiredState: stopped}
  - name: check
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: '{{ launch.InstanceIds }}'}
    outputs:
      - {Name: InstanceId, Selector: '$.Reservations[0].Instances[0].InstanceId'}
      - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name'}
      - {Name: Env, Selector: '$.Reservations[0].Instances[0].Tags[?(@.Key == ''Env'')].Value'}
  - name: image
    action: aws:createImage
    inputs: {InstanceId: '{{ check.InstanceId }}', ImageName: '{{ ImageName }}'}
",
        &[("ImageName", json!(unique("backup")))],
    );
    assert_success(&execution);
    let ids = output(&execution, "launch.InstanceIds");
    assert!(ids[0].as_str().is_some_and(|id| id.starts_with("i-")), "{ids}");
    assert_eq!(output(&execution, "launch.InstanceStates"), &json!(["running"]));
    assert_eq!(output(&execution, "check.State"), "stopped");
    assert_eq!(output(&execution, "check.Env"), "test");
    assert_eq!(&json!([output(&execution, "check.InstanceId")]), ids);
    assert!(output(&execution, "image.ImageId").as_str().is_some_and(|id| id.starts_with("ami-")));
    assert_eq!(output(&execution, "image.ImageState"), "available");
}

#[test]
fn an_iam_role_is_created_and_read() {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let execution = run(
        r"schemaVersion: '0.3'
parameters:
  RoleName: {type: String}
  Policy: {type: String}
mainSteps:
  - name: create
    action: aws:executeAwsApi
    inputs: {Service: iam, Api: CreateRole, RoleName: '{{ RoleName }}', AssumeRolePolicyDocument: '{{ Policy }}'}
    outputs:
      - {Name: Arn, Selector: $.Role.Arn}
  - name: read
    action: aws:executeAwsApi
    inputs: {Service: iam, Api: GetRole, RoleName: '{{ RoleName }}'}
    outputs:
      - {Name: Arn, Selector: $.Role.Arn}
      - {Name: Principal, Selector: '$.Role.AssumeRolePolicyDocument.Statement[0].Principal.Service'}
",
        &[("RoleName", json!(unique("AutomationRole"))), ("Policy", json!(policy.to_string()))],
    );
    assert_success(&execution);
    let arn = output(&execution, "create.Arn");
    assert!(arn.as_str().is_some_and(|arn| arn.starts_with("arn:aws:iam::123456789012:role/")));
    assert_eq!(output(&execution, "read.Arn"), arn);
    assert_eq!(output(&execution, "read.Principal"), "ssm.amazonaws.com");
}

#[test]
fn a_run_over_target_locations_assumes_the_execution_role_in_each_account() {
    let name = format!("/runbook/{}", unique("located"));
    let yaml = r"schemaVersion: '0.3'
parameters:
  Name: {type: String}
mainSteps:
  - name: who
    action: aws:executeAwsApi
    inputs: {Service: sts, Api: GetCallerIdentity}
    outputs:
      - {Name: Account, Selector: $.Account}
      - {Name: Arn, Selector: $.Arn}
  - name: put
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: PutParameter, Name: '{{ Name }}', Value: '{{ global:ACCOUNT_ID }}', Type: String}
";
    let location = runbook_engine::record::TargetLocation {
        accounts: vec!["111111111111".into()],
        regions: vec!["eu-west-1".into()],
        execution_role_name: Some("RunbookExecution".into()),
        ..Default::default()
    };
    let locations = runbook_engine::execute::Locations::new(vec![location]);
    let execution = run_session(
        yaml,
        &[("Name", json!(name.clone()))],
        |options| options,
        move |session| session.locations(locations),
    );
    assert_success(&execution);
    let step = &execution.step_executions[0];
    assert_eq!(step.step_name, "111111111111/eu-west-1");
    let child = step.child.as_deref().unwrap();
    // The emulator, like AWS, answers as the role assumed in the account.
    assert_eq!(output(child, "who.Account"), &json!("111111111111"));
    let arn = output(child, "who.Arn").as_str().unwrap().to_string();
    assert!(arn.contains(":assumed-role/RunbookExecution/"), "{arn}");
    let put = child.calls.iter().find(|call| call.api == "PutParameter").unwrap();
    assert_eq!(
        (put.account.as_deref(), put.region.as_deref()),
        (Some("111111111111"), Some("eu-west-1"))
    );
    // The parameter is in that account and Region, not in the caller's.
    let check = run(
        r"schemaVersion: '0.3'
parameters:
  Name: {type: String}
mainSteps:
  - name: get
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: GetParameter, Name: '{{ Name }}'}
",
        &[("Name", json!(name))],
    );
    assert_eq!(check.automation_execution_status, Status::Failed);
    let message = check.step("get").unwrap().failure_message.clone().unwrap_or_default();
    assert!(message.contains("ParameterNotFound"), "{message}");
}

#[test]
fn a_script_at_a_target_location_runs_as_the_role_assumed_there() {
    let yaml = r#"schemaVersion: '0.3'
mainSteps:
  - name: who
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      Script: |
        import os
        import boto3
        def handler(events, context):
            identity = boto3.client("sts").get_caller_identity()
            return {"account": identity["Account"], "arn": identity["Arn"],
                    "region": os.environ["AWS_REGION"]}
    outputs:
      - {Name: Account, Selector: $.Payload.account}
      - {Name: Arn, Selector: $.Payload.arn}
      - {Name: Region, Selector: $.Payload.region}
"#;
    let location = runbook_engine::record::TargetLocation {
        accounts: vec!["222222222222".into()],
        regions: vec!["eu-west-2".into()],
        execution_role_name: Some("ScriptExecution".into()),
        ..Default::default()
    };
    let locations = runbook_engine::execute::Locations::new(vec![location]);
    let execution =
        run_session(yaml, &[], |options| options, move |session| session.locations(locations));
    assert_success(&execution);
    let child = execution.step_executions[0].child.as_deref().unwrap();
    // The caller is 123456789012: the script's boto3 signs with the role's credentials.
    assert_eq!(output(child, "who.Account"), &json!("222222222222"));
    let arn = output(child, "who.Arn").as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:sts::222222222222:assumed-role/ScriptExecution/"), "{arn}");
    assert_eq!(output(child, "who.Region"), &json!("eu-west-2"));
}

#[test]
fn ssm_lambda_and_s3_answer_through_their_protocols() {
    let bucket = unique("runbook-live");
    let execution = run(
        r"schemaVersion: '0.3'
parameters:
  Name: {type: String}
  Bucket: {type: String}
mainSteps:
  - name: put
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: PutParameter, Name: '{{ Name }}', Value: db.internal, Type: String}
    outputs:
      - {Name: Version, Selector: $.Version, Type: Integer}
  - name: get
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: GetParameter, Name: '{{ Name }}'}
    outputs:
      - {Name: Value, Selector: $.Parameter.Value}
  - name: functions
    action: aws:assertAwsResourceProperty
    inputs:
      Service: lambda
      Api: ListFunctions
      PropertySelector: $.ResponseMetadata.HTTPStatusCode
      DesiredValues: ['200']
  - name: bucket
    action: aws:executeAwsApi
    inputs: {Service: s3, Api: CreateBucket, Bucket: '{{ Bucket }}'}
  - name: buckets
    action: aws:waitForAwsResourceProperty
    timeoutSeconds: 60
    inputs:
      Service: s3
      Api: ListBuckets
      PropertySelector: '$.Buckets[?(@.Name == ''{{ Bucket }}'')].Name'
      DesiredValues: ['{{ Bucket }}']
",
        &[("Name", json!(format!("/runbook/{}", unique("host")))), ("Bucket", json!(bucket))],
    );
    assert_success(&execution);
    assert_eq!(output(&execution, "put.Version"), 1);
    assert_eq!(output(&execution, "get.Value"), "db.internal");
    let calls: Vec<String> =
        execution.calls.iter().map(|call| format!("{}.{}", call.service, call.api)).collect();
    assert!(calls.contains(&"lambda.ListFunctions".to_string()), "{calls:?}");
    assert!(calls.contains(&"s3.ListBuckets".to_string()), "{calls:?}");
}

#[test]
fn a_script_reaches_the_same_server_with_boto3() {
    let name = format!("/runbook/{}", unique("from-step"));
    let execution = run(
        r#"schemaVersion: '0.3'
parameters:
  Name: {type: String}
mainSteps:
  - name: put
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: PutParameter, Name: '{{ Name }}', Value: written-by-a-step, Type: String}
  - name: read
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      InputPayload: {Name: '{{ Name }}'}
      Script: |
        import boto3
        def handler(events, context):
            ssm = boto3.client("ssm")
            value = ssm.get_parameter(Name=events["Name"])["Parameter"]["Value"]
            account = boto3.client("sts").get_caller_identity()["Account"]
            return {"value": value, "account": account}
    outputs:
      - {Name: Value, Selector: $.Payload.value}
      - {Name: Account, Selector: $.Payload.account}
"#,
        &[("Name", json!(name))],
    );
    assert_success(&execution);
    assert_eq!(output(&execution, "read.Value"), "written-by-a-step");
    assert_eq!(output(&execution, "read.Account"), "123456789012");
}

const SANDBOX_RUNBOOK: &str = r"schemaVersion: '0.3'
mainSteps:
  - name: put
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: PutParameter, Name: /runbook/sandbox, Value: hello, Type: String, Overwrite: true}
  - name: get
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: GetParameter, Name: /runbook/sandbox}
    outputs:
      - {Name: Value, Selector: $.Parameter.Value}
outputs: [get.Value]
";

#[test]
fn run_sandbox_starts_a_server_runs_and_stops_it() {
    let dir = TempDir::new("live-sandbox");
    dir.write("sandbox.yaml", SANDBOX_RUNBOOK);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "sandbox.yaml", "--sandbox", "--output", "json"])
        .run()
        .code(0);
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Success");
    assert_eq!(record["Outputs"]["get.Value"], json!(["hello"]));
    assert!(
        output.stderr.contains("a sandbox run on the moto server at http://127.0.0.1:"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("  ssm.PutParameter (put)\n"), "{}", output.stderr);
}

#[test]
fn every_run_against_aws_gets_a_fresh_execution_id() {
    let dir = TempDir::new("live-ids");
    dir.write("sandbox.yaml", SANDBOX_RUNBOOK);
    let id = |extra: &[&str]| {
        let output = Cli::new()
            .current_dir(dir.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .args(["run", "sandbox.yaml", "--aws", "--yes", "--output", "json"])
            .args(["--region", "us-east-1", "--endpoint-url"])
            .args([moto_url()])
            .args(extra)
            .run()
            .code(0);
        let record: Value = serde_json::from_str(&output.stdout).unwrap();
        record["AutomationExecutionId"].as_str().unwrap().to_string()
    };
    let (first, second) = (id(&[]), id(&[]));
    assert_ne!(first, second, "two real runs of the same runbook share no id");
    for id in [&first, &second] {
        assert!(runbook_engine::execute::is_execution_id(id), "{id}");
    }
    let given = "0123abcd-0000-4000-8000-00000000beef";
    assert_eq!(id(&["--execution-id", given]), given);
}

#[test]
fn run_sandbox_gives_scripts_the_run_s_server_identity_and_region_over_the_shell_s() {
    let dir = TempDir::new("live-sandbox-script");
    dir.write(
        "script.yaml",
        r#"schemaVersion: '0.3'
mainSteps:
  - name: put
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: PutParameter, Name: /runbook/from-step, Value: seen, Type: String, Overwrite: true}
  - name: read
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      Script: |
        import os
        import boto3
        def handler(events, context):
            ssm = boto3.client("ssm")
            pages = ssm.get_paginator("describe_parameters").paginate()
            names = [p["Name"] for page in pages for p in page["Parameters"]]
            value = ssm.get_parameter(Name="/runbook/from-step")["Parameter"]["Value"]
            return {"value": value, "listed": "/runbook/from-step" in names,
                    "region": os.environ["AWS_REGION"], "client": ssm.meta.region_name}
    outputs:
      - {Name: Result, Selector: $.Payload, Type: StringMap}
outputs: [read.Result]
"#,
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .env("AWS_PROFILE", "no-such-profile-anywhere")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_DEFAULT_REGION", "eu-west-3")
        .args(["run", "script.yaml", "--sandbox", "--region", "us-east-2", "--output", "json"])
        .run()
        .code(0);
    let record: Value = serde_json::from_str(&output.stdout).unwrap();
    let result = record["Outputs"]["read.Result"][0].as_str().expect("a StringMap output");
    assert_eq!(
        serde_json::from_str::<Value>(result).unwrap(),
        json!({"value": "seen", "listed": true, "region": "us-east-2", "client": "us-east-2"}),
        "{}",
        output.stderr
    );
}

#[test]
fn run_aws_asks_first_and_refuses_without_a_terminal() {
    let dir = TempDir::new("live-aws");
    dir.write("sandbox.yaml", SANDBOX_RUNBOOK);
    let live = |extra: &[&str]| {
        Cli::new()
            .current_dir(dir.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .args(["run", "sandbox.yaml", "--aws", "--region", "eu-west-1", "--endpoint-url"])
            .args([moto_url()])
            .args(extra)
            .run()
    };
    let refused = live(&[]).code(2);
    assert!(
        refused.stderr.contains("a REAL run in AWS account 123456789012 as arn:aws:"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("region eu-west-1"), "{}", refused.stderr);
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    let ran = live(&["--yes"]).code(0);
    assert!(ran.stdout.contains("get.Value = hello"), "{}", ran.stdout);
}

const RECORDED_RUNBOOK: &str = r"schemaVersion: '0.3'
parameters:
  Name: {type: String}
  Bucket: {type: String}
mainSteps:
  - name: put
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: PutParameter, Name: '{{ Name }}', Value: recorded, Type: String}
    outputs:
      - {Name: Version, Selector: $.Version, Type: Integer}
  - name: get
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: GetParameter, Name: '{{ Name }}'}
    outputs:
      - {Name: Value, Selector: $.Parameter.Value}
  - name: missing
    action: aws:executeAwsApi
    onFailure: Continue
    inputs: {Service: ssm, Api: GetParameter, Name: '{{ Name }}-missing'}
  - name: bucket
    action: aws:executeAwsApi
    inputs: {Service: s3, Api: CreateBucket, Bucket: '{{ Bucket }}'}
  - name: listed
    action: aws:waitForAwsResourceProperty
    timeoutSeconds: 60
    inputs:
      Service: s3
      Api: ListBuckets
      PropertySelector: '$.Buckets[?(@.Name == ''{{ Bucket }}'')].Name'
      DesiredValues: ['{{ Bucket }}']
  - name: images
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeImages, Owners: [amazon], MaxResults: 5}
    outputs:
      - {Name: ImageId, Selector: '$.Images[0].ImageId'}
outputs: [get.Value, images.ImageId]
";

#[test]
fn a_run_against_the_emulator_replays_from_its_recording() {
    let dir = TempDir::new("live-record");
    dir.write("recorded.yaml", RECORDED_RUNBOOK);
    let name = format!("Name=/runbook/{}", unique("recorded"));
    let bucket = format!("Bucket={}", unique("runbook-recorded"));
    let live = Cli::new()
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .args(["run", "recorded.yaml", "--aws", "--yes", "--region", "us-east-1"])
        .args(["--endpoint-url", &moto_url(), "-p", &name, "-p", &bucket])
        .args(["--record", "calls.yaml", "--output", "json"])
        .run()
        .code(0);
    let first = crate::record::outcome(&live.stdout);
    assert_eq!(first["status"], "Success", "{first}");
    assert_eq!(first["outputs"]["get.Value"], json!(["recorded"]));
    let missing = &first["steps"][2];
    assert_eq!(missing[1], "Failed", "{first}");
    let recording = std::fs::read_to_string(dir.path().join("calls.yaml")).unwrap();
    assert!(recording.contains("      code: ParameterNotFound\n"), "{recording}");

    let replay = Cli::new()
        .current_dir(dir.path())
        .args(["run", "recorded.yaml", "--mocks", "calls.yaml", "-p", &name, "-p", &bucket])
        .args(["--output", "json"])
        .run()
        .code(0);
    assert_eq!(crate::record::outcome(&replay.stdout), first, "{recording}");
}

#[test]
fn a_sandbox_run_replays_from_its_recording() {
    let dir = TempDir::new("live-sandbox-record");
    dir.write("sandbox.yaml", SANDBOX_RUNBOOK);
    let run = |args: &[&str]| {
        let output = Cli::new()
            .current_dir(dir.path())
            .args(["run", "sandbox.yaml", "--output", "json"])
            .args(args)
            .run()
            .code(0);
        crate::record::outcome(&output.stdout)
    };
    let first = run(&["--sandbox", "--record", "sandbox.calls.json"]);
    assert_eq!(first["outputs"]["get.Value"], json!(["hello"]));
    let recording = std::fs::read_to_string(dir.path().join("sandbox.calls.json")).unwrap();
    assert!(recording.contains("\"api\": \"PutParameter\""), "{recording}");
    assert_eq!(run(&["--mocks", "sandbox.calls.json"]), first, "{recording}");
}

const SCRIPTED_RUNBOOK: &str = r#"schemaVersion: '0.3'
parameters:
  Name: {type: String}
mainSteps:
  - name: script
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      InputPayload: {Name: '{{ Name }}'}
      Script: |
        import boto3
        from botocore.exceptions import ClientError
        def handler(events, context):
            ssm = boto3.client("ssm")
            ssm.put_parameter(Name=events["Name"], Value="from-a-script", Type="String")
            described = ssm.describe_parameters(
                ParameterFilters=[{"Key": "Name", "Values": [events["Name"]]}]
            )["Parameters"][0]
            try:
                ssm.get_parameter(Name=events["Name"] + "-missing")
                missing = "found"
            except ClientError as error:
                missing = error.response["Error"]["Code"]
            return {"value": ssm.get_parameter(Name=events["Name"])["Parameter"]["Value"],
                    "type": described["Type"], "year": described["LastModifiedDate"].year > 2000,
                    "missing": missing}
    outputs:
      - {Name: Result, Selector: $.Payload, Type: StringMap}
  - name: read
    action: aws:executeAwsApi
    inputs: {Service: ssm, Api: GetParameter, Name: '{{ Name }}'}
    outputs:
      - {Name: Value, Selector: $.Parameter.Value}
outputs: [script.Result, read.Value]
"#;

#[test]
fn a_script_s_own_calls_are_recorded_and_replayed() {
    let dir = TempDir::new("live-script-record");
    dir.write("scripted.yaml", SCRIPTED_RUNBOOK);
    let name = format!("Name=/runbook/{}", unique("scripted"));
    let run = |args: &[&str]| {
        let output = Cli::new()
            .current_dir(dir.path())
            .args(["run", "scripted.yaml", "--output", "json", "-p", &name])
            .args(args)
            .run()
            .code(0);
        let record: Value = serde_json::from_str(&output.stdout).unwrap();
        let calls: Vec<String> = record["Calls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|call| {
                let text = |key: &str| call[key].as_str().unwrap_or_default().to_string();
                format!("{} {}.{}", text("StepName"), text("Service"), text("Api"))
            })
            .collect();
        (crate::record::outcome(&output.stdout), calls)
    };
    let (first, first_calls) = run(&["--sandbox", "--record", "scripted.calls.yaml"]);
    assert_eq!(first["status"], "Success", "{first}");
    let result = first["outputs"]["script.Result"][0].as_str().expect("a StringMap output");
    assert_eq!(
        serde_json::from_str::<Value>(result).unwrap(),
        json!({"value": "from-a-script", "type": "String", "year": true,
               "missing": "ParameterNotFound"})
    );
    let recording = std::fs::read_to_string(dir.path().join("scripted.calls.yaml")).unwrap();
    for api in ["PutParameter", "DescribeParameters", "GetParameter"] {
        assert!(recording.contains(&format!("    api: {api}\n")), "{api}: {recording}");
    }
    assert!(recording.contains("      code: ParameterNotFound\n"), "{recording}");
    let script_calls = [
        "script ssm.PutParameter",
        "script ssm.DescribeParameters",
        "script ssm.GetParameter",
        "script ssm.GetParameter",
        "read ssm.GetParameter",
    ];
    assert_eq!(first_calls, script_calls, "{recording}");

    let (replay, replay_calls) = run(&["--mocks", "scripted.calls.yaml"]);
    assert_eq!(replay, first, "{recording}");
    assert_eq!(replay_calls, script_calls, "{recording}");
}

#[test]
fn a_script_s_own_calls_at_a_target_location_are_recorded_there_and_replayed() {
    let dir = TempDir::new("live-located-script-record");
    dir.write(
        "located.yaml",
        r#"schemaVersion: '0.3'
outputs: [who.Account]
mainSteps:
  - name: who
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      Script: |
        import boto3
        def handler(events, context):
            return {"account": boto3.client("sts").get_caller_identity()["Account"]}
    outputs:
      - {Name: Account, Selector: $.Payload.account}
"#,
    );
    dir.write(
        "locations.yaml",
        "- {Accounts: ['333333333333'], Regions: [eu-north-1], ExecutionRoleName: Exec}\n",
    );
    let run = |args: &[&str]| -> Value {
        let output = Cli::new()
            .current_dir(dir.path())
            .args(["run", "located.yaml", "--output", "json"])
            .args(["--target-locations", "locations.yaml"])
            .args(args)
            .run()
            .code(0);
        let record: Value = serde_json::from_str(&output.stdout).unwrap();
        record["StepExecutions"][0]["Child"].clone()
    };
    let first = run(&["--sandbox", "--record", "located.calls.yaml"]);
    assert_eq!(first["Outputs"]["who.Account"], json!(["333333333333"]), "{first}");
    let call = &first["Calls"][0];
    assert_eq!(
        (&call["StepName"], &call["Api"], &call["Account"], &call["Region"]),
        (&json!("who"), &json!("GetCallerIdentity"), &json!("333333333333"), &json!("eu-north-1")),
        "{first}"
    );
    let recording = std::fs::read_to_string(dir.path().join("located.calls.yaml")).unwrap();
    assert!(recording.contains("account: \"333333333333\""), "{recording}");
    assert!(recording.contains("region: eu-north-1"), "{recording}");

    let replay = run(&["--mocks", "located.calls.yaml"]);
    assert_eq!(replay["Outputs"], first["Outputs"], "{recording}");
    assert_eq!(replay["Calls"][0]["Account"], "333333333333", "{recording}");
}

/// A local webhook (`tests/support/hook_server.py`) answering every request with one status,
/// over HTTP or, with a certificate of its own, HTTPS; it reports each request it received.
struct HookServer {
    child: std::process::Child,
    port: u16,
    requests: std::sync::mpsc::Receiver<Value>,
    certificates: Option<TempDir>,
}

impl HookServer {
    fn start(status: u16, tls: bool) -> Self {
        use std::io::BufRead;
        let certificates = tls.then(|| TempDir::new(&unique("hook-cert")));
        let mut command = std::process::Command::new("python3");
        command.arg(crate::support::root().join("tests/support/hook_server.py"));
        command.arg(status.to_string());
        if let Some(folder) = &certificates {
            command.arg(folder.path());
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the test webhook");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let port = first
            .strip_prefix("PORT ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the test webhook did not start: {first:?}"));
        let (sender, requests) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = sender.send(serde_json::from_str(&line).unwrap_or(Value::String(line)));
            }
        });
        Self { child, port, requests, certificates }
    }

    fn url(&self, path: &str) -> String {
        let scheme = if self.certificates.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    fn certificate(&self) -> std::path::PathBuf {
        self.certificates.as_ref().expect("an HTTPS webhook").path().join("cert.pem")
    }

    /// The next request it received.
    fn request(&self) -> Value {
        self.requests
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the webhook received a request")
    }
}

impl Drop for HookServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_webhook_request_reaches_a_local_http_server_with_its_body() {
    use runbook_engine::host::{ApiRequest, AwsBackend};
    let hook = HookServer::start(200, false);
    let runtime = virtual_runtime().unwrap();
    let answer = runtime.block_on(async {
        let models = Models::discover(None).unwrap();
        let options = ClientOptions::default()
            .with_region("us-east-1")
            .with_credentials(MotoServer::credentials());
        let client = AwsClient::new(models, options).await.unwrap();
        let params = json!({
            "IntegrationName": "chat",
            "Url": hook.url("/hooks/chat"),
            "Method": "POST",
            "Headers": {"Content-Type": "application/json", "X-Team": "ops"},
            "Body": "{\"text\": \"deployed\"}",
        });
        client.call(ApiRequest::new("webhook", "Invoke", params)).await.unwrap()
    });
    let request = hook.request();
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/hooks/chat");
    assert_eq!(request["body"], "{\"text\": \"deployed\"}");
    assert_eq!(request["headers"]["x-team"], "ops");
    assert_eq!(request["headers"]["content-type"], "application/json");
    assert_eq!(answer["StatusCode"], 200);
    assert_eq!(answer["Body"], "received");
}

/// A runbook that stores a webhook integration where the service keeps them (SPEC 6.16), then
/// invokes it.
const WEBHOOK_RUNBOOK: &str = r"schemaVersion: '0.3'
parameters:
  Name: {type: String}
  Integration: {type: String}
mainSteps:
  - name: integrate
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: PutParameter
      Name: '/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/{{ Name }}'
      Type: SecureString
      Value: '{{ Integration }}'
  - name: notify
    action: aws:invokeWebhook
    inputs: {IntegrationName: '{{ Name }}', Body: 'deployed {{ Name }}'}
";

fn run_webhook(hook: &HookServer, trust: bool) -> Execution {
    let name = unique("chat");
    let integration = json!({"url": hook.url("/hook"), "headers": {"X-Team": "ops"}});
    let certificate = hook.certificate();
    run_with(
        WEBHOOK_RUNBOOK,
        &[("Name", json!(name)), ("Integration", json!(integration.to_string()))],
        move |options| if trust { options.with_ca_bundle(certificate) } else { options },
    )
}

#[test]
fn a_webhook_integration_is_read_and_invoked_over_https_trusting_the_ca_bundle() {
    let hook = HookServer::start(200, true);
    let execution = run_webhook(&hook, true);
    assert_success(&execution);
    let request = hook.request();
    assert_eq!(request["method"], "POST");
    assert!(request["body"].as_str().unwrap().starts_with("deployed chat-"), "{request}");
    assert_eq!(request["headers"]["x-team"], "ops");
    assert_eq!(output(&execution, "notify.ResponseCode"), &json!(200));
    assert_eq!(output(&execution, "notify.Response"), &json!("received"));
    let read: Vec<(&str, &str)> = execution
        .calls
        .iter()
        .filter(|call| call.step_name == "notify")
        .map(|call| (call.service.as_str(), call.api.as_str()))
        .collect();
    assert_eq!(read, [("ssm", "GetParameter"), ("webhook", "Invoke")]);
    let get = execution.calls.iter().find(|call| call.api == "GetParameter").unwrap();
    assert_eq!(get.params["WithDecryption"], true);
}

#[test]
fn a_webhook_whose_certificate_is_not_trusted_fails_its_step() {
    let hook = HookServer::start(200, true);
    let execution = run_webhook(&hook, false);
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let step = execution.step("notify").unwrap();
    let message = step.failure_message.as_deref().unwrap_or_default();
    assert!(message.contains("WebhookConnectionError"), "{message}");
}

#[test]
fn a_webhook_answering_outside_2xx_fails_its_step_with_the_status() {
    let hook = HookServer::start(503, true);
    let execution = run_webhook(&hook, true);
    assert_eq!(execution.automation_execution_status, Status::Failed);
    let step = execution.step("notify").unwrap();
    let message = step.failure_message.as_deref().unwrap_or_default();
    assert!(message.contains("answered 503"), "{message}");
    assert!(hook.request()["body"].as_str().unwrap().starts_with("deployed"));
}

#[test]
fn a_ca_bundle_without_certificates_is_refused_naming_it() {
    let dir = TempDir::new("empty-bundle");
    let path = dir.write("bundle.pem", "not a certificate\n");
    let runtime = virtual_runtime().unwrap();
    let error = runtime.block_on(async {
        let models = Models::discover(None).unwrap();
        let options = ClientOptions::default()
            .with_region("us-east-1")
            .with_credentials(MotoServer::credentials())
            .with_ca_bundle(&path);
        AwsClient::new(models, options).await.unwrap_err()
    });
    assert_eq!(
        error.to_string(),
        format!("cannot use the CA bundle {}: it holds no PEM certificate", path.display())
    );
}

#[test]
fn run_aws_reads_the_ca_bundle_aws_ca_bundle_names() {
    let dir = TempDir::new("live-ca-bundle");
    dir.write("sandbox.yaml", SANDBOX_RUNBOOK);
    let output = Cli::new()
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CA_BUNDLE", dir.path().join("no-such-bundle.pem"))
        .env_remove("AWS_PROFILE")
        .args(["run", "sandbox.yaml", "--aws", "--yes", "--region", "eu-west-1", "--endpoint-url"])
        .args([moto_url()])
        .run();
    assert_ne!(output.code, 0, "{}", output.stderr);
    assert!(output.stderr.contains("cannot use the CA bundle"), "{}", output.stderr);
    assert!(output.stderr.contains("no-such-bundle.pem"), "{}", output.stderr);
}
