//! `runbook permissions`: the calls of API steps, of actions on their own, of parameter
//! defaults and of child runbooks, turned into IAM actions; what cannot be known is listed.

use runbook::permissions::{Unknown, permissions};
use runbook_aws::model::Models;
use runbook_engine::Document;

use crate::support::{Cli, TempDir};

const PARENT: &str = r"schemaVersion: '0.3'
parameters:
  Ami: {type: String, default: '{{ ssm:/aws/service/ami }}'}
  Api: {type: String, default: DescribeImages}
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    inputs: {Service: EC2, Api: describe_instances}
  - name: dynamic
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: '{{ Api }}'}
  - name: machine
    action: aws:executeStateMachine
    inputs: {stateMachineArn: arn}
  - name: lambda
    action: aws:invokeLambdaFunction
    inputs: {FunctionName: f}
  - name: script
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: h, Script: 'def h(e, c): pass'}
  - name: child
    action: aws:executeAutomation
    inputs: {DocumentName: Child}
  - name: missing
    action: aws:executeAutomation
    inputs: {DocumentName: 'arn:aws:ssm:us-east-1:123456789012:document/Elsewhere'}
";

const CHILD: &str = r"schemaVersion: '0.3'
mainSteps:
  - name: stop
    action: aws:changeInstanceState
    inputs: {InstanceIds: [i-1], DesiredState: stopped}
  - name: again
    action: aws:executeAutomation
    inputs: {DocumentName: Child}
";

fn models() -> Models {
    Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"))
}

#[test]
fn every_call_a_runbook_can_make_is_an_iam_action() {
    let dir = TempDir::new("permissions");
    let parent = dir.write("parent.yaml", PARENT);
    dir.write("docs/Child.yaml", CHILD);
    let document = Document::load(&parent).unwrap();
    let found = permissions(&document, "parent.yaml", &[dir.path().join("docs")], Some(&models()));
    assert_eq!(
        found.actions(),
        [
            "ec2:DescribeInstances",
            "ec2:StopInstances",
            "lambda:InvokeFunction",
            "ssm:GetAutomationExecution",
            "ssm:GetParameter",
            "ssm:StartAutomationExecution",
            "states:DescribeExecution",
            "states:StartExecution",
        ]
    );
    let describe = found.calls.iter().find(|call| call.api == "DescribeInstances").unwrap();
    assert_eq!(describe.service, "ec2");
    let sites: Vec<String> = describe.sites.iter().map(ToString::to_string).collect();
    assert_eq!(
        sites,
        ["parent.yaml: describe (aws:executeAwsApi)", "Child: stop (aws:changeInstanceState)"]
    );
    let mutating: Vec<&str> = found.mutating().map(|call| call.api.as_str()).collect();
    assert_eq!(mutating, ["StopInstances", "Invoke", "StartAutomationExecution", "StartExecution"]);
    assert_eq!(found.unknown.len(), 3, "{:?}", found.unknown);
    assert!(matches!(&found.unknown[0], Unknown::Templated { site, .. } if site.step == "dynamic"));
    assert!(
        matches!(&found.unknown[1], Unknown::Script { site, found: 0 } if site.step == "script")
    );
    assert!(
        matches!(&found.unknown[2], Unknown::Child { reason, .. } if reason.contains("`Elsewhere` not found")),
        "{}",
        found.unknown[2]
    );
    let policy = found.policy().expect("actions to grant");
    assert_eq!(policy["Version"], "2012-10-17");
    assert_eq!(policy["Statement"][0]["Effect"], "Allow");
    assert_eq!(policy["Statement"][0]["Resource"], "*");
    assert_eq!(policy["Statement"][0]["Action"].as_array().unwrap().len(), 8);
}

#[test]
fn without_documents_children_are_named_as_not_covered() {
    let dir = TempDir::new("permissions-nodocs");
    let parent = dir.write("parent.yaml", PARENT);
    let document = Document::load(&parent).unwrap();
    let found = permissions(&document, "parent.yaml", &[], None);
    assert!(found.actions().contains(&"states:StartExecution".to_string()));
    // Without models, the spelling is made the API's.
    assert!(found.actions().contains(&"ec2:DescribeInstances".to_string()));
    let children: Vec<String> = found
        .unknown
        .iter()
        .filter(|unknown| matches!(unknown, Unknown::Child { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        children,
        [
            "parent.yaml: child (aws:executeAutomation): the child runbook's calls are not included: give the folder that holds `Child` with --documents",
            "parent.yaml: missing (aws:executeAutomation): the child runbook's calls are not included: give the folder that holds `Elsewhere` with --documents",
        ]
    );
}

#[test]
fn the_command_prints_the_policy_alone_as_json() {
    let output = Cli::new()
        .args(["permissions", "runbooks/image-instance.yaml", "--format", "json"])
        .run()
        .code(0);
    let policy: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(
        policy["Statement"][0]["Action"],
        serde_json::json!([
            "ec2:CreateImage",
            "ec2:DescribeImages",
            "ec2:DescribeInstanceStatus",
            "ec2:DescribeInstances",
            "ec2:StartInstances",
            "ec2:StopInstances"
        ])
    );
    let output = Cli::new().args(["permissions", "runbooks/image-instance.yaml"]).run().code(0);
    assert!(output.stdout.starts_with("6 calls (3 that change something):\n"), "{}", output.stdout);
    assert!(
        output.stdout.contains("  ec2:StopInstances           changes  stopInstance\n"),
        "{}",
        output.stdout
    );
    Cli::new().args(["permissions", "no/such.yaml"]).run().code(2);
}

const PASSES_ROLES: &str = r"schemaVersion: '0.3'
mainSteps:
  - name: launch
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: RunInstances, ImageId: ami-1, MinCount: 1, MaxCount: 1, IamInstanceProfile: {Name: profile}}
  - name: stack
    action: aws:executeAwsApi
    inputs: {Service: cloudformation, Api: CreateStack, StackName: s, RoleARN: 'arn:aws:iam::1:role/cfn'}
  - name: function
    action: aws:executeAwsApi
    inputs: {Service: lambda, Api: CreateFunction, FunctionName: f, Role: 'arn:aws:iam::1:role/l', Code: {}}
  - name: task
    action: aws:executeAwsApi
    inputs: {Service: ecs, Api: RegisterTaskDefinition, family: f, containerDefinitions: [], taskRoleArn: 'arn:aws:iam::1:role/t'}
  - name: plain
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: RunInstances, ImageId: ami-1, MinCount: 1, MaxCount: 1}
  - name: lookup
    action: aws:executeAwsApi
    inputs: {Service: cloudformation, Api: DescribeStacks, StackName: s}
  - name: attach
    action: aws:executeAwsApi
    inputs: {Service: iam, Api: AttachRolePolicy, RoleName: r, PolicyArn: p}
  - name: assume
    action: aws:executeAwsApi
    inputs: {Service: sts, Api: AssumeRole, RoleArn: 'arn:aws:iam::1:role/a', RoleSessionName: s}
  - name: user
    action: aws:executeAwsApi
    inputs: {Service: quicksight, Api: RegisterUser, AwsAccountId: '1', Namespace: default, Email: e, IdentityType: IAM, UserRole: READER}
  - name: launchStep
    action: aws:runInstances
    inputs: {ImageId: ami-1, IamInstanceProfileName: profile}
";

#[test]
fn a_call_that_hands_a_role_or_instance_profile_to_a_service_needs_iam_pass_role() {
    let dir = TempDir::new("permissions-pass-role");
    let path = dir.write("roles.yaml", PASSES_ROLES);
    let document = Document::load(&path).unwrap();
    let models = models();
    for models in [Some(&models), None] {
        let found = permissions(&document, "roles.yaml", &[], models);
        let pass_role = found.calls.iter().find(|call| call.api == "PassRole").unwrap();
        assert_eq!(pass_role.iam_actions, ["iam:PassRole"]);
        assert!(pass_role.mutating);
        let steps: Vec<&str> = pass_role.sites.iter().map(|site| site.step.as_str()).collect();
        // Without the models, QuickSight's `UserRole` (an enumeration) cannot be told apart.
        let expected: &[&str] = if models.is_some() {
            &["launch", "stack", "function", "task", "launchStep"]
        } else {
            &["launch", "stack", "function", "task", "user", "launchStep"]
        };
        assert_eq!(steps, expected, "models: {}", models.is_some());
    }
}

#[test]
fn a_runbook_without_calls_has_nothing_to_grant_and_no_empty_policy() {
    let dir = TempDir::new("permissions-nothing");
    dir.write(
        "sleep.yaml",
        "schemaVersion: '0.3'\nmainSteps:\n  - {name: wait, action: aws:sleep, inputs: {Duration: PT1M}}\n",
    );
    let document = Document::load(dir.path().join("sleep.yaml")).unwrap();
    assert_eq!(permissions(&document, "sleep.yaml", &[], None).policy(), None);
    let output =
        Cli::new().current_dir(dir.path()).args(["permissions", "sleep.yaml"]).run().code(0);
    assert!(!output.stdout.contains("\"Action\""), "{}", output.stdout);
    assert!(
        output.stdout.contains("nothing to grant: the runbook makes no AWS call"),
        "{}",
        output.stdout
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["permissions", "sleep.yaml", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(output.stdout, "");
    assert!(output.stderr.contains("nothing to grant"), "{}", output.stderr);
}

/// Every service of the installed botocore, whatever protocol it speaks (CBOR included), is
/// found by the model checks, answered by placeholder mocks that fit its responses, and turned
/// into IAM actions: one step per service, calling its first operation.
#[test]
fn every_service_of_the_installed_botocore_is_checked_mocked_and_permitted() {
    use std::fmt::Write;

    let models = models();
    let mut runbook = String::from("schemaVersion: '0.3'\nmainSteps:\n");
    for (index, name) in models.service_names().iter().enumerate() {
        let model = models.service(name).unwrap();
        let api = model.operation_names().next().unwrap().to_string();
        let operation = model.operation(&api).unwrap();
        let problems = runbook_aws::model::check_response(
            &operation,
            &runbook_aws::model::auto_response(&operation),
        );
        assert!(problems.is_empty(), "{name}.{api}: placeholder answer: {problems:?}");
        let _ = write!(
            runbook,
            "  - name: s{index}\n    action: aws:executeAwsApi\n    inputs: {{Service: {name}, Api: {api}}}\n"
        );
    }
    let document =
        Document::parse("all.yaml", runbook, runbook_engine::document::Format::Yaml).unwrap();
    let findings = runbook_aws::model::lint::lint(&document, &models);
    let unknown: Vec<String> = findings
        .iter()
        .filter(|finding| finding.is_error() && ["RB028", "RB029"].contains(&finding.code.id))
        .map(|finding| finding.message.clone())
        .collect();
    assert!(unknown.is_empty(), "services or operations not found: {unknown:?}");
    let found = permissions(&document, "all.yaml", &[], Some(&models));
    assert!(found.unknown.is_empty(), "{:?}", found.unknown);
    // One call a service: none lost, none merged.
    assert_eq!(found.calls.len(), models.service_names().len());
    assert!(found.calls.iter().all(|call| !call.iam_actions.is_empty()), "{:?}", found.calls);
}

const SCRIPTS: &str = r#"schemaVersion: '0.3'
mainSteps:
  - name: describe
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: DescribeInstances}
  - name: inline
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: handler
      Script: |
        import boto3
        def handler(events, context):
            s3 = boto3.client("s3")
            s3.put_object(Bucket="b", Key="k", Body=b"")
            ec2 = boto3.session.Session().client('ec2', region_name='eu-west-1')
            ec2.describe_instances()
            s3.not_an_operation()
  - name: attached
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: script.handler, Attachment: script.py}
"#;

const ATTACHED_SCRIPT: &str = "\
import boto3
def handler(events, context):
    rds = boto3.client('rds')
    return rds.describe_db_instances()['DBInstances']
";

#[test]
fn calls_read_in_scripts_are_flagged_in_the_text_and_get_a_statement_of_their_own() {
    let dir = TempDir::new("permissions-scripts");
    dir.write("scripts.yaml", SCRIPTS);
    dir.write("script.py", ATTACHED_SCRIPT);
    let document = Document::load(dir.path().join("scripts.yaml")).unwrap();
    let found = permissions(&document, "scripts.yaml", &[], Some(&models()));
    let script_calls: Vec<String> = found
        .calls
        .iter()
        .filter(|call| call.sites.iter().any(|site| site.in_script))
        .map(|call| format!("{}.{} {}", call.service, call.api, call.only_in_scripts()))
        .collect();
    // The model's spelling (`DescribeDBInstances`); `not_an_operation` is no call.
    assert_eq!(
        script_calls,
        ["ec2.DescribeInstances false", "rds.DescribeDBInstances true", "s3.PutObject true"]
    );
    assert!(matches!(&found.unknown[0], Unknown::Script { found: 2, .. }), "{:?}", found.unknown);
    assert!(matches!(&found.unknown[1], Unknown::Script { found: 1, .. }), "{:?}", found.unknown);

    let output =
        Cli::new().current_dir(dir.path()).args(["permissions", "scripts.yaml"]).run().code(0);
    assert!(output.stdout.contains("s3:PutObject"), "{}", output.stdout);
    assert!(output.stdout.contains("changes  inline (script)\n"), "{}", output.stdout);
    assert!(output.stdout.contains("describe; inline (script)\n"), "{}", output.stdout);
    assert!(
        output.stdout.contains("2 calls found by reading the script; what else it calls"),
        "{}",
        output.stdout
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["permissions", "scripts.yaml", "--format", "json"])
        .run()
        .code(0);
    let policy: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(
        policy["Statement"],
        serde_json::json!([
            {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"},
            {
                "Sid": "FoundInScripts",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances", "s3:PutObject"],
                "Resource": "*"
            }
        ])
    );
}

#[test]
fn calls_found_in_the_corpus_scripts() {
    let models = models();
    let mut steps = 0usize;
    let mut with_calls = 0usize;
    let mut calls = 0usize;
    let mut runbooks = std::collections::BTreeSet::new();
    for (name, path) in crate::support::corpus_files() {
        let Ok(document) = Document::load(&path) else { continue };
        let found = permissions(&document, &name, &[], Some(&models));
        for unknown in &found.unknown {
            if let Unknown::Script { found, .. } = unknown {
                steps += 1;
                calls += found;
                if *found > 0 {
                    with_calls += 1;
                    runbooks.insert(name.clone());
                }
            }
        }
    }
    let text = format!(
        "{}\nscript steps: {steps}\nwith calls found: {with_calls}, in {} runbooks\ncalls found: {calls}\n",
        crate::support::botocore_line(&models),
        runbooks.len()
    );
    crate::support::expect_file_from_models("tests/corpus/script-calls.txt", &text);
}
