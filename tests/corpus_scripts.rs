//! Every Python script of the shared corpus checked by RB040 (`python-script`): it compiles and
//! its `Handler` is defined by it. The counts and every finding are recorded in
//! `tests/corpus/script-findings.txt`; a new finding or a vanished one both fail.
//!
//! Needs `python3` on `PATH` and the corpus.

use std::fmt::Write;

use runbook_actions::script::PythonRunner;
use runbook_actions::script::check::{PYTHON_SCRIPT, ScriptChecker};
use runbook_engine::Document;
use runbook_engine::diagnostic::Diagnostic;

use crate::support::{corpus_files, expect_file};

fn checker() -> ScriptChecker {
    ScriptChecker::new(PythonRunner::new(None), Vec::new())
}

fn check(yaml: &str) -> Vec<Diagnostic> {
    let document =
        Document::parse("script.yaml", yaml.to_string(), runbook_engine::document::Format::Yaml)
            .expect("the runbook loads");
    let (mut findings, _) = checker().check(&[&document]).expect("python3 checks the scripts");
    findings.remove(0)
}

fn located(diagnostic: &Diagnostic) -> String {
    let span = diagnostic.span.expect("every finding is located");
    format!("{}:{} {}", span.start.line, span.start.column, diagnostic.message)
}

#[test]
fn a_syntax_error_is_located_at_its_line_inside_the_script_block() {
    let findings = check(
        "schemaVersion: '0.3'\nmainSteps:\n  - name: broken\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: handler\n      Script: |-\n        def handler(events, context):\n            x = (1,\n            return x\n",
    );
    let shown: Vec<String> = findings.iter().map(located).collect();
    assert_eq!(
        shown,
        ["10:17 the script does not compile: '(' was never closed (line 2 of the script)"]
    );
    assert_eq!(findings[0].code, PYTHON_SCRIPT);
    assert_eq!(findings[0].path, "mainSteps[0].inputs.Script");
}

#[test]
fn a_handler_the_script_does_not_define_is_located_at_handler() {
    let findings = check(
        "schemaVersion: '0.3'\nmainSteps:\n  - name: typo\n    action: aws:executeScript\n    inputs:\n      Runtime: python3.11\n      Handler: handlr\n      Script: |\n        import json\n        def handler(events, context):\n            return '{{ global:REGION }}'\n",
    );
    let shown: Vec<String> = findings.iter().map(located).collect();
    assert_eq!(
        shown,
        ["7:16 handler `handlr` is not defined by the script (its functions: handler)"]
    );
    assert_eq!(findings[0].hint.as_deref(), Some("did you mean `handler`?"));
}

#[test]
fn names_bound_otherwise_count_and_templates_and_placeholders_are_not_python_errors() {
    let findings = check(
        r#"schemaVersion: '0.3'
mainSteps:
  - name: imported
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: handler, Script: "from json import dumps as handler\n"}
  - name: assigned
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: h, Script: "def g(e, c):\n  return 1\nh = g\n"}
  - name: referenced
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: h, Script: "def h(e, c):\n  return {{ Count }} + 1\n"}
  - name: placeholder
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: h, Script: "%%SCRIPT=common/h.py%%"}
  - name: templated
    action: aws:executeScript
    inputs: {Runtime: python3.11, Handler: h, Script: "def h(e, c):\n  return ${Value}\n"}
  - name: powershell
    action: aws:executeScript
    inputs: {Runtime: PowerShell 7.4, Script: "this is not python ("}
"#,
    );
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_dotted_handler_needs_an_attachment_and_a_py_attachment_is_checked() {
    let dir = crate::support::TempDir::new("script-check-attachment");
    dir.write("helpers.py", "def run(events, context):\n    return 1\n");
    let path = dir.write(
        "runbook.yaml",
        "schemaVersion: '0.3'\nfiles:\n  helpers.py: {checksums: {sha256: '00'}}\nmainSteps:\n  - name: attached\n    action: aws:executeScript\n    inputs: {Runtime: python3.11, Handler: helpers.walk, Attachment: helpers.py, Script: ''}\n  - name: inline\n    action: aws:executeScript\n    inputs: {Runtime: python3.11, Handler: helpers.run, Script: \"def run(e, c):\\n  return 1\\n\"}\n",
    );
    let document = Document::load(&path).expect("the runbook loads");
    let (findings, stats) = checker().check(&[&document]).expect("python3 checks the scripts");
    let shown: Vec<String> = findings[0].iter().map(located).collect();
    assert_eq!(
        shown,
        [
            "7:44 handler `walk` is not defined by attachment helpers.py (its functions: run)",
            "10:44 handler `helpers.run` names a module, but the step has no attachment: an inline \
             script's handler is a function name",
        ]
    );
    assert_eq!(stats.checked, 2);
}

#[test]
fn every_corpus_python_script_compiles_and_defines_its_handler_as_recorded() {
    let files = corpus_files();
    let documents: Vec<(String, Document)> = files
        .iter()
        .filter_map(|(name, path)| Document::load(path).ok().map(|d| (name.clone(), d)))
        .collect();
    let refs: Vec<&Document> = documents.iter().map(|(_, document)| document).collect();
    let (findings, stats) = checker().check(&refs).expect("python3 checks the scripts");
    let mut text = String::new();
    let _ = writeln!(text, "# Python scripts of the corpus checked by RB040 (python-script)");
    let _ = writeln!(text, "python steps: {}", stats.steps);
    let _ = writeln!(text, "scripts checked: {}", stats.checked);
    let _ = writeln!(text, "build-time placeholders, not checked: {}", stats.placeholders);
    let _ = writeln!(
        text,
        "build-time templates that are not Python, not checked: {}",
        stats.templates
    );
    let _ = writeln!(
        text,
        "attachments not found or templated inputs, not checked: {}",
        stats.unchecked
    );
    let _ = writeln!(text, "\n# findings (each one read: real defects)");
    for ((name, _), found) in documents.iter().zip(&findings) {
        for diagnostic in found {
            let span = diagnostic.span.map(|s| format!("{}:{}", s.start.line, s.start.column));
            let _ = writeln!(
                text,
                "{name}:{}\t{}\t{}\t{}",
                span.unwrap_or_default(),
                diagnostic.severity,
                diagnostic.code.id,
                diagnostic.message
            );
        }
    }
    expect_file("tests/corpus/script-findings.txt", &text);
    assert!(stats.checked >= 590, "only {} scripts were checked", stats.checked);
}
