//! What the rules share: the document, its step graph, and every `{{ }}` reference in it with
//! the place it is used.

use indexmap::IndexMap;

use crate::document::{Document, Step};
use crate::graph::StepGraph;
use crate::syntax::{Node, NodeKind, Position, Span, push_key};
use crate::template::{Part, Reference, Template, may_have_references};

/// A reference and where it is used.
#[derive(Debug)]
pub struct Use<'a> {
    /// The step whose inputs hold it; `None` for `assumeRole` and parameter defaults.
    pub step: Option<&'a Step>,
    /// The parameter whose default holds it.
    pub parameter: Option<&'a str>,
    /// The input of `step` that holds it.
    input: Option<&'a str>,
    /// The path of the string from `input`, the parameter's default or `assumeRole`; empty
    /// when the string is that value itself, as it nearly always is.
    relative: Box<str>,
    /// The reference's own span (the string's span when it spans several lines).
    pub span: Span,
    /// The reference.
    pub reference: Reference,
    /// Whether the string is exactly this reference.
    pub whole: bool,
}

impl Use<'_> {
    /// The field path of the string that holds the reference (`mainSteps[2].inputs.Name`).
    /// Written out only for a message: a long runbook has a reference in nearly every step.
    pub fn path(&self) -> String {
        let mut path = match (self.step, self.input, self.parameter) {
            (Some(step), Some(input), _) => {
                let mut path = format!("{}.inputs", step.path);
                push_key(&mut path, input);
                path
            }
            (_, _, Some(parameter)) => format!("parameters.{parameter}.default"),
            _ => String::from("assumeRole"),
        };
        if !self.relative.is_empty() {
            if !self.relative.starts_with('[') {
                path.push('.');
            }
            path.push_str(&self.relative);
        }
        path
    }
}

/// Everything a rule may look at.
#[derive(Debug)]
pub struct Context<'a> {
    /// The document.
    pub document: &'a Document,
    /// Its step graph.
    pub graph: StepGraph<'a>,
    /// Every step, loop bodies included, in source order.
    pub steps: Vec<&'a Step>,
    /// Every reference, in source order.
    pub uses: Vec<Use<'a>>,
    /// Step name to step (the first of that name).
    by_name: IndexMap<&'a str, &'a Step>,
}

impl<'a> Context<'a> {
    /// Prepares the context of `document`.
    pub fn new(document: &'a Document) -> Self {
        let steps = document.all_steps();
        let mut uses = Vec::new();
        let mut collector = Collector { document, uses: &mut uses };
        if let Some(role) = &document.assume_role {
            collector.string(&role.value, role.span, "", None, None, None);
        }
        for parameter in &document.parameters {
            if let Some(default) = &parameter.default {
                collector.node(default, None, None, Some(&parameter.name.value));
            }
        }
        for step in &steps {
            let Some(inputs) = step.inputs.as_ref().and_then(Node::as_map) else { continue };
            for entry in inputs {
                // A loop's nested steps are steps of their own.
                if step.loop_inputs.is_some() && entry.key == "Steps" {
                    continue;
                }
                collector.node(&entry.value, Some(step), Some(&entry.key), None);
            }
        }
        let graph = StepGraph::build(document);
        let mut by_name = IndexMap::with_capacity(steps.len());
        for step in &steps {
            by_name.entry(step.name.value.as_str()).or_insert(*step);
        }
        Self { document, graph, steps, uses, by_name }
    }

    /// The step named `name`.
    pub fn step(&self, name: &str) -> Option<&'a Step> {
        self.by_name.get(name).copied()
    }

    /// The loop step whose body holds `step`, if any.
    pub fn enclosing_loop(&self, step: &Step) -> Option<&'a Step> {
        self.steps.iter().copied().find(|candidate| {
            candidate
                .loop_inputs
                .as_ref()
                .is_some_and(|body| body.steps.iter().any(|inner| std::ptr::eq(inner, step)))
        })
    }
}

struct Collector<'a, 'u> {
    document: &'a Document,
    uses: &'u mut Vec<Use<'a>>,
}

impl<'a> Collector<'a, '_> {
    /// Collects the references in the strings of `node`, the value of `input` of `step` or of
    /// `parameter`'s default.
    fn node(
        &mut self,
        node: &'a Node,
        step: Option<&'a Step>,
        input: Option<&'a str>,
        parameter: Option<&'a str>,
    ) {
        // Most values are one string: no walk, and no path of their own.
        if let NodeKind::Str(text) = &node.kind {
            self.string(text, node.span, "", step, input, parameter);
            return;
        }
        let mut relative = String::new();
        node.walk(&mut relative, &mut |relative_path, node| {
            if let NodeKind::Str(text) = &node.kind {
                self.string(text, node.span, relative_path, step, input, parameter);
            }
        });
    }

    /// Collects the references of one string at `span`, whose path from its value is
    /// `relative`.
    fn string(
        &mut self,
        text: &str,
        span: Span,
        relative: &str,
        step: Option<&'a Step>,
        input: Option<&'a str>,
        parameter: Option<&'a str>,
    ) {
        if !may_have_references(text) {
            return;
        }
        let template = Template::parse(text);
        let whole = template.as_whole_reference().is_some();
        for part in template.parts {
            let Part::Ref(reference) = part else { continue };
            let span = self.reference_span(span, &reference);
            self.uses.push(Use {
                step,
                parameter,
                input,
                relative: relative.into(),
                span,
                reference,
                whole,
            });
        }
    }

    /// The span of the reference itself when its string is on one line (plain or quoted).
    fn reference_span(&self, string: Span, reference: &Reference) -> Span {
        if string.start.line != string.end.line {
            return string;
        }
        let quoted = self
            .document
            .source
            .line(string.start.line)
            .and_then(|line| line.chars().nth(string.start.column as usize - 1))
            .is_some_and(|c| c == '"' || c == '\'');
        let column =
            string.start.column + u32::from(quoted) + u32::try_from(reference.offset).unwrap_or(0);
        let length = u32::try_from(reference.written.chars().count()).unwrap_or(0);
        Span::new(
            Position::new(string.start.line, column),
            Position::new(string.start.line, column + length),
        )
    }
}
