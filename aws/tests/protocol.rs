//! Serialization and parsing of every protocol against exchanges recorded from boto3 and a
//! moto server (`tests/fixtures/protocol/*.json`, made by `record.py` there, and by
//! `record_cbor.py` for CBOR, whose bodies are kept in base64): the request
//! built from the fixture's parameters must be the one boto3 sent, and the recorded response
//! must parse into what boto3 returned (or the error it raised).
//!
//! These tests read botocore's models, found as `Models::discover` finds them; they fail with
//! the reason when there are none (`pip install botocore`).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use runbook_aws::client::protocol::{HttpResponse, build_request, parse_response};
use runbook_aws::model::Models;
use serde_json::Value;

fn models() -> Models {
    Models::discover(None)
        .unwrap_or_else(|error| panic!("these tests need botocore's models: {error}"))
}

fn fixtures() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/protocol");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    paths.sort();
    paths
}

struct Fixture {
    name: String,
    value: Value,
}

impl Fixture {
    fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        Self {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            value: serde_json::from_str(&text).unwrap(),
        }
    }

    /// A body: `body` as text, or `body_base64` for binary protocols.
    fn body(&self, pointer: &str) -> Vec<u8> {
        match self.value.pointer(&format!("{pointer}/body_base64")).and_then(Value::as_str) {
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_else(|error| panic!("{}: {pointer}/body_base64: {error}", self.name)),
            None => self.str(&format!("{pointer}/body")).as_bytes().to_vec(),
        }
    }

    fn str(&self, pointer: &str) -> &str {
        self.value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{}: no {pointer}", self.name))
    }
}

/// Header names whose values the protocols set and the fixtures keep.
const COMPARED_HEADERS: [&str; 7] = [
    "content-type",
    "x-amz-target",
    "x-amzn-query-mode",
    "content-md5",
    "x-amz-checksum-crc32",
    "smithy-protocol",
    "accept",
];

#[test]
fn requests_match_what_boto3_sent() {
    let models = models();
    let mut checked = 0;
    for path in fixtures() {
        let fixture = Fixture::load(&path);
        let model = models.service(fixture.str("/service")).unwrap();
        let operation = model.operation(fixture.str("/operation")).unwrap();
        let request = build_request(&operation, &fixture.value["params"])
            .unwrap_or_else(|error| panic!("{}: {error}", fixture.name));
        let name = &fixture.name;
        assert_eq!(request.method, fixture.str("/request/method"), "{name}: method");
        assert_eq!(request.path, fixture.str("/request/path"), "{name}: path");
        let expected = fixture.body("/request");
        let binary = fixture.value["request"].get("body_base64").is_some();
        let body = String::from_utf8_lossy(&request.body);
        let expected_body = String::from_utf8_lossy(&expected);
        if binary {
            assert_eq!(request.body, expected, "{name}: body");
        } else if expected_body.starts_with('{') {
            let ours: Value = serde_json::from_str(&body).unwrap();
            let theirs: Value = serde_json::from_str(&expected_body).unwrap();
            assert_eq!(ours, theirs, "{name}: body");
        } else {
            assert_eq!(body, expected_body, "{name}: body");
        }
        for header in COMPARED_HEADERS {
            let theirs = fixture.value["request"]["headers"].get(header).and_then(Value::as_str);
            assert_eq!(request.header(header), theirs, "{name}: header {header}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} fixtures");
}

#[test]
fn responses_parse_into_what_boto3_returned() {
    let models = models();
    for path in fixtures() {
        let fixture = Fixture::load(&path);
        let name = &fixture.name;
        let model = models.service(fixture.str("/service")).unwrap();
        let operation = model.operation(fixture.str("/operation")).unwrap();
        let recorded = &fixture.value["response"];
        let response = HttpResponse {
            status: u16::try_from(recorded["status"].as_u64().unwrap()).unwrap(),
            headers: recorded["headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(key, value)| (key.clone(), value.as_str().unwrap().to_string()))
                .collect(),
            body: fixture.body("/response"),
        };
        match (
            parse_response(&operation, &fixture.value["params"], &response),
            fixture.value.get("error"),
        ) {
            (Ok(mut parsed), None) => {
                let metadata = parsed["ResponseMetadata"].as_object_mut().unwrap();
                assert_eq!(metadata.remove("RetryAttempts"), Some(Value::from(0)), "{name}");
                assert_eq!(parsed, fixture.value["parsed"], "{name}: parsed response");
            }
            (Err(error), Some(expected)) => {
                assert_eq!(error.code, expected["code"].as_str().unwrap(), "{name}: code");
                assert_eq!(error.message, expected["message"].as_str().unwrap(), "{name}: message");
                assert_eq!(
                    error.status.map(u64::from),
                    expected["status"].as_u64(),
                    "{name}: status"
                );
            }
            (Ok(parsed), Some(expected)) => {
                panic!("{name}: parsed {parsed} but boto3 raised {expected}")
            }
            (Err(error), None) => panic!("{name}: {error}"),
        }
    }
}

#[test]
fn unreadable_responses_are_errors_not_panics() {
    let models = models();
    let cases: [(&str, &str, u16, &str, &str, &str); 5] = [
        ("ec2", "DescribeInstances", 200, "not xml", "ResponseParserError", ""),
        ("ssm", "GetParameter", 200, "{", "ResponseParserError", ""),
        ("s3", "ListBuckets", 503, "", "503", "Service Unavailable"),
        ("iam", "GetRole", 400, "<html><body>proxy</body></html>", "400", "Bad Request"),
        ("lambda", "ListFunctions", 502, "<html>bad gateway</html>", "502", "Bad Gateway"),
    ];
    for (service, api, status, body, code, message) in cases {
        let model = models.service(service).unwrap();
        let operation = model.operation(api).unwrap();
        let response = HttpResponse { status, headers: Vec::new(), body: body.as_bytes().to_vec() };
        let error = parse_response(&operation, &Value::Null, &response).unwrap_err();
        assert_eq!(error.code, code, "{service}.{api}");
        if !message.is_empty() {
            assert_eq!(error.message, message, "{service}.{api}");
        }
    }
}

/// Every operation of every service the client speaks CBOR to builds a request and reads an
/// empty answer, so that no model of the installed botocore trips the protocol.
#[test]
fn every_cbor_operation_builds_a_request_and_reads_an_empty_answer() {
    use runbook_aws::model::Protocol;

    let models = models();
    let (mut services, mut operations) = (0, 0);
    for name in models.service_names() {
        let model = models.service(name).unwrap();
        if model.metadata().supported_protocol() != Some(Protocol::RpcV2Cbor) {
            continue;
        }
        services += 1;
        let prefix = model.metadata().target_prefix.clone().unwrap_or_default();
        for api in model.operation_names() {
            let operation = model.operation(api).unwrap();
            let request = build_request(&operation, &serde_json::json!({}))
                .unwrap_or_else(|error| panic!("{name}.{api}: {error}"));
            assert_eq!(request.path, format!("/service/{prefix}/operation/{api}"), "{name}.{api}");
            assert_eq!(request.header("smithy-protocol"), Some("rpc-v2-cbor"), "{name}.{api}");
            let empty = HttpResponse { status: 200, headers: Vec::new(), body: Vec::new() };
            parse_response(&operation, &Value::Null, &empty)
                .unwrap_or_else(|error| panic!("{name}.{api}: {error}"));
            operations += 1;
        }
    }
    assert!(services >= 9, "only {services} services speak CBOR");
    assert!(operations > 100, "only {operations} CBOR operations");
}
