//! The validation rule that needs a Python interpreter, RB040 `python-script`: each Python
//! script of an `aws:executeScript` step (inline, or a `.py` or `.zip` attachment found on disk)
//! compiles, and its `Handler` names something the script defines at its top level. The engine
//! knows no Python, so the binary merges these findings into each report, as it does the model
//! rules.
//!
//! Every script of every document goes to one Python process, which compiles them without
//! running anything. A syntax error is located at its line inside the `Script:` block (a
//! literal block scalar keeps the script's lines as they are); a handler that is not defined,
//! at `Handler`. Not checked: templated `Runtime`, `Handler` or `Attachment`, attachments that
//! are not found, and build-time placeholders (`%%SCRIPT=...%%`, `SCRIPT_PLACEHOLDER`) that
//! other tools replace with the real script; a script that holds build-time template variables
//! (`${X}`, `%X%`) and does not compile is taken to be such a template. `{{ }}` references,
//! which the service resolves before the script runs, are read as names of the same length.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use runbook_engine::Document;
use runbook_engine::diagnostic::{Code, Diagnostic};
use runbook_engine::document::Step;
use runbook_engine::syntax::{Node, Position, Span};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{PythonRunner, Runtime};

mod cache;

/// RB040: a Python script does not compile, or its `Handler` is not defined by it.
pub const PYTHON_SCRIPT: Code = Code { id: "RB040", name: "python-script" };

/// The rules of this module with what each checks, for listings (SARIF, the README).
pub const SCRIPT_RULES: [(Code, &str); 1] =
    [(PYTHON_SCRIPT, "Python scripts compile and their Handler names a function of theirs")];

/// Compiles each script it is given and reads the names its top level binds. Reads a JSON list
/// of `{"source" | "file" | "zip" + "module", "filename"}` on standard input; prints a JSON
/// list with, for each, `{"defined": {"names": [...], "functions": [...]}}`, `{"syntax": {"line", "column",
/// "message"}}` or `{"unreadable": "..."}`.
const CHECKER: &str = r#"
import ast, json, sys, warnings, zipfile

warnings.simplefilter("ignore")

def bound(body, names, functions):
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
            functions.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound(inner, names, functions)

def check(item):
    try:
        if "source" in item:
            source = item["source"]
        elif "file" in item:
            with open(item["file"], "rb") as file:
                source = file.read()
        else:
            with zipfile.ZipFile(item["zip"]) as archive:
                member = item["module"].replace(".", "/")
                listed = set(archive.namelist())
                for name in (member + ".py", member + "/__init__.py"):
                    if name in listed:
                        source = archive.read(name)
                        break
                else:
                    return {"unreadable": "the attachment holds no module `{}`".format(item["module"])}
    except (OSError, zipfile.BadZipFile) as error:
        return {"unreadable": str(error)}
    try:
        tree = compile(source, item["filename"], "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        return {"syntax": {"line": error.lineno or 0, "column": error.offset or 0, "message": error.msg or str(error)}}
    except ValueError as error:
        return {"syntax": {"line": 0, "column": 0, "message": str(error)}}
    names, functions = set(), set()
    bound(tree.body, names, functions)
    return {"defined": {"names": sorted(names), "functions": sorted(functions)}}

print(json.dumps([check(item) for item in json.load(sys.stdin)]))
"#;

/// Why the scripts could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum ScriptCheckError {
    /// The interpreter is missing or does not answer.
    #[error("{0}")]
    Python(String),
    /// The checker ran but its answer cannot be read.
    #[error("the Python checker failed: {0}")]
    Checker(String),
}

/// How many scripts were checked, and why the others were not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptCheckStats {
    /// Python steps seen.
    pub steps: usize,
    /// Scripts compiled (inline or from an attachment).
    pub checked: usize,
    /// Build-time placeholders in place of a script.
    pub placeholders: usize,
    /// Scripts with build-time template variables that are not Python as written.
    pub templates: usize,
    /// Steps whose attachment was not found, or whose inputs are templated.
    pub unchecked: usize,
}

/// Checks the Python scripts of runbooks, with attachments looked for in `attachments` and
/// then next to each runbook.
#[derive(Clone, Debug)]
pub struct ScriptChecker {
    python: PythonRunner,
    attachments: Vec<PathBuf>,
    cache: Option<PathBuf>,
}

/// One script to compile, and what to do with the answer.
struct Item<'a> {
    document: usize,
    step: &'a Step,
    request: Value,
    /// Where the script's text sits in the runbook, for an inline script.
    script: Option<&'a Node>,
    handler: Option<(String, &'a Node)>,
    templated: bool,
    /// How the script is named in messages.
    display: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Answer {
    Defined { names: Vec<String>, functions: Vec<String> },
    Syntax { line: u32, column: u32, message: String },
    Unreadable(String),
}

impl ScriptChecker {
    /// A checker running `python`, looking for attachments in `attachments` first.
    pub fn new(python: PythonRunner, attachments: Vec<PathBuf>) -> Self {
        Self { python, attachments, cache: None }
    }

    /// The same checker remembering its answers in the cache folder `cache` (see `cache.rs`):
    /// a script already checked by the same interpreter is not compiled again, and a command
    /// whose scripts were all checked before starts no Python.
    #[must_use]
    pub fn with_cache(mut self, cache: Option<PathBuf>) -> Self {
        self.cache = cache;
        self
    }

    /// The findings for each of `documents`, in order, with counts.
    pub fn check(
        &self,
        documents: &[&Document],
    ) -> Result<(Vec<Vec<Diagnostic>>, ScriptCheckStats), ScriptCheckError> {
        let mut stats = ScriptCheckStats::default();
        let mut findings: Vec<Vec<Diagnostic>> = documents.iter().map(|_| Vec::new()).collect();
        let mut items = Vec::new();
        for (index, document) in documents.iter().enumerate() {
            for step in document.all_steps() {
                self.collect(index, document, step, &mut items, &mut findings[index], &mut stats);
            }
        }
        if items.is_empty() {
            return Ok((findings, stats));
        }
        let answers = self.answers(&items)?;
        for (item, answer) in items.iter().zip(answers) {
            let document = documents[item.document];
            let finding = match answer {
                Answer::Syntax { .. } if item.templated => {
                    stats.templates += 1;
                    continue;
                }
                Answer::Syntax { line, column, message } => {
                    Some(syntax_finding(document, item, line, column, &message))
                }
                Answer::Unreadable(reason) => item.handler.as_ref().map(|(_, node)| {
                    Diagnostic::error(
                        PYTHON_SCRIPT,
                        format!("{} cannot be read: {reason}", item.display),
                    )
                    .step(&item.step.name.value)
                    .path(format!("{}.inputs.Handler", item.step.path))
                    .span(node.span)
                }),
                Answer::Defined { names, functions } => {
                    item.handler.as_ref().and_then(|(handler, node)| {
                        if names.iter().any(|name| name == handler) {
                            return None;
                        }
                        let listed = if functions.is_empty() {
                            "it defines no function".to_string()
                        } else {
                            format!("its functions: {}", functions.join(", "))
                        };
                        let mut diagnostic = Diagnostic::error(
                            PYTHON_SCRIPT,
                            format!(
                                "handler `{handler}` is not defined by {} ({listed})",
                                item.display
                            ),
                        )
                        .step(&item.step.name.value)
                        .path(format!("{}.inputs.Handler", item.step.path))
                        .span(node.span);
                        if let Some(close) = runbook_engine::diagnostic::closest(
                            handler,
                            functions.iter().map(String::as_str),
                        ) {
                            diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
                        }
                        Some(diagnostic)
                    })
                }
            };
            stats.checked += 1;
            findings[item.document].extend(finding);
        }
        for found in &mut findings {
            found.sort_by_key(|diagnostic| diagnostic.span.map(|span| span.start));
        }
        Ok((findings, stats))
    }

    /// Adds the script of `step`, when it is a Python step that can be checked, to `items`;
    /// findings that need no Python go straight to `findings`.
    fn collect<'a>(
        &self,
        index: usize,
        document: &'a Document,
        step: &'a Step,
        items: &mut Vec<Item<'a>>,
        findings: &mut Vec<Diagnostic>,
        stats: &mut ScriptCheckStats,
    ) {
        if step.action.value != "aws:executeScript" {
            return;
        }
        let text = |name: &str| step.input(name).and_then(Node::scalar_text);
        let runtime = text("Runtime").unwrap_or_default();
        if !matches!(Runtime::parse(&runtime), Some(Runtime::Python(_))) {
            return;
        }
        stats.steps += 1;
        let handler = text("Handler");
        let attachment = text("Attachment");
        let script_node = step.input("Script").filter(|node| node.as_str().is_some());
        if [&handler, &attachment].into_iter().flatten().any(|value| value.contains("{{")) {
            stats.unchecked += 1;
            return;
        }
        let handler_node = step.input("Handler");
        let dotted = handler.as_deref().is_some_and(|handler| handler.contains('.'));
        let base = Item {
            document: index,
            step,
            request: Value::Null,
            script: None,
            handler: None,
            templated: false,
            display: String::new(),
        };
        // As the runner does: a `file.function` handler, or an attachment without a script,
        // takes the handler from the attachment.
        if let Some(name) = attachment.filter(|_| dotted || script_node.is_none()) {
            let Some(path) = self.find(document, &name) else {
                stats.unchecked += 1;
                return;
            };
            let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            let (module, function) = match handler.as_deref().and_then(|h| h.rsplit_once('.')) {
                Some((module, function)) => (Some(module.to_string()), function.to_string()),
                None => (None, handler.clone().unwrap_or_default()),
            };
            let request = match (extension.as_deref(), module) {
                (Some("py"), _) => json!({ "file": path, "filename": name }),
                (Some("zip"), Some(module)) => {
                    json!({ "zip": path, "module": module, "filename": name })
                }
                _ => {
                    stats.unchecked += 1;
                    return;
                }
            };
            items.push(Item {
                request,
                handler: handler_node.filter(|_| !function.is_empty()).map(|node| (function, node)),
                display: format!("attachment {name}"),
                ..base
            });
            return;
        }
        let Some(node) = script_node else { return };
        let script = node.as_str().unwrap_or_default();
        if script.contains("%%SCRIPT=") || script.contains("SCRIPT_PLACEHOLDER") {
            stats.placeholders += 1;
            return;
        }
        if let (true, Some(handler_node)) = (dotted, handler_node) {
            findings.push(
                Diagnostic::error(
                    PYTHON_SCRIPT,
                    format!(
                        "handler `{}` names a module, but the step has no attachment: an inline \
                         script's handler is a function name",
                        handler.as_deref().unwrap_or_default()
                    ),
                )
                .step(&step.name.value)
                .path(format!("{}.inputs.Handler", step.path))
                .span(handler_node.span),
            );
        }
        items.push(Item {
            request: json!({ "source": without_references(script), "filename": "customer_script.py" }),
            script: Some(node),
            handler: handler.filter(|_| !dotted).zip(handler_node),
            templated: has_template_variables(script),
            display: "the script".to_string(),
            ..base
        });
    }

    /// Where the attachment `name` of `document` is: in the attachments folders, then next to
    /// the runbook.
    fn find(&self, document: &Document, name: &str) -> Option<PathBuf> {
        let beside = document.source.path.parent().map(Path::to_path_buf);
        self.attachments
            .iter()
            .cloned()
            .chain(beside)
            .map(|folder| folder.join(name))
            .find(|path| path.is_file())
    }

    /// The answer for each of `items`: remembered ones from the cache, the others from Python.
    fn answers(&self, items: &[Item<'_>]) -> Result<Vec<Answer>, ScriptCheckError> {
        let key = self.cache.as_deref().and_then(|cache| {
            Some((cache, cache::interpreter_key(self.python.interpreter(), CHECKER)?))
        });
        let Some((cache, key)) = key else {
            return self.run(items.iter().map(|item| &item.request));
        };
        let mut remembered = cache::Answers::open(cache, &key);
        let hashes: Vec<Option<String>> =
            items.iter().map(|item| cache::request_hash(&item.request)).collect();
        let mut answers: Vec<Option<Answer>> = hashes
            .iter()
            .map(|hash| hash.as_deref().and_then(|hash| remembered.get(hash)))
            .collect();
        let missing: Vec<usize> = (0..items.len()).filter(|&at| answers[at].is_none()).collect();
        if !missing.is_empty() {
            let fresh = self.run(missing.iter().map(|&at| &items[at].request))?;
            for (at, answer) in missing.into_iter().zip(fresh) {
                if let Some(hash) = hashes[at].clone() {
                    remembered.insert(hash, &answer);
                }
                answers[at] = Some(answer);
            }
        }
        remembered.save();
        Ok(answers.into_iter().flatten().collect())
    }

    /// Asks one Python process for the answers to `requests`.
    fn run<'a>(
        &self,
        requests: impl ExactSizeIterator<Item = &'a Value>,
    ) -> Result<Vec<Answer>, ScriptCheckError> {
        let executable =
            self.python.executable().map_err(|error| ScriptCheckError::Python(error.message))?;
        let count = requests.len();
        let input = Value::Array(requests.cloned().collect());
        let mut child = Command::new(&executable)
            .args(["-B", "-c", CHECKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                ScriptCheckError::Python(format!("cannot start {}: {error}", executable.display()))
            })?;
        // The checker reads all of its input before it writes anything, so writing first
        // cannot block on its output.
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.to_string().as_bytes())
                .map_err(|error| ScriptCheckError::Checker(error.to_string()))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|error| ScriptCheckError::Checker(error.to_string()))?;
        if !output.status.success() {
            let errors = String::from_utf8_lossy(&output.stderr);
            let last = errors.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("");
            return Err(ScriptCheckError::Checker(last.to_string()));
        }
        let answers: Vec<Answer> = serde_json::from_slice(&output.stdout)
            .map_err(|error| ScriptCheckError::Checker(error.to_string()))?;
        if answers.len() != count {
            return Err(ScriptCheckError::Checker(format!(
                "{} answers for {count} scripts",
                answers.len(),
            )));
        }
        Ok(answers)
    }
}

/// A syntax error of an inline script (or an attachment), located in the runbook.
fn syntax_finding(
    document: &Document,
    item: &Item<'_>,
    line: u32,
    column: u32,
    message: &str,
) -> Diagnostic {
    let step = &item.step.name.value;
    let Some(node) = item.script else {
        let text = format!("{} does not compile: {message} (line {line})", item.display);
        let mut diagnostic = Diagnostic::error(PYTHON_SCRIPT, text)
            .step(step)
            .path(format!("{}.inputs.Attachment", item.step.path));
        if let Some(node) = item.step.input("Attachment") {
            diagnostic = diagnostic.span(node.span);
        }
        return diagnostic;
    };
    let text = format!("the script does not compile: {message} (line {line} of the script)");
    Diagnostic::error(PYTHON_SCRIPT, text)
        .step(step)
        .path(format!("{}.inputs.Script", item.step.path))
        .span(script_line_span(
            &document.source.text,
            node,
            node.as_str().unwrap_or_default(),
            line,
            column,
        ))
}

/// Where line `line` (1-based), column `column` of `script` is in the runbook: the line itself
/// when the runbook holds the script's lines as they are (a literal block scalar,
/// `Script: |`); the start of the value otherwise (a quoted or JSON string).
fn script_line_span(source: &str, node: &Node, script: &str, line: u32, column: u32) -> Span {
    let (Some(wanted), Ok(index)) =
        (script.lines().nth((line.max(1) - 1) as usize), usize::try_from(line))
    else {
        return node.span;
    };
    if index == 0 {
        return node.span;
    }
    let lines: Vec<&str> = source.lines().collect();
    let first = node.span.start.line as usize;
    // The span starts at the block's first line, or at its indicator the line before.
    let found = [first + index - 1, first + index].into_iter().find(|number| {
        lines
            .get(number - 1)
            .is_some_and(|text| text.trim_start() == wanted.trim_start() && text.ends_with(wanted))
    });
    let Some(number) = found else { return node.span };
    let text = lines[number - 1];
    let indent = text.chars().count() - wanted.chars().count();
    let width = text.chars().count();
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let column = (to_u32(indent) + column.max(1)).min(to_u32(width).max(1));
    let number = to_u32(number);
    Span::new(Position::new(number, column), Position::new(number, to_u32(width).max(column) + 1))
}

/// `script` with each `{{ reference }}` replaced by a name of the same length, so that the
/// script stays Python and keeps its lines and columns.
fn without_references(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(start) = rest.find("{{") {
        let Some(length) =
            rest[start..].find("}}").filter(|end| !rest[start..start + end].contains('\n'))
        else {
            break;
        };
        out.push_str(&rest[..start]);
        let width = rest[start..start + length + 2].chars().count();
        out.extend(std::iter::repeat_n('_', width));
        rest = &rest[start + length + 2..];
    }
    out.push_str(rest);
    out
}

/// Whether `script` holds template variables (`${X}`, `%X%`) that a build step fills in.
fn has_template_variables(script: &str) -> bool {
    if script.contains("${") {
        return true;
    }
    let mut rest = script;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let length =
            after.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
        if let Some(length) = length
            && length > 0
            && after[length..].starts_with('%')
        {
            return true;
        }
        rest = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_names_of_the_same_length() {
        assert_eq!(without_references("x = {{ A }}\ny = '{{B}}'"), "x = _______\ny = '_____'");
        assert_eq!(without_references("a {{ open\n}}"), "a {{ open\n}}");
    }

    #[test]
    fn template_variables_are_recognised() {
        assert!(has_template_variables("x = '${AWS::Region}'"));
        assert!(has_template_variables("%PYTHONSCRIPT%"));
        assert!(!has_template_variables("print('%d%%' % 5)"));
        assert!(!has_template_variables("a = b % c % d"));
    }
}
