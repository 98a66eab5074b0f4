//! Parameter Store, for `{{ ssm:/name }}` and `{{ ssm-secure:/name }}` in parameter defaults. By default it is read through
//! the run's AWS backend (`ssm.GetParameter`), so mocks, an emulator and AWS all answer it, and
//! the read is one of the run's recorded calls; tests can give a plain map instead.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::{ApiError, ApiRequest, AwsBackend, BoxFuture, ScriptCalls};

/// Reads Parameter Store values.
pub trait ParameterStore: Send + Sync {
    /// The value of the parameter `name`: text for `String`, a list for `StringList`.
    fn get(&self, name: &str) -> BoxFuture<'_, Result<Value, String>>;

    /// The value of `name`, for a run whose AWS calls go through `calls` (which records them
    /// with the run's other calls). A store that reads AWS makes its call there; by default
    /// this is [`get`](Self::get).
    fn get_for_run<'a>(
        &'a self,
        name: &'a str,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<Value, String>> {
        let _ = calls;
        self.get(name)
    }

    /// The decrypted value of the `SecureString` parameter `name`, for
    /// `{{ ssm-secure:name }}`, read for a run as [`get_for_run`](Self::get_for_run) reads. By
    /// default the store's value as it is.
    fn get_decrypted_for_run<'a>(
        &'a self,
        name: &'a str,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<Value, String>> {
        self.get_for_run(name, calls)
    }
}

/// Parameter Store from a fixed map.
#[derive(Clone, Debug, Default)]
pub struct MapParameterStore(pub IndexMap<String, Value>);

impl ParameterStore for MapParameterStore {
    fn get(&self, name: &str) -> BoxFuture<'_, Result<Value, String>> {
        let value = self
            .0
            .get(name)
            .cloned()
            .ok_or_else(|| format!("Parameter Store has no parameter `{name}`"));
        Box::pin(async move { value })
    }
}

/// Parameter Store read through an AWS backend with `ssm.GetParameter`. In a run, the read goes
/// through the run's calls instead (to the run's backend), so that it is recorded.
pub struct AwsParameterStore<B> {
    aws: B,
}

impl<B> AwsParameterStore<B> {
    /// Reads through `aws`.
    pub fn new(aws: B) -> Self {
        Self { aws }
    }
}

impl<B: std::ops::Deref<Target = dyn AwsBackend> + Send + Sync> ParameterStore
    for AwsParameterStore<B>
{
    fn get(&self, name: &str) -> BoxFuture<'_, Result<Value, String>> {
        let request = ApiRequest::new("ssm", "GetParameter", json!({ "Name": name }));
        let name = name.to_string();
        Box::pin(async move { parameter_value(&name, self.aws.call(request).await) })
    }

    fn get_for_run<'a>(
        &'a self,
        name: &'a str,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            let answer = calls.call("ssm", "GetParameter", json!({ "Name": name })).await;
            parameter_value(name, answer)
        })
    }

    fn get_decrypted_for_run<'a>(
        &'a self,
        name: &'a str,
        calls: &'a dyn ScriptCalls,
    ) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            let params = json!({ "Name": name, "WithDecryption": true });
            parameter_value(name, calls.call("ssm", "GetParameter", params).await)
        })
    }
}

/// The value in a `GetParameter` answer: text, or a list for a `StringList`.
fn parameter_value(name: &str, answer: Result<Value, ApiError>) -> Result<Value, String> {
    let response = answer
        .map_err(|error| format!("cannot read Parameter Store parameter `{name}`: {error}"))?;
    let parameter = &response["Parameter"];
    let text = parameter["Value"]
        .as_str()
        .ok_or_else(|| format!("Parameter Store parameter `{name}` has no value"))?;
    Ok(if parameter["Type"] == "StringList" {
        Value::Array(text.split(',').map(|item| Value::String(item.to_string())).collect())
    } else {
        Value::String(text.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn ParameterStore) {}

    #[test]
    fn a_map_store_answers_its_parameters_and_names_the_missing_one() {
        let store = MapParameterStore([("/aws/ami".to_string(), json!("ami-123"))].into());
        let runtime = crate::host::virtual_runtime().unwrap();
        assert_eq!(runtime.block_on(store.get("/aws/ami")), Ok(json!("ami-123")));
        assert_eq!(
            runtime.block_on(store.get("/aws/other")),
            Err("Parameter Store has no parameter `/aws/other`".to_string())
        );
    }
}
