//! Every corpus runbook, started with its defaults plus generated values for its required
//! parameters, runs to a terminal status with a well-formed record: no panic, no hang, whatever
//! its steps do. AWS calls go to an empty mock file (they fail, showing the call); scripts do
//! not run here (their step fails at once), since the point is the engine, not the scripts. How
//! the runs end, and which runbooks are refused at start, is recorded in
//! `tests/corpus/run-statuses.txt`.
//!
//! Since those runs mostly stop at their first AWS call, each documented action is also run once
//! on its own, on mocks that answer as the service would, to its documented success (this needs
//! no corpus); the uses of an action that do not run yet are listed as known limits.

use std::fmt::Write as _;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook::{Loader, Refused, Session};
use runbook_engine::catalog::ValueType;
use runbook_engine::document::{AwsResource, Parameter, ParameterType};
use runbook_engine::execute::NoScripts;
use runbook_engine::host::virtual_runtime;
use runbook_engine::params::Pattern;
use runbook_engine::record::Status;
use serde_json::{Value, json};

use crate::support::{corpus_files, expect_file};

/// Actions only AWS's own documents use; the service runs them, this engine cannot.
pub(crate) const INTERNAL_ACTIONS: &[&str] =
    &["aws:putServerUpgradeMetrics", "aws:shareSQLMedia", "aws:installDistributorPackageOnAzure"];

/// Text values tried, in order, for String parameters with an `allowedPattern`.
const CANDIDATES: &[&str] = &[
    "example",
    "i-0123456789abcdef0",
    "arn:aws:iam::123456789012:role/Example",
    "123456789012",
    "us-east-1",
    "ami-0123456789abcdef0",
    "sg-0123456789abcdef0",
    "subnet-0123456789abcdef0",
    "vpc-0123456789abcdef0",
    "vol-0123456789abcdef0",
    "snap-0123456789abcdef0",
    "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
    "arn:aws:sns:us-east-1:123456789012:Example",
    "arn:aws:s3:::example-bucket",
    "example-bucket",
    "1",
    "a",
    "Example",
    "yes",
    "true",
    "12345678-1234-1234-1234-123456789012",
    "https://sqs.us-east-1.amazonaws.com/123456789012/example",
];

fn text_value(parameter: &Parameter) -> Value {
    let resource = match parameter.ty.as_ref().map(|t| t.value) {
        Some(ParameterType::AwsResource { resource, .. }) => Some(resource),
        _ => None,
    };
    let pattern = parameter.allowed_pattern.as_ref().and_then(|p| Pattern::new(&p.value).ok());
    let preferred = match resource {
        Some(AwsResource::Ec2InstanceId) => "i-0123456789abcdef0",
        Some(AwsResource::IamRoleArn) => "arn:aws:iam::123456789012:role/Example",
        Some(AwsResource::S3BucketName) => "example-bucket",
        None => "example",
    };
    let fits = |candidate: &str| pattern.as_ref().is_none_or(|p| p.is_match(candidate));
    let generated =
        parameter.allowed_pattern.as_ref().map(|p| from_pattern(&p.value)).unwrap_or_default();
    let text = std::iter::once(preferred)
        .chain(CANDIDATES.iter().copied())
        .chain(generated.iter().map(String::as_str))
        .find(|candidate| fits(candidate))
        .unwrap_or(preferred);
    json!(text)
}

/// Drops look-around groups, which the syntax tree cannot express; what is generated without
/// them is checked against the whole pattern afterwards.
fn without_look_around(pattern: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let rest: String = chars[index..chars.len().min(index + 4)].iter().collect();
        if ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|start| rest.starts_with(start)) {
            let mut depth = 0;
            while index < chars.len() {
                match chars[index] {
                    '\\' => index += 1,
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                index += 1;
            }
            index += 1;
            continue;
        }
        out.push(chars[index]);
        index += 1;
    }
    out
}

/// Short texts that `pattern` may match, built from its syntax tree: one per alternative of the
/// whole pattern.
fn from_pattern(pattern: &str) -> Vec<String> {
    use regex_syntax::hir::{Hir, HirKind};
    fn build(hir: &Hir, out: &mut String) {
        match hir.kind() {
            HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
            HirKind::Class(regex_syntax::hir::Class::Unicode(class)) => {
                let ranges = class.ranges();
                let pick = ranges
                    .iter()
                    .find_map(|r| {
                        ('a'..='z').chain('0'..='9').find(|c| r.start() <= *c && *c <= r.end())
                    })
                    .or_else(|| ranges.first().map(regex_syntax::hir::ClassUnicodeRange::start));
                out.extend(pick);
            }
            HirKind::Class(regex_syntax::hir::Class::Bytes(class)) => {
                out.extend(class.ranges().first().map(|r| char::from(r.start())));
            }
            HirKind::Repetition(repetition) => {
                for _ in 0..repetition.min.clamp(1, 300) {
                    build(&repetition.sub, out);
                }
            }
            HirKind::Capture(capture) => build(&capture.sub, out),
            HirKind::Concat(items) => items.iter().for_each(|item| build(item, out)),
            HirKind::Alternation(items) => {
                if let Some(first) = items.first() {
                    build(first, out);
                }
            }
            HirKind::Empty | HirKind::Look(_) => {}
        }
    }
    let Ok(hir) =
        regex_syntax::parse(&without_look_around(&runbook_engine::params::from_java(pattern)))
    else {
        return Vec::new();
    };
    let alternatives: Vec<&Hir> = match hir.kind() {
        HirKind::Alternation(items) => items.iter().collect(),
        _ => vec![&hir],
    };
    alternatives
        .into_iter()
        .map(|alternative| {
            let mut out = String::new();
            build(alternative, &mut out);
            out
        })
        .collect()
}

/// A value for a required parameter: its first allowed value, or one of its type that fits
/// its pattern when a candidate does.
pub(crate) fn generated(parameter: &Parameter) -> Value {
    let ty = parameter.ty.as_ref().map_or(ValueType::String, |ty| ty.value.value_type());
    if let Some(first) = parameter.allowed_values.as_ref().and_then(|values| values.value.first()) {
        let value = json!(first.scalar_text().unwrap_or_default());
        return if ty == ValueType::StringList { json!([value]) } else { value };
    }
    match ty {
        ValueType::String => text_value(parameter),
        ValueType::StringList => json!([text_value(parameter)]),
        ValueType::Integer => {
            let pattern =
                parameter.allowed_pattern.as_ref().and_then(|p| Pattern::new(&p.value).ok());
            let number = (1..=100_000)
                .find(|n: &i64| pattern.as_ref().is_none_or(|p| p.is_match(&n.to_string())))
                .unwrap_or(1);
            json!(number)
        }
        ValueType::Boolean => json!(false),
        ValueType::StringMap => parameter
            .allowed_pattern
            .as_ref()
            .map(|pattern| from_pattern(&pattern.value))
            .unwrap_or_default()
            .iter()
            .find_map(|text| serde_json::from_str::<Value>(text).ok().filter(Value::is_object))
            .unwrap_or_else(|| json!({})),
        ValueType::MapList => json!([]),
    }
}

/// Where the counts of [`every_corpus_runbook_runs_to_a_terminal_status`] are recorded.
const RUN_STATUSES: &str = "tests/corpus/run-statuses.txt";

#[test]
fn every_corpus_runbook_runs_to_a_terminal_status() {
    let runtime = virtual_runtime().unwrap();
    // Runbooks whose run was refused at start, with the reason; those with validation errors
    // apart (a broken allowedPattern may rightly refuse every value).
    let mut refused = Vec::new();
    let mut refused_invalid = Vec::new();
    let mut unsupported: IndexMap<String, usize> = IndexMap::new();
    let mut statuses: IndexMap<Status, usize> = IndexMap::new();
    let files = corpus_files();
    for (name, path) in &files {
        let validated = Loader::new().load(path).unwrap_or_else(|error| panic!("{name}: {error}"));
        let has_errors = validated.report().has_errors();
        let parameters: IndexMap<String, Value> = validated
            .document()
            .parameters
            .iter()
            .filter(|parameter| parameter.is_required())
            .map(|parameter| (parameter.name.value.clone(), generated(parameter)))
            .collect();
        // Runbooks with errors run too: a started run must end whatever the document holds.
        let runbook = validated.into_runbook_despite_errors();
        let mut parameters = parameters;
        // A default the run refuses (a build-time placeholder breaking its pattern, a Parameter
        // Store name no mock answers) is replaced by a generated value, as a user would.
        let execution = loop {
            let session = Session::new()
                .scripts(Arc::new(NoScripts))
                .parameters(parameters.clone())
                .start_time("2026-01-01T00:00:00Z".parse().unwrap());
            match runtime.block_on(session.run_async(&runbook)) {
                Ok(finished) => break Some(finished.execution),
                Err(Refused { error, .. }) if !parameters.contains_key(&error.parameter) => {
                    let parameter = runbook
                        .document()
                        .parameter(&error.parameter)
                        .expect("errors name a parameter");
                    parameters.insert(error.parameter.clone(), generated(parameter));
                }
                Err(error) if has_errors => {
                    refused_invalid.push(format!("{name}: {error}"));
                    break None;
                }
                Err(error) => {
                    refused.push(format!("{name}: {error}"));
                    break None;
                }
            }
        };
        let Some(execution) = execution else { continue };
        let status = execution.automation_execution_status;
        assert!(status.is_terminal(), "{name}: the run ended {status}");
        for step in &execution.step_executions {
            assert!(
                step.step_status.is_terminal() || step.step_status == Status::Pending,
                "{name}: step {} ended {}",
                step.step_name,
                step.step_status
            );
            if step
                .failure_message
                .as_ref()
                .is_some_and(|message| message.starts_with("unsupported"))
            {
                *unsupported.entry(step.action.clone()).or_default() += 1;
            }
        }
        let record: Value = serde_json::from_str(&execution.to_json()).expect("the record is JSON");
        assert_eq!(record["AutomationExecutionStatus"], status.as_str(), "{name}");
        *statuses.entry(status).or_default() += 1;
    }
    statuses.sort_by(|a, _, b, _| a.as_str().cmp(b.as_str()));
    unsupported.sort_keys();

    let mut counts = String::from(
        "# Corpus runbooks run on no mocks (every AWS call fails) with generated required\n\
         # parameters, by how the run ended\n",
    );
    let _ = writeln!(counts, "runbooks: {}", files.len());
    for (status, count) in &statuses {
        let _ = writeln!(counts, "ended {status}: {count}");
    }
    let _ = writeln!(counts, "refused at start, with validation errors: {}", refused_invalid.len());
    for line in &refused_invalid {
        let _ = writeln!(counts, "  {line}");
    }
    let _ = writeln!(counts, "refused at start, valid: {}", refused.len());
    for line in &refused {
        let _ = writeln!(counts, "  {line}");
    }
    let _ = writeln!(counts, "steps that could not run (unsupported), by action:");
    for (action, count) in &unsupported {
        let _ = writeln!(counts, "  {action}: {count}");
    }
    let runs: usize = statuses.values().sum();
    assert_eq!(runs + refused.len() + refused_invalid.len(), files.len(), "every runbook counted");
    expect_file(RUN_STATUSES, &counts);
    // Only the internal actions of AWS's own documents may be unsupported: the documented ones
    // are run one by one below.
    let official: Vec<&String> =
        unsupported.keys().filter(|action| !INTERNAL_ACTIONS.contains(&action.as_str())).collect();
    assert!(official.is_empty(), "documented actions that could not run: {official:?}");
    assert!(
        refused.is_empty(),
        "valid runbooks refused at start even with generated values:\n{}",
        refused.join("\n")
    );
}

/// One run of a documented action: the steps of a runbook whose step `act` uses it, the mocks
/// that answer its AWS calls as the service would, and what the run must show.
struct ActionCase {
    action: &'static str,
    /// The runbook after `schemaVersion` (variables, `mainSteps`).
    runbook: &'static str,
    mocks: &'static str,
    /// The `act` output the action documents, and its value here.
    output: Option<(&'static str, &'static str)>,
}

/// The child runbook `aws:executeAutomation` starts, found by name in a documents folder.
const CHILD: &str = "schemaVersion: '0.3'\nmainSteps:\n- {name: nap, action: aws:sleep, inputs: {Duration: PT1M}}\n";

/// A run of every action the service documents (the catalog), each to its documented success.
const ACTION_CASES: &[ActionCase] = &[
    ActionCase {
        action: "aws:approve",
        runbook: "mainSteps:\n- {name: act, action: aws:approve, inputs: {Approvers: [ops]}}\n",
        mocks: "aws: []\n",
        output: None,
    },
    ActionCase {
        action: "aws:assertAwsResourceProperty",
        runbook: "mainSteps:\n- {name: act, action: aws:assertAwsResourceProperty, inputs: {Service: ec2, Api: DescribeImages, ImageIds: [ami-1], PropertySelector: '$.Images[0].State', DesiredValues: [available]}}\n",
        mocks: "aws:\n- {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-1, State: available}]}}\n",
        output: None,
    },
    ActionCase {
        action: "aws:branch",
        runbook: "mainSteps:\n- {name: act, action: aws:branch, inputs: {Choices: [{NextStep: done, Variable: 'a', StringEquals: a}]}}\n- {name: skipped, action: aws:sleep, inputs: {Duration: PT1M}, isEnd: true}\n- {name: done, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        mocks: "aws: []\n",
        output: Some(("NextStep", "\"done\"")),
    },
    ActionCase {
        action: "aws:changeInstanceState",
        runbook: "mainSteps:\n- {name: act, action: aws:changeInstanceState, inputs: {InstanceIds: [i-1], DesiredState: stopped}}\n",
        mocks: "aws:\n- {service: ec2, api: StopInstances, returns: {}}\n- {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{InstanceId: i-1, State: {Name: stopped}}]}]}}\n",
        output: None,
    },
    ActionCase {
        action: "aws:copyImage",
        runbook: "mainSteps:\n- {name: act, action: aws:copyImage, inputs: {SourceRegion: eu-west-1, SourceImageId: ami-1, ImageName: copy}}\n",
        mocks: "aws:\n- {service: ec2, api: CopyImage, returns: {ImageId: ami-2}}\n- {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-2, State: available}]}}\n",
        output: Some(("ImageId", "\"ami-2\"")),
    },
    ActionCase {
        action: "aws:createImage",
        runbook: "mainSteps:\n- {name: act, action: aws:createImage, inputs: {InstanceId: i-1, ImageName: golden}}\n",
        mocks: "aws:\n- {service: ec2, api: CreateImage, returns: {ImageId: ami-9}}\n- {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-9, State: available}]}}\n",
        output: Some(("ImageId", "\"ami-9\"")),
    },
    ActionCase {
        action: "aws:createStack",
        runbook: "mainSteps:\n- {name: act, action: aws:createStack, inputs: {StackName: app, TemplateBody: '{}'}}\n",
        mocks: "aws:\n- {service: cloudformation, api: CreateStack, returns: {StackId: stack-1}}\n- {service: cloudformation, api: DescribeStacks, returns: {Stacks: [{StackId: stack-1, StackStatus: CREATE_COMPLETE}]}}\n",
        output: Some(("StackId", "\"stack-1\"")),
    },
    ActionCase {
        action: "aws:createTags",
        runbook: "mainSteps:\n- {name: act, action: aws:createTags, inputs: {ResourceIds: [i-1], Tags: [{Key: team, Value: ops}]}}\n",
        mocks: "aws:\n- {service: ec2, api: CreateTags, params: {Resources: [i-1], Tags: [{Key: team, Value: ops}]}, returns: {}}\n",
        output: None,
    },
    ActionCase {
        action: "aws:deleteImage",
        runbook: "mainSteps:\n- {name: act, action: aws:deleteImage, inputs: {ImageId: ami-1}}\n",
        mocks: "aws:\n- {service: ec2, api: DescribeImages, returns: {Images: [{ImageId: ami-1, BlockDeviceMappings: [{Ebs: {SnapshotId: snap-1}}]}]}}\n- {service: ec2, api: DeregisterImage, returns: {}}\n- {service: ec2, api: DeleteSnapshot, returns: {}}\n",
        output: None,
    },
    ActionCase {
        action: "aws:deleteStack",
        runbook: "mainSteps:\n- {name: act, action: aws:deleteStack, inputs: {StackName: app}}\n",
        mocks: "aws:\n- {service: cloudformation, api: DeleteStack, returns: {}}\n- {service: cloudformation, api: DescribeStacks, returns: {Stacks: [{StackStatus: DELETE_COMPLETE}]}}\n",
        output: None,
    },
    ActionCase {
        action: "aws:executeAutomation",
        runbook: "mainSteps:\n- {name: act, action: aws:executeAutomation, inputs: {DocumentName: child}}\n",
        mocks: "aws: []\n",
        output: Some(("Status", "\"Success\"")),
    },
    ActionCase {
        action: "aws:executeAwsApi",
        runbook: "mainSteps:\n- name: act\n  action: aws:executeAwsApi\n  inputs: {Service: sts, Api: GetCallerIdentity}\n  outputs: [{Name: Account, Selector: $.Account, Type: String}]\n",
        mocks: "aws:\n- {service: sts, api: GetCallerIdentity, returns: {Account: '123456789012'}}\n",
        output: Some(("Account", "\"123456789012\"")),
    },
    ActionCase {
        action: "aws:executeScript",
        runbook: "mainSteps:\n- name: act\n  action: aws:executeScript\n  inputs:\n    Runtime: python3.11\n    Handler: h\n    InputPayload: {n: 2}\n    Script: |-\n      def h(events, context):\n          return events['n'] * 21\n",
        mocks: "aws: []\n",
        output: Some(("Payload", "42")),
    },
    ActionCase {
        action: "aws:executeStateMachine",
        runbook: "mainSteps:\n- {name: act, action: aws:executeStateMachine, inputs: {stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sm'}}\n",
        mocks: "aws:\n- {service: stepfunctions, api: StartExecution, returns: {executionArn: run-1}}\n- {service: stepfunctions, api: DescribeExecution, returns: {executionArn: run-1, status: SUCCEEDED}}\n",
        output: None,
    },
    ActionCase {
        action: "aws:invokeLambdaFunction",
        runbook: "mainSteps:\n- {name: act, action: aws:invokeLambdaFunction, inputs: {FunctionName: fn}}\n",
        mocks: "aws:\n- {service: lambda, api: Invoke, returns: {StatusCode: 200, Payload: {ok: fine}}}\n",
        output: Some(("StatusCode", "200")),
    },
    ActionCase {
        action: "aws:invokeWebhook",
        runbook: "mainSteps:\n- {name: act, action: aws:invokeWebhook, inputs: {IntegrationName: chat, Body: hello}}\n",
        mocks: "aws:\n- {service: ssm, api: GetParameter, returns: {Parameter: {Type: SecureString, Value: '{\"url\": \"https://hooks.example.com/x\"}'}}}\n- {service: webhook, api: Invoke, returns: {StatusCode: 200, Body: ok}}\n",
        output: Some(("Response", "\"ok\"")),
    },
    ActionCase {
        action: "aws:loop",
        runbook: "mainSteps:\n- name: act\n  action: aws:loop\n  inputs:\n    Iterators: [a, b]\n    Steps:\n    - {name: each, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        mocks: "aws: []\n",
        output: Some(("CurrentIteration", "2")),
    },
    ActionCase {
        action: "aws:pause",
        runbook: "mainSteps:\n- {name: act, action: aws:pause, inputs: {}}\n",
        mocks: "aws: []\n",
        output: None,
    },
    ActionCase {
        action: "aws:runCommand",
        runbook: "mainSteps:\n- {name: act, action: aws:runCommand, inputs: {DocumentName: AWS-RunShellScript, InstanceIds: [i-1], Parameters: {commands: [hostname]}}}\n",
        mocks: "aws:\n- {service: ssm, api: SendCommand, returns: {Command: {CommandId: c-1, Status: Pending}}}\n- {service: ssm, api: ListCommands, returns: {Commands: [{CommandId: c-1, Status: Success}]}}\n- {service: ssm, api: ListCommandInvocations, returns: {CommandInvocations: [{InstanceId: i-1, Status: Success, CommandPlugins: [{Name: aws:runShellScript, Status: Success, ResponseCode: 0, Output: web-1}]}]}}\n",
        output: Some(("CommandId", "\"c-1\"")),
    },
    ActionCase {
        action: "aws:runInstances",
        runbook: "mainSteps:\n- {name: act, action: aws:runInstances, inputs: {ImageId: ami-1}}\n",
        mocks: "aws:\n- {service: ec2, api: RunInstances, returns: {Instances: [{InstanceId: i-1}]}}\n- {service: ec2, api: DescribeInstances, returns: {Reservations: [{Instances: [{InstanceId: i-1, State: {Name: running}}]}]}}\n",
        output: Some(("InstanceIds", "[\"i-1\"]")),
    },
    ActionCase {
        action: "aws:sleep",
        runbook: "mainSteps:\n- {name: act, action: aws:sleep, inputs: {Duration: PT1H}}\n",
        mocks: "aws: []\n",
        output: None,
    },
    ActionCase {
        action: "aws:updateVariable",
        runbook: "variables:\n  count: {type: Integer, default: 0}\nmainSteps:\n- {name: act, action: aws:updateVariable, inputs: {Name: 'variable:count', Value: 5}}\n",
        mocks: "aws: []\n",
        output: None,
    },
    ActionCase {
        action: "aws:waitForAwsResourceProperty",
        runbook: "mainSteps:\n- {name: act, action: aws:waitForAwsResourceProperty, inputs: {Service: ec2, Api: DescribeImages, ImageIds: [ami-1], PropertySelector: '$.Images[0].State', DesiredValues: [available]}}\n",
        mocks: "aws:\n- service: ec2\n  api: DescribeImages\n  sequence:\n  - returns: {Images: [{State: pending}]}\n  - returns: {Images: [{State: available}]}\n",
        output: None,
    },
];

/// Documented uses of an action that do not run yet, each with the failure the run shows
/// instead: the test fails when one starts working, so that it leaves this list.
const KNOWN_LIMITS: &[(&str, &str, &str)] = &[];

/// Runs `runbook` (after its `schemaVersion`) on `mocks`, with child runbooks in `documents`
/// and every approval and pause approved, through the public harness.
fn run_case(runbook: &str, mocks: &str, documents: &std::path::Path) -> runbook::harness::Run {
    let text = format!("schemaVersion: '0.3'\n{runbook}");
    runbook::harness::Harness::from_text("case.yaml", &text)
        .and_then(|harness| harness.mocks(mocks))
        .map(|harness| harness.documents(documents).approve("act"))
        .and_then(runbook::harness::Harness::run)
        .unwrap_or_else(|error| panic!("the run of\n{text}\ndid not start: {error}"))
}

#[test]
fn every_documented_action_runs_to_its_documented_outcome() {
    // The catalog is the list of documented actions (every one the corpus uses among them).
    let cased: Vec<&str> = ACTION_CASES.iter().map(|case| case.action).collect();
    let catalog: Vec<&str> =
        runbook_engine::catalog::ACTIONS.iter().map(|spec| spec.name).collect();
    assert_eq!(cased, catalog, "one case per documented action, in the catalog's order");

    let documents = crate::support::TempDir::new("documented-actions");
    documents.write("child.yaml", CHILD);
    let mut wrong = Vec::new();
    for case in ACTION_CASES {
        let run = run_case(case.runbook, case.mocks, documents.path());
        let execution = &run.execution;
        let step = execution.step("act").expect("the step ran");
        if execution.automation_execution_status != Status::Success
            || step.step_status != Status::Success
        {
            wrong.push(format!(
                "{}: the run ended {}, the step {}: {}",
                case.action,
                execution.automation_execution_status,
                step.step_status,
                step.failure_message.as_deref().unwrap_or_default()
            ));
            continue;
        }
        if let Some((name, value)) = case.output {
            let value: Value = serde_json::from_str(value).expect("outputs are written as JSON");
            if step.outputs.get(name) != Some(&value) {
                wrong.push(format!(
                    "{}: output {name} is {:?}, not {value}",
                    case.action,
                    step.outputs.get(name)
                ));
            }
        }
        let unused = run.unused_mocks();
        if !unused.is_empty() {
            wrong.push(format!("{}: mocks no call used: {unused:?}", case.action));
        }
    }
    for (limit, runbook, failure) in KNOWN_LIMITS {
        let run = run_case(runbook, "aws: []\n", documents.path());
        let step = run.execution.step("act").expect("the step ran");
        let message = step.failure_message.as_deref().unwrap_or_default();
        if step.step_status != Status::Failed || !message.starts_with(failure) {
            wrong.push(format!(
                "known limit {limit}: expected to fail with `{failure}`, but the step ended {} \
                 ({message}); if it works now, move it to ACTION_CASES",
                step.step_status
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "documented actions that did not run as documented:\n{}",
        wrong.join("\n")
    );
}
