//! The cost of one mock answer, scripted in rhai and canned, measured over 10,000 calls, and
//! how long a runaway script runs before the sandbox stops it.
//!
//! Ignored by default (timing is noise in a debug build). Run it in release:
//! `cargo test --release -p runbook-aws --test mock_bench -- --ignored --nocapture --test-threads=1`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runbook_aws::mock::{MockAws, MockFile};
use runbook_engine::host::ApiRequest;
use serde_json::json;

const CALLS: u32 = 10_000;

const MOCKS: &str = r#"
aws:
  - service: ec2
    api: DescribeInstanceStatus
    script: |
      let state = if calls < 2 { "pending" } else { "running" };
      #{InstanceStatuses: [#{InstanceId: params.InstanceIds[0], InstanceState: #{Name: state}}]}
  - service: ec2
    api: DescribeInstances
    params: {InstanceIds: [i-0abc]}
    returns: {Reservations: [{Instances: [{InstanceId: i-0abc, State: {Name: running}}]}]}
"#;

#[allow(clippy::disallowed_methods, reason = "a benchmark measures real time")]
fn time(mut body: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..CALLS {
        body();
    }
    start.elapsed()
}

#[test]
#[ignore = "a benchmark; run in release with --ignored --nocapture"]
fn cost_of_one_mock_answer() {
    let file = MockFile::parse(Path::new("mocks.yaml"), MOCKS).expect("valid mock file");
    let aws = MockAws::new(Arc::new(file));
    let scripted =
        ApiRequest::new("ec2", "DescribeInstanceStatus", json!({"InstanceIds": ["i-0abc"]}));
    let canned = ApiRequest::new("ec2", "DescribeInstances", json!({"InstanceIds": ["i-0abc"]}));

    let rhai = time(|| {
        let answer = aws.answer(&scripted).expect("answered");
        assert!(answer["InstanceStatuses"].is_array());
    });
    let plain = time(|| {
        aws.answer(&canned).expect("answered");
    });
    let per_call = |total: Duration| total.as_secs_f64() * 1e6 / f64::from(CALLS);
    eprintln!(
        "{CALLS} calls: rhai script {:.2} µs/call, canned `returns` {:.2} µs/call",
        per_call(rhai),
        per_call(plain)
    );
    assert_eq!(aws.call_counts(), [u64::from(CALLS), u64::from(CALLS)]);
}

#[test]
#[ignore = "a benchmark; run in release with --ignored --nocapture"]
fn time_to_stop_a_runaway_script() {
    let text = "aws:\n  - {service: ec2, api: A, script: 'loop { }'}\n";
    let file = MockFile::parse(Path::new("mocks.yaml"), text).expect("valid mock file");
    let aws = MockAws::new(Arc::new(file));
    let request = ApiRequest::new("ec2", "A", json!({}));
    let mut stops = 0;
    #[allow(clippy::disallowed_methods, reason = "a benchmark measures real time")]
    let start = Instant::now();
    for _ in 0..10 {
        stops += u32::from(aws.answer(&request).is_err());
    }
    let each = start.elapsed() / 10;
    eprintln!("a `loop {{}}` script is stopped by the operation limit after {each:?}");
    assert_eq!(stops, 10);
}
