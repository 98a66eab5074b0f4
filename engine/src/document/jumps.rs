//! Where control can go from a step by name: `nextStep`, `onFailure: step:X`,
//! `onCancel: step:X`, and an `aws:branch` step's choices and `Default`. This is the one place
//! that reads those fields as jumps; the step graph, the plan (which resolves each jump to a
//! step once) and rule RB009 (`unknown-step-target`) all take a step's jumps from here.

use super::{OnCancel, OnFailure, Spanned, Step};
use crate::syntax::Span;

/// The field a jump comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpKind {
    /// `nextStep`: after a success.
    NextStep,
    /// `onFailure: step:X`: after a failure.
    OnFailure,
    /// `onCancel: step:X`: the cleanup chain after a cancel.
    OnCancel,
    /// The `NextStep` of the branch choice at this index.
    Choice(usize),
    /// A branch's `Default`.
    Default,
}

impl JumpKind {
    /// The field's name as the runbook writes it.
    pub fn field(self) -> &'static str {
        match self {
            Self::NextStep => "nextStep",
            Self::OnFailure => "onFailure",
            Self::OnCancel => "onCancel",
            Self::Choice(_) => "NextStep",
            Self::Default => "Default",
        }
    }
}

/// One jump: its field, the step it names, and where that name is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jump<'a> {
    /// The field it comes from.
    pub kind: JumpKind,
    /// The name of the step it goes to.
    pub target: &'a str,
    /// Where the name is written.
    pub span: Span,
}

/// The jumps of one step (see [`Step::jumps`]).
#[derive(Clone, Copy, Debug)]
pub struct Jumps<'a> {
    step: &'a Step,
}

impl<'a> Jumps<'a> {
    /// `nextStep`.
    pub fn next_step(self) -> Option<Jump<'a>> {
        self.step.next_step.as_ref().map(|next| jump(JumpKind::NextStep, next))
    }

    /// `onFailure: step:X`.
    pub fn on_failure(self) -> Option<Jump<'a>> {
        match &self.step.on_failure {
            Some(Spanned { value: OnFailure::Step(target), span }) => {
                Some(Jump { kind: JumpKind::OnFailure, target, span: *span })
            }
            _ => None,
        }
    }

    /// `onCancel: step:X`.
    pub fn on_cancel(self) -> Option<Jump<'a>> {
        match &self.step.on_cancel {
            Some(Spanned { value: OnCancel::Step(target), span }) => {
                Some(Jump { kind: JumpKind::OnCancel, target, span: *span })
            }
            _ => None,
        }
    }

    /// The `NextStep` of each branch choice that has one, in order.
    pub fn choices(self) -> impl Iterator<Item = Jump<'a>> {
        let choices = self.step.branch_inputs.as_ref().map_or(&[][..], |b| b.choices.as_slice());
        choices.iter().enumerate().filter_map(|(index, choice)| {
            choice.next_step.as_ref().map(|next| jump(JumpKind::Choice(index), next))
        })
    }

    /// A branch's `Default`.
    pub fn default(self) -> Option<Jump<'a>> {
        let default = self.step.branch_inputs.as_ref()?.default.as_ref()?;
        Some(jump(JumpKind::Default, default))
    }

    /// A branch's jumps: its choices', then `Default`.
    pub fn branch(self) -> impl Iterator<Item = Jump<'a>> {
        self.choices().chain(self.default())
    }

    /// Every jump, in the order of the fields: `nextStep`, `onFailure`, `onCancel`, the
    /// choices, `Default`.
    pub fn iter(self) -> impl Iterator<Item = Jump<'a>> {
        self.next_step()
            .into_iter()
            .chain(self.on_failure())
            .chain(self.on_cancel())
            .chain(self.branch())
    }
}

fn jump(kind: JumpKind, target: &Spanned<String>) -> Jump<'_> {
    Jump { kind, target: &target.value, span: target.span }
}

impl Step {
    /// Where control can go from this step by name (see [`Jumps`]).
    pub fn jumps(&self) -> Jumps<'_> {
        Jumps { step: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Document, Format};

    #[test]
    fn every_field_that_names_a_step_is_a_jump_in_field_order() {
        let text = "schemaVersion: '0.3'\nmainSteps:\n- name: b\n  action: aws:branch\n  nextStep: n\n  onFailure: 'step:f'\n  onCancel: 'step:c'\n  inputs:\n    Choices:\n    - {NextStep: x, Variable: '{{ P }}', StringEquals: a}\n    - {Variable: '{{ P }}', StringEquals: b}\n    - {NextStep: y, Variable: '{{ P }}', StringEquals: c}\n    Default: d\n";
        let document = Document::parse("t.yaml", text.to_string(), Format::Yaml).unwrap();
        let jumps: Vec<_> = document.steps[0].jumps().iter().map(|j| (j.kind, j.target)).collect();
        assert_eq!(
            jumps,
            [
                (JumpKind::NextStep, "n"),
                (JumpKind::OnFailure, "f"),
                (JumpKind::OnCancel, "c"),
                (JumpKind::Choice(0), "x"),
                (JumpKind::Choice(2), "y"),
                (JumpKind::Default, "d"),
            ]
        );
    }

    #[test]
    fn continue_abort_and_plain_steps_have_no_jumps() {
        let text = "schemaVersion: '0.3'\nmainSteps:\n- {name: a, action: aws:sleep, inputs: {}, onFailure: Continue, onCancel: Abort}\n";
        let document = Document::parse("t.yaml", text.to_string(), Format::Yaml).unwrap();
        assert_eq!(document.steps[0].jumps().iter().count(), 0);
    }
}
