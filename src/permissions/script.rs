//! The AWS calls a Python script makes, found by reading it: a boto3 client made for a service
//! and kept in a name (`s3 = boto3.client("s3")`, `self.ec2 = session.client('ec2', ...)`),
//! then that name's methods called (`s3.put_object(...)`), or a method called on the client
//! at once (`boto3.client("sts").get_caller_identity()`). A paginator is its operation
//! (`ec2.get_paginator("describe_instances")`). The methods are boto3's spelling; which of them
//! are operations, and how the API spells them, is the models' business (the caller's).
//!
//! Reading is not running: a name that holds clients of two services gets both services' calls
//! with that name, a client passed around under another name is not followed, and
//! `boto3.resource` is not read.

use std::sync::LazyLock;

use indexmap::{IndexMap, IndexSet};
use regex::Regex;

/// A call read in a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCall {
    /// The service, as the client names it (`s3`).
    pub service: String,
    /// The method, as boto3 spells it (`put_object`).
    pub method: String,
    /// The line it is on, counted from 1 in the script.
    pub line: usize,
}

/// `NAME = ....client("service"` (`service_name=` allowed).
static CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)([A-Za-z_][\w.]*)\s*(?::\s*[\w.\[\]"' ]+)?=\s*[\w.()]*?\bclient\(\s*(?:service_name\s*=\s*)?["']([\w-]+)["']"#,
    )
    .unwrap_or_else(|error| unreachable!("the client pattern is valid: {error}"))
});

/// `....client("service", ...).method(`.
static CHAINED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bclient\(\s*(?:service_name\s*=\s*)?["']([\w-]+)["'][^()]*(?:\([^()]*\)[^()]*)*\)\s*\.\s*([a-z_][a-z0-9_]*)\s*\("#)
        .unwrap_or_else(|error| unreachable!("the chained-call pattern is valid: {error}"))
});

/// `NAME.method(`, and `NAME.get_paginator("operation"`.
static METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][\w.]*?)\s*\.\s*([a-z_][a-z0-9_]*)\s*\(\s*(?:["']([a-z0-9_]+)["'])?"#)
        .unwrap_or_else(|error| unreachable!("the method pattern is valid: {error}"))
});

/// Methods of every client that are not operations.
const CLIENT_HELPERS: &[&str] = &[
    "get_waiter",
    "can_paginate",
    "close",
    "generate_presigned_url",
    "generate_presigned_post",
    "upload_file",
    "download_file",
    "upload_fileobj",
    "download_fileobj",
    "copy",
];

/// The calls `script` makes through boto3 clients, in the order they are written, once each
/// per service and method.
pub fn scan(script: &str) -> Vec<ScriptCall> {
    let code = without_comments(script);
    let mut clients: IndexMap<&str, IndexSet<String>> = IndexMap::new();
    for capture in CLIENT.captures_iter(&code) {
        let (Some(name), Some(service)) = (capture.get(1), capture.get(2)) else { continue };
        clients.entry(name.as_str()).or_default().insert(service.as_str().to_ascii_lowercase());
    }
    let mut found: Vec<(usize, String, String)> = Vec::new();
    for capture in CHAINED.captures_iter(&code) {
        let (Some(service), Some(method)) = (capture.get(1), capture.get(2)) else { continue };
        found.push((method.start(), service.as_str().to_ascii_lowercase(), method.as_str().into()));
    }
    for capture in METHOD.captures_iter(&code) {
        let (Some(name), Some(method)) = (capture.get(1), capture.get(2)) else { continue };
        let Some(services) = clients.get(name.as_str()) else { continue };
        let method = match (method.as_str(), capture.get(3)) {
            ("get_paginator", Some(operation)) => operation.as_str(),
            (method, _) if CLIENT_HELPERS.contains(&method) || method == "get_paginator" => {
                continue;
            }
            (method, _) => method,
        };
        for service in services {
            found.push((name.start(), service.clone(), method.to_string()));
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    let mut calls: Vec<ScriptCall> = Vec::new();
    for (at, service, method) in found {
        if calls.iter().any(|call| call.service == service && call.method == method) {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        calls.push(ScriptCall { service, method, line });
    }
    calls
}

/// `script` with each comment blanked out (its text replaced by spaces, so that offsets keep
/// their line); a `#` inside a string literal on its line is not a comment.
fn without_comments(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        let mut quote: Option<char> = None;
        let mut cut = None;
        let mut escaped = false;
        for (at, c) in line.char_indices() {
            match (quote, c) {
                (Some(_), '\\') if !escaped => {
                    escaped = true;
                    continue;
                }
                (Some(open), c) if c == open && !escaped => quote = None,
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => {
                    cut = Some(at);
                    break;
                }
                _ => {}
            }
            escaped = false;
        }
        match cut {
            Some(at) => {
                out.push_str(&line[..at]);
                out.extend(line[at..].chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<String> {
        scan(script).into_iter().map(|call| format!("{}.{}", call.service, call.method)).collect()
    }

    #[test]
    fn a_client_kept_in_a_name_gives_the_calls_made_on_that_name() {
        let script = "import boto3\n\ndef handler(events, context):\n    s3 = boto3.client(\"s3\")\n    s3.put_object(Bucket='b', Key='k', Body=b'')\n    return s3.get_object(Bucket='b', Key='k')\n";
        assert_eq!(names(script), ["s3.put_object", "s3.get_object"]);
        assert_eq!(scan(script)[0].line, 5);
    }

    #[test]
    fn session_clients_with_arguments_and_attributes_are_read() {
        let script = "\
session = boto3.Session()
ec2 = session.client('ec2', region_name=events['Region'], config=Config(retries={'max_attempts': 3}))
self.ssm = boto3.session.Session().client(service_name='ssm')
ec2.stop_instances(InstanceIds=[events['InstanceId']])
self.ssm.send_command(DocumentName='AWS-RunShellScript')
";
        assert_eq!(names(script), ["ec2.stop_instances", "ssm.send_command"]);
    }

    #[test]
    fn a_chained_call_and_a_paginator_are_calls() {
        let script = "\
account = boto3.client('sts').get_caller_identity()['Account']
ec2 = boto3.client('ec2')
for page in ec2.get_paginator('describe_instances').paginate():
    pass
waiter = ec2.get_waiter('instance_running')
";
        assert_eq!(names(script), ["sts.get_caller_identity", "ec2.describe_instances"]);
    }

    #[test]
    fn names_that_are_not_clients_and_comments_give_nothing() {
        let script = "\
import json
s3 = boto3.resource('s3')
s3.Bucket('b').delete()
data = json.loads(events['Payload'])
# ec2 = boto3.client('ec2'); ec2.terminate_instances()
print('# not a comment', data.get('x'))
";
        assert!(names(script).is_empty(), "{:?}", names(script));
    }

    #[test]
    fn each_call_is_listed_once() {
        let script =
            "c = boto3.client('iam')\nc.get_role(RoleName='a')\nc.get_role(RoleName='b')\n";
        assert_eq!(names(script), ["iam.get_role"]);
    }
}
