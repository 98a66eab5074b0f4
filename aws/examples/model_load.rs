//! Measures how long botocore's models take to load: the largest (ec2) cold, then every
//! service. Run with `cargo run --release -p runbook-aws --example model_load`.

use std::time::Instant;

use runbook_aws::model::Models;

#[allow(clippy::disallowed_methods, reason = "a benchmark measures real time")]
fn now() -> Instant {
    Instant::now()
}

#[allow(clippy::print_stdout, reason = "an example reports to its user")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = now();
    let models = Models::discover(None)?;
    println!(
        "discovered {} ({} services) in {:?}",
        models.root().display(),
        models.service_names().len(),
        start.elapsed()
    );
    let start = now();
    let ec2 = models.service("ec2")?;
    println!(
        "ec2: {} operations, {} shapes, loaded in {:?}",
        ec2.operation_names().count(),
        ec2.shape_count(),
        start.elapsed()
    );
    let start = now();
    let again = models.service("ec2")?;
    println!(
        "ec2 again (cached): {:?}, same model: {}",
        start.elapsed(),
        std::sync::Arc::ptr_eq(&ec2, &again)
    );
    let start = now();
    let mut operations = 0;
    for name in models.service_names().to_vec() {
        operations += models.service(&name)?.operation_names().count();
    }
    println!(
        "all {} services ({operations} operations) in {:?}",
        models.service_names().len(),
        start.elapsed()
    );
    Ok(())
}
