//! Every inline Python script of the shared corpus of real runbooks compiles, and its `Handler`
//! names a function defined at the script's top level.
//!
//! All scripts go to one `python3` process, which compiles them and reads their syntax tree
//! without running them. Skipped and counted apart: build-time placeholders (`%%SCRIPT=...%%`,
//! `SCRIPT_PLACEHOLDER`, and template variables such as `${X}` or `%X%` where they keep the
//! text from being Python), steps with an attachment (the corpus holds no attachments), and
//! PowerShell steps. Genuinely broken scripts would be listed in
//! `tests/fixtures/corpus_scripts_known_bad.tsv` with a reason; there are none today.
//!
//! Needs `python3` on `PATH` and the corpus (`RUNBOOK_CORPUS`, or `../../shared/corpus` from this
//! crate); fails with a message saying so when either is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use runbook_engine::Document;
use runbook_engine::document::Step;
use serde_json::{Value, json};

/// Compiles each script and checks its handler, without running anything. Reads a JSON list
/// of `{"id", "script", "handler"}`; prints a JSON map from id to the problem found.
const CHECKER: &str = r#"
import ast, json, sys, warnings

warnings.simplefilter("ignore")
problems = {}
for item in json.load(open(sys.argv[1], encoding="utf-8")):
    try:
        tree = compile(item["script"], "customer_script.py", "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError) as error:
        problems[item["id"]] = "does not compile: {} (line {})".format(
            getattr(error, "msg", error), getattr(error, "lineno", "?"))
        continue
    functions = {
        node.name for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if item["handler"] not in functions:
        problems[item["id"]] = "handler `{}` is not a top-level function (those are: {})".format(
            item["handler"], ", ".join(sorted(functions)) or "none")
print(json.dumps(problems))
"#;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("RUNBOOK_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
        PathBuf::from,
    );
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the runbook corpus is missing: expected it at {} (shared/corpus next to the workspace, or RUNBOOK_CORPUS)",
        dir.display()
    );
    dir
}

/// The runbook files the corpus manifest lists.
fn runbooks(corpus: &Path) -> Vec<PathBuf> {
    let manifest =
        std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|file| !file.is_empty())
        .map(|file| corpus.join(file))
        .collect()
}

fn input_text(step: &Step, name: &str) -> Option<String> {
    step.input(name).and_then(runbook_engine::syntax::Node::scalar_text)
}

/// Whether `script` holds a build-time placeholder in place of its Python.
fn is_placeholder(script: &str) -> bool {
    script.contains("%%SCRIPT=") || script.contains("SCRIPT_PLACEHOLDER")
}

/// Whether `script` holds template variables (`${X}`, `%X%`) that a build step fills in.
fn has_template_variables(script: &str) -> bool {
    if script.contains("${") {
        return true;
    }
    let mut rest = script;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let name_length =
            after.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
        if let Some(length) = name_length
            && length > 0
            && after[length..].starts_with('%')
        {
            return true;
        }
        rest = after;
    }
    false
}

fn known_bad() -> BTreeMap<String, String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus_scripts_known_bad.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
        .map(|(id, reason)| (id.to_string(), reason.to_string()))
        .collect()
}

/// Runs [`CHECKER`] once over `items`, through a list file named `list_name`.
fn check_scripts(list_name: &str, items: &[Value]) -> BTreeMap<String, String> {
    let list = Path::new(env!("CARGO_TARGET_TMPDIR")).join(list_name);
    std::fs::write(&list, Value::Array(items.to_vec()).to_string()).expect("the list is written");
    let output = Command::new("python3").args(["-c", CHECKER]).arg(&list).output();
    let output = output.unwrap_or_else(|error| {
        panic!("this test checks scripts with python3, which cannot be started: {error}")
    });
    assert!(
        output.status.success(),
        "the checker failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the checker prints JSON")
}

#[test]
fn the_checker_reports_broken_scripts_and_missing_handlers() {
    let items = [
        json!({ "id": "good", "script": "def h(events, context):\n    return 1\n", "handler": "h" }),
        json!({ "id": "async", "script": "async def h(e, c):\n    pass\n", "handler": "h" }),
        json!({ "id": "broken", "script": "def h(e, c):\n    return (\n", "handler": "h" }),
        json!({ "id": "nested", "script": "def outer():\n    def h(e, c):\n        pass\n", "handler": "h" }),
        json!({ "id": "missing", "script": "x = 1\n", "handler": "h" }),
    ];
    let problems = check_scripts("checker_check.json", &items);
    let ids: Vec<&str> = problems.keys().map(String::as_str).collect();
    assert_eq!(ids, ["broken", "missing", "nested"]);
    assert!(problems["broken"].starts_with("does not compile: "), "{}", problems["broken"]);
    assert!(problems["broken"].ends_with("(line 2)"), "{}", problems["broken"]);
    assert_eq!(problems["nested"], "handler `h` is not a top-level function (those are: outer)");
    assert_eq!(problems["missing"], "handler `h` is not a top-level function (those are: none)");
}

#[test]
fn template_variables_are_recognised() {
    assert!(has_template_variables("x = '${AWS::Region}'"));
    assert!(has_template_variables("%PYTHONSCRIPT%"));
    assert!(!has_template_variables("print('%d%%' % 5)"));
    assert!(!has_template_variables("a = b % c % d"));
    assert!(is_placeholder("%%SCRIPT=common/parse_input.py%%"));
}

#[derive(Default)]
struct Counts {
    runbooks: usize,
    unloadable: Vec<String>,
    steps: usize,
    checked: usize,
    placeholders: usize,
    templates: usize,
    attachments: usize,
    powershell: usize,
}

#[test]
fn every_inline_python_script_of_the_corpus_compiles_and_names_a_top_level_handler() {
    let corpus = corpus();
    let mut counts = Counts::default();
    let mut items = Vec::new();
    let mut templated = BTreeMap::new();
    let mut failures = BTreeMap::new();
    for path in runbooks(&corpus) {
        counts.runbooks += 1;
        let relative = path.strip_prefix(&corpus).unwrap_or(&path).display().to_string();
        let document = match Document::load(&path) {
            Ok(document) => document,
            Err(error) => {
                counts.unloadable.push(format!("{relative}: {error}"));
                continue;
            }
        };
        for step in document.all_steps() {
            if step.action.value != "aws:executeScript" {
                continue;
            }
            counts.steps += 1;
            let id = format!("{relative}#{}", step.name.value);
            let runtime = input_text(step, "Runtime").unwrap_or_default();
            if runtime.to_ascii_lowercase().starts_with("powershell") {
                counts.powershell += 1;
                continue;
            }
            if step.input("Attachment").is_some() {
                counts.attachments += 1;
                continue;
            }
            let Some(script) = input_text(step, "Script") else {
                failures.insert(id, "a Python step with neither Script nor Attachment".into());
                continue;
            };
            if is_placeholder(&script) {
                counts.placeholders += 1;
                continue;
            }
            let Some(handler) = input_text(step, "Handler") else {
                failures.insert(id, "a Python step without Handler".into());
                continue;
            };
            templated.insert(id.clone(), has_template_variables(&script));
            items.push(json!({ "id": id, "script": script, "handler": handler }));
        }
    }

    let mut templates_skipped = 0;
    for (id, problem) in check_scripts("corpus_scripts.json", &items) {
        if templated.get(&id) == Some(&true) && problem.starts_with("does not compile") {
            templates_skipped += 1;
        } else {
            failures.insert(id, problem);
        }
    }
    counts.templates = templates_skipped;
    counts.checked = items.len() - templates_skipped;

    let known = known_bad();
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(id, _)| !known.contains_key(*id))
        .map(|(id, problem)| format!("{id}: {problem}"))
        .collect();
    let fixed: Vec<&String> = known.keys().filter(|id| !failures.contains_key(*id)).collect();

    eprintln!(
        "corpus scripts: {} runbooks ({} not loadable), {} aws:executeScript steps: {} Python \
         scripts checked; skipped: {} build-time placeholders, {} with template variables that \
         are not Python, {} with attachments, {} PowerShell; {} known bad",
        counts.runbooks,
        counts.unloadable.len(),
        counts.steps,
        counts.checked,
        counts.placeholders,
        counts.templates,
        counts.attachments,
        counts.powershell,
        known.len(),
    );
    for unloadable in &counts.unloadable {
        eprintln!("  not loadable: {unloadable}");
    }
    assert!(counts.checked > 0, "no script was checked: is the corpus empty?");
    assert!(unexpected.is_empty(), "scripts that fail the check:\n{}", unexpected.join("\n"));
    assert!(
        fixed.is_empty(),
        "known-bad scripts that now pass; remove them from the list: {fixed:?}"
    );
}
