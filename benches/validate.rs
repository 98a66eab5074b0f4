//! Load and validate throughput: the whole corpus, and generated runbooks of growing length
//! (the time per step should stay flat as the runbook grows).

mod common;

use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::validate::validate;

fn main() {
    divan::main();
}

fn load_and_validate(name: &str, text: &str, format: Format) -> usize {
    let document = Document::parse(name, text.to_string(), format).expect("loads");
    validate(&document).diagnostics.len()
}

/// Every corpus runbook, parsed and validated (files read beforehand).
#[divan::bench(sample_count = 20)]
fn corpus(bencher: divan::Bencher) {
    let files = common::corpus();
    bencher.counter(divan::counter::ItemsCount::new(files.len())).bench(|| {
        files
            .iter()
            .map(|(name, text, json)| {
                load_and_validate(name, text, if *json { Format::Json } else { Format::Yaml })
            })
            .sum::<usize>()
    });
}

/// A generated runbook of `steps` steps.
#[divan::bench(args = [250, 500, 1000, 2000, 4000], sample_count = 20)]
fn generated(bencher: divan::Bencher, steps: usize) {
    let text = common::generated(steps);
    bencher
        .counter(divan::counter::ItemsCount::new(steps))
        .bench(|| load_and_validate("generated.yaml", &text, Format::Yaml));
}
