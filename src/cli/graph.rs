//! `runbook graph`: the step graph of a runbook, as Graphviz DOT or a Mermaid flowchart.
//!
//! A failed step without `onFailure` aborts the run. Drawn as an edge from every such step, that
//! default buries the jumps the author wrote, so it is one note in the drawing instead; an
//! `onFailure: Abort` written out is an edge to a single `abort` node.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use petgraph::visit::EdgeRef;
use runbook_engine::Document;
use runbook_engine::document::OnFailure;
use runbook_engine::graph::{EdgeKind, GraphNode, StepGraph};

use super::Outcome;
use crate::render;

/// Arguments of `runbook graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The runbook.
    runbook: PathBuf,
    /// `dot` for Graphviz, `mermaid` for a Mermaid flowchart.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum GraphFormat {
    /// Graphviz DOT (`runbook graph x.yaml | dot -Tsvg > x.svg`).
    Dot,
    /// A Mermaid flowchart, which Markdown viewers such as GitHub's draw.
    Mermaid,
}

fn label(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Next => "",
        EdgeKind::NextStep => "nextStep",
        EdgeKind::Failure => "onFailure",
        EdgeKind::Branch => "branch",
        EdgeKind::Cancel => "onCancel",
        EdgeKind::LoopBody => "loop",
        EdgeKind::LoopBack => "next pass",
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let document = match Document::load(&args.runbook) {
        Ok(document) => document,
        Err(error) => {
            eprint!("{}", render::human::load_error(&error));
            return Ok(Outcome::UsageError);
        }
    };
    let graph = StepGraph::build(&document);
    let text = match args.format {
        GraphFormat::Dot => dot(&graph),
        GraphFormat::Mermaid => mermaid(&graph),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(Outcome::Success)
}

fn node_id(graph: &StepGraph<'_>, index: petgraph::graph::NodeIndex) -> String {
    match graph.graph[index] {
        GraphNode::Step(_) => format!("s{}", index.index()),
        // `end` is a keyword of Mermaid flowcharts.
        GraphNode::End => "finish".to_string(),
    }
}

fn dot(graph: &StepGraph<'_>) -> String {
    let mut out = String::from(
        "digraph runbook {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
    );
    for index in graph.graph.node_indices() {
        match graph.graph[index] {
            GraphNode::Step(step) => {
                let _ = writeln!(
                    out,
                    "  s{} [label=\"{}\\n{}\"];",
                    index.index(),
                    step.name.value,
                    step.action.value
                );
            }
            GraphNode::End => out.push_str("  finish [label=\"end\", shape=doublecircle];\n"),
        }
    }
    let edges = edges(graph);
    if edges.explicit_abort {
        out.push_str("  abort [label=\"abort\", shape=octagon, color=red];\n");
    }
    if edges.default_aborts > 0 {
        let _ = writeln!(out, "  legend [shape=note, label=\"{}\"];", legend(edges.default_aborts));
    }
    for (from, to, kind) in edges.drawn {
        let style = match kind {
            EdgeKind::Failure => ", style=dashed, color=red",
            EdgeKind::Cancel => ", style=dotted, color=orange",
            EdgeKind::Branch => ", color=blue",
            EdgeKind::LoopBody | EdgeKind::LoopBack => ", color=darkgreen",
            EdgeKind::Next | EdgeKind::NextStep => "",
        };
        let _ = writeln!(out, "  {from} -> {to} [label=\"{}\"{style}];", label(kind));
    }
    out.push_str("}\n");
    out
}

fn mermaid(graph: &StepGraph<'_>) -> String {
    let mut out = String::from("flowchart TD\n");
    for index in graph.graph.node_indices() {
        match graph.graph[index] {
            GraphNode::Step(step) => {
                let _ = writeln!(
                    out,
                    "  s{}[\"{}<br/>{}\"]",
                    index.index(),
                    step.name.value,
                    step.action.value
                );
            }
            GraphNode::End => out.push_str("  finish((end))\n"),
        }
    }
    let edges = edges(graph);
    if edges.explicit_abort {
        out.push_str("  abort{{abort}}\n");
    }
    if edges.default_aborts > 0 {
        let _ = writeln!(out, "  legend>\"{}\"]", legend(edges.default_aborts));
    }
    for (from, to, kind) in edges.drawn {
        let arrow = match kind {
            EdgeKind::Failure | EdgeKind::Cancel => "-.->",
            _ => "-->",
        };
        let label = label(kind);
        let label = if label.is_empty() { String::new() } else { format!("|{label}|") };
        let _ = writeln!(out, "  {from} {arrow}{label} {to}");
    }
    out
}

/// The edges to draw, between node ids, and what stands in for the ones left out.
struct Edges {
    drawn: Vec<(String, String, EdgeKind)>,
    /// Steps that abort the run on failure because they say nothing else.
    default_aborts: usize,
    /// Whether a step says `onFailure: Abort` (drawn to the `abort` node).
    explicit_abort: bool,
}

fn edges(graph: &StepGraph<'_>) -> Edges {
    let mut edges = Edges { drawn: Vec::new(), default_aborts: 0, explicit_abort: false };
    for edge in graph.graph.edge_references() {
        let kind = *edge.weight();
        let from = node_id(graph, edge.source());
        let mut to = node_id(graph, edge.target());
        // The step graph sends an aborting failure to the end of the run.
        if kind == EdgeKind::Failure && edge.target() == graph.end {
            let written = graph.step(edge.source()).and_then(|step| step.on_failure.as_ref());
            match written.map(|on_failure| &on_failure.value) {
                None => {
                    edges.default_aborts += 1;
                    continue;
                }
                Some(OnFailure::Abort) => {
                    edges.explicit_abort = true;
                    to = "abort".to_string();
                }
                Some(_) => {}
            }
        }
        edges.drawn.push((from, to, kind));
    }
    edges
}

fn legend(default_aborts: usize) -> String {
    if default_aborts == 1 {
        "1 step without onFailure aborts the run when it fails".to_string()
    } else {
        format!("{default_aborts} steps without onFailure abort the run when they fail")
    }
}
