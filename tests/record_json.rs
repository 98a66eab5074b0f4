//! The writer of `runbook run --output json` writes what `serde_json::to_writer_pretty` writes,
//! byte for byte: for arbitrary values (every escape, numbers at their limits, empty and deep
//! nesting), for every shape serde knows, and for real records of example and corpus runs.

use std::sync::Arc;

use indexmap::IndexMap;
use proptest::prelude::*;
use runbook::{Loader, Session};
use runbook_aws::mock::MockFile;
use runbook_aws::mock::auto::Placeholders;
use runbook_aws::model::Models;
use runbook_engine::document::{Document, Format};
use runbook_engine::execute::Fleet;
use runbook_engine::execute::NoScripts;
use runbook_engine::host::virtual_runtime;
use runbook_engine::record::Execution;
use serde::Serialize;
use serde_json::{Map, Number, Value, json};

use crate::corpus_runs::generated;
use crate::support::{corpus_files, root};

fn ours<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut text = Vec::new();
    runbook::json::write(&mut text, value)?;
    Ok(String::from_utf8(text).expect("the writer writes UTF-8"))
}

fn stock<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(value)
}

#[track_caller]
fn same<T: Serialize + ?Sized>(value: &T) {
    let (ours, stock) = (ours(value).unwrap(), stock(value).unwrap());
    if ours != stock {
        let at = ours.bytes().zip(stock.bytes()).take_while(|(a, b)| a == b).count();
        let from = at.saturating_sub(80);
        panic!(
            "the texts differ from byte {at}:\nours:  {:?}\nstock: {:?}",
            &ours[from..(at + 80).min(ours.len())],
            &stock[from..(at + 80).min(stock.len())],
        );
    }
}

/// Characters that need every kind of escape, and ones that need none in each UTF-8 length.
const CHARACTERS: &[char] = &[
    '\0',
    '\u{1}',
    '\u{7}',
    '\u{8}',
    '\t',
    '\n',
    '\u{b}',
    '\u{c}',
    '\r',
    '\u{1f}',
    ' ',
    '!',
    '"',
    '#',
    '/',
    '\\',
    ']',
    'a',
    'Z',
    '~',
    '\u{7f}',
    '\u{80}',
    'é',
    'ß',
    '\u{2028}',
    '\u{2029}',
    '€',
    '\u{feff}',
    '😀',
    '\u{10ffff}',
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(CHARACTERS), 0..40)
            .prop_map(String::from_iter),
        any::<String>(),
        "[a-zA-Z0-9 :./-]{0,70}",
    ]
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u64>().prop_map(Number::from),
        any::<i64>().prop_map(Number::from),
        prop_oneof![
            any::<f64>(),
            Just(0.0),
            Just(-0.0),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            Just(1e21),
            Just(1e-7),
            Just(0.1),
        ]
        .prop_filter_map("JSON has no NaN or infinity", Number::from_f64),
        Just(Number::from(u64::MAX)),
        Just(Number::from(i64::MIN)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number().prop_map(Value::Number),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 120, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_values_are_written_as_the_stock_printer_writes_them(value in value()) {
        prop_assert_eq!(ours(&value).unwrap(), stock(&value).unwrap());
    }

    #[test]
    fn arbitrary_strings_are_escaped_as_the_stock_printer_escapes_them(text in text()) {
        prop_assert_eq!(ours(&text).unwrap(), stock(&text).unwrap());
    }
}

#[test]
fn every_escape_and_every_position_of_it_in_a_word() {
    for byte in 0..=0x7f_u8 {
        for before in 0..17 {
            for after in [0, 1, 7, 8, 9] {
                let text =
                    format!("{}{}{}", "x".repeat(before), char::from(byte), "y".repeat(after));
                same(&text);
                same(&json!({ text.clone(): [text.clone(), text.repeat(3)] }));
            }
        }
    }
    same("\u{2028}\"\\\u{0}😀\n\r\t\u{8}\u{c}\u{1b}");
    same("");
}

#[test]
fn empty_and_deep_nesting_are_laid_out_as_the_stock_printer_lays_them_out() {
    let mut deep = json!("leaf");
    for level in 0..45 {
        deep = if level % 2 == 0 { json!({ "k": deep, "e": {} }) } else { json!([deep, [], 1.5]) };
    }
    for sample in [
        json!(null),
        json!({}),
        json!([]),
        json!([[]]),
        json!({"a": {}}),
        json!([{}, [], [[]], {"b": [{}]}]),
        json!({"a": 1, "b": [1, 2, {"c": "d\n\"e\""}], "f": {}, "g": [], "h": {"i": [[]]}}),
        json!([{"x": [{}]}, -3, true, "ünï", 1e300, -0.0, 1.0, 123_456_789.125]),
        deep,
    ] {
        same(&sample);
    }
}

/// A value that crosses the point where the writer hands its text on, many times.
#[test]
fn long_texts_are_written_whole() {
    let items: Vec<Value> = (0..20_000)
        .map(|i| json!({"Index": i, "Name": format!("item \"{i}\"\n"), "Empty": []}))
        .collect();
    same(&items);
    same(&"x\"".repeat(100_000));
}

#[derive(Serialize)]
enum Shape {
    Unit,
    Newtype(Vec<u8>),
    Tuple(i8, char, Option<u16>),
    EmptyTuple(),
    Struct { a: u128, b: i128, c: f32 },
    EmptyStruct {},
}

#[derive(Serialize)]
struct Named(&'static str);

#[derive(Serialize)]
struct Nothing;

#[derive(Serialize)]
struct Everything {
    shapes: Vec<Shape>,
    tuple: (u8, (), Nothing, Named),
    bytes: serde_bytes_like::Bytes,
    numbered: IndexMap<i32, bool>,
    flags: IndexMap<bool, u64>,
    letters: IndexMap<char, f64>,
    floats: IndexMap<String, f32>,
    keyed: IndexMap<Shape, Named>,
    #[serde(serialize_with = "displayed")]
    displayed: &'static str,
    #[serde(flatten)]
    flattened: IndexMap<String, Value>,
}

/// `serialize_bytes`, which no derive calls.
mod serde_bytes_like {
    pub(super) struct Bytes(pub(super) Vec<u8>);

    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(&self.0)
        }
    }
}

fn displayed<S: serde::Serializer>(text: &&str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("<{text}> \"{}\"\n", text.len()))
}

impl PartialEq for Shape {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl Eq for Shape {}

impl std::hash::Hash for Shape {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
    }
}

#[test]
fn every_shape_serde_knows_is_written_as_the_stock_printer_writes_it() {
    let everything = Everything {
        shapes: vec![
            Shape::Unit,
            Shape::Newtype(vec![0, 255]),
            Shape::Newtype(vec![]),
            Shape::Tuple(-1, '"', None),
            Shape::Tuple(1, 'é', Some(7)),
            Shape::EmptyTuple(),
            Shape::Struct { a: u128::MAX, b: i128::MIN, c: 0.3 },
            Shape::EmptyStruct {},
        ],
        tuple: (9, (), Nothing, Named("named\u{1}")),
        bytes: serde_bytes_like::Bytes(vec![1, 2, 3]),
        numbered: IndexMap::from([(-5, true), (i32::MAX, false)]),
        flags: IndexMap::from([(true, 1), (false, 0)]),
        letters: IndexMap::from([('\n', f64::NAN), ('q', f64::INFINITY), ('r', 2.5)]),
        floats: IndexMap::from([("f".into(), 1e-10), ("g".into(), f32::NEG_INFINITY)]),
        keyed: IndexMap::from([(Shape::Unit, Named("unit"))]),
        displayed: "shown\t",
        flattened: IndexMap::from([("Extra".into(), json!({"x": [1]}))]),
    };
    same(&everything);
    same(&Shape::Struct { a: 1, b: 2, c: f32::NAN });
    same(&(Named("a"), Nothing, [(); 2]));
}

/// A struct whose fields recur at every depth, with names that need escapes or are too long to
/// be remembered with their line.
#[derive(Serialize)]
struct Node {
    #[serde(rename = "Name")]
    name: u32,
    #[serde(rename = "Quo\"ted\n")]
    quoted: bool,
    #[serde(rename = "AFieldNameLongEnoughThatItsLineDoesNotFitInTheSixtyFourBytesKept")]
    long: (),
    /// Its line is as long as the longest line kept, at depth 9.
    #[serde(rename = "TwentyFiveLettersLongName")]
    odd: u8,
    #[serde(rename = "Children")]
    children: Vec<Node>,
}

fn node(depth: u32) -> Node {
    let children = if depth == 0 { vec![] } else { vec![node(depth - 1), node(0)] };
    Node { name: depth, quoted: depth.is_multiple_of(2), long: (), odd: 1, children }
}

#[test]
fn fields_at_every_depth_are_written_as_the_stock_printer_writes_them() {
    same(&node(40));
    same(&(0..3).map(node).collect::<Vec<_>>());
}

#[test]
fn keys_that_are_no_string_or_number_fail_as_with_the_stock_printer() {
    let lists = IndexMap::from([(vec![1], 1)]);
    let floats = IndexMap::from([(FloatKey(f64::NAN.to_bits()), 1)]);
    for (ours, stock) in [(ours(&lists), stock(&lists)), (ours(&floats), stock(&floats))] {
        let (ours, stock) = (ours.unwrap_err(), stock.unwrap_err());
        assert_eq!(ours.to_string(), stock.to_string());
    }
}

/// A float usable as a map key, by its bits.
#[derive(PartialEq, Eq, Hash)]
struct FloatKey(u64);

impl Serialize for FloatKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(f64::from_bits(self.0))
    }
}

#[test]
fn a_writer_that_fails_fails_the_write() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("the disk is full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let error = runbook::json::write(Full, &json!({"a": [1, 2]})).unwrap_err();
    assert!(error.is_io(), "{error}");
    assert!(error.to_string().contains("the disk is full"), "{error}");
}

/// Generated values for the parameters `document` requires.
fn required(document: &Document) -> IndexMap<String, Value> {
    document
        .parameters
        .iter()
        .filter(|parameter| parameter.is_required())
        .map(|parameter| (parameter.name.value.clone(), generated(parameter)))
        .collect()
}

/// A record, and the record as a value (the form masked records are written from).
fn same_record(name: &str, execution: &Execution) {
    let (ours, stock) = (ours(execution).unwrap(), stock(execution).unwrap());
    assert!(ours == stock, "{name}: the records differ");
    let value = serde_json::to_value(execution).unwrap();
    assert!(self::ours(&value).unwrap() == stock, "{name}: the record as a value differs");
}

#[test]
fn the_example_runs_records_are_written_as_the_stock_printer_writes_them() {
    let folder = root().join("runbooks");
    let mut runs = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".yaml") else { continue };
        if stem.contains('.') {
            continue;
        }
        let mocks_path = folder.join(format!("{stem}.mocks.yaml"));
        let mocks = std::fs::read_to_string(&mocks_path).unwrap();
        let runbook = Loader::new().load(&path).unwrap().into_runbook().unwrap();
        let execution = Session::new()
            .mocks(MockFile::parse(&mocks_path, &mocks).unwrap())
            .parameters(required(runbook.document()))
            .run(&runbook)
            .unwrap()
            .execution;
        same_record(&name, &execution);
        runs += 1;
    }
    assert!(runs >= 3, "only {runs} examples ran");
}

#[test]
fn a_run_over_targets_is_written_as_the_stock_printer_writes_it() {
    let yaml = "schemaVersion: '0.3'\nparameters:\n  Name: {type: String}\nmainSteps:\n\
                - name: wait\n  action: aws:sleep\n  inputs: {Duration: PT1S}\n";
    let runbook = Loader::new().parse("fleet.yaml", yaml, Format::Yaml).unwrap().into_runbook();
    let maps = ["a", "b\"", "c\n"].map(|name| IndexMap::from([("Name".into(), json!(name))]));
    let execution =
        Session::new().fleet(Fleet::maps(maps.into())).run(&runbook.unwrap()).unwrap().execution;
    assert!(execution.fleet.is_some());
    same_record("fleet.yaml", &execution);
}

/// One corpus runbook in every few, started with generated values for its required parameters,
/// on placeholder answers.
#[test]
fn corpus_runs_records_are_written_as_the_stock_printer_writes_them() {
    let models = Models::discover(None)
        .unwrap_or_else(|error| panic!("this test needs botocore's models: {error}"));
    let runtime = virtual_runtime().unwrap();
    let mut written = 0;
    for (name, path) in corpus_files().into_iter().step_by(15) {
        let validated = Loader::new().load(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
        let parameters = required(validated.document());
        let runbook = validated.into_runbook_despite_errors();
        let session = Session::new()
            .scripts(Arc::new(NoScripts))
            .auto_mock(Placeholders::new(models.clone()))
            .parameters(parameters);
        // Runs refused at start have no record.
        let Ok(finished) = runtime.block_on(session.run_async(&runbook)) else { continue };
        same_record(&name, &finished.execution);
        written += 1;
    }
    assert!(written >= 10, "only {written} corpus records were written");
}
