//! Steps: their common fields, `onFailure`, `onCancel` and declared outputs.

use super::super::{OnCancel, OnFailure, OutputDecl, Spanned, Step};
use super::{At, Builder, STEP_KEYS};
use crate::syntax::Node;

impl Builder {
    pub(super) fn steps(&mut self, items: &[Node], base: At<'_>) -> Vec<Step> {
        // Reserved up front: a long runbook's steps would otherwise leave up to half the
        // list's room unused for the whole run.
        let mut steps = Vec::with_capacity(items.len());
        steps.extend(
            items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| self.step(item, At::Index(&base, index).to_string())),
        );
        steps
    }

    /// The step at `node`, whose field path is `path`.
    pub(super) fn step(&mut self, node: &Node, path: String) -> Option<Step> {
        let at = At::Text(&path);
        let Some(fields) = node.as_map() else {
            self.expected(node, at, None, "a step (a map)");
            return None;
        };
        let name = match node.get("name") {
            Some(value) => self.text(value, At::Dot(&at, "name"), None),
            None => {
                self.problem(node, at, None, "the step has no `name`".into());
                None
            }
        };
        let name = name.unwrap_or_else(|| Spanned::new(String::new(), node.span));
        let step_name = Some(name.value.as_str()).filter(|name| !name.is_empty());
        let action = match node.get("action") {
            Some(value) => self.text(value, At::Dot(&at, "action"), step_name),
            None => {
                let message = "the step has no `action`".to_string();
                self.problem(node, at, step_name, message);
                None
            }
        };
        let action = action.unwrap_or_else(|| Spanned::new(String::new(), node.span));
        let mut step = Step {
            name,
            action,
            span: node.span,
            path,
            description: None,
            inputs: None,
            max_attempts: None,
            timeout_seconds: None,
            on_failure: None,
            on_cancel: None,
            is_end: None,
            next_step: None,
            is_critical: None,
            outputs: Vec::new(),
            branch_inputs: None,
            loop_inputs: None,
        };
        let at = At::Text(&step.path);
        let step_name = Some(step.name.value.as_str()).filter(|name| !name.is_empty());
        for field in fields {
            let field_path = At::Key(&at, &field.key);
            let value = &field.value;
            match field.key.as_str() {
                "name" | "action" => {}
                "inputs" => {
                    if self.map(value, field_path, step_name).is_some() {
                        step.inputs = Some(value.clone());
                    }
                }
                "description" => step.description = self.text(value, field_path, step_name),
                "maxAttempts" => {
                    step.max_attempts = self
                        .unsigned(value, field_path, step_name)
                        .map(|n| Spanned::new(u32::try_from(n.value).unwrap_or(u32::MAX), n.span));
                }
                "timeoutSeconds" => {
                    step.timeout_seconds = self.unsigned(value, field_path, step_name);
                }
                "onFailure" => step.on_failure = self.on_failure(value, field_path, step_name),
                "onCancel" => step.on_cancel = self.on_cancel(value, field_path, step_name),
                "isEnd" => step.is_end = self.boolean(value, field_path, step_name),
                "nextStep" => step.next_step = self.text(value, field_path, step_name),
                "isCritical" => step.is_critical = self.boolean(value, field_path, step_name),
                "outputs" => step.outputs = self.outputs(value, field_path, step_name),
                _ => self.unknown_key(field, field_path, step_name, STEP_KEYS),
            }
        }
        if step.inputs.is_none() && node.get("inputs").is_none() {
            self.problem(node, at, step_name, "the step has no `inputs`".into());
        }
        if let Some(inputs) = &step.inputs {
            let inputs_path = At::Dot(&at, "inputs");
            match step.action.value.as_str() {
                "aws:branch" => {
                    step.branch_inputs =
                        Some(Box::new(self.branch(inputs, inputs_path, step_name)));
                }
                "aws:loop" => {
                    step.loop_inputs =
                        Some(Box::new(self.loop_inputs(inputs, inputs_path, step_name)));
                }
                _ => {}
            }
        }
        Some(step)
    }

    pub(super) fn on_failure(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<OnFailure>> {
        let text = self.text_ref(node, path, step)?;
        let value = match text.value.as_ref() {
            "Abort" => OnFailure::Abort,
            "Continue" => OnFailure::Continue,
            other => match other.strip_prefix("step:") {
                Some(target) => OnFailure::Step(target.trim().to_string()),
                None => {
                    let message = format!(
                        "`onFailure` must be `Abort`, `Continue` or `step:<name>`, found `{other}`"
                    );
                    self.problem(node, path, step, message);
                    return None;
                }
            },
        };
        Some(Spanned::new(value, text.span))
    }

    pub(super) fn on_cancel(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<OnCancel>> {
        let text = self.text_ref(node, path, step)?;
        let value = match text.value.as_ref() {
            "Abort" => OnCancel::Abort,
            other => match other.strip_prefix("step:") {
                Some(target) => OnCancel::Step(target.trim().to_string()),
                None => {
                    let message =
                        format!("`onCancel` must be `Abort` or `step:<name>`, found `{other}`");
                    self.problem(node, path, step, message);
                    return None;
                }
            },
        };
        Some(Spanned::new(value, text.span))
    }

    pub(super) fn outputs(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Vec<OutputDecl> {
        let Some(items) = self.list(node, path, step) else { return Vec::new() };
        // Sized to the declarations: a list grown from empty keeps room for four.
        let mut outputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_path = At::Index(&path, index);
            let Some(fields) = self.map(item, item_path, step) else { continue };
            let (mut name, mut selector, mut ty) = (None, None, None);
            for field in fields {
                let field_path = At::Dot(&item_path, &field.key);
                match field.key.as_str() {
                    "Name" => name = self.text(&field.value, field_path, step),
                    "Selector" => selector = self.text(&field.value, field_path, step),
                    "Type" => ty = self.value_type(&field.value, field_path, step),
                    _ => self.unknown_key(field, field_path, step, &["Name", "Selector", "Type"]),
                }
            }
            match (name, selector) {
                (Some(name), Some(selector)) => {
                    outputs.push(OutputDecl { name, selector, ty, span: item.span });
                }
                (name, _) => {
                    let missing = if name.is_none() { "Name" } else { "Selector" };
                    self.problem(item, item_path, step, format!("the output has no `{missing}`"));
                }
            }
        }
        outputs
    }
}
