//! The secret values a run has seen (RULINGS 26): what a `SecureString` decrypted for it. The run
//! learns them from its own AWS calls, as they are answered, and passes them on to its steps
//! unchanged; whoever prints or writes the run (progress, the record, test reports) masks them
//! with [`Secrets::mask_text`] or [`Secrets::mask_value`] unless asked to show them.

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

/// The set of secret values of a run and the runs it starts. Clones share the set, so a caller
/// that keeps a clone of the one in [`RunContext`](super::RunContext) sees what the run learns.
#[derive(Clone, Default)]
pub struct Secrets(Arc<RwLock<BTreeSet<String>>>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.read().len())
    }
}

impl Secrets {
    /// What a secret is shown as.
    pub const MASK: &'static str = "********";

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeSet<String>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a secret value; the empty text is none.
    pub fn insert(&self, value: &str) {
        if !value.is_empty() && !self.read().contains(value) {
            self.0.write().unwrap_or_else(PoisonError::into_inner).insert(value.to_string());
        }
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// How many secret values are known.
    pub fn len(&self) -> usize {
        self.read().len()
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
    pub fn mask_text(&self, text: &str) -> String {
        let secrets = self.read();
        if secrets.is_empty() {
            return text.to_string();
        }
        let mut forms: Vec<String> = Vec::with_capacity(secrets.len());
        for secret in secrets.iter() {
            let quoted = serde_json::to_string(secret).unwrap_or_default();
            if let Some(escaped) = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'))
                && escaped != secret
            {
                forms.push(escaped.to_string());
            }
            forms.push(secret.clone());
        }
        // The longest first, so that a secret that contains another is masked whole.
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        let mut masked = text.to_string();
        for form in &forms {
            if masked.contains(form.as_str()) {
                masked = masked.replace(form.as_str(), Self::MASK);
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
                let masked = self.mask_text(text);
                if masked != *text {
                    *text = masked;
                }
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
}
