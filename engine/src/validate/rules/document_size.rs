//! RB022 `document-size` (warning): the service stores documents of at most 64 KB
//! (SPEC section 9).

use crate::diagnostic::{Code, Diagnostic};
use crate::validate::{Context, Rule};

pub(super) const RULE: Rule = Rule {
    code: Code { id: "RB022", name: "document-size" },
    summary: "the document fits the service's 64 KB limit",
    check,
};

/// The service's document size limit, in bytes.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let size = cx.document.source.text.len();
    if size > MAX_DOCUMENT_BYTES {
        out.push(
            Diagnostic::warning(
                RULE.code,
                format!("the document is {size} bytes; the service accepts at most {MAX_DOCUMENT_BYTES}"),
            )
            .hint("move scripts into attachments (`files`) or split the runbook with aws:executeAutomation"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::messages;

    #[test]
    fn large_documents_are_flagged() {
        let padding = format!("description: '{}'\n", "x".repeat(MAX_DOCUMENT_BYTES));
        let text = format!("schemaVersion: '0.3'\n{padding}mainSteps: []\n");
        assert_eq!(messages(RULE.code, &text).len(), 1);
        assert!(messages(RULE.code, "schemaVersion: '0.3'\nmainSteps: []\n").is_empty());
    }
}
