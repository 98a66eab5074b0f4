//! Each way a file can fail to load, with the file, line, column and message it reports.

use runbook_engine::Document;

use crate::support::TempDir;

fn load_error(name: &str, text: &str) -> String {
    let dir = TempDir::new(&format!("load-{name}"));
    let path = dir.write(name, text);
    let error = Document::load(&path).expect_err("the file must not load");
    error.to_string().replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn bad_yaml_names_the_position() {
    assert_eq!(
        load_error(
            "bad.yaml",
            "schemaVersion: '0.3'\nmainSteps:\n  - name: a\n    action: [aws:sleep\n"
        ),
        "DIR/bad.yaml:4:13: unclosed bracket '['"
    );
}

#[test]
fn bad_json_names_the_position() {
    assert_eq!(
        load_error("bad.json", "{\n  \"schemaVersion\": \"0.3\",\n  \"mainSteps\": [,]\n}\n"),
        "DIR/bad.json:3:17: expected a JSON value"
    );
}

#[test]
fn duplicate_keys_name_both_places() {
    assert_eq!(
        load_error("dup.yaml", "schemaVersion: '0.3'\nmainSteps: []\nmainSteps: []\n"),
        "DIR/dup.yaml:3:1: duplicate key `mainSteps` (first written at line 2)"
    );
    assert_eq!(
        load_error(
            "dup.json",
            "{\"schemaVersion\": \"0.3\", \"mainSteps\": [{\"name\": \"a\",\n \"name\": \"b\"}]}"
        ),
        "DIR/dup.json:2:2: duplicate key `name` (first written at line 1)"
    );
}

#[test]
fn wrong_top_level_types_name_the_field() {
    assert_eq!(
        load_error("top.yaml", "schemaVersion: '0.3'\nmainSteps: {name: a}\n"),
        "DIR/top.yaml:2:12: `mainSteps` must be a list, found a map"
    );
    assert_eq!(
        load_error("vars.yaml", "schemaVersion: '0.3'\nvariables: 3\nmainSteps: []\n"),
        "DIR/vars.yaml:2:12: `variables` must be a map, found an integer"
    );
    assert_eq!(
        load_error("list.json", "[1, 2]"),
        "DIR/list.json:1:1: `the document` must be a map, found a list"
    );
    assert_eq!(
        load_error("nosteps.yaml", "schemaVersion: '0.3'\ndescription: x\n"),
        "DIR/nosteps.yaml:1:1: `mainSteps` must be a list of steps, found nothing"
    );
}

#[test]
fn other_document_kinds_say_what_they_are() {
    assert_eq!(
        load_error(
            "command.yaml",
            "schemaVersion: '2.2'\nmainSteps:\n  - action: aws:runShellScript\n    name: x\n"
        ),
        "DIR/command.yaml:1:16: schemaVersion '2.2' is a Command document; only Automation runbooks (schemaVersion '0.3') run here"
    );
    assert_eq!(
        load_error("none.yaml", "aws:\n  - service: ec2\n"),
        "DIR/none.yaml:1:1: not an Automation runbook: `schemaVersion` is missing; only Automation runbooks (schemaVersion '0.3') run here"
    );
}

#[test]
fn unreadable_files_say_why() {
    let error = Document::load("/no/such/runbook.yaml").unwrap_err();
    assert!(
        error.to_string().starts_with("/no/such/runbook.yaml: cannot read the file: "),
        "{error}"
    );
}
