//! The secret values a run has seen (RULINGS 26): what a `SecureString` decrypted for it. The run
//! learns them from its own AWS calls, as they are answered, and from `{{ ssm-secure:... }}`
//! defaults, and passes them on to its steps unchanged; whoever prints or writes the run
//! (progress, the record, test reports) masks them with [`Secrets::mask_text`] or
//! [`Secrets::mask_value`] unless asked to show them.
//!
//! A secret is found by its text, so it stays masked wherever it flows: into a child run's
//! parameters, a later step's inputs, outputs that select it. A value made from a secret by a
//! parameter's type (a `StringList` split at its commas, an `Integer`) no longer contains its
//! text; its parts are learned as derived secrets ([`Secrets::learn_derived`]), which are masked
//! where they stand whole (a JSON string or number equal to one), as a short part such as `a`
//! could not be masked inside other text.

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

/// The set of secret values of a run and the runs it starts. Clones share the set, so a caller
/// that keeps a clone of the one in [`RunContext`](super::RunContext) sees what the run learns.
#[derive(Clone, Default)]
pub struct Secrets(Arc<RwLock<Known>>);

/// The values themselves, and the parts of values derived from them.
#[derive(Default)]
struct Known {
    whole: BTreeSet<String>,
    parts: BTreeSet<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.len())
    }
}

impl Secrets {
    /// What a secret is shown as.
    pub const MASK: &'static str = "********";

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a secret value; the empty text is none.
    pub fn insert(&self, value: &str) {
        if !value.is_empty() && !self.read().whole.contains(value) {
            self.0.write().unwrap_or_else(PoisonError::into_inner).whole.insert(value.to_string());
        }
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        let known = self.read();
        known.whole.is_empty() && known.parts.is_empty()
    }

    /// How many secret values (and parts derived from them) are known.
    pub fn len(&self) -> usize {
        let known = self.read();
        known.whole.len() + known.parts.len()
    }

    /// Whether `value` carries a known secret: its text, or a string or number in it that is
    /// one or a part of one.
    pub fn carries(&self, value: &Value) -> bool {
        let known = self.read();
        if known.whole.is_empty() && known.parts.is_empty() {
            return false;
        }
        carries(&known, value)
    }

    /// Learns what a secret became: when `source` carries a secret, every string and number in
    /// `derived` (the value a type made of it) is a part of a secret from now on. A run calls it
    /// where a value is converted, so that the taint follows the value (RULINGS 26).
    pub fn learn_derived(&self, source: &Value, derived: &Value) {
        if source == derived || !self.carries(source) {
            return;
        }
        let mut parts = Vec::new();
        scalar_texts(derived, &mut parts);
        let known = self.read();
        let new: Vec<String> = parts
            .into_iter()
            .filter(|part| {
                !part.is_empty() && !known.whole.contains(part) && !known.parts.contains(part)
            })
            .collect();
        drop(known);
        if !new.is_empty() {
            self.0.write().unwrap_or_else(PoisonError::into_inner).parts.extend(new);
        }
    }

    /// Learns the secrets in the answer to an AWS call: the values of the `SecureString`
    /// parameters that `ssm.GetParameter`, `GetParameters`, `GetParametersByPath` or
    /// `GetParameterHistory` decrypted (`WithDecryption: true`).
    pub fn learn_from_call(&self, service: &str, api: &str, params: &Value, answer: &Value) {
        if !service.eq_ignore_ascii_case("ssm") || !decrypted(params) {
            return;
        }
        let parameters: Vec<&Value> = match api {
            "GetParameter" => answer.get("Parameter").into_iter().collect(),
            "GetParameters" | "GetParametersByPath" | "GetParameterHistory" => answer
                .get("Parameters")
                .and_then(Value::as_array)
                .map(|list| list.iter().collect())
                .unwrap_or_default(),
            _ => return,
        };
        for parameter in parameters {
            if parameter.get("Type").and_then(Value::as_str) == Some("SecureString")
                && let Some(value) = parameter.get("Value").and_then(Value::as_str)
            {
                self.insert(value);
            }
        }
    }

    /// `text` with every known secret replaced by [`Secrets::MASK`]; a secret is also found
    /// in its JSON-escaped form, as a JSON text quoting it carries it.
    /// A derived part is masked where it stands whole as a JSON string (`"part"`).
    pub fn mask_text(&self, text: &str) -> String {
        let known = self.read();
        if known.whole.is_empty() && known.parts.is_empty() {
            return text.to_string();
        }
        let quoted_mask = format!("\"{}\"", Self::MASK);
        // Each form with what replaces it: a part is replaced quotes and all.
        let mut forms: Vec<(String, &str)> =
            Vec::with_capacity(known.whole.len() * 2 + known.parts.len());
        for part in &known.parts {
            forms.push((serde_json::to_string(part).unwrap_or_default(), quoted_mask.as_str()));
        }
        for secret in &known.whole {
            let quoted = serde_json::to_string(secret).unwrap_or_default();
            if let Some(escaped) = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'))
                && escaped != secret
            {
                forms.push((escaped.to_string(), Self::MASK));
            }
            forms.push((secret.clone(), Self::MASK));
        }
        // The longest first, so that a secret that contains another is masked whole.
        forms.sort_by_key(|(form, _)| std::cmp::Reverse(form.len()));
        let mut masked = text.to_string();
        for (form, mask) in &forms {
            if masked.contains(form.as_str()) {
                masked = masked.replace(form.as_str(), mask);
            }
        }
        masked
    }

    /// Masks every known secret in the text of `value`, its map keys included.
    pub fn mask_value(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        self.mask_in(value);
    }

    fn mask_in(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if self.is_part(text) {
                    *text = Self::MASK.to_string();
                    return;
                }
                let masked = self.mask_text(text);
                if masked != *text {
                    *text = masked;
                }
            }
            Value::Number(number) if self.is_part(&number.to_string()) => {
                *value = Value::String(Self::MASK.to_string());
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.mask_in(item)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    self.mask_in(&mut item);
                    map.insert(self.mask_text(&key), item);
                }
            }
            _ => {}
        }
    }
}

impl Secrets {
    /// Whether `text` is, whole, a secret or a part of one.
    fn is_part(&self, text: &str) -> bool {
        let known = self.read();
        known.whole.contains(text) || known.parts.contains(text)
    }
}

fn carries(known: &Known, value: &Value) -> bool {
    match value {
        Value::String(text) => {
            known.parts.contains(text) || known.whole.iter().any(|secret| text.contains(secret))
        }
        Value::Number(number) => {
            let text = number.to_string();
            known.whole.contains(&text) || known.parts.contains(&text)
        }
        Value::Array(items) => items.iter().any(|item| carries(known, item)),
        Value::Object(map) => map.values().any(|item| carries(known, item)),
        Value::Bool(_) | Value::Null => false,
    }
}

/// The texts of the strings and numbers in `value`.
fn scalar_texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Number(number) => out.push(number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| scalar_texts(item, out)),
        Value::Object(map) => map.values().for_each(|item| scalar_texts(item, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Whether a Parameter Store read asked for decrypted values.
fn decrypted(params: &Value) -> bool {
    match params.get("WithDecryption") {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_decrypted_secure_string_is_learned_and_masked() {
        let secrets = Secrets::default();
        secrets.learn_from_call(
            "ssm",
            "GetParameter",
            &json!({"Name": "/db/password", "WithDecryption": true}),
            &json!({"Parameter": {"Name": "/db/password", "Type": "SecureString", "Value": "hunter2"}}),
        );
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets.mask_text("pw=hunter2;"), "pw=********;");
        let mut value = json!({"Value": "hunter2", "list": ["x hunter2 y", 3], "hunter2": true});
        secrets.mask_value(&mut value);
        assert_eq!(
            value,
            json!({"Value": "********", "list": ["x ******** y", 3], "********": true})
        );
    }

    #[test]
    fn only_decrypted_secure_strings_are_secrets() {
        let secrets = Secrets::default();
        let answer = json!({"Parameters": [
            {"Type": "String", "Value": "plain"},
            {"Type": "SecureString", "Value": "s3cret"},
        ]});
        secrets.learn_from_call("ssm", "GetParameters", &json!({"Names": ["a"]}), &answer);
        assert!(secrets.is_empty(), "without WithDecryption the value is ciphertext");
        secrets.learn_from_call("ec2", "GetParameters", &json!({"WithDecryption": true}), &answer);
        assert!(secrets.is_empty());
        secrets.learn_from_call("ssm", "GetParameters", &json!({"WithDecryption": true}), &answer);
        assert_eq!(secrets.mask_text("plain s3cret"), "plain ********");
    }

    #[test]
    fn a_secret_is_masked_in_its_json_escaped_form_and_the_longest_first() {
        let secrets = Secrets::default();
        secrets.insert("a\"b");
        secrets.insert("pass");
        secrets.insert("password");
        secrets.insert("");
        assert_eq!(secrets.len(), 3);
        assert_eq!(
            secrets.mask_text(r#"{"v":"a\"b","w":"password"}"#),
            r#"{"v":"********","w":"********"}"#
        );
        assert_eq!(format!("{secrets:?}"), "Secrets(3 values)");
    }

    #[test]
    fn what_a_type_made_of_a_secret_is_masked_where_it_stands_whole() {
        let secrets = Secrets::default();
        secrets.insert("alpha,beta");
        secrets.insert("4711");
        secrets.learn_derived(&json!("alpha,beta"), &json!(["alpha", "beta"]));
        secrets.learn_derived(&json!("not secret"), &json!(["not", "secret"]));
        assert!(secrets.carries(&json!({"k": ["x", "beta"]})));
        assert!(!secrets.carries(&json!(["not", "secret", true])));
        let mut value = json!({"list": ["alpha", "beta", "alphabet"], "pin": 4711, "n": 4712});
        secrets.mask_value(&mut value);
        assert_eq!(
            value,
            json!({"list": ["********", "********", "alphabet"], "pin": "********", "n": 4712})
        );
        assert_eq!(
            secrets.mask_text(r#"{"P":["alpha","beta"],"Q":"alphabet"}"#),
            r#"{"P":["********","********"],"Q":"alphabet"}"#
        );
        assert_eq!(secrets.len(), 4);
    }
}
