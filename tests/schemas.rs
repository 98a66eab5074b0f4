//! The JSON Schemas in `schemas/` are what the code generates (re-bless with `UPDATE_EXPECT=1`).

use crate::support::expect_file;

#[test]
fn runbook_schema_is_up_to_date() {
    let schema = runbook_engine::runbook_schema();
    let mut text = serde_json::to_string_pretty(&schema).unwrap();
    text.push('\n');
    expect_file("schemas/runbook-0.3.schema.json", &text);
}
