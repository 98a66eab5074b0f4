//! Prints the account, ARN and region the standard credential chain resolves to, through the
//! live client (STS `GetCallerIdentity`). Honours `AWS_ENDPOINT_URL`, so it also checks a
//! moto setup:
//!
//! ```text
//! AWS_ENDPOINT_URL=http://127.0.0.1:5055 AWS_REGION=us-east-1 \
//! AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
//!     cargo run -p runbook-aws --features live --example whoami
//! ```

use runbook_aws::client::{AwsClient, ClientOptions};
use runbook_aws::model::Models;

#[allow(clippy::print_stdout, reason = "an example reports to its user")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = runbook_engine::host::virtual_runtime()?;
    runtime.block_on(async {
        let models = Models::discover(None)?;
        let client = AwsClient::new(models, ClientOptions::default()).await?;
        let identity = client.caller_identity().await?;
        println!("account {} as {} in {}", identity.account, identity.arn, identity.region);
        Ok(())
    })
}
