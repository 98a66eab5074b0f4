//! Every example in `runbooks/` passes its own test file, run through the same library function
//! as `runbook test`.

use runbook::testing::{RunnerOptions, TestFile, find_test_files, report, run_files};

use crate::support::root;

#[test]
fn every_example_passes_its_test_file() {
    let runbooks = root().join("runbooks");
    let paths = find_test_files(&runbooks).unwrap();
    let examples: Vec<_> = std::fs::read_dir(&runbooks)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            // `NAME.yaml`, not `NAME.test.yaml` or `NAME.mocks.yaml`.
            let kind =
                path.file_stem().map(std::path::Path::new).and_then(std::path::Path::extension);
            path.extension().is_some_and(|ext| ext == "yaml") && kind.is_none()
        })
        .collect();
    for example in &examples {
        let test = example.with_extension("test.yaml");
        assert!(paths.contains(&test), "{} has no test file {}", example.display(), test.display());
    }
    let files: Vec<TestFile> = paths.iter().map(|path| TestFile::load(path).unwrap()).collect();
    let outcomes = run_files(&files, &RunnerOptions::default());
    assert!(
        outcomes.len() >= examples.len() * 2,
        "each example has a success case and failure cases"
    );
    let failed: Vec<_> =
        outcomes.iter().filter(|o| !o.passed() || !o.warnings.is_empty()).collect();
    assert!(failed.is_empty(), "{}", report::human(&outcomes, std::time::Duration::ZERO));
}

/// The Rust example of the README, as written there.
#[test]
fn the_readme_harness_example_runs() -> Result<(), runbook::harness::HarnessError> {
    use runbook::engine::record::Status;
    use runbook::harness::Harness;

    let root = root();
    let run = Harness::load(root.join("runbooks/image-instance.yaml"))?
        .parameter("InstanceId", "i-0123456789abcdef0")
        .mocks_file(root.join("runbooks/image-instance.mocks.yaml"))?
        .run()?;
    run.assert_status(Status::Success)
        .assert_step("restartInstance", Status::Success)
        .assert_output("createImage.ImageId", "ami-0fedcba9876543210")
        .assert_call("ec2", "CreateImage", serde_json::json!({"NoReboot": true}));
    assert!(run.unused_mocks().is_empty(), "{:?}", run.unused_mocks());
    Ok(())
}

#[test]
#[should_panic(expected = "step `createImage`: expected Failed, it ended Success")]
fn harness_assertions_say_what_differs() {
    let root = root();
    let run = runbook::harness::Harness::load(root.join("runbooks/image-instance.yaml"))
        .unwrap()
        .parameter("InstanceId", "i-0123456789abcdef0")
        .mocks_file(root.join("runbooks/image-instance.mocks.yaml"))
        .unwrap()
        .run()
        .unwrap();
    run.assert_step("createImage", runbook::engine::record::Status::Failed);
}

#[test]
fn the_harness_sets_the_step_execution_budget() -> Result<(), runbook::harness::HarnessError> {
    use runbook::engine::record::Status;

    let spin = "schemaVersion: '0.3'\nmainSteps:\n  - {name: wait, action: aws:sleep, inputs: {Duration: PT1S}, nextStep: again}\n  - name: again\n    action: aws:branch\n    inputs: {Choices: [{NextStep: wait, Variable: '{{ global:REGION }}', StringEquals: x}], Default: wait}\n";
    let run =
        runbook::harness::Harness::from_text("spin.yaml", spin)?.max_step_executions(7).run()?;
    run.assert_status(Status::Failed);
    assert_eq!(run.execution.step_executions.len(), 7);
    assert!(run.execution.failure_message.as_deref().unwrap().contains("budget of 7"));
    Ok(())
}

#[test]
fn the_harness_validates_before_it_runs() {
    use runbook::harness::{Harness, HarnessError};

    let broken = "schemaVersion: '0.3'\nmainSteps:\n  - {name: wait, action: aws:sleep, inputs: {Duration: PT1S}, nextStep: missing}\n";
    let error = Harness::from_text("broken.yaml", broken).unwrap().run().unwrap_err();
    assert!(matches!(error, HarnessError::Invalid(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the runbook has errors: broken.yaml:3:73: `nextStep` names step `missing`, which does not exist"
    );
    let typo = "schemaVersion: '0.3'\nmainSteps:\n  - name: describe\n    action: aws:executeAwsApi\n    inputs: {Service: ec2, Api: DescribeInstance}\n";
    let models = runbook::aws::model::Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"));
    let error = Harness::from_text("typo.yaml", typo).unwrap().models(models).run().unwrap_err();
    assert!(error.to_string().contains("has no operation `DescribeInstance`"), "{error}");
}
