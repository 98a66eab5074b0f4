use super::super::{RunnerOptions, run_files};
use super::*;

/// A folder of its own under the system's temporary folder, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("runbook-coverage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const FLOW: &str = "\
schemaVersion: '0.3'
parameters:
  Mode: {type: String}
mainSteps:
  - name: route
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: call, Variable: '{{ Mode }}', StringEquals: fail}
        - {NextStep: soak, Variable: '{{ Mode }}', StringEquals: soak}
        - {NextStep: call, Variable: '{{ Mode }}', StringEquals: broken}
      Default: done
  - name: call
    action: aws:executeAwsApi
    onFailure: step:cleanup
    inputs: {Service: ec2, Api: DescribeInstances}
  - name: soak
    action: aws:sleep
    onCancel: step:cleanup
    inputs: {Duration: P1D}
  - name: cleanup
    action: aws:executeAwsApi
    onFailure: Continue
    isEnd: true
    inputs: {Service: sns, Api: Publish, TopicArn: 'arn:aws:sns:us-east-1:111122223333:ops', Message: done}
  - name: done
    action: aws:sleep
    inputs: {Duration: PT1S}
";

const FLOW_TESTS: &str = "\
runbook: flow.yaml
cases:
  - name: nothing to do
    parameters: {Mode: none}
    expect: {path: [route, done]}
  - name: a refused call cleans up
    parameters: {Mode: fail}
    mocks:
      aws:
        - {service: ec2, api: DescribeInstances, error: {code: UnauthorizedOperation, message: not allowed}}
        - {service: sns, api: Publish, returns: {MessageId: m-1}}
    expect: {status: Failed, path: [route, call, cleanup]}
  - name: a cancelled soak cleans up
    parameters: {Mode: soak}
    mocks:
      aws:
        - {service: sns, api: Publish, returns: {MessageId: m-1}}
    cancel: {atStep: soak}
    expect: {status: Cancelled, path: [route, soak, cleanup]}
";

fn gather(folder: &Folder, test_file: &str, filter: Option<&str>) -> Coverage {
    let file = TestFile::load(&folder.0.join(test_file)).unwrap();
    let options =
        RunnerOptions { filter: filter.map(str::to_string), jobs: 2, ..RunnerOptions::default() };
    let files = [file];
    let outcomes = run_files(&files, &options);
    for outcome in &outcomes {
        assert!(outcome.passed(), "{}: {:?}", outcome.case, outcome.failures);
    }
    Coverage::gather(&files, &outcomes)
}

fn flow(name: &str) -> Folder {
    let folder = Folder::new(name);
    folder.write("flow.yaml", FLOW);
    folder.write("flow.test.yaml", FLOW_TESTS);
    folder
}

fn summary(runbook: &RunbookCoverage) -> Vec<(String, u32, u64)> {
    runbook.edges.iter().map(|e| (e.label.clone(), e.line, e.hits)).collect()
}

#[test]
fn every_case_adds_to_the_steps_and_edges_of_its_runbook() {
    let folder = flow("merge");
    let coverage = gather(&folder, "flow.test.yaml", None);
    assert_eq!(coverage.runbooks.len(), 1);
    let runbook = &coverage.runbooks[0];
    let steps: Vec<(&str, u32, u64)> =
        runbook.steps.iter().map(|s| (s.name.as_str(), s.line, s.hits)).collect();
    assert_eq!(
        steps,
        [("route", 5, 3), ("call", 13, 1), ("soak", 17, 1), ("cleanup", 21, 2), ("done", 26, 1)]
    );
    assert_eq!(
        summary(runbook),
        [
            ("choices 1, 3 → call".to_string(), 9, 1),
            ("choice 2 → soak".to_string(), 10, 1),
            ("Default → done".to_string(), 12, 1),
            ("onFailure → cleanup".to_string(), 15, 1),
            ("onCancel → cleanup".to_string(), 19, 1),
            ("onFailure: Continue".to_string(), 23, 0),
        ]
    );
    assert_eq!(runbook.steps_covered(), (5, 5));
    assert_eq!(runbook.edges_covered(EdgeKind::Branch), (3, 3));
    assert_eq!(runbook.edges_covered(EdgeKind::Failure), (2, 3));
}

#[test]
fn steps_and_edges_not_reached_are_named_with_their_lines() {
    let folder = flow("missed");
    let coverage = gather(&folder, "flow.test.yaml", Some("nothing"));
    let text = coverage.human(false);
    let flow = folder.0.join("flow.yaml").display().to_string();
    assert!(
        text.contains(&format!("{flow}: 2/5 steps (40%), 1/3 branch choices, 0/3 failure edges")),
        "{text}"
    );
    for (line, step) in [(13, "call"), (17, "soak"), (21, "cleanup")] {
        assert!(text.contains(&format!("not reached: {flow}:{line}: step `{step}`")), "{text}");
    }
    assert!(
        text.contains(&format!(
            "branch choice not taken: {flow}:9: step `route`: choices 1, 3 → call"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "failure edge not taken: {flow}:19: step `soak`: onCancel → cleanup"
        )),
        "{text}"
    );
    assert!(!text.contains("Default → done"), "{text}");
    assert!(text.ends_with("total: 2/5 steps (40%) in 1 runbook\n"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(coverage.human(true).contains("\u{1b}["));
}

#[test]
fn a_child_runbook_is_covered_under_its_own_file() {
    let folder = Folder::new("child");
    folder.write(
            "parent.yaml",
            "schemaVersion: '0.3'\nmainSteps:\n  - name: start\n    action: aws:executeAutomation\n    inputs: {DocumentName: Child}\n",
        );
    folder.write(
            "child.yaml",
            "schemaVersion: '0.3'\nmainSteps:\n  - {name: first, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n  - {name: second, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
    folder.write(
            "parent.test.yaml",
            "runbook: parent.yaml\ndocuments: {Child: child.yaml}\ncases:\n  - name: runs the child\n  - name: and again\n",
        );
    let coverage = gather(&folder, "parent.test.yaml", None);
    let paths: Vec<String> =
        coverage.runbooks.iter().map(|r| r.path.display().to_string()).collect();
    assert_eq!(
        paths,
        [
            folder.0.join("parent.yaml").display().to_string(),
            folder.0.join("child.yaml").display().to_string()
        ]
    );
    let child: Vec<u64> = coverage.runbooks[1].steps.iter().map(|s| s.hits).collect();
    assert_eq!(child, [2, 0]);
    assert!(coverage.unreadable.is_empty(), "{:?}", coverage.unreadable);
}

#[test]
fn a_branch_without_default_has_the_edge_of_matching_no_choice() {
    let folder = Folder::new("no-choice");
    folder.write(
            "gate.yaml",
            "schemaVersion: '0.3'\nparameters:\n  Go: {type: String}\nmainSteps:\n  - name: check\n    action: aws:branch\n    isEnd: true\n    inputs:\n      Choices:\n        - {NextStep: go, Variable: '{{ Go }}', StringEquals: 'yes'}\n  - {name: go, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
    folder.write(
            "gate.test.yaml",
            "runbook: gate.yaml\ncases:\n  - name: closed\n    parameters: {Go: 'no'}\n    expect: {path: [check]}\n  - name: open\n    parameters: {Go: 'yes'}\n    expect: {path: [check, go]}\n",
        );
    let closed = gather(&folder, "gate.test.yaml", Some("closed"));
    assert_eq!(
        summary(&closed.runbooks[0]),
        [
            ("choice 1 → go".to_string(), 10, 0),
            ("no choice matched (no Default)".to_string(), 5, 1)
        ]
    );
    let open = gather(&folder, "gate.test.yaml", Some("open"));
    let hits: Vec<u64> = open.runbooks[0].edges.iter().map(|e| e.hits).collect();
    assert_eq!(hits, [1, 0]);
}

#[test]
fn a_run_over_targets_counts_each_target_s_run_of_the_runbook() {
    let folder = Folder::new("fleet");
    folder.write(
            "each.yaml",
            "schemaVersion: '0.3'\nparameters:\n  Id: {type: String}\nmainSteps:\n  - {name: first, action: aws:sleep, inputs: {Duration: PT1S}, isEnd: true}\n  - {name: never, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
    folder.write(
            "each.test.yaml",
            "runbook: each.yaml\ncases:\n  - name: three targets\n    fleet: {TargetParameterName: Id, Targets: [{Key: ParameterValues, Values: [a, b, c]}]}\n",
        );
    let coverage = gather(&folder, "each.test.yaml", None);
    assert_eq!(coverage.runbooks.len(), 1);
    let steps: Vec<(&str, u64)> =
        coverage.runbooks[0].steps.iter().map(|s| (s.name.as_str(), s.hits)).collect();
    assert_eq!(steps, [("first", 3), ("never", 0)]);
    assert!(coverage.unreadable.is_empty(), "{:?}", coverage.unreadable);
}

/// One LCOV record, read back field by field.
#[derive(Debug, Default)]
struct Record {
    source: String,
    lines: Vec<(u32, u64)>,
    branches: Vec<(u32, usize, usize, Option<u64>)>,
    counts: IndexMap<String, usize>,
}

/// Reads LCOV text back, failing on any line the format does not have and on a record that
/// is not closed.
fn parse_lcov(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut current: Option<Record> = None;
    for line in text.lines() {
        if line == "TN:" {
            assert!(current.is_none(), "TN inside a record");
            current = Some(Record::default());
            continue;
        }
        let record = current.as_mut().expect("a line outside a record");
        if line == "end_of_record" {
            records.push(current.take().unwrap());
            continue;
        }
        let (key, value) = line.split_once(':').expect("KEY:VALUE");
        let fields: Vec<&str> = value.split(',').collect();
        match key {
            "SF" => record.source = value.to_string(),
            "DA" => {
                assert_eq!(fields.len(), 2, "{line}");
                record.lines.push((fields[0].parse().unwrap(), fields[1].parse().unwrap()));
            }
            "BRDA" => {
                assert_eq!(fields.len(), 4, "{line}");
                let taken = if fields[3] == "-" { None } else { Some(fields[3].parse().unwrap()) };
                record.branches.push((
                    fields[0].parse().unwrap(),
                    fields[1].parse().unwrap(),
                    fields[2].parse().unwrap(),
                    taken,
                ));
            }
            "LF" | "LH" | "BRF" | "BRH" => {
                record.counts.insert(key.to_string(), value.parse().unwrap());
            }
            other => panic!("not an LCOV line: {other}"),
        }
    }
    assert!(current.is_none(), "a record is not closed");
    records
}

#[test]
fn lcov_has_a_record_per_runbook_whose_counts_add_up() {
    let folder = flow("lcov");
    let coverage = gather(&folder, "flow.test.yaml", Some("nothing"));
    let records = parse_lcov(&coverage.lcov());
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.source, folder.0.join("flow.yaml").display().to_string());
    assert_eq!(record.lines, [(5, 1), (13, 0), (17, 0), (21, 0), (26, 1)]);
    assert_eq!(
        record.branches,
        [
            (9, 0, 0, Some(0)),
            (10, 0, 1, Some(0)),
            (12, 0, 2, Some(1)),
            (15, 1, 0, None),
            (19, 2, 0, None),
            (23, 3, 0, None)
        ]
    );
    let hit_lines = record.lines.iter().filter(|(_, hits)| *hits > 0).count();
    let hit_branches = record.branches.iter().filter(|b| b.3.is_some_and(|n| n > 0)).count();
    assert_eq!(record.counts["LF"], record.lines.len());
    assert_eq!(record.counts["LH"], hit_lines);
    assert_eq!(record.counts["BRF"], record.branches.len());
    assert_eq!(record.counts["BRH"], hit_branches);
    assert_eq!((hit_lines, hit_branches), (2, 1));
}

#[test]
fn a_file_none_of_whose_cases_ran_is_left_out() {
    let folder = flow("filtered");
    let coverage = gather(&folder, "flow.test.yaml", Some("no such case"));
    assert_eq!(coverage, Coverage::default());
    assert_eq!(coverage.lcov(), "");
}
