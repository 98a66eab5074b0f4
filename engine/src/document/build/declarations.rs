//! Parameters, variables and attached files.

use super::super::{FileAttachment, Parameter, ParameterType, Spanned, Variable};
use super::{At, Builder, PARAMETER_KEYS, UNKNOWN_TYPE};
use crate::catalog::ValueType;
use crate::diagnostic::{Diagnostic, closest};
use crate::syntax::{Entry, Node};

impl Builder {
    pub(super) fn parameter(&mut self, entry: &Entry) -> Parameter {
        let base = At::Dot(&At::Text("parameters"), &entry.key);
        let mut parameter = Parameter {
            name: Spanned::new(entry.key.clone(), entry.key_span),
            span: entry.value.span,
            ty: None,
            description: None,
            default: None,
            allowed_values: None,
            allowed_pattern: None,
            display_type: None,
            min_items: None,
            max_items: None,
            min_chars: None,
            max_chars: None,
        };
        let Some(fields) = self.map(&entry.value, base, None) else { return parameter };
        let mut saw_type = false;
        for field in fields {
            let path = At::Dot(&base, &field.key);
            let value = &field.value;
            match field.key.as_str() {
                "type" => {
                    saw_type = true;
                    let Some(text) = self.text_ref(value, path, None) else { continue };
                    match ParameterType::parse(&text.value) {
                        Some(ty) => parameter.ty = Some(Spanned::new(ty, text.span)),
                        None => {
                            let names = ValueType::ALL.iter().map(|ty| ty.as_str()).chain([
                                "AWS::EC2::Instance::Id",
                                "AWS::S3::Bucket::Name",
                                "AWS::IAM::Role::Arn",
                            ]);
                            let mut problem = Diagnostic::error(
                                UNKNOWN_TYPE,
                                format!("unknown parameter type `{}`", text.value),
                            )
                            .path(path.to_string())
                            .span(text.span);
                            if let Some(close) = closest(&text.value, names) {
                                problem = problem.hint(format!("did you mean `{close}`?"));
                            }
                            self.problems.push(problem);
                        }
                    }
                }
                "description" => parameter.description = self.text(value, path, None),
                "default" => parameter.default = Some(value.clone()),
                "allowedValues" => {
                    if let Some(items) = self.list(value, path, None) {
                        parameter.allowed_values = Some(Spanned::new(items.to_vec(), value.span));
                    }
                }
                "allowedPattern" => parameter.allowed_pattern = self.text(value, path, None),
                "displayType" => parameter.display_type = self.text(value, path, None),
                "minItems" => parameter.min_items = self.unsigned(value, path, None),
                "maxItems" => parameter.max_items = self.unsigned(value, path, None),
                "minChars" => parameter.min_chars = self.unsigned(value, path, None),
                "maxChars" => parameter.max_chars = self.unsigned(value, path, None),
                // Documented for Command documents only; accepted and ignored here.
                "interpolationType" => {}
                _ => self.unknown_key(field, path, None, PARAMETER_KEYS),
            }
        }
        if !saw_type {
            let message = format!("parameter `{}` has no `type`", entry.key);
            self.problem(&entry.value, base, None, message);
        }
        parameter
    }

    pub(super) fn variable(&mut self, entry: &Entry) -> Variable {
        let base = At::Dot(&At::Text("variables"), &entry.key);
        let mut variable = Variable {
            name: Spanned::new(entry.key.clone(), entry.key_span),
            span: entry.value.span,
            ty: None,
            default: None,
            description: None,
        };
        let Some(fields) = self.map(&entry.value, base, None) else { return variable };
        for field in fields {
            let path = At::Dot(&base, &field.key);
            match field.key.as_str() {
                "type" => variable.ty = self.value_type(&field.value, path, None),
                "default" => variable.default = Some(field.value.clone()),
                "description" => variable.description = self.text(&field.value, path, None),
                _ => self.unknown_key(field, path, None, &["type", "default", "description"]),
            }
        }
        if variable.ty.is_none() && !fields.iter().any(|field| field.key == "type") {
            let message = format!("variable `{}` has no `type`", entry.key);
            self.problem(&entry.value, base, None, message);
        }
        variable
    }

    pub(super) fn value_type(
        &mut self,
        node: &Node,
        path: At<'_>,
        step: Option<&str>,
    ) -> Option<Spanned<ValueType>> {
        let text = self.text_ref(node, path, step)?;
        if let Some(ty) = ValueType::parse(&text.value) {
            return Some(Spanned::new(ty, text.span));
        }
        let mut problem = Diagnostic::error(UNKNOWN_TYPE, format!("unknown type `{}`", text.value))
            .path(path.to_string())
            .span(text.span)
            .hint(format!("the types are {}", ValueType::ALL.map(ValueType::as_str).join(", ")));
        if let Some(step) = step {
            problem = problem.step(step);
        }
        if let Some(close) = closest(&text.value, ValueType::ALL.map(ValueType::as_str)) {
            problem = problem.hint(format!("did you mean `{close}`?"));
        }
        self.problems.push(problem);
        None
    }

    pub(super) fn file(&mut self, entry: &Entry) -> Option<FileAttachment> {
        let base = format!("files['{}']", entry.key);
        let base = At::Text(&base);
        let fields = self.map(&entry.value, base, None)?;
        let mut file = FileAttachment {
            name: Spanned::new(entry.key.clone(), entry.key_span),
            sha256: None,
            size: None,
        };
        for field in fields {
            let path = At::Dot(&base, &field.key);
            match field.key.as_str() {
                "checksums" => {
                    if let Some(sha) = field.value.get("sha256") {
                        file.sha256 = self.text(sha, At::Dot(&path, "sha256"), None);
                    }
                }
                "size" => file.size = self.unsigned(&field.value, path, None),
                _ => self.unknown_key(field, path, None, &["checksums", "size"]),
            }
        }
        Some(file)
    }
}
