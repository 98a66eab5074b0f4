//! One service's API model as botocore publishes it (`service-2.json`): metadata, operations
//! and shapes, decoded into plain data.
//!
//! Only what the analyses and the client use is kept; documentation strings, constraints
//! (`min`, `max`, `pattern`) and endpoint rules are skipped while parsing, which keeps the
//! largest model (ec2) fast to load.

use indexmap::IndexMap;
use serde::Deserialize;

use super::table::Table;

/// A service's API model.
#[derive(Clone, Debug)]
pub struct ServiceModel {
    name: String,
    metadata: Metadata,
    operations: Table<OperationDef>,
    shapes: Table<Shape>,
}

/// The wire protocol of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// EC2's variant of the query protocol.
    Ec2,
    /// Form-encoded requests, XML responses (IAM, STS, RDS...).
    Query,
    /// JSON requests and responses with `X-Amz-Target` (SSM, `DynamoDB`...).
    Json,
    /// REST with JSON bodies (Lambda, EKS...).
    RestJson,
    /// REST with XML bodies (S3, Route 53...).
    RestXml,
    /// Smithy RPC v2: CBOR requests and responses (`CloudWatch`, `CodeBuild`...).
    RpcV2Cbor,
}

impl Protocol {
    /// The protocol's name in the models (`rest-json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ec2 => "ec2",
            Self::Query => "query",
            Self::Json => "json",
            Self::RestJson => "rest-json",
            Self::RestXml => "rest-xml",
            Self::RpcV2Cbor => "smithy-rpc-v2-cbor",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ec2" => Self::Ec2,
            "query" => Self::Query,
            "json" => Self::Json,
            "rest-json" => Self::RestJson,
            "rest-xml" => Self::RestXml,
            "smithy-rpc-v2-cbor" => Self::RpcV2Cbor,
            _ => return None,
        })
    }
}

/// A service's metadata.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Metadata {
    /// The API version (`2016-11-15`).
    #[serde(default)]
    pub api_version: String,
    /// The first label of the service's host name (`ec2`, `monitoring`).
    #[serde(default)]
    pub endpoint_prefix: String,
    /// The protocol the model names first (may be one this crate does not speak); see
    /// [`Metadata::supported_protocol`].
    #[serde(default)]
    pub protocol: String,
    /// Every protocol the service accepts, in the service's order of preference.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// The name used in signatures, when it differs from the endpoint prefix.
    pub signing_name: Option<String>,
    /// The JSON protocol version (`1.1`).
    pub json_version: Option<String>,
    /// The `X-Amz-Target` prefix of the JSON protocol (`AmazonSSM`).
    pub target_prefix: Option<String>,
    /// The host name of a global (partition-wide) service (`iam.amazonaws.com`).
    pub global_endpoint: Option<String>,
    /// The XML namespace of query responses and rest-xml bodies.
    pub xml_namespace: Option<String>,
    /// The service id (`EC2`).
    #[serde(default)]
    pub service_id: String,
    /// The signature version (`v4`, `s3`, `s3v4`).
    #[serde(default)]
    pub signature_version: String,
    /// Whether a JSON service keeps the error codes of its former query protocol
    /// (`x-amzn-query-error`).
    #[serde(default, deserialize_with = "present")]
    pub aws_query_compatible: bool,
}

impl Metadata {
    /// The name to sign requests with: `signingName`, else the endpoint prefix.
    pub fn signing_name(&self) -> &str {
        self.signing_name.as_deref().unwrap_or(&self.endpoint_prefix)
    }

    /// The first protocol of the service's list that this crate speaks.
    pub fn supported_protocol(&self) -> Option<Protocol> {
        self.protocols
            .iter()
            .chain(std::iter::once(&self.protocol))
            .find_map(|name| Protocol::from_name(name))
    }
}

/// An operation's definition.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OperationDef {
    /// The operation's name (`DescribeInstances`).
    pub name: String,
    /// How the operation maps onto HTTP.
    #[serde(default)]
    pub http: Http,
    /// The input shape, if the operation takes parameters.
    pub input: Option<Member>,
    /// The output shape, if the operation returns anything.
    pub output: Option<Member>,
    /// The errors the operation declares.
    #[serde(default)]
    pub errors: Vec<Member>,
    /// Whether the operation is deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// The host prefix to put before the endpoint (`{AccountId}.`).
    #[serde(default)]
    pub endpoint: Option<EndpointTrait>,
    /// Whether the request needs a checksum header (`Content-MD5` or a flexible checksum).
    #[serde(default)]
    pub http_checksum_required: bool,
    /// Flexible checksum settings (S3).
    #[serde(default)]
    pub http_checksum: Option<HttpChecksum>,
}

/// An operation's host prefix.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EndpointTrait {
    /// The prefix, with `{Member}` labels (`{AccountId}.`).
    #[serde(default)]
    pub host_prefix: String,
}

/// An operation's flexible checksum settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct HttpChecksum {
    /// Whether a checksum must be sent.
    #[serde(default)]
    pub request_checksum_required: bool,
}

/// How an operation maps onto HTTP.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Http {
    /// The method (`POST`).
    pub method: String,
    /// The path and query template (`/2015-03-31/functions/{FunctionName}?tagging`).
    pub request_uri: String,
    /// The status of a successful response.
    pub response_code: Option<u16>,
}

impl Default for Http {
    fn default() -> Self {
        Self { method: "POST".to_string(), request_uri: "/".to_string(), response_code: None }
    }
}

/// A reference to a shape with the traits of the place that holds it (a structure member, a
/// list item, a map key or value, an operation's input or output).
#[allow(clippy::struct_excessive_bools, reason = "the flags mirror the model's own boolean traits")]
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Member {
    /// The shape's name.
    pub shape: String,
    /// Where a REST protocol binds the member.
    pub location: Option<Location>,
    /// The wire name (XML element, header, URI label, query key).
    pub location_name: Option<String>,
    /// The EC2 protocol's query key.
    pub query_name: Option<String>,
    /// Whether a list or map is flattened into its parent (XML and query).
    #[serde(default)]
    pub flattened: bool,
    /// The XML namespace to declare on the member's element.
    pub xml_namespace: Option<XmlNamespace>,
    /// Whether the member is an XML attribute.
    #[serde(default)]
    pub xml_attribute: bool,
    /// Whether an absent value is filled with a fresh token.
    #[serde(default)]
    pub idempotency_token: bool,
    /// Whether a string carries JSON text (base64 in headers).
    #[serde(default, rename = "jsonvalue")]
    pub json_value: bool,
    /// The timestamp format of this member, overriding the shape's.
    pub timestamp_format: Option<String>,
    /// Whether the member fills a label of the host prefix.
    #[serde(default)]
    pub host_label: bool,
    /// Whether the member is deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// The query protocol's wrapper element of an operation's output (`GetRoleResult`).
    pub result_wrapper: Option<String>,
}

/// Where a REST protocol binds a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    /// A `{Label}` of the request URI.
    Uri,
    /// A key of the query string.
    Querystring,
    /// One HTTP header.
    Header,
    /// Every header with a prefix (a map).
    Headers,
    /// The response's HTTP status.
    StatusCode,
    /// A place this crate does not know.
    #[serde(other)]
    Other,
}

/// An XML namespace declaration.
#[derive(Clone, Debug, Default, Deserialize)]
#[non_exhaustive]
pub struct XmlNamespace {
    /// The namespace URI.
    #[serde(default)]
    pub uri: String,
    /// The prefix, if not the default namespace.
    pub prefix: Option<String>,
}

/// A shape: a type of the API.
#[allow(clippy::struct_excessive_bools, reason = "the flags mirror the model's own boolean traits")]
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawShape")]
#[non_exhaustive]
pub struct Shape {
    /// What the shape is.
    pub kind: ShapeKind,
    /// Whether a list or map shape is flattened.
    pub flattened: bool,
    /// The shape's own wire name (rare; members usually carry it).
    pub location_name: Option<String>,
    /// The shape's XML namespace.
    pub xml_namespace: Option<XmlNamespace>,
    /// The timestamp format of a timestamp shape.
    pub timestamp_format: Option<String>,
    /// Whether the shape is an error.
    pub exception: bool,
    /// The error code of an error shape when it differs from the shape's name.
    pub error_code: Option<String>,
    /// The HTTP status of an error shape.
    pub error_status: Option<u16>,
    /// Whether a blob or string is a stream (the whole body).
    pub streaming: bool,
    /// Whether a structure is an event stream.
    pub event_stream: bool,
}

/// What a shape is.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ShapeKind {
    /// A structure with named members.
    Structure(Structure),
    /// A list of one member shape.
    List {
        /// The item.
        member: Member,
    },
    /// A map from key to value.
    Map {
        /// The key (always a string shape).
        key: Member,
        /// The value.
        value: Member,
    },
    /// A string, possibly limited to an enumeration.
    String {
        /// The allowed values (empty for any string).
        enumeration: Vec<String>,
    },
    /// A 32-bit integer.
    Integer,
    /// A 64-bit integer.
    Long,
    /// A 32-bit float.
    Float,
    /// A 64-bit float.
    Double,
    /// A boolean.
    Boolean,
    /// A point in time.
    Timestamp,
    /// Bytes.
    Blob,
    /// A free-form JSON document.
    Document,
    /// A type this crate does not know (accepted as anything).
    Other(String),
}

impl ShapeKind {
    /// A word for the kind in messages (`a list`, `a string`).
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Structure(_) => "a structure",
            Self::List { .. } => "a list",
            Self::Map { .. } => "a map",
            Self::String { .. } => "a string",
            Self::Integer | Self::Long => "an integer",
            Self::Float | Self::Double => "a number",
            Self::Boolean => "a boolean",
            Self::Timestamp => "a timestamp",
            Self::Blob => "a blob",
            Self::Document | Self::Other(_) => "any value",
        }
    }
}

/// A structure's members.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Structure {
    /// The members, in model order.
    pub members: IndexMap<String, Member>,
    /// The names of the required members.
    pub required: Vec<String>,
    /// The member that is the whole HTTP body (REST protocols).
    pub payload: Option<String>,
    /// Whether exactly one member may be set.
    pub union: bool,
}

impl Structure {
    /// Whether `name` is a required member.
    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|required| required == name)
    }
}

/// An operation of a service, with the model it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Operation<'a> {
    model: &'a ServiceModel,
    def: &'a OperationDef,
}

impl<'a> Operation<'a> {
    /// The operation's name.
    pub fn name(&self) -> &'a str {
        &self.def.name
    }

    /// The service model the operation belongs to.
    pub fn model(&self) -> &'a ServiceModel {
        self.model
    }

    /// The operation's definition.
    pub fn def(&self) -> &'a OperationDef {
        self.def
    }

    /// The input structure, if the operation takes parameters.
    pub fn input(&self) -> Option<&'a Structure> {
        self.def.input.as_ref().and_then(|member| self.model.structure(&member.shape))
    }

    /// The output structure, if the operation returns anything.
    pub fn output(&self) -> Option<&'a Structure> {
        self.def.output.as_ref().and_then(|member| self.model.structure(&member.shape))
    }
}

impl ServiceModel {
    /// Parses a model from its JSON text; `name` is the service's folder name (`ec2`).
    pub fn from_json(name: &str, text: &[u8]) -> Result<Self, serde_json::Error> {
        let raw: RawModel = serde_json::from_slice(text)?;
        Ok(Self {
            name: name.to_string(),
            metadata: raw.metadata,
            operations: Table::decoded(raw.operations),
            shapes: Table::decoded(raw.shapes),
        })
    }

    /// A model from parts decoded elsewhere (the compact form of `cache.rs`).
    pub(crate) fn from_parts(
        name: &str,
        metadata: Metadata,
        operations: Table<OperationDef>,
        shapes: Table<Shape>,
    ) -> Self {
        Self { name: name.to_string(), metadata, operations, shapes }
    }

    /// The service's name (`ec2`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The operation `name` stands for: the one named exactly so, else the one whose name
    /// matches ignoring case and underscores, as boto3's method names (`describe_instances`)
    /// and the camel case some runbooks use (`listBuckets`) do. [`Operation::name`] gives the
    /// model's spelling.
    pub fn operation(&self, name: &str) -> Option<Operation<'_>> {
        let def = self.operations.get(name).or_else(|| {
            let wanted = squash(name);
            let mut matches = self.operations.names().filter(|known| squash(known) == wanted);
            match (matches.next(), matches.next()) {
                (Some(only), None) => self.operations.get(only),
                _ => None,
            }
        })?;
        Some(Operation { model: self, def })
    }

    /// The operation names, in model order.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.names()
    }

    /// The operation name closest to `name` (for "did you mean"), if one is close enough.
    pub fn closest_operation(&self, name: &str) -> Option<&str> {
        if let Some(operation) = self.operation(name) {
            return Some(operation.name());
        }
        runbook_engine::diagnostic::closest(name, self.operation_names())
    }

    /// Why `api` names no operation of this service, with the closest name when one is close:
    /// the words every caller that refuses an unknown operation gives.
    pub fn unknown_operation(&self, api: &str) -> String {
        let hint = self
            .closest_operation(api)
            .map(|name| format!("; did you mean `{name}`?"))
            .unwrap_or_default();
        format!("service `{}` has no operation `{api}`{hint}", self.name())
    }

    /// The shape named `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The structure shape named `name`, if it is one.
    pub fn structure(&self, name: &str) -> Option<&Structure> {
        match &self.shape(name)?.kind {
            ShapeKind::Structure(structure) => Some(structure),
            _ => None,
        }
    }

    /// The number of shapes.
    pub fn shape_count(&self) -> usize {
        self.shapes.len()
    }
}

/// A name in lower case without underscores, to compare spellings of one operation.
fn squash(name: &str) -> String {
    name.chars().filter(|c| *c != '_').map(|c| c.to_ascii_lowercase()).collect()
}

#[derive(Deserialize)]
struct RawModel {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    operations: IndexMap<String, OperationDef>,
    #[serde(default)]
    shapes: IndexMap<String, Shape>,
}

/// A shape as written in the model, before its `type` picks what it is.
#[allow(clippy::struct_excessive_bools, reason = "the flags mirror the model's own boolean traits")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    members: IndexMap<String, Member>,
    #[serde(default)]
    required: Vec<String>,
    payload: Option<String>,
    member: Option<Member>,
    key: Option<Member>,
    value: Option<Member>,
    #[serde(default, rename = "enum")]
    enumeration: Vec<String>,
    #[serde(default)]
    flattened: bool,
    location_name: Option<String>,
    xml_namespace: Option<XmlNamespace>,
    timestamp_format: Option<String>,
    #[serde(default)]
    exception: bool,
    error: Option<RawError>,
    #[serde(default)]
    union: bool,
    #[serde(default)]
    document: bool,
    #[serde(default)]
    streaming: bool,
    #[serde(default)]
    eventstream: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawError {
    code: Option<String>,
    http_status_code: Option<u16>,
}

impl TryFrom<RawShape> for Shape {
    type Error = String;

    fn try_from(raw: RawShape) -> Result<Self, String> {
        let kind = match raw.kind.as_str() {
            "structure" if raw.document => ShapeKind::Document,
            "structure" => ShapeKind::Structure(Structure {
                members: raw.members,
                required: raw.required,
                payload: raw.payload,
                union: raw.union,
            }),
            "list" => ShapeKind::List {
                member: raw.member.ok_or_else(|| "list shape without `member`".to_string())?,
            },
            "map" => ShapeKind::Map {
                key: raw.key.ok_or_else(|| "map shape without `key`".to_string())?,
                value: raw.value.ok_or_else(|| "map shape without `value`".to_string())?,
            },
            "string" => ShapeKind::String { enumeration: raw.enumeration },
            "integer" => ShapeKind::Integer,
            "long" => ShapeKind::Long,
            "float" => ShapeKind::Float,
            "double" => ShapeKind::Double,
            "boolean" => ShapeKind::Boolean,
            "timestamp" => ShapeKind::Timestamp,
            "blob" => ShapeKind::Blob,
            "document" => ShapeKind::Document,
            other => ShapeKind::Other(other.to_string()),
        };
        Ok(Self {
            kind,
            flattened: raw.flattened,
            location_name: raw.location_name,
            xml_namespace: raw.xml_namespace,
            timestamp_format: raw.timestamp_format,
            exception: raw.exception,
            error_code: raw.error.as_ref().and_then(|error| error.code.clone()),
            error_status: raw.error.as_ref().and_then(|error| error.http_status_code),
            streaming: raw.streaming,
            event_stream: raw.eventstream,
        })
    }
}

/// Reads a flag that models write as an empty object (`"awsQueryCompatible": {}`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{
      "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "demo", "protocol": "smithy-rpc-v2-cbor",
                   "protocols": ["smithy-rpc-v2-cbor", "json"], "jsonVersion": "1.1",
                   "targetPrefix": "Demo", "serviceId": "Demo", "signatureVersion": "v4",
                   "awsQueryCompatible": {}},
      "operations": {
        "GetThing": {"name": "GetThing", "http": {"method": "POST", "requestUri": "/"},
                     "input": {"shape": "GetThingRequest"}, "output": {"shape": "GetThingResult"},
                     "errors": [{"shape": "NotFound"}], "documentation": "<p>x</p>"}
      },
      "shapes": {
        "GetThingRequest": {"type": "structure", "required": ["Id"],
                            "members": {"Id": {"shape": "String", "documentation": "d"}}},
        "GetThingResult": {"type": "structure", "members": {"Tags": {"shape": "Tags"}}},
        "Tags": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
        "String": {"type": "string", "max": 10},
        "Color": {"type": "string", "enum": ["red", "blue"]},
        "NotFound": {"type": "structure", "members": {}, "exception": true,
                     "error": {"code": "Thing.NotFound", "httpStatusCode": 404}},
        "Weird": {"type": "bignum"}
      }
    }"#;

    #[test]
    fn the_first_protocol_listed_that_is_spoken_wins() {
        let metadata = |protocol: &str, protocols: &[&str]| Metadata {
            protocol: protocol.to_string(),
            protocols: protocols.iter().map(ToString::to_string).collect(),
            ..Metadata::default()
        };
        let cases = [
            (
                metadata("smithy-rpc-v2-cbor", &["smithy-rpc-v2-cbor", "json"]),
                Some(Protocol::RpcV2Cbor),
            ),
            (metadata("smithy-rpc-v3", &["smithy-rpc-v3", "json", "query"]), Some(Protocol::Json)),
            (metadata("query", &[]), Some(Protocol::Query)),
            (metadata("smithy-rpc-v3", &["smithy-rpc-v3"]), None),
        ];
        for (metadata, expected) in cases {
            assert_eq!(metadata.supported_protocol(), expected, "{:?}", metadata.protocols);
        }
        assert_eq!(Protocol::RpcV2Cbor.as_str(), "smithy-rpc-v2-cbor");
        assert_eq!(Protocol::from_name("smithy-rpc-v2-cbor"), Some(Protocol::RpcV2Cbor));
    }

    #[test]
    fn a_model_decodes_into_plain_data() {
        let model = ServiceModel::from_json("demo", MODEL.as_bytes()).unwrap();
        assert_eq!(model.name(), "demo");
        assert_eq!(model.metadata().supported_protocol(), Some(Protocol::RpcV2Cbor));
        assert!(model.metadata().aws_query_compatible);
        assert_eq!(model.metadata().signing_name(), "demo");
        let operation = model.operation("GetThing").unwrap();
        assert_eq!(operation.input().unwrap().required, ["Id"]);
        assert!(operation.output().unwrap().members.contains_key("Tags"));
        let ShapeKind::List { member } = &model.shape("Tags").unwrap().kind else {
            panic!("Tags is a list")
        };
        assert_eq!(member.location_name.as_deref(), Some("item"));
        let ShapeKind::String { enumeration } = &model.shape("Color").unwrap().kind else {
            panic!("Color is a string")
        };
        assert_eq!(enumeration, &["red", "blue"]);
        let error = model.shape("NotFound").unwrap();
        assert!(error.exception);
        assert_eq!(error.error_code.as_deref(), Some("Thing.NotFound"));
        assert_eq!(error.error_status, Some(404));
        assert!(matches!(model.shape("Weird").unwrap().kind, ShapeKind::Other(_)));
    }

    #[test]
    fn closest_operation_finds_typos_and_boto3_method_names() {
        let model = ServiceModel::from_json("demo", MODEL.as_bytes()).unwrap();
        assert_eq!(model.operation("get_thing").unwrap().name(), "GetThing");
        assert_eq!(model.operation("getThing").unwrap().name(), "GetThing");
        assert!(model.operation("GetThings").is_none());
        assert_eq!(model.closest_operation("GetThings"), Some("GetThing"));
        assert_eq!(model.closest_operation("get_thing"), Some("GetThing"));
        assert_eq!(model.closest_operation("DeleteEverything"), None);
    }

    #[test]
    fn a_broken_shape_is_a_parse_error() {
        let text = r#"{"metadata": {}, "operations": {}, "shapes": {"L": {"type": "list"}}}"#;
        let error = ServiceModel::from_json("demo", text.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("list shape without `member`"), "{error}");
    }
}
