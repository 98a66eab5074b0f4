//! Loading a runbook, phase by phase, on the long API chain (`common::api_chain`): the YAML
//! scanner's events alone, the `Node` tree built from them, the typed `Document`, and the same
//! chain as JSON. Throughput in bytes shows how far the tree and the document stand above the
//! scanner they cannot beat.

mod common;

use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::syntax::{parse_json, parse_yaml};

fn main() {
    divan::main();
}

const STEPS: &[usize] = &[1_000, 10_000];

fn yaml(steps: usize) -> String {
    common::api_chain(steps)
}

fn json(steps: usize) -> String {
    let tree = parse_yaml(&yaml(steps)).expect("the chain parses");
    serde_json::to_string_pretty(&tree.to_json()).expect("serialises")
}

/// The YAML parser's events, counted and dropped: the floor under everything else.
#[divan::bench(args = STEPS, sample_count = 10)]
fn yaml_events(bencher: divan::Bencher, steps: usize) {
    let text = yaml(steps);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| granit_parser::Parser::new_from_str(&text).count());
}

/// The `Node` tree, with spans, duplicate-key checks and scalar resolution.
#[divan::bench(args = STEPS, sample_count = 10)]
fn yaml_tree(bencher: divan::Bencher, steps: usize) {
    let text = yaml(steps);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| parse_yaml(&text).expect("parses"));
}

/// The typed document: the tree, then steps, parameters and outputs read from it.
#[divan::bench(args = STEPS, sample_count = 10)]
fn yaml_document(bencher: divan::Bencher, steps: usize) {
    let text = yaml(steps);
    bencher.counter(divan::counter::BytesCount::of_str(&text)).bench(|| {
        Document::parse("chain.yaml", text.clone(), Format::Yaml).expect("loads").steps.len()
    });
}

/// The same chain written as JSON, to the tree.
#[divan::bench(args = STEPS, sample_count = 10)]
fn json_tree(bencher: divan::Bencher, steps: usize) {
    let text = json(steps);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| parse_json(&text).expect("parses"));
}

/// The same chain written as JSON, to the typed document.
#[divan::bench(args = STEPS, sample_count = 10)]
fn json_document(bencher: divan::Bencher, steps: usize) {
    let text = json(steps);
    bencher.counter(divan::counter::BytesCount::of_str(&text)).bench(|| {
        Document::parse("chain.json", text.clone(), Format::Json).expect("loads").steps.len()
    });
}
