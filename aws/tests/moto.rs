//! The live client against a moto server: one or more calls per protocol, and the mapping of
//! API errors, run on the engine's virtual-time runtime.
//!
//! The tests share one moto server: the one at `RUNBOOK_TEST_MOTO_URL` when it is set, else one
//! this test process starts on a free port (and that ends with it). Without moto they fail,
//! saying how to install it (`python3 -m pip install 'moto[server]'`).
#![cfg(feature = "live")]

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use runbook_aws::client::moto::MotoServer;
use runbook_aws::client::{AwsClient, ClientOptions, StaticCredentials};
use runbook_aws::model::Models;
use runbook_engine::host::{ApiError, ApiRequest, AwsBackend, virtual_runtime};
use serde_json::{Value, json};

/// The moto server's URL: `RUNBOOK_TEST_MOTO_URL`, or a server started once for this process.
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

/// Runs `test` on the engine's runtime, whose clock is paused.
fn run<F: Future>(test: impl FnOnce(AwsClient) -> F) -> F::Output {
    let url = moto_url();
    let runtime = virtual_runtime().unwrap();
    runtime.block_on(async move {
        let models = Models::discover(None).unwrap_or_else(|error| panic!("{error}"));
        let options = ClientOptions::default()
            .with_endpoint_url(url)
            .with_region("us-east-1")
            .with_credentials(StaticCredentials::new("testing", "testing"));
        let client = AwsClient::new(models, options).await.unwrap();
        test(client).await
    })
}

async fn call(
    client: &AwsClient,
    service: &str,
    api: &str,
    params: Value,
) -> Result<Value, ApiError> {
    client.call(ApiRequest::new(service, api, params)).await
}

async fn ok(client: &AwsClient, service: &str, api: &str, params: Value) -> Value {
    call(client, service, api, params)
        .await
        .unwrap_or_else(|error| panic!("{service}.{api} failed: {error}"))
}

/// A name no other test of this run, nor an earlier run, used on the same server.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn is_response_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| text.len() >= 25 && text.ends_with("+00:00") && &text[10..11] == "T")
}

#[test]
fn ec2_instance_lifecycle() {
    run(|client| async move {
        let images =
            ok(&client, "ec2", "DescribeImages", json!({"Owners": ["amazon"], "MaxResults": 5}))
                .await;
        let image = images["Images"][0]["ImageId"].as_str().unwrap().to_string();
        let run = ok(&client, "ec2", "RunInstances", json!({
            "ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}]
        }))
        .await;
        let instance = run["Instances"][0]["InstanceId"].as_str().unwrap().to_string();
        assert!(instance.starts_with("i-"), "{instance}");
        assert!(run["Instances"][0]["ClientToken"].as_str().is_some_and(|token| token.len() == 36));
        ok(
            &client,
            "ec2",
            "CreateTags",
            json!({"Resources": [instance], "Tags": [{"Key": "Env", "Value": "dev"}]}),
        )
        .await;
        let described =
            ok(&client, "ec2", "DescribeInstances", json!({"InstanceIds": [instance]})).await;
        let found = &described["Reservations"][0]["Instances"][0];
        assert_eq!(found["InstanceId"], json!(instance));
        assert_eq!(found["State"]["Name"], "running");
        assert_eq!(found["State"]["Code"], 16);
        assert!(is_response_timestamp(&found["LaunchTime"]), "{}", found["LaunchTime"]);
        let tags = found["Tags"].as_array().unwrap();
        assert!(tags.contains(&json!({"Key": "Env", "Value": "dev"})), "{tags:?}");
        assert_eq!(described["ResponseMetadata"]["HTTPStatusCode"], 200);
        let stopped = ok(&client, "ec2", "StopInstances", json!({"InstanceIds": [instance]})).await;
        assert_eq!(stopped["StoppingInstances"][0]["PreviousState"]["Name"], "running");
        let created = ok(
            &client,
            "ec2",
            "CreateImage",
            json!({"InstanceId": instance, "Name": unique("backup")}),
        )
        .await;
        let new_image = created["ImageId"].as_str().unwrap().to_string();
        let images = ok(&client, "ec2", "DescribeImages", json!({"ImageIds": [new_image]})).await;
        assert_eq!(images["Images"][0]["ImageId"], json!(new_image));
        assert_eq!(images["Images"][0]["State"], "available");
    });
}

#[test]
fn ec2_errors_keep_their_code() {
    run(|client| async move {
        let error = call(
            &client,
            "ec2",
            "DescribeInstances",
            json!({"InstanceIds": ["i-0123456789abcdef0"]}),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code, "InvalidInstanceID.NotFound");
        assert!(error.message.contains("i-0123456789abcdef0"), "{}", error.message);
        assert_eq!(error.status, Some(400));
    });
}

#[test]
fn iam_roles_and_their_decoded_policy() {
    run(|client| async move {
        let name = unique("AutomationRole");
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let created = ok(
            &client,
            "iam",
            "CreateRole",
            json!({
                "RoleName": name, "AssumeRolePolicyDocument": policy.to_string()
            }),
        )
        .await;
        assert_eq!(created["Role"]["RoleName"], json!(name));
        let role = ok(&client, "iam", "GetRole", json!({"RoleName": name})).await;
        assert_eq!(role["Role"]["Arn"], json!(format!("arn:aws:iam::123456789012:role/{name}")));
        assert_eq!(role["Role"]["AssumeRolePolicyDocument"], policy);
        assert!(is_response_timestamp(&role["Role"]["CreateDate"]));
        let error = call(&client, "iam", "GetRole", json!({"RoleName": unique("Missing")}))
            .await
            .unwrap_err();
        assert_eq!(error.code, "NoSuchEntity");
        assert_eq!(error.status, Some(404));
    });
}

#[test]
fn ssm_parameters() {
    run(|client| async move {
        let name = format!("/runbook/{}", unique("host"));
        let put = ok(
            &client,
            "ssm",
            "PutParameter",
            json!({
                "Name": name, "Value": "db.internal", "Type": "String", "Overwrite": true
            }),
        )
        .await;
        assert_eq!(put["Version"], 1);
        let got = ok(&client, "ssm", "GetParameter", json!({"Name": name})).await;
        assert_eq!(got["Parameter"]["Value"], "db.internal");
        assert!(is_response_timestamp(&got["Parameter"]["LastModifiedDate"]));
        let error = call(&client, "ssm", "GetParameter", json!({"Name": "/runbook/missing"}))
            .await
            .unwrap_err();
        assert_eq!(error.code, "ParameterNotFound");
        assert_eq!(error.status, Some(400));
    });
}

#[test]
fn lambda_rest_json() {
    run(|client| async move {
        let listed = ok(&client, "lambda", "ListFunctions", json!({})).await;
        assert!(listed["Functions"].is_array(), "{listed}");
        let error =
            call(&client, "lambda", "GetFunction", json!({"FunctionName": "no-such-function"}))
                .await
                .unwrap_err();
        assert_eq!(error.code, "ResourceNotFoundException");
        assert_eq!(error.status, Some(404));
    });
}

#[test]
fn s3_buckets_and_tags() {
    run(|client| async move {
        let bucket = unique("runbook-logs");
        ok(&client, "s3", "CreateBucket", json!({"Bucket": bucket})).await;
        let listed = ok(&client, "s3", "ListBuckets", json!({})).await;
        let names: Vec<&str> = listed["Buckets"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["Name"].as_str())
            .collect();
        assert!(names.contains(&bucket.as_str()), "{names:?}");
        assert!(is_response_timestamp(&listed["Buckets"][0]["CreationDate"]));
        let tags = json!([{"Key": "team", "Value": "sre"}, {"Key": "cost", "Value": "a&b <c>"}]);
        ok(
            &client,
            "s3",
            "PutBucketTagging",
            json!({"Bucket": bucket, "Tagging": {"TagSet": tags}}),
        )
        .await;
        let got = ok(&client, "s3", "GetBucketTagging", json!({"Bucket": bucket})).await;
        assert_eq!(got["TagSet"], tags);
        let error =
            call(&client, "s3", "GetBucketTagging", json!({"Bucket": unique("no-such-bucket")}))
                .await
                .unwrap_err();
        assert_eq!(error.code, "NoSuchBucket");
        assert_eq!(error.status, Some(404));
    });
}

#[test]
fn caller_identity_and_local_validation() {
    run(|client| async move {
        let identity = client.caller_identity().await.unwrap();
        assert_eq!(identity.account, "123456789012");
        assert_eq!(identity.region, "us-east-1");
        let error = call(&client, "iam", "CreateRole", json!({"RoleName": "x"})).await.unwrap_err();
        assert_eq!(error.code, "ParamValidationError");
        assert!(error.message.contains("AssumeRolePolicyDocument"), "{}", error.message);
        let error = call(&client, "ec2", "DescribeInstance", json!({})).await.unwrap_err();
        assert_eq!(error.code, "OperationNotFoundError");
        assert!(error.message.contains("did you mean `DescribeInstances`"), "{}", error.message);
    });
}

#[test]
fn cloudwatch_speaks_cbor_with_query_compatible_errors() {
    run(|client| async move {
        let alarm = unique("cpu-high");
        let put = call(
            &client,
            "cloudwatch",
            "PutMetricAlarm",
            json!({
                "AlarmName": alarm, "MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
                "Statistic": "Average", "Period": 300, "EvaluationPeriods": 2, "Threshold": 80.5,
                "ComparisonOperator": "GreaterThanThreshold",
                "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]
            }),
        )
        .await;
        if let Err(error) = put {
            // moto before 5.2.6 answers CBOR paths with 404.
            panic!(
                "cloudwatch.PutMetricAlarm over CBOR failed: {error}; moto speaks CBOR from \
                 5.2.6 on (scripts/test installs it)"
            );
        }
        let alarms =
            ok(&client, "cloudwatch", "DescribeAlarms", json!({"AlarmNames": [alarm]})).await;
        let found = &alarms["MetricAlarms"][0];
        assert_eq!(found["AlarmName"], json!(alarm));
        assert_eq!(found["Threshold"], 80.5);
        assert_eq!(found["Period"], 300);
        assert!(is_response_timestamp(&found["StateUpdatedTimestamp"]), "{found}");
        let error = call(
            &client,
            "cloudwatch",
            "SetAlarmState",
            json!({
                "AlarmName": unique("missing"), "StateValue": "OK", "StateReason": "test"
            }),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code, "ResourceNotFound");
        assert_eq!(error.status, Some(404));
    });
}
