//! A mock file checked against botocore's models: each rule's service and operation exist,
//! its `params` name members the operation's input has, and every `returns` (of the rule or of
//! its `sequence`) fits the operation's output. A typo in a mock is the most common way a test
//! passes for the wrong reason: a selector reads a misspelt member the real API never returns,
//! and the mock supplies it.
//!
//! The findings are warnings (the run goes on), each with the file position of the member at
//! fault. `script` answers are computed while the run goes and are not checked.

use std::fmt;
use std::path::PathBuf;

use runbook_engine::syntax::Span;

use super::{MockAnswer, MockFile, MockRule};
use crate::model::lint::{follow, segments};
use crate::model::{ModelError, Models, ProblemKind, check_params, check_response};

/// Something in a mock file that does not fit the API it mocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockWarning {
    /// The file (for mocks embedded in a test file, the test file).
    pub origin: PathBuf,
    /// Where the thing at fault is written.
    pub span: Span,
    /// The field path of the thing at fault (`aws[2].returns.Reservations`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for MockWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.origin.display(), self.span, self.path, self.message)
    }
}

/// Checks every `aws` rule of `file` against `models`; see the module's documentation.
pub fn check_mock_file(file: &MockFile, models: &Models) -> Vec<MockWarning> {
    let mut out = Vec::new();
    for rule in &file.aws {
        check_rule(file, rule, models, &mut out);
    }
    out
}

fn check_rule(file: &MockFile, rule: &MockRule, models: &Models, out: &mut Vec<MockWarning>) {
    let warn = |span: Span, path: String, message: String| MockWarning {
        origin: file.origin.clone(),
        span,
        path,
        message,
    };
    let model = match models.service(&rule.service) {
        Ok(model) => model,
        Err(ModelError::UnknownService { closest, .. }) => {
            let hint = closest.map(|name| format!("; did you mean `{name}`?")).unwrap_or_default();
            out.push(warn(
                rule.span,
                format!("{}.service", rule.path),
                format!("`{}` is not an AWS service with an API model{hint}", rule.service),
            ));
            return;
        }
        // A broken model says nothing about the mock.
        Err(_) => return,
    };
    let Some(operation) = model.operation(&rule.api) else {
        out.push(warn(rule.span, format!("{}.api", rule.path), model.unknown_operation(&rule.api)));
        return;
    };
    let label = format!("{}.{}", model.name(), operation.name());
    if let Some(params) = &rule.params {
        // A rule's `params` are a part of the call to match, so nothing in them is required.
        for problem in check_params(&operation, params)
            .into_iter()
            .filter(|problem| problem.kind != ProblemKind::Missing)
        {
            out.push(warn(
                rule.span,
                format!("{}.params.{}", rule.path, problem.path),
                format!("{label}: {problem}"),
            ));
        }
    }
    for (answer, source) in rule.answers.iter().zip(&rule.answer_sources) {
        let MockAnswer::Returns(response) = answer else { continue };
        for problem in check_response(&operation, response) {
            let span = source
                .tree
                .as_ref()
                .and_then(|tree| {
                    let reached = follow(tree, &segments(&problem.path));
                    let unknown = matches!(problem.kind, ProblemKind::Unknown { .. });
                    reached.last().map(|(node, key)| if unknown { *key } else { node.span })
                })
                .unwrap_or(source.span);
            out.push(warn(
                span,
                format!("{}.{}", source.path, problem.path),
                format!("{label}: {problem}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn models(tag: &str) -> (Models, PathBuf) {
        crate::model::tests_support::demo_models(&format!("mockcheck-{tag}"))
    }

    fn warnings(tag: &str, text: &str) -> Vec<String> {
        let file = MockFile::parse(Path::new("mocks.yaml"), text).unwrap();
        let (models, root) = models(tag);
        let found = check_mock_file(&file, &models);
        std::fs::remove_dir_all(root).unwrap();
        found.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_misspelt_response_member_is_pointed_at() {
        let found = warnings(
            "returns",
            "aws:
  - service: demo
    api: DescribeInstances
    sequence:
      - returns: {Reservations: []}
      - returns:
          Reservations:
            - Instances:
                - {InstanceID: i-1, State: {Code: '16'}}
",
        );
        assert_eq!(
            found,
            [
                "mocks.yaml:9:20: aws[0].sequence[1].returns.Reservations[0].Instances[0].InstanceID: demo.DescribeInstances: unknown response member `Reservations[0].Instances[0].InstanceID`; did you mean `InstanceId`?",
                "mocks.yaml:9:51: aws[0].sequence[1].returns.Reservations[0].Instances[0].State.Code: demo.DescribeInstances: response member `Reservations[0].Instances[0].State.Code` should be an integer, not a string",
            ]
        );
    }

    #[test]
    fn unknown_services_operations_and_params_are_reported() {
        let found = warnings(
            "names",
            "aws:
  - {service: dmeo, api: Ping, returns: {}}
  - {service: demo, api: Pong, returns: {}}
  - {service: demo, api: DescribeInstances, params: {InstanceId: [i-1]}, returns: {}}
  - {service: demo, api: describe_instances, script: '#{}'}
",
        );
        assert_eq!(
            found,
            [
                "mocks.yaml:2:5: aws[0].service: `dmeo` is not an AWS service with an API model; did you mean `demo`?",
                "mocks.yaml:3:5: aws[1].api: service `demo` has no operation `Pong`; did you mean `Ping`?",
                "mocks.yaml:4:5: aws[2].params.InstanceId: demo.DescribeInstances: unknown parameter `InstanceId`; did you mean `InstanceIds`?",
            ]
        );
    }
}
