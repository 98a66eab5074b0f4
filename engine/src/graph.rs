//! The step graph: which step can run after which, built once from a document with petgraph.
//! It serves the validator's graph rules (unreachable steps, references to steps that cannot
//! have run yet, unconditional cycles) and `runbook graph`.
//!
//! Nodes are the steps (loop bodies included) plus one `End` node. Edges say why control can
//! pass: success, failure, a branch choice, a cancel (the step's
//! [`Jumps`](crate::document::Jumps)), or entering and leaving a loop body.

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, EdgeRef};

use crate::document::{Document, OnFailure, Step};
use crate::names::NameMap;

/// Why control can pass from one step to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// After success: the next step in list order.
    Next,
    /// After success: `nextStep`.
    NextStep,
    /// After failure: `onFailure: step:X`, or `Continue` (which goes on as after success).
    Failure,
    /// An `aws:branch` choice or its `Default`.
    Branch,
    /// `onCancel: step:X`.
    Cancel,
    /// An `aws:loop` step starting its body.
    LoopBody,
    /// The end of a loop body, back to its loop step (next iteration or leave).
    LoopBack,
}

/// A node of the graph.
#[derive(Clone, Copy, Debug)]
pub enum GraphNode<'a> {
    /// A step.
    Step(&'a Step),
    /// The end of the run.
    End,
}

/// The step graph of a document.
#[derive(Debug)]
pub struct StepGraph<'a> {
    /// The graph itself.
    pub graph: DiGraph<GraphNode<'a>, EdgeKind>,
    /// Step name to node (the first step of that name).
    index: NameMap<&'a str, NodeIndex>,
    /// The `End` node.
    pub end: NodeIndex,
    /// The first step, where the run starts.
    pub start: Option<NodeIndex>,
}

impl<'a> StepGraph<'a> {
    /// Builds the graph of `document`.
    pub fn build(document: &'a Document) -> Self {
        let mut graph = DiGraph::new();
        let mut index = NameMap::default();
        for step in document.all_steps() {
            let node = graph.add_node(GraphNode::Step(step));
            index.entry(step.name.value.as_str()).or_insert(node);
        }
        let end = graph.add_node(GraphNode::End);
        let start =
            document.steps.first().and_then(|step| index.get(step.name.value.as_str()).copied());
        let mut this = Self { graph, index, end, start };
        this.add_body(&document.steps, end);
        this
    }

    /// The node of the step named `name`.
    pub fn node(&self, name: &str) -> Option<NodeIndex> {
        self.index.get(name).copied()
    }

    /// The step at `node` (`None` for `End`).
    pub fn step(&self, node: NodeIndex) -> Option<&'a Step> {
        match self.graph[node] {
            GraphNode::Step(step) => Some(step),
            GraphNode::End => None,
        }
    }

    /// Adds the edges of a list of steps whose fall-through after the last step goes to `exit`.
    fn add_body(&mut self, steps: &'a [Step], exit: NodeIndex) {
        for (position, step) in steps.iter().enumerate() {
            let Some(from) = self.node(&step.name.value) else { continue };
            let fall_through = steps
                .get(position + 1)
                .and_then(|next| self.node(&next.name.value))
                .unwrap_or(exit);
            let jumps = step.jumps();
            // RULINGS 1: after success, isEnd ends the run; else nextStep; else list order.
            // Inside a loop body isEnd ends the pass, back to the loop: AWS's own do-while loops
            // put it on their last step.
            let success = if step.is_end() {
                if exit == self.end {
                    (self.end, EdgeKind::Next)
                } else {
                    (exit, EdgeKind::LoopBack)
                }
            } else if let Some(next) = jumps.next_step() {
                (self.node(next.target).unwrap_or(self.end), EdgeKind::NextStep)
            } else {
                (fall_through, EdgeKind::Next)
            };
            self.graph.add_edge(from, success.0, success.1);
            if let Some(failure) = jumps.on_failure() {
                if let Some(to) = self.node(failure.target) {
                    self.graph.add_edge(from, to, EdgeKind::Failure);
                }
            } else if *step.on_failure() == OnFailure::Abort {
                self.graph.add_edge(from, self.end, EdgeKind::Failure);
            }
            if let Some(to) = jumps.on_cancel().and_then(|cancel| self.node(cancel.target)) {
                self.graph.add_edge(from, to, EdgeKind::Cancel);
            }
            for target in jumps.branch() {
                if let Some(to) = self.node(target.target) {
                    self.graph.add_edge(from, to, EdgeKind::Branch);
                }
            }
            if let Some(body) = &step.loop_inputs
                && let Some(first) =
                    body.steps.first().and_then(|first| self.node(&first.name.value))
            {
                self.graph.add_edge(from, first, EdgeKind::LoopBody);
                self.add_body(&body.steps, from);
                // The body's fall-through returns to the loop step.
                if let Some(last) = body.steps.last().and_then(|last| self.node(&last.name.value)) {
                    let edge = self.graph.find_edge(last, from);
                    if let Some(edge) = edge
                        && self.graph[edge] == EdgeKind::Next
                    {
                        self.graph[edge] = EdgeKind::LoopBack;
                    }
                }
            }
        }
    }

    /// Every node reachable from the start, following every kind of edge.
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.graph.node_count()];
        if let Some(start) = self.start {
            let mut dfs = Dfs::new(&self.graph, start);
            while let Some(node) = dfs.next(&self.graph) {
                seen[node.index()] = true;
            }
        }
        seen
    }

    /// Every node reachable from `from` by at least one edge.
    pub fn successors_closure(&self, from: NodeIndex) -> Vec<bool> {
        let mut seen = vec![false; self.graph.node_count()];
        let mut stack: Vec<NodeIndex> =
            self.graph.neighbors_directed(from, Direction::Outgoing).collect();
        while let Some(node) = stack.pop() {
            if !std::mem::replace(&mut seen[node.index()], true) {
                stack.extend(self.graph.neighbors_directed(node, Direction::Outgoing));
            }
        }
        seen
    }

    /// Whether a path of at least one edge leads from `from` to `to`. The search stops as soon
    /// as it finds `to`, so the usual question (is an earlier step upstream of this one?) costs
    /// about the distance between them.
    pub fn leads_to(&self, from: NodeIndex, to: NodeIndex, search: &mut Search) -> bool {
        search.begin(self.graph.node_count());
        let mut stack: Vec<NodeIndex> =
            self.graph.neighbors_directed(from, Direction::Outgoing).collect();
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if search.visit(node) {
                stack.extend(self.graph.neighbors_directed(node, Direction::Outgoing));
            }
        }
        false
    }

    /// Cycles that a run would go round forever when every step succeeds: cycles of
    /// success edges (list order and `nextStep`) that no branch or loop can leave. Each cycle is
    /// given as the steps in order, starting from its first step in the document.
    pub fn unconditional_cycles(&self) -> Vec<Vec<&'a Step>> {
        const UNSEEN: u32 = u32::MAX;
        const DONE: u32 = u32::MAX - 1;
        // Success edges leave every node at most once, so following them is a walk. Each node
        // is walked once: it carries the walk's number while the walk is on it, then DONE.
        let mut mark = vec![UNSEEN; self.graph.node_count()];
        let mut cycles = Vec::new();
        for (walk_number, start) in self.graph.node_indices().enumerate() {
            if mark[start.index()] != UNSEEN {
                continue;
            }
            let walk_number = u32::try_from(walk_number).unwrap_or(DONE - 1);
            let mut walk = vec![start];
            mark[start.index()] = walk_number;
            let mut node = start;
            while let Some(next) = self.success_edge(node) {
                match mark[next.index()] {
                    UNSEEN => {
                        mark[next.index()] = walk_number;
                        walk.push(next);
                        node = next;
                    }
                    seen if seen == walk_number => {
                        let position = walk.iter().position(|n| *n == next).unwrap_or(0);
                        cycles
                            .push(walk[position..].iter().filter_map(|n| self.step(*n)).collect());
                        break;
                    }
                    _ => break,
                }
            }
            for member in walk {
                mark[member.index()] = DONE;
            }
        }
        cycles
    }

    /// The unconditional success edge out of `node`, if it has exactly that (branch and loop
    /// steps decide at run time, so they have none).
    fn success_edge(&self, node: NodeIndex) -> Option<NodeIndex> {
        let step = self.step(node)?;
        if step.branch_inputs.is_some() || step.loop_inputs.is_some() {
            return None;
        }
        self.graph
            .edges_directed(node, Direction::Outgoing)
            .find(|edge| matches!(edge.weight(), EdgeKind::Next | EdgeKind::NextStep))
            .map(|edge| edge.target())
            .filter(|target| *target != self.end)
    }
}

/// Reusable scratch space for [`StepGraph::leads_to`], so that many searches do not each
/// allocate and clear a visited set.
#[derive(Debug, Default)]
pub struct Search {
    stamp: u32,
    visited: Vec<u32>,
}

impl Search {
    fn begin(&mut self, nodes: usize) {
        if self.visited.len() != nodes || self.stamp == u32::MAX {
            self.visited = vec![0; nodes];
            self.stamp = 0;
        }
        self.stamp += 1;
    }

    /// Marks `node` visited; whether it was new.
    fn visit(&mut self, node: NodeIndex) -> bool {
        let slot = &mut self.visited[node.index()];
        let new = *slot != self.stamp;
        *slot = self.stamp;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    fn document(steps: &str) -> Document {
        let text = format!("schemaVersion: '0.3'\nmainSteps:\n{steps}");
        Document::parse("t.yaml", text, Format::Yaml).unwrap()
    }

    fn names(steps: &[&Step]) -> Vec<String> {
        steps.iter().map(|s| s.name.value.clone()).collect()
    }

    #[test]
    fn next_step_cycles_are_found_with_their_trace() {
        let doc = document(
            "- {name: a, action: aws:sleep, inputs: {}, nextStep: b}\n- {name: b, action: aws:sleep, inputs: {}, nextStep: a}\n",
        );
        let graph = StepGraph::build(&doc);
        let cycles = graph.unconditional_cycles();
        assert_eq!(cycles.len(), 1);
        assert_eq!(names(&cycles[0]), ["a", "b"]);
    }

    #[test]
    fn branch_cycles_are_not_unconditional() {
        let doc = document(
            "- {name: a, action: aws:sleep, inputs: {}}\n- name: b\n  action: aws:branch\n  inputs: {Choices: [{NextStep: a, Variable: '{{ X }}', StringEquals: y}]}\n",
        );
        assert!(StepGraph::build(&doc).unconditional_cycles().is_empty());
    }

    #[test]
    fn loop_bodies_return_to_their_loop() {
        let doc = document(
            "- name: l\n  action: aws:loop\n  inputs:\n    Steps:\n    - {name: i1, action: aws:sleep, inputs: {}}\n    - {name: i2, action: aws:sleep, inputs: {}}\n- {name: after, action: aws:sleep, inputs: {}}\n",
        );
        let graph = StepGraph::build(&doc);
        assert!(graph.unconditional_cycles().is_empty());
        let i2 = graph.node("i2").unwrap();
        let l = graph.node("l").unwrap();
        let edge = graph.graph.find_edge(i2, l).unwrap();
        assert_eq!(graph.graph[edge], EdgeKind::LoopBack);
        let reach = graph.successors_closure(graph.node("i1").unwrap());
        assert!(reach[graph.node("after").unwrap().index()]);
    }

    #[test]
    fn is_end_in_a_loop_body_returns_to_the_loop() {
        let doc = document(
            "- name: l\n  action: aws:loop\n  inputs:\n    Steps:\n    - {name: i1, action: aws:sleep, inputs: {}, isEnd: true}\n    - {name: i2, action: aws:sleep, inputs: {}}\n",
        );
        let graph = StepGraph::build(&doc);
        let edge = graph.graph.find_edge(graph.node("i1").unwrap(), graph.node("l").unwrap());
        assert_eq!(edge.map(|e| graph.graph[e]), Some(EdgeKind::LoopBack));
    }

    #[test]
    fn reachability_follows_every_edge_kind() {
        let doc = document(
            "- {name: a, action: aws:sleep, inputs: {}, isEnd: true, onFailure: 'step:c'}\n- {name: b, action: aws:sleep, inputs: {}}\n- {name: c, action: aws:sleep, inputs: {}}\n",
        );
        let graph = StepGraph::build(&doc);
        let reach = graph.reachable();
        assert!(!reach[graph.node("b").unwrap().index()]);
        assert!(reach[graph.node("c").unwrap().index()]);
    }
}
