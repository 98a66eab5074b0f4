//! RB033 `closed-cycle` (warning): steps that lead round to one another with no way out: no
//! branch choice, `Default`, `nextStep`, list order, `isEnd` or `onFailure: step:` leads outside
//! them. Branches decide at run time, so RB023 cannot call such a cycle endless; but once a run
//! enters it, only a failure that aborts or the step-execution budget (RULINGS 25) ends it.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{EdgeKind, StepGraph};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB033", name: "closed-cycle" },
    summary: "every cycle of steps has a way out",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let ways = ways_on(&cx.graph);
    // RB023 already reports the cycles that need no branch to go round, as errors.
    let mut endless: Vec<Vec<&str>> = cx
        .graph
        .unconditional_cycles()
        .iter()
        .map(|cycle| sorted(cycle.iter().map(|step| step.name.value.as_str()).collect()))
        .collect();
    endless.sort_unstable();
    // Kosaraju's walk keeps its own stack; petgraph's Tarjan recurses once per step and
    // overflows the thread's stack on a chain of 100,000 steps. Components in source order keep
    // the warnings' order independent of the walk.
    let mut components = petgraph::algo::kosaraju_scc(&ways);
    for members in &mut components {
        members.sort_unstable();
    }
    components.sort_unstable();
    for members in components {
        let goes_round = members.len() > 1 || ways.contains_edge(members[0], members[0]);
        let leaves =
            members.iter().any(|&node| ways.neighbors(node).any(|next| !members.contains(&next)));
        if !goes_round || leaves {
            continue;
        }
        let steps: Vec<_> = members.iter().filter_map(|&node| cx.graph.step(node)).collect();
        let Some(first) = steps.first() else { continue };
        let names: Vec<&str> = steps.iter().map(|step| step.name.value.as_str()).collect();
        if endless.binary_search(&sorted(names.clone())).is_ok() {
            continue;
        }
        let list = names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
        out.push(
            Diagnostic::warning(
                RULE.code,
                format!(
                    "steps {list} lead only to one another: once a run reaches them, only a failure or the step-execution budget ends it"
                ),
            )
            .step(&first.name.value)
            .path(&first.path)
            .span(first.name.span)
            .hint("give a branch a choice or `Default` outside the cycle, or use aws:loop for repetition"),
        );
    }
}

/// The graph of the ways a run can go on from each step: success edges (those a branch with a
/// `Default` never takes left out) to a step or the end of the run, branch targets, loop edges
/// and `onFailure: step:` jumps. Node indices are those of `graph`.
fn ways_on(graph: &StepGraph<'_>) -> DiGraph<(), ()> {
    let mut ways = DiGraph::with_capacity(graph.graph.node_count(), graph.graph.edge_count());
    for _ in graph.graph.node_indices() {
        ways.add_node(());
    }
    for edge in graph.graph.edge_references() {
        let (from, to) = (edge.source(), edge.target());
        let keep = match edge.weight() {
            EdgeKind::Next | EdgeKind::NextStep => !has_default(graph, from),
            EdgeKind::Branch | EdgeKind::LoopBody | EdgeKind::LoopBack => true,
            // `onFailure: Abort` ends the run only when a step fails: no way a run can choose.
            EdgeKind::Failure => to != graph.end,
            EdgeKind::Cancel => false,
        };
        if keep {
            ways.add_edge(NodeIndex::new(from.index()), NodeIndex::new(to.index()), ());
        }
    }
    ways
}

/// Whether the step at `node` is a branch with a `Default`, which always jumps.
fn has_default(graph: &StepGraph<'_>, node: NodeIndex) -> bool {
    graph
        .step(node)
        .and_then(|step| step.branch_inputs.as_ref())
        .is_some_and(|branch| branch.default.is_some())
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{messages, runbook};

    const WAIT: &str = "- {name: wait, action: aws:sleep, inputs: {Duration: PT1M}}\n";

    #[test]
    fn a_branch_that_always_goes_back_is_reported() {
        let bad = runbook(&format!(
            "{WAIT}- {{name: again, action: aws:branch, inputs: {{Choices: [{{NextStep: wait, Variable: '{{{{ global:REGION }}}}', StringEquals: x}}], Default: wait}}}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
        ));
        assert_eq!(
            messages(RULE.code, &bad),
            [
                "steps `wait`, `again` lead only to one another: once a run reaches them, only a failure or the step-execution budget ends it"
            ]
        );
    }

    #[test]
    fn a_long_chain_is_checked_in_a_small_stack() {
        // Each step one line: the walk over the steps must not recurse once per step.
        let mut steps = String::new();
        for n in 0..30_000 {
            steps.push_str("- {name: s");
            steps.push_str(&n.to_string());
            steps.push_str(", action: aws:sleep, inputs: {Duration: PT1S}}\n");
        }
        let chain = runbook(&steps);
        let checked = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || messages(RULE.code, &chain).len())
            .expect("a thread")
            .join()
            .expect("no overflow");
        assert_eq!(checked, 0);
    }

    #[test]
    fn a_failure_jump_back_into_the_cycle_is_no_way_out() {
        let bad = runbook(
            "- {name: a, action: aws:branch, inputs: {Choices: [{NextStep: b, Variable: '{{ global:REGION }}', StringEquals: x}], Default: a}}\n- {name: b, action: aws:sleep, inputs: {Duration: PT1S}, onFailure: 'step:a', nextStep: a}\n",
        );
        assert_eq!(messages(RULE.code, &bad).len(), 1);
    }

    #[test]
    fn a_cycle_with_a_way_out_or_one_rb023_reports_is_not() {
        // Without a Default, a branch that matches nothing goes on in list order.
        let fall_through = runbook(&format!(
            "{WAIT}- {{name: again, action: aws:branch, inputs: {{Choices: [{{NextStep: wait, Variable: '{{{{ global:REGION }}}}', StringEquals: x}}]}}}}\n"
        ));
        assert!(messages(RULE.code, &fall_through).is_empty());
        let choice_out = runbook(&format!(
            "{WAIT}- {{name: again, action: aws:branch, inputs: {{Choices: [{{NextStep: done, Variable: '{{{{ global:REGION }}}}', StringEquals: x}}], Default: wait}}}}\n- {{name: done, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n"
        ));
        assert!(messages(RULE.code, &choice_out).is_empty());
        let failure_out = runbook(
            "- {name: a, action: aws:branch, inputs: {Choices: [{NextStep: b, Variable: '{{ global:REGION }}', StringEquals: x}], Default: a}}\n- {name: b, action: aws:sleep, inputs: {Duration: PT1S}, onFailure: 'step:c', nextStep: a}\n- {name: c, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
        assert!(messages(RULE.code, &failure_out).is_empty());
        let retry_self = runbook(
            "- {name: a, action: aws:sleep, inputs: {Duration: PT1S}, onFailure: 'step:a'}\n",
        );
        assert!(messages(RULE.code, &retry_self).is_empty());
        let unconditional = runbook(
            "- {name: a, action: aws:sleep, inputs: {}, nextStep: b}\n- {name: b, action: aws:sleep, inputs: {}, nextStep: a}\n",
        );
        assert!(messages(RULE.code, &unconditional).is_empty());
        let loop_body = runbook(
            "- name: repeat\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    Steps:\n    - {name: tick, action: aws:sleep, inputs: {Duration: PT1S}}\n",
        );
        assert!(messages(RULE.code, &loop_body).is_empty());
    }
}
