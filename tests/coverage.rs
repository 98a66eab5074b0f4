//! `runbook test --coverage` and `--lcov`: the examples' tests cover every step of their
//! runbooks, what is not reached is named with its line, and the tracefile is LCOV.

use crate::support::{Cli, TempDir};

/// One LCOV record: its source file, its `DA` and `BRDA` lines, and its counts.
#[derive(Debug, Default)]
struct Record {
    source: String,
    lines: Vec<(u32, u64)>,
    /// Line, block, branch, and the times taken (`None` for `-`).
    branches: Vec<(u32, u32, u32, Option<u64>)>,
    found: Option<usize>,
    hit: Option<usize>,
    branches_found: Option<usize>,
    branches_hit: Option<usize>,
}

/// Reads an LCOV tracefile back, asserting that every line is one the format has and that each
/// record's counts are those of its lines.
fn parse_lcov(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut current: Option<Record> = None;
    for line in text.lines() {
        if line == "TN:" {
            assert!(current.is_none(), "`TN:` inside a record:\n{text}");
            current = Some(Record::default());
            continue;
        }
        let record = current.as_mut().unwrap_or_else(|| panic!("`{line}` outside a record"));
        if line == "end_of_record" {
            let record = current.take().unwrap();
            assert!(!record.source.is_empty(), "a record without SF");
            assert_eq!(record.found, Some(record.lines.len()), "LF of {}", record.source);
            let hit = record.lines.iter().filter(|(_, hits)| *hits > 0).count();
            assert_eq!(record.hit, Some(hit), "LH of {}", record.source);
            assert_eq!(record.branches_found, Some(record.branches.len()), "BRF");
            let taken = record.branches.iter().filter(|b| b.3.is_some_and(|n| n > 0)).count();
            assert_eq!(record.branches_hit, Some(taken), "BRH of {}", record.source);
            records.push(record);
            continue;
        }
        let (key, value) = line.split_once(':').unwrap_or_else(|| panic!("not KEY:VALUE: {line}"));
        let fields: Vec<&str> = value.split(',').collect();
        let number = |field: &str| -> u64 {
            field.parse().unwrap_or_else(|_| panic!("not a count in `{line}`"))
        };
        let count = || Some(usize::try_from(number(value)).unwrap());
        match key {
            "SF" => record.source = value.to_string(),
            "DA" => {
                assert_eq!(fields.len(), 2, "{line}");
                record.lines.push((u32::try_from(number(fields[0])).unwrap(), number(fields[1])));
            }
            "BRDA" => {
                assert_eq!(fields.len(), 4, "{line}");
                let taken = (fields[3] != "-").then(|| number(fields[3]));
                let [line, block, branch] =
                    [fields[0], fields[1], fields[2]].map(|f| u32::try_from(number(f)).unwrap());
                record.branches.push((line, block, branch, taken));
            }
            "LF" => record.found = count(),
            "LH" => record.hit = count(),
            "BRF" => record.branches_found = count(),
            "BRH" => record.branches_hit = count(),
            other => panic!("`{other}` is not an LCOV key"),
        }
    }
    assert!(current.is_none(), "the last record is not closed:\n{text}");
    records
}

#[test]
fn the_examples_tests_reach_every_step_of_their_runbooks() {
    let dir = TempDir::new("coverage-examples");
    let lcov = dir.path().join("examples.lcov");
    let output = Cli::new()
        .args(["test", "runbooks", "--coverage", "--lcov", lcov.to_str().unwrap()])
        .run()
        .code(0);
    let report = output.stdout.split_once("\ncoverage:\n").expect("a coverage report").1;
    for (runbook, steps) in [("clean-snapshots", 4), ("image-instance", 6), ("patch-instances", 5)]
    {
        assert!(
            report.contains(&format!("  runbooks/{runbook}.yaml: {steps}/{steps} steps (100%), ")),
            "{report}"
        );
    }
    assert!(report.ends_with("  total: 15/15 steps (100%) in 3 runbooks\n"), "{report}");
    assert!(!report.contains("not reached"), "{report}");
    assert!(!report.contains("not taken"), "{report}");
    let records = parse_lcov(&std::fs::read_to_string(&lcov).unwrap());
    let sources: Vec<&str> = records.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "runbooks/clean-snapshots.yaml",
            "runbooks/image-instance.yaml",
            "runbooks/patch-instances.yaml"
        ]
    );
    for record in &records {
        assert_eq!(record.hit, record.found, "{record:?}");
        assert_eq!(record.branches_hit, record.branches_found, "{record:?}");
    }
    // Each DA line is the line a step starts on.
    let text = std::fs::read_to_string(crate::support::root().join(&records[1].source)).unwrap();
    for (line, _) in &records[1].lines {
        let written = text.lines().nth(*line as usize - 1).unwrap();
        assert!(written.trim_start().starts_with("- name: "), "line {line}: {written}");
    }
}

const FLOW: &str = "schemaVersion: '0.3'
parameters:
  Mode: {type: String}
mainSteps:
  - name: route
    action: aws:branch
    inputs:
      Choices:
        - {NextStep: call, Variable: '{{ Mode }}', StringEquals: call}
      Default: done
  - name: call
    action: aws:executeAwsApi
    onFailure: Continue
    isEnd: true
    inputs: {Service: ec2, Api: DescribeInstances}
  - name: done
    action: aws:sleep
    inputs: {Duration: PT1S}
";

const FLOW_TESTS: &str = "runbook: flow.yaml
cases:
  - name: nothing to call
    parameters: {Mode: none}
    expect: {path: [route, done]}
";

fn flow(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("flow.yaml", FLOW);
    dir.write("flow.test.yaml", FLOW_TESTS);
    dir
}

#[test]
fn coverage_names_what_the_cases_never_reached_with_its_line() {
    let dir = flow("coverage-missed");
    let output = Cli::new().current_dir(dir.path()).args(["test", "--coverage"]).run().code(0);
    let report = output.stdout.split_once("\ncoverage:\n").expect("a coverage report").1;
    assert_eq!(
        report,
        "  ./flow.yaml: 2/3 steps (67%), 1/2 branch choices, 0/1 failure edges
    not reached: ./flow.yaml:11: step `call`
    branch choice not taken: ./flow.yaml:9: step `route`: choice 1 → call
    failure edge not taken: ./flow.yaml:13: step `call`: onFailure: Continue
  total: 2/3 steps (67%) in 1 runbook
"
    );
    assert!(!output.stdout.contains('\u{1b}'), "{}", output.stdout);
    let colored = Cli::new()
        .current_dir(dir.path())
        .args(["--color", "always", "test", "--coverage"])
        .run()
        .code(0);
    assert!(
        colored.stdout.contains("\u{1b}[1m\u{1b}[31mnot reached:\u{1b}[0m"),
        "{}",
        colored.stdout
    );
    // Without the flag there is no coverage report.
    let plain = Cli::new().current_dir(dir.path()).args(["test"]).run().code(0);
    assert!(!plain.stdout.contains("coverage:"), "{}", plain.stdout);
}

#[test]
fn beside_a_machine_readable_report_coverage_goes_to_standard_error() {
    let dir = flow("coverage-json");
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["test", "--coverage", "--format", "json"])
        .run()
        .code(0);
    let results: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(results["summary"]["passed"], 1);
    assert!(
        output.stderr.contains("not reached: ./flow.yaml:11: step `call`"),
        "{}",
        output.stderr
    );
}

#[test]
fn lcov_marks_the_edges_of_steps_never_run_as_not_evaluated() {
    let dir = flow("coverage-lcov");
    let output = Cli::new().current_dir(dir.path()).args(["test", "--lcov", "out/flow.lcov"]).run();
    // The folder of the tracefile must exist: the run is refused before any case runs.
    let output = output.code(2);
    assert!(output.stderr.starts_with("error: cannot write out/flow.lcov: "), "{}", output.stderr);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let output =
        Cli::new().current_dir(dir.path()).args(["test", "--lcov", "out/flow.lcov"]).run().code(0);
    assert!(!output.stdout.contains("coverage:"), "{}", output.stdout);
    let text = std::fs::read_to_string(dir.path().join("out/flow.lcov")).unwrap();
    let records = parse_lcov(&text);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.source, "./flow.yaml");
    assert_eq!(record.lines, [(5, 1), (11, 0), (16, 1)]);
    assert_eq!(record.branches, [(9, 0, 0, Some(0)), (10, 0, 1, Some(1)), (13, 1, 0, None)]);
}

#[test]
fn lcov_refuses_a_path_that_cannot_be_written() {
    let dir = flow("coverage-unwritable");
    dir.write("taken/file", "");
    for path in ["taken/file/out.lcov", "taken"] {
        let output = Cli::new()
            .current_dir(dir.path())
            .args(["test", "--coverage", "--lcov", path])
            .run()
            .code(2);
        assert!(
            output.stderr.starts_with(&format!("error: cannot write {path}: ")),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn child_runbooks_are_covered_under_their_own_files() {
    let dir = TempDir::new("coverage-children");
    let lcov = dir.path().join("children.lcov");
    let output = Cli::new()
        .args([
            "test",
            "tests/test-files/parent.test.yaml",
            "--coverage",
            "--lcov",
            lcov.to_str().unwrap(),
        ])
        .run()
        .code(0);
    assert!(
        output.stdout.contains("  tests/test-files/shared.yaml: 1/1 steps (100%)"),
        "{}",
        output.stdout
    );
    let records = parse_lcov(&std::fs::read_to_string(&lcov).unwrap());
    let sources: Vec<&str> = records.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "tests/test-files/parent.yaml",
            "tests/test-files/child-v3.yaml",
            "tests/test-files/shared.yaml",
            "tests/test-files/templated.yaml"
        ]
    );
}
