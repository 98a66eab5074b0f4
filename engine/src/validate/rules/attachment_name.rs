//! RB035 `attachment-name`: a script attachment is a plain file name, in `files` and in an
//! `aws:executeScript` step's `Attachment`. The service names attachments, not paths; locally a
//! name is looked up only in the runbook's folder and the attachments folder, so a path
//! (`../x.py`, `/tmp/x.py`) would run code from elsewhere.

use crate::diagnostic::{Code, Diagnostic};
use crate::template::has_references;
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB035", name: "attachment-name" },
    summary: "script attachments are plain file names",
    check,
};

/// Whether `name` is a plain file name: not empty, not `.` or `..`, with no folder separator.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

fn message(name: &str) -> String {
    format!(
        "attachment `{name}` is not a plain file name: attachments are found only in the \
         runbook's folder or the attachments folder, by name"
    )
}

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for file in &cx.document.files {
        if !is_plain_file_name(&file.name.value) {
            out.push(
                Diagnostic::error(RULE.code, message(&file.name.value))
                    .path(format!("files['{}']", file.name.value))
                    .span(file.name.span),
            );
        }
    }
    for step in cx.steps.iter().filter(|step| step.action.value == "aws:executeScript") {
        let Some(node) = step.input("Attachment") else { continue };
        let Some(name) = node.scalar_text() else { continue };
        if has_references(&name) || is_plain_file_name(&name) {
            continue;
        }
        out.push(
            Diagnostic::error(RULE.code, message(&name))
                .step(&step.name.value)
                .path(format!("{}.inputs.Attachment", step.path))
                .span(node.span),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::{check, messages, runbook};

    #[test]
    fn paths_in_files_and_attachment_are_located_errors() {
        let yaml = format!(
            "files:\n  ../evil.py: {{checksums: {{sha256: abc}}}}\n  good.py: {{}}\n  /tmp/x.zip: {{}}\n{}",
            runbook(
                "- {name: a, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Attachment: ../evil.py}}\n- {name: b, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Attachment: good.py}}\n- {name: c, action: aws:executeScript, inputs: {Runtime: python3.11, Handler: h, Attachment: '{{ Name }}'}}\n"
            )
        );
        let found = check(RULE.code, &yaml);
        let shown: Vec<_> = found
            .iter()
            .map(|d| {
                (d.step.clone(), d.path.clone(), d.span.map(|s| s.start.line), d.message.clone())
            })
            .collect();
        let message = |name: &str| message(name);
        assert_eq!(
            shown,
            [
                (None, "files['../evil.py']".to_string(), Some(2), message("../evil.py")),
                (None, "files['/tmp/x.zip']".to_string(), Some(4), message("/tmp/x.zip")),
                (
                    Some("a".to_string()),
                    "mainSteps[0].inputs.Attachment".to_string(),
                    Some(7),
                    message("../evil.py")
                ),
            ]
        );
        assert!(messages(RULE.code, &yaml).iter().all(|m| !m.contains("good.py")));
    }

    #[test]
    fn plain_names_are_plain() {
        for name in ["x.py", "libs.zip", "a b.py", "..x"] {
            assert!(is_plain_file_name(name), "{name}");
        }
        for name in ["", ".", "..", "../x.py", "/x.py", "a/b.py", "a\\b.py", "C:\\x.py"] {
            assert!(!is_plain_file_name(name), "{name}");
        }
    }
}
