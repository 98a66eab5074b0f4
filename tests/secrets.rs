//! Secrets kept secret (RULINGS 26): a `SecureString` read with `WithDecryption` is masked in the
//! progress, the `-v` lines, the JSON record and the test reports (human, `JUnit`, JSON), unless
//! `--show-secrets`; the step that uses it still gets its value (the mock that answers it
//! requires the value in its params, so the run succeeds only if the value arrived).

use crate::support::{Cli, Output, TempDir};

const SECRET: &str = "Hunter2-s3cr3t";

const RUNBOOK: &str = "schemaVersion: '0.3'
mainSteps:
- name: read
  action: aws:executeAwsApi
  inputs: {Service: ssm, Api: GetParameter, Name: /db/password, WithDecryption: true}
  outputs:
  - {Name: Password, Selector: $.Parameter.Value, Type: String}
- name: use
  action: aws:executeAwsApi
  inputs:
    Service: rds
    Api: ModifyDBInstance
    DBInstanceIdentifier: db1
    MasterUserPassword: '{{ read.Password }}'
outputs: [read.Password]
";

const MOCKS: &str = "aws:
- service: ssm
  api: GetParameter
  params: {Name: /db/password, WithDecryption: true}
  returns: {Parameter: {Name: /db/password, Type: SecureString, Value: Hunter2-s3cr3t}}
- service: rds
  api: ModifyDBInstance
  params: {DBInstanceIdentifier: db1, MasterUserPassword: Hunter2-s3cr3t}
  returns: {DBInstance: {DBInstanceIdentifier: db1}}
";

/// A case that passes, and one whose expectation on the secret output fails, so that the
/// failure shows the value the run produced.
fn tests() -> String {
    let mocks: String = MOCKS.lines().flat_map(|line| ["      ", line, "\n"]).collect();
    format!(
        "runbook: secret.yaml
cases:
  - name: the secret reaches the step that uses it
    mocks:
{mocks}    expect:
      status: Success
  - name: a wrong expectation on the secret output
    mocks:
{mocks}    expect:
      outputs: {{read.Password: not-the-password}}
"
    )
}

fn folder(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("secret.yaml", RUNBOOK);
    dir.write("secret.mocks.yaml", MOCKS);
    dir.write("secret.test.yaml", &tests());
    dir
}

fn run(dir: &TempDir, extra: &[&str]) -> Output {
    Cli::new()
        .current_dir(dir.path())
        .args(["run", "secret.yaml", "--mocks", "secret.mocks.yaml"])
        .args(extra)
        .run()
}

fn assert_hidden(output: &Output) {
    for (name, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(!text.contains(SECRET), "the secret shows in {name}:\n{text}");
    }
    assert!(
        output.stdout.contains("********") || output.stderr.contains("********"),
        "the secret is not shown masked:\n{}\n{}",
        output.stdout,
        output.stderr
    );
}

#[test]
fn a_decrypted_secure_string_is_masked_in_the_verbose_progress_and_the_summary() {
    let dir = folder("secrets-human");
    let output = run(&dir, &["-v"]).code(0);
    assert_hidden(&output);
    assert!(output.stdout.contains("ModifyDBInstance"), "{}", output.stdout);
}

#[test]
fn a_decrypted_secure_string_is_masked_in_the_json_record_yet_reaches_its_step() {
    let dir = folder("secrets-json");
    let output = run(&dir, &["-v", "--output", "json"]).code(0);
    assert_hidden(&output);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Success", "the mock that needs it matched");
    assert_eq!(record["Outputs"]["read.Password"], serde_json::json!(["********"]));
    let call = &record["Calls"][1];
    assert_eq!(call["Params"]["MasterUserPassword"], "********", "{call}");
}

#[test]
fn show_secrets_shows_them() {
    let dir = folder("secrets-shown");
    let output = run(&dir, &["-v", "--output", "json", "--show-secrets"]).code(0);
    assert!(output.stdout.contains(SECRET), "{}", output.stdout);
    assert!(output.stderr.contains(SECRET), "the -v lines show it: {}", output.stderr);
}

#[test]
fn test_reports_mask_the_secret_in_failures_unless_asked() {
    let dir = folder("secrets-tests");
    for format in ["human", "junit", "json"] {
        let output = Cli::new()
            .current_dir(dir.path())
            .args(["test", "secret.test.yaml", "--format", format])
            .run()
            .code(1);
        assert_hidden(&output);
        assert!(output.stdout.contains("not-the-password"), "{format}: {}", output.stdout);
        let shown = Cli::new()
            .current_dir(dir.path())
            .args(["test", "secret.test.yaml", "--format", format, "--show-secrets"])
            .run()
            .code(1);
        assert!(shown.stdout.contains(SECRET), "{format}: {}", shown.stdout);
    }
}

/// A `{{ ssm-secure:... }}` default is read decrypted through the run's AWS backend, recorded
/// with the run's calls, masked everywhere, and given whole to the step that uses it.
#[test]
fn an_ssm_secure_default_is_read_decrypted_recorded_and_masked() {
    let dir = TempDir::new("secrets-ssm-secure");
    dir.write(
        "secure.yaml",
        "schemaVersion: '0.3'
parameters:
  Password: {type: String, default: '{{ ssm-secure:/db/password }}'}
mainSteps:
- name: use
  action: aws:executeAwsApi
  inputs: {Service: rds, Api: ModifyDBInstance, DBInstanceIdentifier: db1, MasterUserPassword: '{{ Password }}'}
",
    );
    dir.write("secure.mocks.yaml", MOCKS);
    let run = |extra: &[&str]| {
        Cli::new()
            .current_dir(dir.path())
            .args(["run", "secure.yaml", "--mocks", "secure.mocks.yaml", "-v", "--output", "json"])
            .args(extra)
            .run()
    };
    let output = run(&[]).code(0);
    assert_hidden(&output);
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(record["AutomationExecutionStatus"], "Success", "the step got the value");
    assert_eq!(record["Parameters"]["Password"], serde_json::json!(["********"]));
    let read = &record["Calls"][0];
    assert_eq!(read["StepName"], "ResolveParameters", "{read}");
    assert_eq!(read["Api"], "GetParameter");
    assert_eq!(read["Params"], serde_json::json!({"Name": "/db/password", "WithDecryption": true}));
    let shown = run(&["--show-secrets"]).code(0);
    assert!(shown.stdout.contains(SECRET), "{}", shown.stdout);
}

/// `{{ ssm-secure:... }}` is read only where `{{ ssm:... }}` is, in parameter defaults; in a
/// step's inputs it is a located validation error.
#[test]
fn an_ssm_secure_reference_in_a_step_input_is_refused() {
    let dir = TempDir::new("secrets-ssm-secure-input");
    dir.write(
        "secure.yaml",
        "schemaVersion: '0.3'
mainSteps:
- name: use
  action: aws:executeAwsApi
  inputs: {Service: rds, Api: ModifyDBInstance, DBInstanceIdentifier: db1, MasterUserPassword: '{{ ssm-secure:/db/password }}'}
",
    );
    let output = Cli::new().current_dir(dir.path()).args(["validate", "secure.yaml"]).run();
    assert_ne!(output.code, 0, "{}", output.stdout);
    let text = format!("{}{}", output.stdout, output.stderr);
    assert!(text.contains("RB015") && text.contains("secure.yaml:5:"), "{text}");
}

/// A secret handed to a child run follows the value: the child's `StringList` parameter splits
/// it into items, and each item is masked in the child's progress lines, record and calls.
#[test]
fn a_secret_split_into_a_child_parameter_stays_masked_in_the_child() {
    let dir = TempDir::new("secrets-child");
    dir.write(
        "parent.yaml",
        "schemaVersion: '0.3'
mainSteps:
- name: read
  action: aws:executeAwsApi
  inputs: {Service: ssm, Api: GetParameter, Name: /db/keys, WithDecryption: true}
  outputs:
  - {Name: Keys, Selector: $.Parameter.Value, Type: String}
- name: child
  action: aws:executeAutomation
  inputs:
    DocumentName: Child
    RuntimeParameters: {Keys: '{{ read.Keys }}'}
",
    );
    dir.write(
        "Child.yaml",
        "schemaVersion: '0.3'
parameters:
  Keys: {type: StringList}
mainSteps:
- name: use
  action: aws:executeAwsApi
  inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: '{{ Keys }}'}
",
    );
    dir.write(
        "mocks.yaml",
        "aws:
- service: ssm
  api: GetParameter
  params: {Name: /db/keys, WithDecryption: true}
  returns: {Parameter: {Name: /db/keys, Type: SecureString, Value: 'Kilo-one,Kilo-two'}}
- service: ec2
  api: DescribeInstances
  params: {InstanceIds: [Kilo-one, Kilo-two]}
  returns: {Reservations: []}
",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["run", "parent.yaml", "--mocks", "mocks.yaml", "--documents", ".", "-v"])
        .args(["--output", "json"])
        .run()
        .code(0);
    for (name, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(!text.contains("Kilo-one") && !text.contains("Kilo-two"), "{name}:\n{text}");
    }
    let record: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let child = &record["StepExecutions"][1]["Child"];
    assert_eq!(child["Parameters"]["Keys"], serde_json::json!(["********", "********"]));
}
