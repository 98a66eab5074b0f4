//! `{{ }}` templates: finding the references in a string (SPEC section 5).
//!
//! A reference is `{{`, optional spaces, one of the name forms below, optional spaces, `}}`.
//! Anything else that starts with `{{` is literal text (RULINGS 11).
//!
//! | form | meaning |
//! |---|---|
//! | `Name` | a parameter |
//! | `step.Output` | an output of a step (also `loop.CurrentIteration`) |
//! | `variable:NAME` | a runbook variable |
//! | `global:NAME` | a system variable (`ACCOUNT_ID`, `REGION`, ...) |
//! | `automation:NAME` | an automation variable (`EXECUTION_ID`) |
//! | `ssm:/path` | a Parameter Store value (parameter defaults only) |

use std::fmt;

/// A string split into literal text and references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The parts, in order.
    pub parts: Vec<Part>,
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A `{{ reference }}`.
    Ref(Reference),
}

/// A reference, with where it sits in its string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// What it refers to.
    pub target: Target,
    /// The reference as written, braces included.
    pub written: String,
    /// Character offset of the opening braces in the string.
    pub offset: usize,
}

/// What a reference refers to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `{{ Name }}`: a parameter.
    Parameter(String),
    /// `{{ step.Output }}`.
    StepOutput {
        /// The step's name.
        step: String,
        /// The output's name (everything after the first dot).
        output: String,
    },
    /// `{{ variable:NAME }}`.
    Variable(String),
    /// `{{ global:NAME }}`.
    Global(String),
    /// `{{ automation:NAME }}`.
    Automation(String),
    /// `{{ ssm:/path/name }}`.
    ParameterStore(String),
    /// `{{ ssm-secure:/path/name }}`: a `SecureString`, read decrypted; the value is a secret
    /// (RULINGS 26). Read where `{{ ssm:... }}` is, in parameter defaults.
    SecureParameterStore(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parameter(name) => f.write_str(name),
            Self::StepOutput { step, output } => write!(f, "{step}.{output}"),
            Self::Variable(name) => write!(f, "variable:{name}"),
            Self::Global(name) => write!(f, "global:{name}"),
            Self::Automation(name) => write!(f, "automation:{name}"),
            Self::ParameterStore(path) => write!(f, "ssm:{path}"),
            Self::SecureParameterStore(path) => write!(f, "ssm-secure:{path}"),
        }
    }
}

/// The system variables the service documents (SPEC 5.1).
pub const GLOBAL_VARIABLES: &[&str] =
    &["ACCOUNT_ID", "REGION", "AWS_PARTITION", "DATE", "DATE_TIME"];

/// The automation variables the service documents.
pub const AUTOMATION_VARIABLES: &[&str] = &["EXECUTION_ID"];

impl Template {
    /// Splits `text` into literal text and references.
    pub fn parse(text: &str) -> Self {
        // Most strings hold no reference: one part, no scanning past the first look.
        if find_pair(text, b'{').is_none() {
            let parts = if text.is_empty() { Vec::new() } else { vec![Part::Text(text.into())] };
            return Self { parts };
        }
        // Text, a reference and text: the most parts nearly every string has.
        let mut parts = Vec::with_capacity(3);
        // The characters before the piece at hand, for each reference's offset.
        let mut chars_before = 0;
        for piece in pieces(text) {
            match piece {
                Piece::Literal(literal) => {
                    chars_before += literal.chars().count();
                    parts.push(Part::Text(literal.into()));
                }
                Piece::Reference(found) => {
                    parts.push(Part::Ref(Reference {
                        target: found.target(),
                        written: found.written.into(),
                        offset: chars_before,
                    }));
                    chars_before += found.written.chars().count();
                }
            }
        }
        // A plan keeps a template for every input of every step: the room a growing list
        // leaves over would stay taken for the whole run.
        parts.shrink_to_fit();
        Self { parts }
    }

    /// The single reference when the template is exactly one reference and nothing else
    /// (a "whole value", which keeps the referenced value's type).
    pub fn as_whole_reference(&self) -> Option<&Reference> {
        match self.parts.as_slice() {
            [Part::Ref(reference)] => Some(reference),
            _ => None,
        }
    }

    /// Whether the template has any reference.
    pub fn has_references(&self) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Ref(_)))
    }

    /// The references, in order.
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.parts.iter().filter_map(|part| match part {
            Part::Ref(reference) => Some(reference),
            Part::Text(_) => None,
        })
    }
}

/// A piece of a template's text, borrowed from it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Piece<'t> {
    /// Text between references (braces that open no valid reference included).
    Literal(&'t str),
    /// A reference.
    Reference(Found<'t>),
}

/// A reference as written, borrowed from its text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found<'t> {
    /// The whole reference, from `{{` to `}}`.
    pub(crate) written: &'t str,
    /// What it refers to.
    pub(crate) kind: TargetKind,
    /// Its name: a parameter's, a variable's, a path, or the step's for an output.
    pub(crate) name: &'t str,
    /// The output's name for a step output; empty for the other kinds.
    pub(crate) output: &'t str,
}

impl Found<'_> {
    /// The target, owned.
    pub(crate) fn target(&self) -> Target {
        let name = self.name.to_string();
        match self.kind {
            TargetKind::Parameter => Target::Parameter(name),
            TargetKind::StepOutput => {
                Target::StepOutput { step: name, output: self.output.to_string() }
            }
            TargetKind::Variable => Target::Variable(name),
            TargetKind::Global => Target::Global(name),
            TargetKind::Automation => Target::Automation(name),
            TargetKind::ParameterStore => Target::ParameterStore(name),
            TargetKind::SecureParameterStore => Target::SecureParameterStore(name),
        }
    }
}

/// The pieces of `text` in order: what [`Template::parse`] makes its parts of, without
/// allocating, so that a caller keeping its own form of the template (the plan's) builds no
/// other on the way, and one asking only whether there is a reference stops at the first.
pub(crate) fn pieces(text: &str) -> Pieces<'_> {
    Pieces { text, literal_start: 0, from: 0, after_literal: None }
}

/// The iterator of [`pieces`].
#[derive(Clone, Debug)]
pub(crate) struct Pieces<'t> {
    text: &'t str,
    /// Where the literal text not yet given starts.
    literal_start: usize,
    /// Where the search for the next `{{` goes on.
    from: usize,
    /// A reference found after literal text, given next.
    after_literal: Option<Found<'t>>,
}

impl<'t> Iterator for Pieces<'t> {
    type Item = Piece<'t>;

    fn next(&mut self) -> Option<Piece<'t>> {
        if let Some(found) = self.after_literal.take() {
            return Some(Piece::Reference(found));
        }
        let text = self.text;
        while let Some(found) = find_pair(&text[self.from..], b'{') {
            let open = self.from + found;
            let after = open + 2;
            // No `}}` after this `{{`: none after any later one either.
            let Some(close) = find_pair(&text[after..], b'}') else { break };
            let Some((kind, name, output)) = split_target(text[after..after + close].trim()) else {
                // Not a reference: the braces stay text, and the search goes on after them.
                self.from = after;
                continue;
            };
            let end = after + close + 2;
            let found = Found { written: &text[open..end], kind, name, output };
            let literal = &text[self.literal_start..open];
            self.literal_start = end;
            self.from = end;
            if literal.is_empty() {
                return Some(Piece::Reference(found));
            }
            self.after_literal = Some(found);
            return Some(Piece::Literal(literal));
        }
        // The rest is text, given once.
        self.from = text.len();
        let literal = &text[self.literal_start..];
        self.literal_start = text.len();
        (!literal.is_empty()).then_some(Piece::Literal(literal))
    }
}

/// Whether `text` might hold a reference (a cheap test before parsing).
pub fn may_have_references(text: &str) -> bool {
    find_pair(text, b'{').is_some()
}

/// Whether `text` holds a reference: [`Template::has_references`] of [`Template::parse`], without
/// building the template.
pub fn has_references(text: &str) -> bool {
    pieces(text).any(|piece| matches!(piece, Piece::Reference(_)))
}

/// The byte offset of the first two `byte`s in a row (`{{` or `}}`) in `text`. A search for one
/// byte, then a look at the next, is much cheaper than a substring search, which sets up a
/// searcher on each call.
fn find_pair(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = bytes[from..].iter().position(|&b| b == byte) {
        let at = from + found;
        if bytes.get(at + 1) == Some(&byte) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The kinds of [`Target`], without their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Parameter,
    StepOutput,
    Variable,
    Global,
    Automation,
    ParameterStore,
    SecureParameterStore,
}

/// What `inner` (the trimmed text between the braces) refers to: its kind, its name (a step's
/// name for an output) and, for a step output, the output's name. Borrowed, so that asking
/// whether a string holds a reference costs no allocation.
fn split_target(inner: &str) -> Option<(TargetKind, &str, &str)> {
    if let Some((prefix, name)) = inner.split_once(':') {
        let name = name.trim();
        let kind = match prefix.trim() {
            "variable" if is_name(name) => TargetKind::Variable,
            "global" if is_name(name) => TargetKind::Global,
            "automation" if is_name(name) => TargetKind::Automation,
            "ssm" if is_parameter_store_name(name) => TargetKind::ParameterStore,
            "ssm-secure" if is_parameter_store_name(name) => TargetKind::SecureParameterStore,
            _ => return None,
        };
        return Some((kind, name, ""));
    }
    match inner.split_once('.') {
        None if is_name(inner) => Some((TargetKind::Parameter, inner, "")),
        Some((step, output))
            if is_name(step)
                && !output.is_empty()
                && output
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) =>
        {
            Some((TargetKind::StepOutput, step, output))
        }
        _ => None,
    }
}

fn is_parameter_store_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Vec<Target> {
        Template::parse(text).references().map(|r| r.target.clone()).collect()
    }

    #[test]
    fn finds_every_reference_form() {
        assert_eq!(
            targets(
                "{{ A }}-{{b.C}}-{{ variable:V }}-{{global:REGION}}-{{automation:EXECUTION_ID}}-{{ ssm:/a/b }}-{{ ssm-secure:/db/pw }}"
            ),
            [
                Target::Parameter("A".into()),
                Target::StepOutput { step: "b".into(), output: "C".into() },
                Target::Variable("V".into()),
                Target::Global("REGION".into()),
                Target::Automation("EXECUTION_ID".into()),
                Target::ParameterStore("/a/b".into()),
                Target::SecureParameterStore("/db/pw".into()),
            ]
        );
    }

    #[test]
    fn has_references_answers_as_a_parsed_template_does() {
        let texts = [
            "",
            "plain",
            "{{ A }}",
            "x-{{b.C}}-y",
            "{{ }}",
            "{{ not a name }}",
            "{{ a.}}",
            "{ {A} }",
            "{{{{A}}}}",
            "{{ variable:V }}",
            "{{ variable: }}",
            "{{ ssm:/a/b }}",
            "{{ ssm-secure:/db/pw }}",
            "{{ other:x }}",
            "{{ bad name }} then {{ Good }}",
            "{{ unclosed",
            "}}{{",
            "{{ a.b-c.d_e }}",
            "{{ a.b c }}",
            "ünï{{ cödé }}",
        ];
        for text in texts {
            assert_eq!(has_references(text), Template::parse(text).has_references(), "{text:?}");
        }
        assert!(has_references("{{ bad name }} then {{ Good }}"));
        assert!(!has_references("{{ not a name }}"));
    }

    #[test]
    fn a_whole_reference_is_recognised() {
        let template = Template::parse("{{ InstanceIds }}");
        assert_eq!(template.as_whole_reference().unwrap().written, "{{ InstanceIds }}");
        assert!(Template::parse("x{{ InstanceIds }}").as_whole_reference().is_none());
    }

    #[test]
    fn braces_that_are_not_references_stay_text() {
        let template = Template::parse("{{ not a ref }} and {{ok}} and {{ unclosed");
        assert_eq!(
            template.parts,
            [
                Part::Text("{{ not a ref }} and ".into()),
                Part::Ref(Reference {
                    target: Target::Parameter("ok".into()),
                    written: "{{ok}}".into(),
                    offset: 20
                }),
                Part::Text(" and {{ unclosed".into()),
            ]
        );
    }

    #[test]
    fn offsets_count_characters() {
        let template = Template::parse("é{{a}}");
        assert_eq!(template.references().next().unwrap().offset, 1);
    }

    #[test]
    fn step_outputs_keep_everything_after_the_first_dot() {
        assert_eq!(
            targets("{{ s.Out.Inner }}"),
            [Target::StepOutput { step: "s".into(), output: "Out.Inner".into() }]
        );
    }
}
