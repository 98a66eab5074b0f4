//! Parameter Store, for `{{ ssm:/name }}` in parameter defaults. By default it is read through
//! the run's AWS backend (`ssm.GetParameter`), so mocks, an emulator and AWS all answer it; tests
//! can give a plain map instead.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::{ApiRequest, AwsBackend, BoxFuture};

/// Reads Parameter Store values.
pub trait ParameterStore: Send + Sync {
    /// The value of the parameter `name`: text for `String`, a list for `StringList`.
    fn get(&self, name: &str) -> BoxFuture<'_, Result<Value, String>>;
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

/// Parameter Store read through an AWS backend with `ssm.GetParameter`.
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
        Box::pin(async move {
            let response = self.aws.call(request).await.map_err(|error| {
                format!("cannot read Parameter Store parameter `{name}`: {error}")
            })?;
            let parameter = &response["Parameter"];
            let text = parameter["Value"]
                .as_str()
                .ok_or_else(|| format!("Parameter Store parameter `{name}` has no value"))?;
            Ok(if parameter["Type"] == "StringList" {
                Value::Array(text.split(',').map(|item| Value::String(item.to_string())).collect())
            } else {
                Value::String(text.to_string())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn ParameterStore) {}
}
