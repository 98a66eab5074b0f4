//! `runbook init` on the example runbooks and on twenty varied corpus runbooks (AWS's own
//! documents, the Security Hub playbooks, samples; with branches, `onFailure` and `onCancel`
//! jumps, scripts): every test file it writes loads, and its cases run. How many cases each
//! file has, how many the scaffold made to take their path and how many pass as written (a
//! script whose calls differ from run to run, with a fresh UUID, makes a made case fail) are
//! recorded in `tests/corpus/init-cases.txt`.
//!
//! Needs botocore's models (`pip install botocore`, or `RUNBOOK_AWS_MODELS`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runbook::Loader;
use runbook::testing::{RunnerOptions, Scaffold, TestFile, run_files};
use runbook_aws::mock::auto::Placeholders;
use runbook_aws::model::Models;

use crate::support::{TempDir, botocore_line, corpus, expect_file_from_models, root};

/// The corpus runbooks, by their name in the corpus.
const CORPUS: &[&str] = &[
    "ceshihao__ssm-public-documents/documents__AWS-ConfigureS3BucketLogging.json",
    "ceshihao__ssm-public-documents/documents__AWS-OrchestrateUnmanagedEC2Actions.json",
    "ceshihao__ssm-public-documents/documents__AWS-RemediateSSMAgentHTTPSAccess.json",
    "ceshihao__ssm-public-documents/documents__AWSResilienceHub-BlockSQSDeleteMessageTest_2021-03-09.json",
    "ceshihao__ssm-public-documents/documents__AWSConfigRemediation-DeleteRDSInstance.json",
    "ceshihao__ssm-public-documents/documents__AWSConfigRemediation-DeleteUnusedSecurityGroup.json",
    "ceshihao__ssm-public-documents/documents__AWS-PatchInstanceWithRollback.json",
    "ceshihao__ssm-public-documents/documents__AWSResilienceHub-UpdateHttpWsApiGwVersionSOP_2020-10-26.json",
    "aws-solutions__automated-security-response-on-aws/source__playbooks__AFSBP__ssmdocs__AFSBP_Redshift.4.yaml",
    "aws-solutions__automated-security-response-on-aws/source__remediation_runbooks__EnableAutomaticSnapshotsOnRedshiftCluster.yaml",
    "aws-solutions__automated-security-response-on-aws/source__playbooks__AFSBP__ssmdocs__AFSBP_EC2.18.yaml",
    "awslabs__aws-systems-manager/Documents__Automation__EnableS3BucketKeys__Documents__aws-EnableS3BucketKeys.yml",
    "awslabs__aws-systems-manager/Documents__Automation__ResizeInstance__Documents__aws-ResizeInstance.json",
    "awslabs__aws-systems-manager/Documents__Automation__StartRdsInstance__Documents__aws-StartRdsInstance.json",
    "awslabs__aws-systems-manager/Documents__Automation__CopySnapshot__Documents__aws-CopySnapshot.json",
    "aws-solutions__aws-security-hub-automated-response-and-remediation/source__remediation_runbooks__EnableMultiAZOnRDSInstance.yaml",
    "aws-solutions__aws-security-hub-automated-response-and-remediation/source__playbooks__AFSBP__ssmdocs__AFSBP_CloudTrail.1.yaml",
    "aws-samples__aws-fault-injection-simulator-workshop/workshop__content__030_basic_content__040_ssm__050_direct_automation__ssm-asg-remove-az.yaml",
    "aws-samples__aws-secure-environment-accelerator/reference-artifacts__ssm-documents__ssm-elb-enable-logging.yaml",
    "aws-samples__ssm-automation-custom-ad-domain-join-unjoin/templates__systemsmanager__ssm-automation-domainjoinunjoin.yaml",
];

const INIT_CASES: &str = "tests/corpus/init-cases.txt";

/// Writes the scaffold of `runbook` into `folder`, loads it back and runs it: one line of
/// `name  cases N  made M  pass P`.
fn scaffold_line(name: &str, runbook: &Path, folder: &TempDir, models: &Models) -> String {
    let loader = Loader::new().models(Some(models.clone()));
    let validated = loader.load(runbook).unwrap_or_else(|error| panic!("{name}: {error}"));
    let Ok(subject) = validated.into_runbook() else {
        return format!("{name}\trefused: the runbook has errors");
    };
    let scaffold = Scaffold::new(&subject, &Placeholders::new(models.clone()));
    let file_name = name.replace('/', "__");
    let test_path: PathBuf = folder.path().join(format!("{file_name}.test.yaml"));
    std::fs::write(&test_path, scaffold.to_yaml(runbook)).unwrap();
    let test_file = TestFile::load(&test_path)
        .unwrap_or_else(|error| panic!("{name}: the test file init wrote does not load: {error}"));
    assert_eq!(test_file.cases.len(), scaffold.cases.len(), "{name}");
    let options = RunnerOptions { models: Some(models.clone()), ..RunnerOptions::default() };
    let outcomes = run_files(&[test_file], &options);
    let passed = outcomes.iter().filter(|outcome| outcome.passed()).count();
    format!("{name}\tcases {}\tmade {}\tpass {passed}", scaffold.cases.len(), scaffold.made())
}

#[test]
fn init_writes_test_files_that_load_for_the_examples_and_twenty_corpus_runbooks() {
    let models = Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"));
    let folder = TempDir::new("corpus-init");
    let mut lines = Vec::new();
    let examples = root().join("runbooks");
    for example in ["clean-snapshots.yaml", "image-instance.yaml", "patch-instances.yaml"] {
        lines.push(scaffold_line(
            &format!("runbooks/{example}"),
            &examples.join(example),
            &folder,
            &models,
        ));
    }
    for name in CORPUS {
        lines.push(scaffold_line(name, &corpus().join(name), &folder, &models));
    }
    let totals = lines.iter().fold([0usize; 3], |mut totals, line| {
        for (at, key) in ["cases ", "made ", "pass "].iter().enumerate() {
            let count = line
                .split('\t')
                .find_map(|part| part.strip_prefix(key))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            totals[at] += count;
        }
        totals
    });
    let mut text = format!("{}\n", botocore_line(&models));
    for line in &lines {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(
        text,
        "total: {} runbooks, {} cases, {} made, {} pass as written",
        lines.len(),
        totals[0],
        totals[1],
        totals[2]
    );
    expect_file_from_models(INIT_CASES, &text);
}
