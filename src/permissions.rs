//! The AWS calls a runbook can make, and the IAM policy they need (`runbook permissions`, and
//! the list of mutating calls shown before a real run).
//!
//! The calls come from every step, on every path (whether a path is taken depends on the run):
//! - `aws:executeAwsApi`, `aws:assertAwsResourceProperty`, `aws:waitForAwsResourceProperty`:
//!   the call their `Service` and `Api` name;
//! - the other actions: the calls they make on their own
//!   ([`runbook_actions::permissions::calls`]), `aws:executeAutomation`'s included;
//! - a parameter default reading `{{ ssm:NAME }}`: `ssm.GetParameter`;
//! - the child runbooks of `aws:executeAutomation` steps, found by name in the folders given
//!   (`--documents`), with their own calls, once each.
//!
//! - the Python of `aws:executeScript` steps (`Script`, or an `Attachment` `.py` file beside
//!   the runbook), read by [`script::scan`] for the boto3 client calls it makes; with the
//!   models, the methods that are operations of the client's service, flagged as found in a
//!   script ([`CallSite::in_script`]).
//!
//! What cannot be known before the run is listed apart ([`Unknown`]): a call whose `Service` or
//! `Api` is a template, what scripts call beyond what reading them finds, a child runbook not
//! found.
//!
//! An IAM action is the service's IAM prefix and the operation's name. The prefix is the
//! model's signing name, else its endpoint prefix (`stepfunctions` signs as `states`, `elbv2`
//! is `elasticloadbalancing`), with the few services whose IAM prefix is neither
//! (`cloudwatch`, whose endpoint is `monitoring`). Without models, a table of those that differ
//! stands in. A few operations are authorized under another action name (Lambda's `Invoke` is
//! `lambda:InvokeFunction`, S3's `ListObjectsV2` is `s3:ListBucket`); those the runbooks in use
//! call are mapped.
//!
//! `iam:PassRole` is a permission rather than a call: the service checks it when a call hands a
//! role to another service. An API step needs it when its operation changes something and it
//! gives a member that passes a role or an instance profile ([`passes_role`]: `RoleArn`,
//! `ServiceRole`, `IamInstanceProfile`, ... whose model shape is a string or a structure, not an
//! enumeration); IAM's and STS's own operations name roles to act on or assume, not to hand over.
//!
//! A call is *mutating* unless its operation's name starts with a read-only verb
//! ([`READ_ONLY_VERBS`]: `Describe`, `Get`, `List`, `Head`, ...).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use runbook_aws::model::lint::{API_ACTIONS, Written, api_calls};
use runbook_aws::model::{Models, ServiceModel, ShapeKind};
use runbook_engine::Document;
use runbook_engine::host::documents::{DocumentStore, FolderDocuments, document_name};
use runbook_engine::template::{Target, Template, has_references};
use serde_json::{Value, json};

pub mod script;

/// The `Sid` of the policy statement that allows what only scripts call.
pub const SCRIPT_SID: &str = "FoundInScripts";

/// The verbs an operation's name starts with when it only reads.
pub const READ_ONLY_VERBS: &[&str] = &[
    "Describe", "Get", "List", "Head", "Lookup", "Search", "Query", "Scan", "Select", "BatchGet",
    "Filter", "Simulate", "Validate", "Estimate", "Preview", "Download", "Check", "Detect",
];

/// Whether an operation changes something: its name (as the API spells it) does not start with
/// a read-only verb followed by the next word.
pub fn is_mutating(operation: &str) -> bool {
    !READ_ONLY_VERBS.iter().any(|verb| {
        operation.strip_prefix(verb).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        })
    })
}

/// Where a call is made.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallSite {
    /// The runbook (the file name for the runbook given, the document name for a child).
    pub runbook: String,
    /// The step, or `parameters.NAME.default` for a parameter default.
    pub step: String,
    /// The action, or `{{ ssm: }}` for a parameter default.
    pub action: String,
    /// Whether the call was found by reading the step's script.
    pub in_script: bool,
}

impl fmt::Display for CallSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.runbook, self.step, self.action)?;
        if self.in_script { write!(f, ", found in its script") } else { Ok(()) }
    }
}

/// A call the runbook can make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeededCall {
    /// The service, as botocore names it (`ec2`).
    pub service: String,
    /// The operation, as the API spells it (`DescribeInstances`).
    pub api: String,
    /// The IAM actions that allow it (`ec2:DescribeInstances`; two for S3's `CopyObject`).
    pub iam_actions: Vec<String>,
    /// Whether it changes something.
    pub mutating: bool,
    /// Where it is made.
    pub sites: Vec<CallSite>,
}

impl NeededCall {
    /// Whether it was found only by reading scripts.
    pub fn only_in_scripts(&self) -> bool {
        self.sites.iter().all(|site| site.in_script)
    }
}

/// Something the policy cannot cover, known only when the runbook runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// A call whose `Service` or `Api` is a template.
    Templated {
        /// Where.
        site: CallSite,
        /// `Service` as written.
        service: String,
        /// `Api` as written.
        api: String,
    },
    /// An `aws:executeScript` step: what its script calls beyond the calls reading it found.
    Script {
        /// Where.
        site: CallSite,
        /// How many calls reading the script found (they are among the calls).
        found: usize,
    },
    /// An `aws:executeAutomation` child not found.
    Child {
        /// Where.
        site: CallSite,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Templated { site, service, api } => {
                write!(f, "{site}: the call {service}.{api} is known only when the runbook runs")
            }
            Self::Script { site, found: 0 } => {
                write!(f, "{site}: what the script calls is known only when it runs")
            }
            Self::Script { site, found } => write!(
                f,
                "{site}: {found} call{} found by reading the script; what else it calls is known \
                 only when it runs",
                if *found == 1 { "" } else { "s" }
            ),
            Self::Child { site, reason } => {
                write!(f, "{site}: the child runbook's calls are not included: {reason}")
            }
        }
    }
}

/// The calls a runbook can make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// The calls, sorted by service and operation.
    pub calls: Vec<NeededCall>,
    /// What the calls leave out.
    pub unknown: Vec<Unknown>,
}

impl Permissions {
    /// Every IAM action needed, sorted, once each.
    pub fn actions(&self) -> Vec<String> {
        let actions: BTreeSet<&String> =
            self.calls.iter().flat_map(|call| &call.iam_actions).collect();
        actions.into_iter().cloned().collect()
    }

    /// The IAM policy document that allows every call, on every resource; `None` when there is
    /// nothing to grant, as IAM refuses a statement with no action. The actions only scripts
    /// need, as reading them found, are a statement of their own, `Sid` [`SCRIPT_SID`].
    pub fn policy(&self) -> Option<Value> {
        let known: BTreeSet<&String> = self
            .calls
            .iter()
            .filter(|call| !call.only_in_scripts())
            .flat_map(|call| &call.iam_actions)
            .collect();
        let scripts: BTreeSet<&String> = self
            .calls
            .iter()
            .filter(|call| call.only_in_scripts())
            .flat_map(|call| &call.iam_actions)
            .filter(|action| !known.contains(action))
            .collect();
        let mut statements = Vec::new();
        if !known.is_empty() {
            statements.push(json!({"Effect": "Allow", "Action": known, "Resource": "*"}));
        }
        if !scripts.is_empty() {
            statements.push(
                json!({"Sid": SCRIPT_SID, "Effect": "Allow", "Action": scripts, "Resource": "*"}),
            );
        }
        (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}))
    }

    /// The calls that change something.
    pub fn mutating(&self) -> impl Iterator<Item = &NeededCall> {
        self.calls.iter().filter(|call| call.mutating)
    }
}

/// The calls `document` (named `name` in the sites) can make, children found in `documents`
/// included; `models` give the canonical names and IAM prefixes.
pub fn permissions(
    document: &Document,
    name: &str,
    documents: &[PathBuf],
    models: Option<&Models>,
) -> Permissions {
    let mut collector = Collector {
        models,
        store: (!documents.is_empty()).then(|| FolderDocuments::new(documents.to_vec())),
        calls: BTreeMap::new(),
        unknown: Vec::new(),
        visited: BTreeSet::new(),
    };
    collector.document(document, name);
    Permissions { calls: collector.calls.into_values().collect(), unknown: collector.unknown }
}

struct Collector<'m> {
    models: Option<&'m Models>,
    store: Option<FolderDocuments>,
    calls: BTreeMap<(String, String), NeededCall>,
    unknown: Vec<Unknown>,
    visited: BTreeSet<String>,
}

impl Collector<'_> {
    fn document(&mut self, document: &Document, runbook: &str) {
        let site = |step: &str, action: &str| CallSite {
            runbook: runbook.to_string(),
            step: step.to_string(),
            action: action.to_string(),
            in_script: false,
        };
        for parameter in &document.parameters {
            let Some(text) = parameter.default.as_ref().and_then(|node| node.as_str()) else {
                continue;
            };
            let reads_store = Template::parse(text).references().any(|reference| {
                matches!(
                    reference.target,
                    Target::ParameterStore(_) | Target::SecureParameterStore(_)
                )
            });
            if reads_store {
                let step = format!("parameters.{}.default", parameter.name.value);
                self.add("ssm", "GetParameter", site(&step, "{{ ssm: }}"));
            }
        }
        for call in api_calls(document) {
            let step = &call.step.name.value;
            let action = &call.step.action.value;
            match (call.service, call.api) {
                (Written::Literal(service), Written::Literal(api)) => {
                    self.add(service, api, site(step, action));
                    let keys = call.params.iter().map(|entry| entry.key.as_str());
                    if self.passes_role(service, api, keys) {
                        self.add("iam", "PassRole", site(step, action));
                    }
                }
                (Written::Missing, _) | (_, Written::Missing) => {}
                (service, api) => self.unknown.push(Unknown::Templated {
                    site: site(step, action),
                    service: written(service),
                    api: written(api),
                }),
            }
        }
        for step in document.all_steps() {
            let action = step.action.value.as_str();
            if API_ACTIONS.contains(&action) {
                continue;
            }
            for call in runbook_actions::permissions::calls(action) {
                if call.when.holds(step.inputs.as_ref()) {
                    self.add(call.service, call.api, site(&step.name.value, action));
                }
            }
            match action {
                "aws:executeScript" => {
                    let site = site(&step.name.value, action);
                    let found = self.script(document, step, &site);
                    self.unknown.push(Unknown::Script { site, found });
                }
                "aws:executeAutomation" => {
                    self.child(step.input("DocumentName"), site(&step.name.value, action));
                }
                _ => {}
            }
        }
    }

    /// Adds the calls read in `step`'s Python script that are operations of their service (so
    /// only with models); how many.
    fn script(
        &mut self,
        document: &Document,
        step: &runbook_engine::document::Step,
        site: &CallSite,
    ) -> usize {
        let Some(models) = self.models else { return 0 };
        let runtime = step.input("Runtime").and_then(|node| node.as_str()).unwrap_or_default();
        if !runtime.starts_with("python") {
            return 0;
        }
        let text = match step.input("Script").and_then(|node| node.as_str()) {
            Some(script) => script.to_string(),
            None => {
                let Some(name) = step.input("Attachment").and_then(|node| node.as_str()) else {
                    return 0;
                };
                // Only a plain file name, as the action finds attachments (RB035).
                let python = std::path::Path::new(name)
                    .extension()
                    .is_some_and(|extension| extension.eq_ignore_ascii_case("py"));
                if !python || name.contains(['/', '\\']) {
                    return 0;
                }
                let folder = document.source.path.parent().unwrap_or(std::path::Path::new(""));
                let Ok(text) = std::fs::read_to_string(folder.join(name)) else { return 0 };
                text
            }
        };
        let mut found = 0;
        for call in script::scan(&text) {
            let Ok(model) = models.service(&call.service) else { continue };
            let Some(operation) = model.operation(&call.method) else { continue };
            let api = operation.name().to_string();
            drop(model);
            self.add(&call.service, &api, CallSite { in_script: true, ..site.clone() });
            found += 1;
        }
        found
    }

    fn child(&mut self, name: Option<&runbook_engine::syntax::Node>, site: CallSite) {
        let Some(name) = name.and_then(|node| node.as_str()) else { return };
        if has_references(name) {
            let reason = format!("its name `{name}` is known only when the runbook runs");
            self.unknown.push(Unknown::Child { site, reason });
            return;
        }
        let name = document_name(name).to_string();
        if self.visited.contains(&name) {
            return;
        }
        let Some(store) = &self.store else {
            let reason = format!("give the folder that holds `{name}` with --documents");
            self.unknown.push(Unknown::Child { site, reason });
            return;
        };
        match store.load(&name) {
            Ok(child) => {
                self.visited.insert(name.clone());
                self.document(&child, &name);
            }
            Err(reason) => self.unknown.push(Unknown::Child { site, reason }),
        }
    }

    /// Whether the call `service.api`, given the parameters `keys`, hands a role to the service.
    fn passes_role<'k>(
        &self,
        service: &str,
        api: &str,
        mut keys: impl Iterator<Item = &'k str>,
    ) -> bool {
        let service = service.to_ascii_lowercase();
        if !is_mutating(&pascal_case(api)) || NOT_PASSING_ROLES.contains(&service.as_str()) {
            return false;
        }
        let model = self.models.and_then(|models| models.service(&service).ok());
        let input = model.as_deref().and_then(|model| {
            let operation = model.operation(api).or_else(|| model.operation(&pascal_case(api)))?;
            Some((model, operation.input()?))
        });
        keys.any(|key| {
            if !passes_role(key) {
                return false;
            }
            // With the model, the member's shape must be able to name a role: a string that is
            // not an enumeration (QuickSight's `UserRole` is `ADMIN` or `READER`), or a structure
            // (EC2's `IamInstanceProfile` holds an `Arn` or a `Name`).
            let Some((model, input)) = input else { return true };
            let Some(member) = input.members.get(key) else { return false };
            match model.shape(&member.shape).map(|shape| &shape.kind) {
                Some(ShapeKind::String { enumeration }) => enumeration.is_empty(),
                Some(ShapeKind::Structure(_)) => true,
                _ => false,
            }
        })
    }

    fn add(&mut self, service: &str, api: &str, site: CallSite) {
        let model = self.models.and_then(|models| models.service(service).ok());
        let (service, api) = match &model {
            Some(model) => {
                let api =
                    model.operation(api).map_or_else(|| pascal_case(api), |op| op.name().into());
                (model.name().to_string(), api)
            }
            None => (service.to_ascii_lowercase(), pascal_case(api)),
        };
        let key = (service.clone(), api.clone());
        let entry = self.calls.entry(key).or_insert_with(|| NeededCall {
            iam_actions: iam_actions(&service, &api, model.as_deref()),
            mutating: is_mutating(&api),
            service,
            api,
            sites: Vec::new(),
        });
        if !entry.sites.contains(&site) {
            entry.sites.push(site);
        }
    }
}

/// Services whose members name roles to act on (`iam.AttachRolePolicy`) or to assume
/// (`sts.AssumeRole`), not roles handed to the service.
const NOT_PASSING_ROLES: &[&str] = &["iam", "sts"];

/// Whether a member's name says it passes a role or an instance profile: it ends in `Role`,
/// `RoleArn`, `InstanceProfile`, `InstanceProfileArn` or `InstanceProfileName`, in any case
/// (`RoleARN`, ECS's `taskRoleArn`).
pub fn passes_role(member: &str) -> bool {
    let member = member.to_ascii_lowercase();
    ["role", "rolearn", "instanceprofile", "instanceprofilearn", "instanceprofilename"]
        .iter()
        .any(|ending| member.ends_with(ending))
}

fn written(name: Written<'_>) -> String {
    match name {
        Written::Literal(text) | Written::Templated(text) => text.to_string(),
        Written::Missing => String::new(),
    }
}

/// `describe_instances` and `describeInstances` as the API spells them, `DescribeInstances`.
fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// IAM prefixes that are neither a model's signing name nor its endpoint prefix, by those.
const PREFIX_BY_ENDPOINT: &[(&str, &str)] =
    &[("monitoring", "cloudwatch"), ("iotdata", "iot"), ("tagging", "tag")];

/// IAM prefixes of services whose name is not their prefix, for when there are no models.
const PREFIX_BY_SERVICE: &[(&str, &str)] = &[
    ("stepfunctions", "states"),
    ("elbv2", "elasticloadbalancing"),
    ("elb", "elasticloadbalancing"),
    ("sesv2", "ses"),
    ("efs", "elasticfilesystem"),
    ("emr", "elasticmapreduce"),
    ("s3control", "s3"),
    ("resourcegroupstaggingapi", "tag"),
    ("iot-data", "iot"),
    ("opensearch", "es"),
    ("sso-admin", "sso"),
    ("docdb", "rds"),
    ("neptune", "rds"),
];

/// Operations authorized under other action names: `(service, operation, IAM action names)`.
const RENAMED: &[(&str, &str, &[&str])] = &[
    ("lambda", "Invoke", &["InvokeFunction"]),
    ("lambda", "InvokeWithResponseStream", &["InvokeFunction"]),
    ("s3", "ListObjects", &["ListBucket"]),
    ("s3", "ListObjectsV2", &["ListBucket"]),
    ("s3", "HeadBucket", &["ListBucket"]),
    ("s3", "ListBuckets", &["ListAllMyBuckets"]),
    ("s3", "ListObjectVersions", &["ListBucketVersions"]),
    ("s3", "HeadObject", &["GetObject"]),
    ("s3", "CopyObject", &["GetObject", "PutObject"]),
    ("s3", "DeleteObjects", &["DeleteObject"]),
    ("s3", "CreateMultipartUpload", &["PutObject"]),
    ("s3", "UploadPart", &["PutObject"]),
    ("s3", "CompleteMultipartUpload", &["PutObject"]),
    ("s3", "GetBucketEncryption", &["GetEncryptionConfiguration"]),
    ("s3", "PutBucketEncryption", &["PutEncryptionConfiguration"]),
    ("s3", "DeleteBucketEncryption", &["PutEncryptionConfiguration"]),
    ("s3", "GetBucketLifecycleConfiguration", &["GetLifecycleConfiguration"]),
    ("s3", "PutBucketLifecycleConfiguration", &["PutLifecycleConfiguration"]),
    ("s3", "DeleteBucketLifecycle", &["PutLifecycleConfiguration"]),
    ("s3", "GetBucketNotificationConfiguration", &["GetBucketNotification"]),
    ("s3", "PutBucketNotificationConfiguration", &["PutBucketNotification"]),
    ("s3", "GetPublicAccessBlock", &["GetBucketPublicAccessBlock"]),
    ("s3", "PutPublicAccessBlock", &["PutBucketPublicAccessBlock"]),
    ("s3", "DeletePublicAccessBlock", &["PutBucketPublicAccessBlock"]),
    ("s3", "GetBucketReplication", &["GetReplicationConfiguration"]),
    ("s3", "PutBucketReplication", &["PutReplicationConfiguration"]),
    ("s3", "DeleteBucketReplication", &["PutReplicationConfiguration"]),
    ("s3", "DeleteBucketTagging", &["PutBucketTagging"]),
    ("s3control", "GetPublicAccessBlock", &["GetAccountPublicAccessBlock"]),
    ("s3control", "PutPublicAccessBlock", &["PutAccountPublicAccessBlock"]),
    ("s3control", "DeletePublicAccessBlock", &["PutAccountPublicAccessBlock"]),
];

/// The IAM actions that allow `service.api`.
fn iam_actions(service: &str, api: &str, model: Option<&ServiceModel>) -> Vec<String> {
    let prefix = match model {
        Some(model) => {
            let metadata = model.metadata();
            let name = metadata.signing_name.as_deref().unwrap_or(&metadata.endpoint_prefix);
            let name = if name.is_empty() { service } else { name };
            PREFIX_BY_ENDPOINT
                .iter()
                .find(|(endpoint, _)| *endpoint == name)
                .map_or(name, |(_, prefix)| prefix)
                .to_string()
        }
        None => PREFIX_BY_SERVICE
            .iter()
            .find(|(name, _)| *name == service)
            .map_or(service, |(_, prefix)| prefix)
            .to_string(),
    };
    let names: Vec<&str> = RENAMED
        .iter()
        .find(|(renamed_service, operation, _)| *renamed_service == service && *operation == api)
        .map_or_else(|| vec![api], |(_, _, names)| names.to_vec());
    names.into_iter().map(|name| format!("{prefix}:{name}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_verbs_start_a_word() {
        assert!(!is_mutating("DescribeInstances"));
        assert!(!is_mutating("GetParameter"));
        assert!(!is_mutating("ListBuckets"));
        assert!(!is_mutating("Get"));
        assert!(is_mutating("StopInstances"));
        assert!(is_mutating("Getaway"));
        assert!(is_mutating("Listen"));
        assert!(is_mutating("Invoke"));
    }

    #[test]
    fn members_that_pass_a_role_are_known_by_their_name() {
        for member in [
            "RoleARN",
            "RoleArn",
            "Role",
            "ServiceRole",
            "taskRoleArn",
            "IamInstanceProfile",
            "IamInstanceProfileArn",
            "InstanceProfileName",
        ] {
            assert!(passes_role(member), "{member}");
        }
        for member in ["RoleSessionName", "Roles", "InstanceId", "RoleName", "Profile"] {
            assert!(!passes_role(member), "{member}");
        }
    }

    #[test]
    fn spellings_become_the_api_spelling() {
        assert_eq!(pascal_case("describe_instances"), "DescribeInstances");
        assert_eq!(pascal_case("listBuckets"), "ListBuckets");
        assert_eq!(pascal_case("GetRole"), "GetRole");
    }

    #[test]
    fn iam_actions_without_models_use_the_known_prefixes_and_names() {
        assert_eq!(iam_actions("stepfunctions", "StartExecution", None), ["states:StartExecution"]);
        assert_eq!(iam_actions("lambda", "Invoke", None), ["lambda:InvokeFunction"]);
        assert_eq!(iam_actions("s3", "CopyObject", None), ["s3:GetObject", "s3:PutObject"]);
        assert_eq!(iam_actions("ec2", "StopInstances", None), ["ec2:StopInstances"]);
    }
}
