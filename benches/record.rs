//! Writing a recording: a long run's calls (a thousand instances described, each polled
//! through three states, and a paginated listing) as a YAML mock file.

use std::sync::Arc;

use runbook_aws::mock::record::Recorder;
use runbook_engine::host::{ApiError, ApiRequest, AwsBackend, BoxFuture};
use serde_json::{Value, json};

fn main() {
    divan::main();
}

/// Answers every call with a small response naming the call.
struct Echo;

impl AwsBackend for Echo {
    fn call(&self, request: ApiRequest) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(async move { Ok(json!({"Api": request.api, "Params": request.params})) })
    }
}

fn recorded(instances: usize) -> Arc<Recorder> {
    let recorder = Arc::new(Recorder::new());
    let aws = recorder.backend(Arc::new(Echo), None);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        for page in 0..instances / 100 {
            let token = if page == 0 { Value::Null } else { json!(format!("t{page}")) };
            let params = json!({"MaxResults": 100, "NextToken": token});
            aws.call(ApiRequest::new("ec2", "DescribeInstances", params)).await.unwrap();
        }
        for index in 0..instances {
            let params = json!({"InstanceIds": [format!("i-{index:017x}")]});
            for _ in 0..3 {
                let request = ApiRequest::new("ec2", "DescribeInstanceStatus", params.clone());
                aws.call(request).await.unwrap();
            }
        }
    });
    recorder
}

#[divan::bench(args = [100, 1000])]
fn write_yaml(bencher: divan::Bencher, instances: usize) {
    let recorder = recorded(instances);
    bencher.bench(|| recorder.to_yaml());
}
