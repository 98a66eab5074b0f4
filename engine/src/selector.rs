//! `JSONPath` selectors of step outputs, `PropertySelector` and the like (SPEC 4.3).
//!
//! Selectors are compiled with `serde_json_path` (RFC 9535) after a light normalisation for
//! the forms the service accepts and the RFC does not: a missing leading `$` (`Role.Arn`) and
//! member names with characters such as `-` in dot notation (`$.Payload.my-key`).
//!
//! What a selector yields follows the service: a *definite* path (only names and indexes)
//! yields the one value it points at; a path with a deep scan, wildcard, slice, union or filter
//! yields the list of everything it matched.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use serde_json_path::JsonPath;

/// A compiled selector.
#[derive(Clone, Debug)]
pub struct Selector {
    path: Arc<JsonPath>,
    definite: bool,
    /// The member names of a path that is only names (`$.Payload.InstanceId`), the form
    /// nearly every output uses: walked directly, it costs a tenth of a general query.
    members: Option<Arc<[Box<str>]>>,
    text: String,
}

/// The most selectors remembered per thread; past it the memory starts over.
const REMEMBERED: usize = 256;

thread_local! {
    /// Selectors compiled on this thread, by text: a long runbook declares the same few
    /// selectors on thousands of steps, and compiling one costs far more than sharing it.
    static COMPILED: RefCell<BTreeMap<String, Selector>> = const { RefCell::new(BTreeMap::new()) };
}

impl Selector {
    /// Compiles `text`. The error message says where the selector stops making sense.
    pub fn compile(text: &str) -> Result<Self, String> {
        if let Some(known) = COMPILED.with_borrow(|compiled| compiled.get(text).cloned()) {
            return Ok(known);
        }
        let normalized = normalize(text.trim());
        let path = JsonPath::parse(&normalized).map_err(|error| error.to_string())?;
        let selector = Self {
            definite: is_definite(&normalized),
            members: member_names(&normalized),
            path: Arc::new(path),
            text: text.into(),
        };
        COMPILED.with_borrow_mut(|compiled| {
            if compiled.len() >= REMEMBERED {
                compiled.clear();
            }
            compiled.insert(selector.text.clone(), selector.clone());
        });
        Ok(selector)
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the selector points at one value (no scan, wildcard, slice or filter).
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// What the selector yields from `value`: the value itself for a definite path, the list of
    /// matches otherwise; `None` when nothing matches.
    pub fn select(&self, value: &Value) -> Option<Value> {
        if let Some(members) = &self.members {
            return members.iter().try_fold(value, |value, name| value.get(&**name)).cloned();
        }
        let nodes = self.path.query(value).all();
        if self.definite {
            nodes.first().map(|node| (*node).clone())
        } else if nodes.is_empty() {
            None
        } else {
            Some(Value::Array(nodes.into_iter().cloned().collect()))
        }
    }
}

/// Rewrites the service's lenient forms into RFC 9535 syntax.
fn normalize(text: &str) -> String {
    let text = if text.starts_with('$') {
        text.to_string()
    } else if text.starts_with('.') || text.starts_with('[') {
        format!("${text}")
    } else {
        format!("$.{text}")
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(open) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' if depth > 0 => {
                quote = Some(c);
                out.push(c);
            }
            '[' => {
                depth += 1;
                out.push(c);
            }
            ']' => {
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            '.' if depth == 0 => {
                if chars.peek() == Some(&'.') {
                    chars.next();
                    out.push_str("..");
                    continue;
                }
                // `$.Items.[0]`: Jayway-style paths put a dot before brackets.
                if chars.peek() == Some(&'[') {
                    continue;
                }
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    if next == '.' || next == '[' {
                        break;
                    }
                    name.push(next);
                    chars.next();
                }
                let shorthand = name == "*"
                    || name.chars().next().is_some_and(|first| !first.is_ascii_digit())
                        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                if shorthand || name.is_empty() {
                    out.push('.');
                    out.push_str(&name);
                } else {
                    out.push_str("['");
                    out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
                    out.push_str("']");
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The names of a normalised path made only of `.name` segments whose names are ASCII letters,
/// digits and `_`, not starting with a digit; `None` for any other path.
fn member_names(path: &str) -> Option<Arc<[Box<str>]>> {
    let rest = path.strip_prefix("$.")?;
    rest.split('.')
        .map(|name| {
            let simple = name.bytes().next().is_some_and(|first| !first.is_ascii_digit())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            simple.then(|| Box::from(name))
        })
        .collect()
}

/// Whether a normalised path has only name and index segments.
fn is_definite(path: &str) -> bool {
    if path.contains("..") {
        return false;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if let Some(open) = quote {
            if c == '\\' {
                chars.next();
            } else if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' if depth > 0 => quote = Some(c),
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '*' => return false,
            '?' | ':' | ',' if depth > 0 => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn select(selector: &str, value: &Value) -> Option<Value> {
        Selector::compile(selector).unwrap().select(value)
    }

    #[test]
    fn paths_of_names_alone_select_as_the_general_query_does() {
        let value = json!({"a": {"b": {"c": 1}, "list": [1, 2], "x-y": 3}, "n": null});
        for text in ["$.a.b.c", "a.b", "$.a.list", "$.n", "$.a.missing", "$.a.b.c.d", "$.a.list.b"]
        {
            let selector = Selector::compile(text).unwrap();
            assert!(selector.members.is_some(), "{text}");
            let general = Selector { members: None, ..selector.clone() };
            assert_eq!(selector.select(&value), general.select(&value), "{text}");
        }
        for text in ["$.a['b']", "$.a.x-y", "$.a.list[0]", "$..c", "$.a.*", "$", "$.a.1"] {
            assert!(Selector::compile(text).unwrap().members.is_none(), "{text}");
        }
    }

    #[test]
    fn definite_paths_yield_the_value() {
        let value =
            json!({"Reservations": [{"Instances": [{"State": {"Name": "running", "Code": 16}}]}]});
        assert_eq!(
            select("$.Reservations[0].Instances[0].State.Name", &value),
            Some(json!("running"))
        );
        assert_eq!(select("$.Reservations[0].Instances[0].State.Code", &value), Some(json!(16)));
        assert_eq!(select("$.Reservations[1]", &value), None);
    }

    #[test]
    fn scans_and_filters_yield_lists() {
        let value = json!({"Reservations": [
            {"Instances": [{"ImageId": "ami-1", "State": {"Name": "stopped"}}]},
            {"Instances": [{"ImageId": "ami-2", "State": {"Name": "running"}}]}]});
        assert_eq!(
            select("$.Reservations..Instances[?(@.State.Name != 'running')].ImageId", &value),
            Some(json!(["ami-1"]))
        );
        assert_eq!(select("$..ImageId", &value), Some(json!(["ami-1", "ami-2"])));
        assert_eq!(select("$..Missing", &value), None);
    }

    #[test]
    fn lenient_forms_are_accepted() {
        let value = json!({"Role": {"Arn": "arn:x"}, "Payload": {"my-key": 1}});
        assert_eq!(select("Role.Arn", &value), Some(json!("arn:x")));
        assert_eq!(select(".Role.Arn", &value), Some(json!("arn:x")));
        assert_eq!(select("$.Payload.my-key", &value), Some(json!(1)));
        let list = json!({"Items": [{"Id": 7}]});
        assert_eq!(select("$.Items.[0].Id", &list), Some(json!(7)));
    }

    #[test]
    fn a_selector_compiled_again_is_the_same() {
        let value = json!({"A": {"b-c": [1, 2]}});
        let first = Selector::compile("A.b-c[1]").unwrap();
        let again = Selector::compile("A.b-c[1]").unwrap();
        assert_eq!(again.as_str(), "A.b-c[1]");
        assert_eq!(again.is_definite(), first.is_definite());
        assert_eq!(again.select(&value), Some(json!(2)));
        for index in 0..=REMEMBERED {
            Selector::compile(&format!("$.Items[{index}]")).unwrap();
        }
        assert_eq!(Selector::compile("A.b-c[1]").unwrap().select(&value), Some(json!(2)));
    }

    #[test]
    fn broken_selectors_are_errors() {
        assert!(Selector::compile("$.Images[").is_err());
        assert!(Selector::compile("$.Images[?(@.a == )]").is_err());
    }

    #[test]
    fn quotes_inside_filters_are_left_alone() {
        let value = json!({"Tags": [{"Key": "a.b", "Value": "x"}]});
        assert_eq!(select("$.Tags[?(@.Key == 'a.b')].Value", &value), Some(json!(["x"])));
    }
}
