//! Checks a `JSONPath` selector (an output's `Selector`, a `PropertySelector`) against an
//! operation's output shape, so a misspelt member is caught before the runbook runs.
//!
//! The check walks the selector's segments through the shapes. It understands member names
//! (`.Name`, `['Name']`), deep scans (`..Name`), wildcards, indexes and slices, and filters
//! (`[?(@.State.Name == 'x')]`, whose `@` paths are checked against the list's items). It
//! never raises a false alarm: on anything it does not understand, or where the answer
//! depends on the data (maps, documents, a name selected from a list), it passes.

use std::collections::BTreeSet;
use std::fmt;

use super::service::{Operation, ServiceModel, ShapeKind};

/// The members boto3 puts in `ResponseMetadata`, which no output shape declares.
const RESPONSE_METADATA: [&str; 6] =
    ["ResponseMetadata", "RequestId", "HTTPStatusCode", "HTTPHeaders", "RetryAttempts", "HostId"];

/// A selector names a member the output cannot have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorProblem {
    /// The member that does not exist.
    pub member: String,
    /// The part of the selector before it (`$.Reservations[0]`).
    pub prefix: String,
    /// The closest member name there, if one is close.
    pub closest: Option<String>,
}

impl fmt::Display for SelectorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the response has no member `{}` at `{}`", self.member, self.prefix)?;
        if let Some(closest) = &self.closest {
            write!(f, "; did you mean `{closest}`?")?;
        }
        Ok(())
    }
}

/// Checks `selector` against `operation`'s output and reports the first member name that
/// cannot exist there. `None` means the selector may match (or could not be judged).
pub fn check_selector(operation: &Operation<'_>, selector: &str) -> Option<SelectorProblem> {
    let segments = parse(selector)?;
    let model = operation.model();
    let mut positions: Vec<&str> =
        operation.def().output.iter().map(|member| member.shape.as_str()).collect();
    for (index, (segment, prefix)) in segments.iter().enumerate() {
        let at_root = index == 0;
        positions = match segment {
            Segment::Name(name) => {
                if at_root && name == "ResponseMetadata" {
                    return None;
                }
                match step_name(model, &positions, name) {
                    Step::Next(next) => next,
                    Step::Unsure => return None,
                    Step::Missing(closest) => {
                        return Some(problem(name, prefix, closest));
                    }
                }
            }
            Segment::DeepName(name) => {
                if at_root && RESPONSE_METADATA.contains(&name.as_str()) {
                    return None;
                }
                match deep_name(model, &positions, name) {
                    Step::Next(next) => next,
                    Step::Unsure => return None,
                    Step::Missing(closest) => return Some(problem(name, prefix, closest)),
                }
            }
            Segment::Wildcard => children(model, &positions, true)?,
            Segment::Index => children(model, &positions, false)?,
            Segment::Filter(relative_paths) => {
                let items = children(model, &positions, true)?;
                for path in relative_paths {
                    let mut here = items.clone();
                    for name in path {
                        match step_name(model, &here, name) {
                            Step::Next(next) => here = next,
                            Step::Unsure => break,
                            Step::Missing(closest) => {
                                return Some(problem(name, &format!("{prefix}[?(@"), closest));
                            }
                        }
                    }
                }
                items
            }
            Segment::Unknown => return None,
        };
        if positions.is_empty() {
            return None;
        }
    }
    None
}

fn problem(name: &str, prefix: &str, closest: Option<String>) -> SelectorProblem {
    let prefix = if prefix.is_empty() { "$" } else { prefix };
    SelectorProblem { member: name.to_string(), prefix: prefix.to_string(), closest }
}

enum Step<'m> {
    Next(Vec<&'m str>),
    Unsure,
    Missing(Option<String>),
}

/// Selects member `name` of every position.
fn step_name<'m>(model: &'m ServiceModel, positions: &[&'m str], name: &str) -> Step<'m> {
    let mut next = Vec::new();
    let mut candidates: BTreeSet<&str> = BTreeSet::new();
    for shape_name in positions {
        let Some(shape) = model.shape(shape_name) else { return Step::Unsure };
        match &shape.kind {
            ShapeKind::Structure(structure) => match structure.members.get(name) {
                Some(member) => next.push(member.shape.as_str()),
                None => candidates.extend(structure.members.keys().map(String::as_str)),
            },
            ShapeKind::Map { value, .. } => next.push(value.shape.as_str()),
            // `.Name` of a list matches nothing in RFC 9535, but older engines map it over
            // the items: the data decides.
            ShapeKind::List { .. } | ShapeKind::Document | ShapeKind::Other(_) => {
                return Step::Unsure;
            }
            _ => {}
        }
    }
    if next.is_empty() {
        Step::Missing(runbook_engine::diagnostic::closest(name, candidates).map(str::to_string))
    } else {
        Step::Next(next)
    }
}

/// Selects member `name` anywhere at or below every position.
fn deep_name<'m>(model: &'m ServiceModel, positions: &[&'m str], name: &str) -> Step<'m> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut queue: Vec<&str> = positions.to_vec();
    let mut next = Vec::new();
    let mut candidates: BTreeSet<&str> = BTreeSet::new();
    while let Some(shape_name) = queue.pop() {
        if !seen.insert(shape_name) {
            continue;
        }
        let Some(shape) = model.shape(shape_name) else { return Step::Unsure };
        match &shape.kind {
            ShapeKind::Structure(structure) => {
                if let Some(member) = structure.members.get(name) {
                    next.push(member.shape.as_str());
                }
                candidates.extend(structure.members.keys().map(String::as_str));
                queue.extend(structure.members.values().map(|member| member.shape.as_str()));
            }
            ShapeKind::List { member } => queue.push(member.shape.as_str()),
            // Any key of a map or document may be `name`.
            ShapeKind::Map { .. } | ShapeKind::Document | ShapeKind::Other(_) => {
                return Step::Unsure;
            }
            _ => {}
        }
    }
    if next.is_empty() {
        Step::Missing(runbook_engine::diagnostic::closest(name, candidates).map(str::to_string))
    } else {
        Step::Next(next)
    }
}

/// The children of every position: list items, map values and (for wildcards and filters)
/// structure members. `None` where the data decides.
fn children<'m>(
    model: &'m ServiceModel,
    positions: &[&'m str],
    members_too: bool,
) -> Option<Vec<&'m str>> {
    let mut next = Vec::new();
    for shape_name in positions {
        match &model.shape(shape_name)?.kind {
            ShapeKind::List { member } => next.push(member.shape.as_str()),
            ShapeKind::Map { value, .. } => next.push(value.shape.as_str()),
            ShapeKind::Structure(structure) if members_too => {
                next.extend(structure.members.values().map(|member| member.shape.as_str()));
            }
            ShapeKind::Structure(_) | ShapeKind::Document | ShapeKind::Other(_) => return None,
            _ => {}
        }
    }
    Some(next)
}

/// One step of a selector.
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Name(String),
    DeepName(String),
    Wildcard,
    Index,
    /// A filter, with the member paths its `@` references follow.
    Filter(Vec<Vec<String>>),
    Unknown,
}

/// Splits a selector into segments, each with the selector text before it. `None` for a
/// selector this check does not understand.
fn parse(selector: &str) -> Option<Vec<(Segment, String)>> {
    let text = selector.trim();
    let body = if let Some(rest) = text.strip_prefix('$') {
        rest.to_string()
    } else if text.starts_with('.') || text.starts_with('[') {
        text.to_string()
    } else {
        format!(".{text}")
    };
    let chars: Vec<char> = body.chars().collect();
    let mut segments = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let prefix = format!("${}", chars[..at].iter().collect::<String>());
        let (segment, next) = if chars[at] == '.' && chars.get(at + 1) == Some(&'.') {
            let start = at + 2;
            match chars.get(start) {
                Some('[') => {
                    let (inner, next) = bracket(&chars, start)?;
                    let segment = match bracket_segment(&inner) {
                        Segment::Name(name) => Segment::DeepName(name),
                        _ => Segment::Unknown,
                    };
                    (segment, next)
                }
                Some('*') => (Segment::Unknown, start + 1),
                _ => {
                    let (name, next) = dotted_name(&chars, start);
                    (Segment::DeepName(name), next)
                }
            }
        } else if chars[at] == '.' {
            if chars.get(at + 1) == Some(&'*') {
                (Segment::Wildcard, at + 2)
            } else {
                let (name, next) = dotted_name(&chars, at + 1);
                if name.is_empty() {
                    return None;
                }
                // Function calls (`.length()`) belong to other dialects.
                if name.contains('(') {
                    (Segment::Unknown, next)
                } else {
                    (Segment::Name(name), next)
                }
            }
        } else if chars[at] == '[' {
            let (inner, next) = bracket(&chars, at)?;
            (bracket_segment(&inner), next)
        } else {
            return None;
        };
        let stop = segment == Segment::Unknown;
        segments.push((segment, prefix));
        if stop {
            break;
        }
        at = next;
    }
    Some(segments)
}

/// A member name in dot notation, up to the next `.` or `[`.
fn dotted_name(chars: &[char], start: usize) -> (String, usize) {
    let end = chars[start..]
        .iter()
        .position(|c| *c == '.' || *c == '[')
        .map_or(chars.len(), |offset| start + offset);
    (chars[start..end].iter().collect::<String>().trim().to_string(), end)
}

/// The text inside the bracket opening at `open`, and the index after its `]`.
fn bracket(chars: &[char], open: usize) -> Option<(String, usize)> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut at = open;
    while at < chars.len() {
        let c = chars[at];
        if let Some(q) = quote {
            if c == '\\' {
                at += 1;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 && c == ']' {
                        return Some((chars[open + 1..at].iter().collect(), at + 1));
                    }
                }
                _ => {}
            }
        }
        at += 1;
    }
    None
}

fn bracket_segment(inner: &str) -> Segment {
    let inner = inner.trim();
    if inner == "*" {
        return Segment::Wildcard;
    }
    if let Some(filter) = inner.strip_prefix('?') {
        return Segment::Filter(relative_paths(filter));
    }
    if let Some(name) = quoted(inner) {
        return Segment::Name(name);
    }
    if !inner.is_empty()
        && inner.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | ',' | ' '))
    {
        return Segment::Index;
    }
    Segment::Unknown
}

/// The string of a single quoted name (`'Name'` or `"Name"`), unescaped.
fn quoted(text: &str) -> Option<String> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = text.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut name = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.push(chars.next()?),
            c if c == quote => return None,
            c => name.push(c),
        }
    }
    Some(name)
}

/// The member paths after each `@` of a filter (`@.State.Name` gives `[State, Name]`).
fn relative_paths(filter: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = filter.chars().collect();
    let mut paths = Vec::new();
    let mut quote: Option<char> = None;
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if let Some(q) = quote {
            if c == '\\' {
                at += 1;
            } else if c == q {
                quote = None;
            }
            at += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
            at += 1;
            continue;
        }
        if c != '@' {
            at += 1;
            continue;
        }
        at += 1;
        let mut path = Vec::new();
        while chars.get(at) == Some(&'.') && chars.get(at + 1) != Some(&'.') {
            let start = at + 1;
            let end = chars[start..]
                .iter()
                .position(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
                .map_or(chars.len(), |offset| start + offset);
            if end == start {
                break;
            }
            path.push(chars[start..end].iter().collect());
            at = end;
        }
        if !path.is_empty() {
            paths.push(path);
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests_support::demo_model;

    fn check(selector: &str) -> Option<String> {
        let model = demo_model();
        let operation = model.operation("DescribeInstances").unwrap();
        check_selector(&operation, selector).map(|problem| problem.to_string())
    }

    #[test]
    fn selectors_that_fit_the_output_pass() {
        for selector in [
            "$.Reservations[0].Instances[0].State.Name",
            "$.Reservations[*].Instances[*].InstanceId",
            "$.Reservations[0:2].Instances[-1].Tags[0].Key",
            "$..InstanceId",
            "$..State.Name",
            "$.Reservations..Instances[?(@.State.Name == 'running')].InstanceId",
            "$.Reservations[0].Instances[?(@.Tags[0].Key == 'x')]",
            "$.Reservations[0]['Instances'][0][\"ImageId\"]",
            "Reservations[0].Instances",
            "$.ResponseMetadata.HTTPStatusCode",
            "$..HTTPStatusCode",
            "$",
            "$.NextToken",
        ] {
            assert_eq!(check(selector), None, "{selector}");
        }
    }

    #[test]
    fn a_misspelt_member_is_reported_with_its_place() {
        assert_eq!(
            check("$.Reservations[0].Instances[0].State.Nmae").as_deref(),
            Some(
                "the response has no member `Nmae` at `$.Reservations[0].Instances[0].State`; \
                 did you mean `Name`?"
            )
        );
        assert_eq!(
            check("$.Reservation[0]").as_deref(),
            Some("the response has no member `Reservation` at `$`; did you mean `Reservations`?")
        );
    }

    #[test]
    fn deep_scans_pass_when_the_name_exists_anywhere_below() {
        assert_eq!(
            check("$..InstanceID").as_deref(),
            Some("the response has no member `InstanceID` at `$`; did you mean `InstanceId`?")
        );
        assert_eq!(check("$.Reservations..Code"), None);
        assert!(check("$.Reservations[0].Instances[0].State..ReservationId").is_some());
        assert!(check("$.Reservations[0].Instances[0].InstanceId.Anything").is_some());
    }

    #[test]
    fn filter_paths_are_checked_against_the_items() {
        assert_eq!(
            check("$.Reservations[0].Instances[?(@.Sate.Name == 'running')].InstanceId").as_deref(),
            Some(
                "the response has no member `Sate` at `$.Reservations[0].Instances[?(@`; \
                 did you mean `State`?"
            )
        );
        assert_eq!(check("$.Reservations[0].Instances[?(@.ImageId == '@.Nope')]"), None);
    }

    #[test]
    fn unclear_cases_pass() {
        for selector in [
            "$.Reservations.Instances",
            "$.Reservations[0].Instances[0].State.length()",
            "$..*",
            "$.Reservations[(@.length-1)]",
            "$.Reservations[0",
        ] {
            assert_eq!(check(selector), None, "{selector}");
        }
    }

    #[test]
    fn broken_selectors_never_panic() {
        for selector in [
            "",
            "$",
            "$.",
            "$..",
            "..",
            "[",
            "]",
            "$[",
            "$['a",
            "$[\"a\"",
            "$[?(@.a",
            "$.a[?(@.b == 'x)]",
            "$[?(@.)]",
            "$[?(@..a)]",
            "@",
            "$.é[0].ü",
            "$['\\']",
            "$[-]",
            "$[::]",
        ] {
            let _ = check(selector);
        }
    }

    #[test]
    fn maps_and_documents_accept_any_key() {
        let model = demo_model();
        let map = model.operation("GetMap").unwrap();
        assert_eq!(check_selector(&map, "$.Parameters.anything"), None);
        assert_eq!(check_selector(&map, "$..anything"), None);
        let tree = model.operation("GetTree").unwrap();
        assert_eq!(check_selector(&tree, "$.Document.any.thing"), None);
        assert_eq!(check_selector(&tree, "$.Root.Children[0].Children[0].Name"), None);
        assert!(check_selector(&tree, "$.Root.Children[0].Nope").is_some());
    }

    #[test]
    fn an_operation_without_output_has_no_members() {
        let model = demo_model();
        let operation = model.operation("CreateTags").unwrap();
        assert!(check_selector(&operation, "$.Anything").is_some());
        assert_eq!(check_selector(&operation, "$.ResponseMetadata.RequestId"), None);
    }
}
