//! Reading fields: scalars in their lenient spellings, maps and lists, and the problems
//! recorded when a field has the wrong shape.

use super::super::Spanned;
use std::borrow::Cow;

use super::{At, Builder, SHAPE};
use crate::diagnostic::{Diagnostic, closest};
use crate::syntax::{Entry, Node, NodeKind};

impl Builder {
    pub(super) fn problem(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
        message: String,
    ) {
        let mut problem = Diagnostic::error(SHAPE, message).path(path.to_string()).span(node.span);
        if let Some(step) = step {
            problem = problem.step(step);
        }
        self.problems.push(problem);
    }

    pub(super) fn expected(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
        expected: &str,
    ) {
        let path = path.to_string();
        let field = path.rsplit('.').next().unwrap_or(&path);
        let message = format!("`{field}` must be {expected}, found {}", node.type_name());
        self.problem(node, At::Text(&path), step, message);
    }

    /// A scalar read as text (numbers and booleans as written).
    pub(super) fn text(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<String>> {
        self.text_ref(node, path, step).map(|text| Spanned::new(text.value.into_owned(), text.span))
    }

    /// A scalar read as text, lent from the node when it is a string.
    pub(super) fn text_ref<'a>(
        &mut self,
        node: &'a Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<Cow<'a, str>>> {
        if let NodeKind::Str(text) = &node.kind {
            return Some(Spanned::new(Cow::Borrowed(text.as_str()), node.span));
        }
        match node.scalar_text() {
            Some(text) => Some(Spanned::new(Cow::Owned(text), node.span)),
            None => {
                self.expected(node, path, step, "text");
                None
            }
        }
    }

    /// A boolean, or the strings `true`/`false` in any case, as the service accepts.
    pub(super) fn boolean(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<bool>> {
        let value = match &node.kind {
            NodeKind::Bool(value) => Some(*value),
            NodeKind::Str(text) if text.eq_ignore_ascii_case("true") => Some(true),
            NodeKind::Str(text) if text.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        };
        if value.is_none() {
            self.expected(node, path, step, "true or false");
        }
        value.map(|value| Spanned::new(value, node.span))
    }

    /// A non-negative whole number, or its digits as a string.
    pub(super) fn unsigned(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<u64>> {
        let value = match &node.kind {
            NodeKind::Int(value) => u64::try_from(*value).ok(),
            NodeKind::Str(text) => text.trim().parse().ok(),
            _ => None,
        };
        match (&node.kind, value) {
            // "found an integer" would leave the reader wondering what is wrong with it.
            (NodeKind::Int(negative), None) => {
                let path = path.to_string();
                let field = path.rsplit('.').next().unwrap_or(&path);
                let message = format!(
                    "`{field}` must be a non-negative whole number, found {negative}, which is negative"
                );
                self.problem(node, At::Text(&path), step, message);
            }
            (_, None) => self.expected(node, path, step, "a non-negative whole number"),
            (_, Some(_)) => {}
        }
        value.map(|value| Spanned::new(value, node.span))
    }

    pub(super) fn map<'a>(
        &mut self,
        node: &'a Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<&'a [Entry]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            NodeKind::Null => Some(&[]),
            _ => {
                self.expected(node, path, step, "a map");
                None
            }
        }
    }

    pub(super) fn list<'a>(
        &mut self,
        node: &'a Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<&'a [Node]> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items),
            NodeKind::Null => Some(&[]),
            _ => {
                self.expected(node, path, step, "a list");
                None
            }
        }
    }

    pub(super) fn unknown_key(
        &mut self,
        entry: &Entry,
        path: At<'_>,
        step: Option<&str>,
        known: &[&str],
    ) {
        let mut problem = Diagnostic::error(SHAPE, format!("unknown field `{}`", entry.key))
            .path(path.to_string())
            .span(entry.key_span);
        if let Some(step) = step {
            problem = problem.step(step);
        }
        if let Some(close) = closest(&entry.key, known.iter().copied()) {
            problem = problem.hint(format!("did you mean `{close}`?"));
        }
        self.problems.push(problem);
    }
}
