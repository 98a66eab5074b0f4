//! What the rules share: the document, its step graph, and every `{{ }}` reference in it with
//! the place it is used.

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
}

impl<'a> Context<'a> {
    /// Prepares the context of `document`.
    pub fn new(document: &'a Document) -> Self {
        let steps = document.all_steps();
        let mut uses = Vec::new();
        let mut collector = Collector { document, uses: &mut uses, line: 1, line_start: 0 };
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
        Self { document, graph, steps, uses }
    }

    /// The step named `name`.
    pub fn step(&self, name: &str) -> Option<&'a Step> {
        // The graph indexes the steps by name already, the first of each name as here.
        self.graph.node(name).and_then(|node| self.graph.step(node))
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
    /// A line of the text (1-based) and the byte where it starts. References come in source
    /// order nearly always, so finding each one's line walks forward from the last one's: one
    /// pass over the text in all, where a line index would first take one of its own.
    line: u32,
    line_start: usize,
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

    /// The text of the 1-based `line`, without its line break.
    fn line_text(&mut self, line: u32) -> Option<&'a str> {
        if line < self.line {
            return self.document.source.line(line);
        }
        // The line breaks between the last line asked for and this one are found with a
        // vectorised search: the lines asked for come in order, so the whole text is searched
        // once.
        let text = self.document.source.text.as_str();
        let mut at = self.line_start;
        let mut current = self.line;
        if current < line {
            let skipped = (line - current) as usize;
            let found = memchr::memchr_iter(b'\n', &text.as_bytes()[at..]).nth(skipped - 1)?;
            at += found + 1;
            current = line;
        }
        self.line_start = at;
        self.line = current;
        let rest = &text[self.line_start..];
        let end = rest.find('\n').unwrap_or(rest.len());
        Some(rest[..end].trim_end_matches('\r'))
    }

    /// The span of the reference itself when its string is on one line (plain or quoted).
    fn reference_span(&mut self, string: Span, reference: &Reference) -> Span {
        if string.start.line != string.end.line {
            return string;
        }
        let quoted = self
            .line_text(string.start.line)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    /// Every reference's span is where its text is written, whether its string is plain or
    /// quoted, its line is before or after the one looked at last, or deep in a long file.
    #[test]
    fn reference_spans_point_at_the_reference_as_written() {
        use std::fmt::Write;
        let mut text = String::from("schemaVersion: '0.3'\nmainSteps:\n");
        for index in 0..40 {
            let _ = write!(
                text,
                "  - name: s{index}\n    action: aws:executeAwsApi\n    inputs:\n      Service: ssm\n      Api: GetParameter\n      Name: '/p/{{{{ Seed }}}}/{index}'\n      Path: x{{{{ Seed }}}}\n      Tags:\n        - \"é{{{{ Seed }}}}\"\n"
            );
        }
        // Defaults are collected before the steps but written after them here.
        text.push_str(
            "parameters:\n  Seed:\n    type: String\n    default: 'a{{ global:REGION }}'\n",
        );
        let document = Document::parse("spans.yaml", text.clone(), Format::Yaml).expect("loads");
        let context = Context::new(&document);
        assert_eq!(context.uses.len(), 40 * 3 + 1);
        let lines: Vec<&str> = text.lines().collect();
        for use_ in &context.uses {
            let line = lines[use_.span.start.line as usize - 1];
            let byte = line.find(&use_.reference.written).expect("the reference is on its line");
            let column = u32::try_from(line[..byte].chars().count()).unwrap() + 1;
            assert_eq!(use_.span.start.column, column, "{}: {line}", use_.path());
        }
        assert_eq!(context.uses[0].path(), "parameters.Seed.default");
        assert_eq!(context.uses[3].path(), "mainSteps[0].inputs.Tags[0]");
    }
}
