//! `runbook graph`: the step graph of a runbook, as Graphviz DOT or a Mermaid flowchart.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use petgraph::visit::EdgeRef;
use runbook_engine::Document;
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
    for edge in graph.graph.edge_references() {
        let style = match edge.weight() {
            EdgeKind::Failure => ", style=dashed, color=red",
            EdgeKind::Cancel => ", style=dotted, color=orange",
            EdgeKind::Branch => ", color=blue",
            EdgeKind::LoopBody | EdgeKind::LoopBack => ", color=darkgreen",
            EdgeKind::Next | EdgeKind::NextStep => "",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\"{style}];",
            node_id(graph, edge.source()),
            node_id(graph, edge.target()),
            label(*edge.weight())
        );
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
    for edge in graph.graph.edge_references() {
        let arrow = match edge.weight() {
            EdgeKind::Failure | EdgeKind::Cancel => "-.->",
            _ => "-->",
        };
        let label = label(*edge.weight());
        let label = if label.is_empty() { String::new() } else { format!("|{label}|") };
        let _ = writeln!(
            out,
            "  {} {arrow}{label} {}",
            node_id(graph, edge.source()),
            node_id(graph, edge.target())
        );
    }
    out
}
