//! Load and validate throughput: the whole corpus, and generated runbooks of growing length
//! (the time per step should stay flat as the runbook grows); the rules alone and the model
//! checks alone on a loaded chain of API steps, each fed by the previous one; with botocore's
//! models, the time to load the largest model (ec2) and the corpus validated with the model
//! checks too.

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

fn models() -> runbook_aws::model::Models {
    runbook_aws::model::Models::discover(None)
        .unwrap_or_else(|error| panic!("this benchmark needs botocore's models: {error}"))
}

/// Reading and parsing the largest model, ec2, from a fresh cache each time.
#[divan::bench(sample_count = 10)]
fn ec2_model_load(bencher: divan::Bencher) {
    let root = models().root().to_path_buf();
    bencher.bench(|| {
        let models =
            runbook_aws::model::Models::load(runbook_aws::model::ModelSource::Dir(root.clone()))
                .expect("models");
        models.service("ec2").expect("ec2 loads").shape_count()
    });
}

/// Every corpus runbook, parsed, validated and checked against the models (already loaded:
/// the first run loads the services the corpus uses, once).
#[divan::bench(sample_count = 10)]
fn corpus_with_models(bencher: divan::Bencher) {
    let files = common::corpus();
    let models = models();
    bencher.counter(divan::counter::ItemsCount::new(files.len())).bench(|| {
        files
            .iter()
            .map(|(name, text, json)| {
                let format = if *json { Format::Json } else { Format::Yaml };
                let document = Document::parse(name, text.clone(), format).expect("loads");
                validate(&document).diagnostics.len()
                    + runbook_aws::model::lint::lint(&document, &models).len()
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

/// The rules alone over a loaded chain of `steps` `aws:executeAwsApi` steps, each reading the
/// previous step's output: their cost per step, apart from loading.
#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn chain_rules(bencher: divan::Bencher, steps: usize) {
    let document =
        Document::parse("chain.yaml", common::api_chain(steps), Format::Yaml).expect("loads");
    bencher
        .counter(divan::counter::ItemsCount::new(steps))
        .bench(|| validate(&document).diagnostics.len());
}

/// The model checks alone over the same chain (the service's model already read).
#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn chain_model_checks(bencher: divan::Bencher, steps: usize) {
    let document =
        Document::parse("chain.yaml", common::api_chain(steps), Format::Yaml).expect("loads");
    let models = models();
    runbook_aws::model::lint::lint(&document, &models);
    bencher
        .counter(divan::counter::ItemsCount::new(steps))
        .bench(|| runbook_aws::model::lint::lint(&document, &models).len());
}

/// A runbook whose parameter default is a map of `keys` keys: loading should grow linearly.
#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 5)]
fn map_keys(bencher: divan::Bencher, keys: usize) {
    let text = common::wide_map(keys);
    bencher
        .counter(divan::counter::ItemsCount::new(keys))
        .bench(|| Document::parse("wide.yaml", text.clone(), Format::Yaml).is_ok());
}
