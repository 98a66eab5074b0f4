//! The cost of one mock answer, canned and scripted in rhai, and how long a runaway rhai script
//! runs before the sandbox's operation limit stops it. Compare the rhai answer with the canned
//! one measured in the same run.

use std::path::Path;
use std::sync::Arc;

use runbook_aws::mock::{MockAws, MockFile};
use runbook_engine::host::ApiRequest;
use serde_json::json;

fn main() {
    divan::main();
}

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
  - {service: ec2, api: Spin, script: 'loop { }'}
"#;

fn mocks() -> MockAws {
    let file = MockFile::parse(Path::new("mocks.yaml"), MOCKS).expect("valid mock file");
    MockAws::new(Arc::new(file))
}

/// A `returns:` answer, the baseline for the two below.
#[divan::bench]
fn canned_answer(bencher: divan::Bencher) {
    let aws = mocks();
    let request = ApiRequest::new("ec2", "DescribeInstances", json!({"InstanceIds": ["i-0abc"]}));
    bencher.bench_local(|| aws.answer(&request).expect("answered"));
}

/// An answer computed by a rhai `script:`.
#[divan::bench]
fn rhai_answer(bencher: divan::Bencher) {
    let aws = mocks();
    let request =
        ApiRequest::new("ec2", "DescribeInstanceStatus", json!({"InstanceIds": ["i-0abc"]}));
    bencher.bench_local(|| aws.answer(&request).expect("answered"));
}

/// A `loop { }` script, until the operation limit refuses it.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn runaway_rhai_stopped(bencher: divan::Bencher) {
    let aws = mocks();
    let request = ApiRequest::new("ec2", "Spin", json!({}));
    bencher.bench_local(|| assert!(aws.answer(&request).is_err()));
}
