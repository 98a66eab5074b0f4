//! The one list of every validation rule, whichever crate checks it.
//!
//! Rules live beside what they need: the engine's rules (`runbook_engine::validate`) read only
//! the document, the model rules (`runbook_aws::model::lint`) need botocore's API models, and
//! the script rule (`runbook_actions::script::check`) needs a Python interpreter. Each crate keeps
//! its own table, one file per rule; this module joins them, so listings (SARIF, the README's
//! tables) and the guarantee that codes are unique across crates have one home.

use runbook_actions::script::check::SCRIPT_RULES;
use runbook_aws::model::lint::MODEL_RULES;
use runbook_engine::diagnostic::Code;
use runbook_engine::validate::RULES;

/// What a rule needs beyond the document to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: it always runs.
    Document,
    /// botocore's API models; skipped when none are found.
    Models,
    /// A Python interpreter; skipped when none is found.
    Python,
}

/// One rule: its stable code, what it checks, and what it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule's code (`RB012`) and name (`undefined-reference`).
    pub code: Code,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// What it needs to run.
    pub needs: Needs,
}

/// Every rule, in code order.
///
/// ```
/// let rules = runbook::rules::all();
/// assert_eq!(rules[0].code.id, "RB001");
/// assert!(rules.iter().any(|rule| rule.needs == runbook::rules::Needs::Models));
/// ```
pub fn all() -> Vec<RuleInfo> {
    let engine = RULES.iter().map(|rule| RuleInfo {
        code: rule.code,
        summary: rule.summary,
        needs: Needs::Document,
    });
    let models = MODEL_RULES.iter().map(|rule| RuleInfo {
        code: rule.code,
        summary: rule.summary,
        needs: Needs::Models,
    });
    let scripts = SCRIPT_RULES.iter().map(|&(code, summary)| RuleInfo {
        code,
        summary,
        needs: Needs::Python,
    });
    let mut rules: Vec<RuleInfo> = engine.chain(models).chain(scripts).collect();
    rules.sort_by_key(|rule| rule.code.id);
    rules
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_and_names_are_unique_across_crates() {
        let rules = all();
        let ids: BTreeSet<&str> = rules.iter().map(|rule| rule.code.id).collect();
        let names: BTreeSet<&str> = rules.iter().map(|rule| rule.code.name).collect();
        assert_eq!(ids.len(), rules.len(), "a code is used twice");
        assert_eq!(names.len(), rules.len(), "a name is used twice");
        for rule in &rules {
            assert!(
                rule.code.id.len() == 5
                    && rule.code.id.starts_with("RB")
                    && rule.code.id[2..].bytes().all(|b| b.is_ascii_digit()),
                "{} is not RB followed by three digits",
                rule.code.id
            );
        }
    }

    /// The README's rule tables are what users read: every rule is in them once, under its own
    /// name, and they name no rule that does not exist.
    #[test]
    fn the_readme_lists_every_rule_and_no_other() {
        let readme = include_str!("../README.md");
        let listed: Vec<(&str, &str)> = readme
            .lines()
            .filter_map(|line| {
                let mut cells = line.strip_prefix("| RB")?.split('|').map(str::trim);
                let digits = cells.next()?;
                let name = cells.next()?;
                Some((&line[2..4 + digits.len()], name))
            })
            .collect();
        let expected: Vec<(&str, &str)> =
            all().iter().map(|rule| (rule.code.id, rule.code.name)).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected);
    }
}
