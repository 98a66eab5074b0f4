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
        let Some(first) = find_pair(text, b'{') else {
            let parts = if text.is_empty() { Vec::new() } else { vec![Part::Text(text.into())] };
            return Self { parts };
        };
        // Text, a reference and text: the most parts nearly every string has.
        let mut parts = Vec::with_capacity(3);
        // Where the literal text not yet pushed starts, and the character offset of `from`.
        let mut literal_start = 0;
        let mut from = first;
        let mut chars_before = 0;
        let mut counted_to = 0;
        while let Some(found) = find_pair(&text[from..], b'{') {
            let open = from + found;
            let after = open + 2;
            let reference = find_pair(&text[after..], b'}').and_then(|close| {
                parse_target(text[after..after + close].trim()).map(|target| (target, close))
            });
            match reference {
                Some((target, close)) => {
                    if literal_start < open {
                        parts.push(Part::Text(text[literal_start..open].into()));
                    }
                    let end = after + close + 2;
                    chars_before += text[counted_to..open].chars().count();
                    counted_to = open;
                    parts.push(Part::Ref(Reference {
                        target,
                        written: text[open..end].into(),
                        offset: chars_before,
                    }));
                    literal_start = end;
                    from = end;
                }
                // Not a reference: keep the braces as text and look further on.
                None => from = after,
            }
        }
        if literal_start < text.len() {
            parts.push(Part::Text(text[literal_start..].into()));
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

/// Whether `text` might hold a reference (a cheap test before parsing).
pub fn may_have_references(text: &str) -> bool {
    find_pair(text, b'{').is_some()
}

/// Whether `text` holds a reference: [`Template::has_references`] of [`Template::parse`], without
/// building the template.
pub fn has_references(text: &str) -> bool {
    let mut from = 0;
    while let Some(found) = find_pair(&text[from..], b'{') {
        let after = from + found + 2;
        match find_pair(&text[after..], b'}') {
            Some(close) if split_target(text[after..after + close].trim()).is_some() => {
                return true;
            }
            _ => from = after,
        }
    }
    false
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

fn parse_target(inner: &str) -> Option<Target> {
    let (kind, name, output) = split_target(inner)?;
    let name = name.to_string();
    Some(match kind {
        TargetKind::Parameter => Target::Parameter(name),
        TargetKind::StepOutput => Target::StepOutput { step: name, output: output.to_string() },
        TargetKind::Variable => Target::Variable(name),
        TargetKind::Global => Target::Global(name),
        TargetKind::Automation => Target::Automation(name),
        TargetKind::ParameterStore => Target::ParameterStore(name),
        TargetKind::SecureParameterStore => Target::SecureParameterStore(name),
    })
}

/// The kinds of [`Target`], without their names.
#[derive(Clone, Copy)]
enum TargetKind {
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
