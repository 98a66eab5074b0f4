//! Inputs shared by the benchmarks: the corpus and generated runbooks of any length.

#![allow(dead_code, reason = "each benchmark uses a different part")]

use std::fmt::Write;
use std::path::PathBuf;

/// The corpus texts, read once: (name, text, is JSON).
pub(crate) fn corpus() -> Vec<(String, String, bool)> {
    let root = std::env::var_os("RUNBOOK_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    let mut files = Vec::new();
    for repository in
        std::fs::read_dir(&root).expect("the corpus is at ../shared/corpus or RUNBOOK_CORPUS")
    {
        let repository = repository.unwrap().path();
        if !repository.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(repository).unwrap() {
            let path = file.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_string();
            if ["yaml", "yml", "json"].contains(&ext.as_str()) {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.display().to_string(), text, ext == "json"));
            }
        }
    }
    files.sort();
    files
}

/// A runbook of `steps` chained steps: API calls whose outputs feed the next step, with a
/// branch every tenth step and a sleep every seventh, as long runbooks are written.
pub(crate) fn generated(steps: usize) -> String {
    let mut text = String::from(
        "schemaVersion: '0.3'\ndescription: generated\nparameters:\n  Seed:\n    type: String\n    default: seed\nmainSteps:\n",
    );
    for index in 0..steps {
        let previous = if index == 0 {
            "{{ Seed }}".to_string()
        } else {
            format!("{{{{ step{}.Value }}}}", index - 1)
        };
        if index % 10 == 9 {
            let _ = write!(
                text,
                "  - name: step{index}\n    action: aws:branch\n    inputs:\n      Choices:\n        - NextStep: step{next}\n          Variable: '{{{{ Seed }}}}'\n          StringEquals: seed\n      Default: step{next}\n",
                next = (index + 1).min(steps - 1)
            );
            // Keep the chain of values going across the branch.
            let _ = write!(text, "");
            let _ = previous;
            continue;
        }
        if index % 7 == 6 {
            let _ = write!(
                text,
                "  - name: step{index}\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
            );
            continue;
        }
        let source = last_value_step(index);
        let input =
            source.map_or_else(|| "{{ Seed }}".to_string(), |s| format!("{{{{ step{s}.Value }}}}"));
        let _ = write!(
            text,
            "  - name: step{index}\n    action: aws:executeAwsApi\n    inputs:\n      Service: ssm\n      Api: GetParameter\n      Name: '/chain/{index}/{input}'\n    outputs:\n      - Name: Value\n        Selector: $.Parameter.Value\n        Type: String\n"
        );
    }
    text
}

/// The latest step before `index` that has a `Value` output.
fn last_value_step(index: usize) -> Option<usize> {
    (0..index).rev().find(|i| i % 10 != 9 && i % 7 != 6)
}

/// A runbook of `steps` control steps, alternating `aws:sleep` and `aws:branch`, each branch
/// choosing the next step by comparing a parameter: the engine's own per-step work, with no
/// action behind it.
pub(crate) fn control_chain(steps: usize) -> String {
    let mut text = String::from(
        "schemaVersion: '0.3'\nparameters:\n  Seed:\n    type: String\n    default: seed\nmainSteps:\n",
    );
    for index in 0..steps {
        let next = index + 1;
        if index % 2 == 0 {
            let _ = write!(
                text,
                "  - name: step{index}\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
            );
        } else if next < steps {
            let _ = write!(
                text,
                "  - name: step{index}\n    action: aws:branch\n    inputs:\n      Choices:\n        - NextStep: step{next}\n          Variable: '{{{{ Seed }}}}'\n          StringEquals: seed\n      Default: step{next}\n"
            );
        } else {
            let _ = write!(
                text,
                "  - name: step{index}\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
            );
        }
    }
    text
}

/// The peer's long chain (`peers/runbooks/gen_long.py`): `steps` `aws:executeAwsApi` calls of
/// `ssm.GetParameter`, each naming the parameter from the previous step's output.
pub(crate) fn api_chain(steps: usize) -> String {
    let width = steps.to_string().len().max(4);
    let mut text = format!(
        "schemaVersion: '0.3'\ndescription: long chain of {steps} steps\nparameters:\n  Seed:\n    type: String\n    default: seed\noutputs:\n  - step{steps:0width$}.Value\nmainSteps:\n"
    );
    for index in 1..=steps {
        let previous = if index == 1 {
            "{{ Seed }}".to_string()
        } else {
            format!("{{{{ step{:0width$}.Value }}}}", index - 1)
        };
        let _ = write!(
            text,
            "  - name: step{index:0width$}\n    action: aws:executeAwsApi\n    inputs:\n      Service: ssm\n      Api: GetParameter\n      Name: '/chain/{index}/{previous}'\n    outputs:\n      - Name: Value\n        Selector: $.Parameter.Value\n        Type: String\n"
        );
    }
    text
}

/// A runbook whose one parameter has a default map of `keys` keys.
pub(crate) fn wide_map(keys: usize) -> String {
    let mut text = String::from(
        "schemaVersion: '0.3'\nparameters:\n  Wide:\n    type: StringMap\n    default:\n",
    );
    for index in 0..keys {
        let _ = writeln!(text, "      key{index}: value{index}");
    }
    text.push_str(
        "mainSteps:\n  - name: wait\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n",
    );
    text
}

/// A runbook of `steps` `aws:sleep` steps, one after the other.
pub(crate) fn sleep_chain(steps: usize) -> String {
    let mut text = String::from("schemaVersion: '0.3'\ndescription: sleeps\nmainSteps:\n");
    for index in 1..=steps {
        let _ = write!(
            text,
            "  - name: step{index}\n    action: aws:sleep\n    inputs:\n      Duration: PT1S\n"
        );
    }
    text
}
