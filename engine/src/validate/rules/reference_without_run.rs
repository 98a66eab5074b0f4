//! RB032 `reference-without-run` (warning): a step reads the output of a step that runs before
//! it on some paths but not on all of them, so some run reaches the reader without a value for
//! the reference. At run time the reference is then left as its literal text and the step runs
//! with it (RULINGS 12); AWS's own runbooks rely on that, so this is never an error.
//!
//! RB013 covers the references no path can satisfy; this rule the ones some path misses: a
//! branch that skips the step, an `onFailure` jump over it, two alternative steps read side
//! by side. A loop's body runs at least once before the loop goes on, and its `LoopCondition`
//! is read after the body, so neither counts as a path around the body's steps.

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{EdgeKind, Search, StepGraph};
use crate::template::Target;
use crate::validate::{Context, Rule};

use super::undefined_reference::located;

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB032", name: "reference-without-run" },
    summary: "step outputs are read on paths where their step has run",
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(start) = cx.graph.start else { return };
    let mut search = Search::default();
    // Made at the first reference to a step's output: many runbooks have none.
    let mut dominance = None;
    for use_ in &cx.uses {
        let (Some(user), Target::StepOutput { step, output }) = (use_.step, &use_.reference.target)
        else {
            continue;
        };
        let (Some(source), Some(reader)) = (cx.graph.node(step), cx.graph.node(&user.name.value))
        else {
            continue;
        };
        // Every path to the reader through the source: nothing to search for. This keeps the
        // rule linear on the usual chain, where each step reads the one before it, and is
        // asked first because it costs no search.
        if dominance
            .get_or_insert_with(|| Dominance::new(&cx.graph, start))
            .dominates(source, reader)
        {
            continue;
        }
        // A step reading itself, or a step that cannot have run at all: RB013's findings.
        if source == reader || !cx.graph.leads_to(source, reader, &mut search) {
            continue;
        }
        let after_body =
            user.loop_inputs.is_some() && use_.path().contains(".inputs.LoopCondition");
        if let Some(path) = path_around(&cx.graph, start, source, reader, after_body) {
            let shown: Vec<&str> = path
                .iter()
                .filter_map(|node| cx.graph.step(*node))
                .map(|step| step.name.value.as_str())
                .collect();
            out.push(
                located(
                    Diagnostic::warning(
                        RULE.code,
                        format!(
                            "`{step}.{output}` may have no value: a path reaches step `{}` without running `{step}`",
                            user.name.value
                        ),
                    ),
                    use_,
                )
                .hint(format!(
                    "for example {}; the step then runs with the literal text `{}`",
                    shown.join(" → "),
                    use_.reference.written
                )),
            );
        }
    }
}

/// The shortest path from `start` to `reader` that never runs `avoid`, if there is one. With
/// `after_body`, the path must arrive at the loop step `reader` from the end of its body.
/// Dominance in the plain step graph from the first step, answered in constant time.
///
/// The plain graph has every path the run's states have (and some more: it lets a loop step
/// entered from outside leave without its body), so when every plain path to a step goes
/// through another, no run reaches the first without running the second.
struct Dominance {
    /// Each node's place in a depth-first walk of the dominator tree: entered and left.
    entered: Vec<usize>,
    left: Vec<usize>,
}

impl Dominance {
    fn new(graph: &StepGraph<'_>, start: NodeIndex) -> Self {
        let count = graph.graph.node_count();
        let mut children: Vec<Vec<NodeIndex>> = vec![Vec::new(); count];
        for (node, parent) in immediate_dominators(graph, start).into_iter().enumerate() {
            if let Some(parent) = parent {
                children[parent.index()].push(NodeIndex::new(node));
            }
        }
        // Unreachable nodes keep an empty interval, so they dominate nothing and nothing
        // dominates them: the search decides for them.
        let mut entered = vec![usize::MAX; count];
        let mut left = vec![0; count];
        let mut clock = 0;
        let mut stack = vec![(start, false)];
        while let Some((node, done)) = stack.pop() {
            if done {
                left[node.index()] = clock;
                continue;
            }
            entered[node.index()] = clock;
            clock += 1;
            stack.push((node, true));
            stack.extend(children[node.index()].iter().map(|child| (*child, false)));
        }
        Self { entered, left }
    }

    /// Whether every path from the first step to `node` goes through `dominator`.
    fn dominates(&self, dominator: NodeIndex, node: NodeIndex) -> bool {
        let (outer, inner) = (dominator.index(), node.index());
        self.entered[outer] != usize::MAX
            && self.entered[inner] != usize::MAX
            && self.entered[outer] <= self.entered[inner]
            && self.left[inner] <= self.left[outer]
    }
}

/// The immediate dominator of each step reachable from `start`, by node index (`None` for
/// `start` and the nodes it does not reach), with Cooper, Harvey and Kennedy's iterative
/// algorithm over plain vectors: a general one keeps its sets in hash maps, which on a long
/// runbook cost more than the rest of the rule. `End` is left out: every step may fail into
/// it, so no path goes on from it, and its one predecessor per step would make the search
/// quadratic.
fn immediate_dominators(graph: &StepGraph<'_>, start: NodeIndex) -> Vec<Option<NodeIndex>> {
    let count = graph.graph.node_count();
    let is_step = |node: NodeIndex| graph.step(node).is_some();
    // Post-order numbers from a depth-first walk; `usize::MAX` for nodes not reached.
    let mut number = vec![usize::MAX; count];
    let mut order = Vec::with_capacity(count);
    let mut seen = vec![false; count];
    let mut stack = vec![(start, graph.graph.neighbors_directed(start, Direction::Outgoing))];
    seen[start.index()] = true;
    while let Some((node, successors)) = stack.last_mut() {
        let node = *node;
        match successors.find(|next| is_step(*next) && !seen[next.index()]) {
            Some(next) => {
                seen[next.index()] = true;
                stack.push((next, graph.graph.neighbors_directed(next, Direction::Outgoing)));
            }
            None => {
                number[node.index()] = order.len();
                order.push(node);
                stack.pop();
            }
        }
    }
    let mut idom: Vec<Option<NodeIndex>> = vec![None; count];
    idom[start.index()] = Some(start);
    let intersect = |idom: &[Option<NodeIndex>], mut a: NodeIndex, mut b: NodeIndex| {
        while a != b {
            while number[a.index()] < number[b.index()] {
                a = idom[a.index()].unwrap_or(start);
            }
            while number[b.index()] < number[a.index()] {
                b = idom[b.index()].unwrap_or(start);
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &node in order.iter().rev().filter(|node| **node != start) {
            let mut new = None;
            for before in graph.graph.neighbors_directed(node, Direction::Incoming) {
                if number[before.index()] == usize::MAX || idom[before.index()].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => before,
                    Some(so_far) => intersect(&idom, before, so_far),
                });
            }
            if new.is_some() && idom[node.index()] != new {
                idom[node.index()] = new;
                changed = true;
            }
        }
    }
    idom[start.index()] = None;
    idom
}

fn path_around(
    graph: &StepGraph<'_>,
    start: NodeIndex,
    avoid: NodeIndex,
    reader: NodeIndex,
    after_body: bool,
) -> Option<Vec<NodeIndex>> {
    if start == avoid {
        return None;
    }
    // A state is a node and whether it was reached from the end of a loop body (which matters
    // for loop steps only): a loop step entered from outside first runs its body.
    let count = graph.graph.node_count();
    let state = |node: NodeIndex, back: bool| node.index() * 2 + usize::from(back);
    let mut previous: Vec<Option<usize>> = vec![None; count * 2];
    let mut seen = vec![false; count * 2];
    let mut queue = std::collections::VecDeque::from([(start, false)]);
    seen[state(start, false)] = true;
    while let Some((node, back)) = queue.pop_front() {
        if node == reader && (!after_body || back) {
            let mut path = vec![node];
            let mut at = state(node, back);
            while let Some(before) = previous[at] {
                path.push(NodeIndex::new(before / 2));
                at = before;
            }
            path.reverse();
            return Some(path);
        }
        let is_loop = graph.step(node).is_some_and(|step| step.loop_inputs.is_some());
        for edge in graph.graph.edges_directed(node, Direction::Outgoing) {
            let kind = *edge.weight();
            if is_loop && !back && kind != EdgeKind::LoopBody {
                continue;
            }
            let next = edge.target();
            if next == avoid || graph.step(next).is_none() {
                continue;
            }
            let next_back = kind == EdgeKind::LoopBack;
            let next_state = state(next, next_back);
            if !std::mem::replace(&mut seen[next_state], true) {
                previous[next_state] = Some(state(node, back));
                queue.push_back((next, next_back));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check, messages, runbook};

    const DESCRIBE: &str = "action: aws:executeAwsApi\n  inputs: {Service: ec2, Api: DescribeInstances}\n  outputs: [{Name: Id, Selector: $.Id, Type: String}]";

    /// The dominators of the step graph of `steps`, by step name, as petgraph finds them and
    /// as the rule does.
    fn dominators_both_ways(steps: &str) -> (Vec<Option<String>>, Vec<Option<String>>) {
        use petgraph::algo::dominators;
        use petgraph::visit::NodeFiltered;

        let document =
            crate::Document::parse("r.yaml", runbook(steps), crate::document::Format::Yaml)
                .unwrap();
        let graph = StepGraph::build(&document);
        let start = graph.start.unwrap();
        let name = |node: Option<NodeIndex>| {
            node.and_then(|node| graph.step(node)).map(|step| step.name.value.clone())
        };
        let filtered = NodeFiltered::from_fn(&graph.graph, |node| graph.step(node).is_some());
        let tree = dominators::simple_fast(&filtered, start);
        let general =
            graph.graph.node_indices().map(|node| name(tree.immediate_dominator(node))).collect();
        let ours = immediate_dominators(&graph, start).into_iter().map(name).collect();
        (general, ours)
    }

    #[test]
    fn dominators_are_those_of_the_general_algorithm() {
        let sleep = "action: aws:sleep\n  inputs: {Duration: PT1S}";
        for steps in [
            format!("- name: a\n  {sleep}\n- name: b\n  {sleep}\n- name: c\n  {sleep}\n"),
            format!(
                "- name: choose\n  action: aws:branch\n  inputs: {{Choices: [{{NextStep: c, Variable: a, StringEquals: a}}], Default: b}}\n- name: b\n  {sleep}\n  nextStep: d\n- name: c\n  {sleep}\n- name: d\n  {sleep}\n  onFailure: step:b\n- name: e\n  {sleep}\n  nextStep: choose\n"
            ),
            format!(
                "- name: a\n  {sleep}\n  onFailure: step:c\n- name: b\n  {sleep}\n  isEnd: true\n- name: c\n  {sleep}\n  nextStep: a\n- name: lost\n  {sleep}\n"
            ),
            format!(
                "- name: loop\n  action: aws:loop\n  inputs:\n    Iterators: [1, 2]\n    Steps:\n      - name: inner\n        action: aws:sleep\n        inputs: {{Duration: PT1S}}\n- name: after\n  {sleep}\n"
            ),
        ] {
            let (general, ours) = dominators_both_ways(&steps);
            assert_eq!(ours, general, "{steps}");
        }
    }

    #[test]
    fn a_branch_around_the_step_is_a_warning_with_a_path() {
        let bad = runbook(&format!(
            "- name: choose\n  action: aws:branch\n  inputs: {{Choices: [{{NextStep: use, Variable: a, StringEquals: a}}], Default: launch}}\n- name: launch\n  {DESCRIBE}\n- {{name: use, action: aws:sleep, inputs: {{Duration: '{{{{ launch.Id }}}}'}}}}\n"
        ));
        let found = check(RULE.code, &bad);
        assert_eq!(
            found.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
            ["`launch.Id` may have no value: a path reaches step `use` without running `launch`"]
        );
        assert_eq!(
            found[0].hint.as_deref(),
            Some(
                "for example choose → use; the step then runs with the literal text `{{ launch.Id }}`"
            )
        );
    }

    #[test]
    fn two_alternative_steps_read_side_by_side_are_both_reported() {
        let bad = runbook(&format!(
            "- name: choose\n  action: aws:branch\n  inputs: {{Choices: [{{NextStep: b, Variable: a, StringEquals: a}}], Default: a}}\n- name: a\n  {DESCRIBE}\n  nextStep: use\n- name: b\n  {DESCRIBE}\n- name: use\n  action: aws:executeAwsApi\n  inputs: {{Service: ec2, Api: DescribeInstances, InstanceIds: ['{{{{ a.Id }}}}', '{{{{ b.Id }}}}']}}\n"
        ));
        assert_eq!(messages(RULE.code, &bad).len(), 2, "{:?}", messages(RULE.code, &bad));
    }

    #[test]
    fn an_on_failure_jump_over_the_step_is_reported() {
        let bad = runbook(&format!(
            "- {{name: first, action: aws:sleep, inputs: {{Duration: PT1S}}, onFailure: 'step:use'}}\n- name: d\n  {DESCRIBE}\n- {{name: use, action: aws:sleep, inputs: {{Duration: '{{{{ d.Id }}}}'}}}}\n"
        ));
        assert_eq!(
            messages(RULE.code, &bad),
            ["`d.Id` may have no value: a path reaches step `use` without running `d`"]
        );
    }

    #[test]
    fn steps_on_every_path_and_loop_bodies_are_fine() {
        let good = runbook(&format!(
            "- name: d\n  {DESCRIBE}\n- name: choose\n  action: aws:branch\n  inputs: {{Choices: [{{NextStep: use, Variable: '{{{{ d.Id }}}}', StringEquals: a}}], Default: other}}\n- {{name: other, action: aws:sleep, inputs: {{Duration: PT1S}}}}\n- {{name: use, action: aws:sleep, inputs: {{Duration: '{{{{ d.Id }}}}'}}}}\n- name: l\n  action: aws:loop\n  inputs:\n    MaxIterations: 3\n    LoopCondition: {{Variable: '{{{{ p.Payload }}}}', StringEquals: x}}\n    Steps:\n    - {{name: p, action: aws:executeScript, inputs: {{Runtime: python3.11, Handler: h, Script: s}}}}\n    - {{name: q, action: aws:sleep, inputs: {{Duration: '{{{{ p.Payload }}}}'}}}}\n- {{name: after, action: aws:sleep, inputs: {{Duration: '{{{{ p.Payload }}}}'}}}}\n"
        ));
        assert!(messages(RULE.code, &good).is_empty(), "{:?}", messages(RULE.code, &good));
    }

    #[test]
    fn what_no_path_satisfies_is_left_to_rb013() {
        let bad = runbook(&format!(
            "- {{name: a, action: aws:sleep, inputs: {{Duration: '{{{{ b.Id }}}}'}}}}\n- name: b\n  {DESCRIBE}\n"
        ));
        assert!(messages(RULE.code, &bad).is_empty());
    }
}
