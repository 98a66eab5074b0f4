//! Where a service's requests go: an explicit endpoint URL (a local emulator), or the host
//! botocore's `endpoints.json` gives for the service and region, with the region and name
//! to sign with.
//!
//! The override comes from the client's options, else `AWS_ENDPOINT_URL_<SERVICE_ID>`, else
//! `AWS_ENDPOINT_URL`, as the AWS SDKs read them. With an override, operations' host prefixes
//! are not applied (an emulator answers on one host) and S3 is addressed by path.

use serde_json::Value;

use crate::model::ServiceModel;

/// The address and signing scope of one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port][/base]`, without a trailing slash.
    pub url: String,
    /// The region to sign with.
    pub signing_region: String,
    /// The service name to sign with.
    pub signing_name: String,
    /// Whether the URL was given rather than looked up.
    pub overridden: bool,
}

/// botocore's endpoint table (`endpoints.json`), or nothing when it is missing.
#[derive(Clone, Debug, Default)]
pub struct EndpointTable {
    partitions: Vec<Value>,
}

impl EndpointTable {
    /// Parses the table's JSON text.
    pub fn from_json(text: &[u8]) -> Self {
        let value: Value = serde_json::from_slice(text).unwrap_or(Value::Null);
        let partitions =
            value.get("partitions").and_then(Value::as_array).cloned().unwrap_or_default();
        Self { partitions }
    }

    /// The endpoint of `model`'s service in `region`.
    pub fn resolve(&self, model: &ServiceModel, region: &str) -> Endpoint {
        let metadata = model.metadata();
        let prefix = metadata.endpoint_prefix.as_str();
        let mut signing_name = metadata.signing_name().to_string();
        let mut signing_region = region.to_string();
        let Some(partition) = self.partition(region) else {
            let suffix =
                if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
            return Endpoint {
                url: format!("https://{prefix}.{region}.{suffix}"),
                signing_region,
                signing_name,
                overridden: false,
            };
        };
        let dns_suffix =
            partition.get("dnsSuffix").and_then(Value::as_str).unwrap_or("amazonaws.com");
        let service = partition.pointer(&format!("/services/{}", escape_pointer(prefix)));
        let regionalized = service
            .and_then(|service| service.get("isRegionalized"))
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let key = if regionalized {
            region.to_string()
        } else {
            service
                .and_then(|service| service.get("partitionEndpoint"))
                .and_then(Value::as_str)
                .unwrap_or(region)
                .to_string()
        };
        let layers = [
            partition.get("defaults"),
            service.and_then(|service| service.get("defaults")),
            service.and_then(|service| {
                service.pointer(&format!("/endpoints/{}", escape_pointer(&key)))
            }),
        ];
        let mut hostname = "{service}.{region}.{dnsSuffix}".to_string();
        for layer in layers.into_iter().flatten() {
            if let Some(template) = layer.get("hostname").and_then(Value::as_str) {
                hostname = template.to_string();
            }
            if let Some(scope) = layer.get("credentialScope") {
                if let Some(scope_region) = scope.get("region").and_then(Value::as_str) {
                    scope_region.clone_into(&mut signing_region);
                }
                if let Some(scope_service) = scope.get("service").and_then(Value::as_str) {
                    scope_service.clone_into(&mut signing_name);
                }
            }
        }
        let host = hostname
            .replace("{service}", prefix)
            .replace("{region}", region)
            .replace("{dnsSuffix}", dns_suffix);
        Endpoint { url: format!("https://{host}"), signing_region, signing_name, overridden: false }
    }

    /// The partition whose region list or pattern holds `region`.
    fn partition(&self, region: &str) -> Option<&Value> {
        self.partitions
            .iter()
            .find(|partition| {
                partition.pointer(&format!("/regions/{}", escape_pointer(region))).is_some()
            })
            .or_else(|| {
                self.partitions.iter().find(|partition| {
                    partition
                        .get("regionRegex")
                        .and_then(Value::as_str)
                        .and_then(|pattern| fancy_regex::Regex::new(pattern).ok())
                        .is_some_and(|regex| regex.is_match(region).unwrap_or(false))
                })
            })
    }
}

/// An endpoint URL given for `model`'s service: `explicit`, else the service's own variable,
/// else `AWS_ENDPOINT_URL`. `env` reads an environment variable.
pub fn override_url(
    model: &ServiceModel,
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let service_variable = format!(
        "AWS_ENDPOINT_URL_{}",
        model.metadata().service_id.to_ascii_uppercase().replace([' ', '-'], "_")
    );
    explicit
        .map(str::to_string)
        .or_else(|| env(&service_variable))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .filter(|url| !url.trim().is_empty())
        .map(|url| url.trim().trim_end_matches('/').to_string())
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"{"partitions": [
      {"partition": "aws", "dnsSuffix": "amazonaws.com", "regionRegex": "^(us|eu)\\-\\w+\\-\\d+$",
       "defaults": {"hostname": "{service}.{region}.{dnsSuffix}"},
       "regions": {"us-east-1": {}},
       "services": {
         "iam": {"isRegionalized": false, "partitionEndpoint": "aws-global",
                 "endpoints": {"aws-global": {"hostname": "iam.amazonaws.com",
                                              "credentialScope": {"region": "us-east-1"}}}},
         "ec2": {"endpoints": {"us-east-1": {}}}
       }},
      {"partition": "aws-cn", "dnsSuffix": "amazonaws.com.cn", "regionRegex": "^cn\\-\\w+\\-\\d+$",
       "defaults": {"hostname": "{service}.{region}.{dnsSuffix}"}, "regions": {}, "services": {}}
    ]}"#;

    fn model(prefix: &str, service_id: &str) -> ServiceModel {
        let text = format!(
            r#"{{"metadata": {{"endpointPrefix": "{prefix}", "serviceId": "{service_id}",
                "protocol": "query"}}, "operations": {{}}, "shapes": {{}}}}"#
        );
        ServiceModel::from_json(prefix, text.as_bytes()).unwrap()
    }

    #[test]
    fn regional_and_global_services_resolve() {
        let table = EndpointTable::from_json(TABLE.as_bytes());
        let ec2 = table.resolve(&model("ec2", "EC2"), "eu-west-3");
        assert_eq!(ec2.url, "https://ec2.eu-west-3.amazonaws.com");
        assert_eq!(ec2.signing_region, "eu-west-3");
        let iam = table.resolve(&model("iam", "IAM"), "eu-west-3");
        assert_eq!(iam.url, "https://iam.amazonaws.com");
        assert_eq!(iam.signing_region, "us-east-1");
        assert_eq!(iam.signing_name, "iam");
        let china = table.resolve(&model("ec2", "EC2"), "cn-north-1");
        assert_eq!(china.url, "https://ec2.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn without_a_table_the_usual_host_is_guessed() {
        let endpoint = EndpointTable::default().resolve(&model("ssm", "SSM"), "us-east-2");
        assert_eq!(endpoint.url, "https://ssm.us-east-2.amazonaws.com");
    }

    #[test]
    fn overrides_prefer_explicit_then_service_then_global() {
        let model = model("s3-control", "S3 Control");
        let env = |name: &str| match name {
            "AWS_ENDPOINT_URL_S3_CONTROL" => Some("http://localhost:1/".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://localhost:2".to_string()),
            _ => None,
        };
        assert_eq!(override_url(&model, Some("http://x:3"), env).as_deref(), Some("http://x:3"));
        assert_eq!(override_url(&model, None, env).as_deref(), Some("http://localhost:1"));
        let only_global =
            |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://g:4".to_string());
        assert_eq!(override_url(&model, None, only_global).as_deref(), Some("http://g:4"));
        assert_eq!(override_url(&model, None, |_| None), None);
    }
}
