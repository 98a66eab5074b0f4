//! Deploying a runbook as an Automation document: created when the account has none of that
//! name, updated and made the default version when its content changed, left alone when it did
//! not. Script attachments are uploaded to S3 first and named in `Attachments`; the service
//! accepts them only with the `sha256` the document declares for them under `files`, so an
//! attachment whose declared checksum is missing or wrong stops the deploy before any call.

use std::path::{Path, PathBuf};

use runbook_engine::document::Format;
use runbook_engine::host::{ApiError, ApiRequest, AwsBackend};
use serde_json::{Value, json};
use sha2::Digest;

/// What to deploy.
#[derive(Clone, Debug)]
pub struct DeployRequest {
    /// The document's name in the account.
    pub name: String,
    /// The runbook's text, sent as it is.
    pub content: String,
    /// YAML or JSON, as the file is.
    pub format: Format,
    /// The attachments the runbook declares under `files`: name and declared `sha256`.
    pub attachments: Vec<(String, Option<String>)>,
    /// The folder the attachment files are in.
    pub attachments_dir: PathBuf,
    /// The S3 bucket attachments are uploaded to.
    pub bucket: Option<String>,
    /// The region of the bucket's URL.
    pub region: String,
}

/// How the document changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// It did not exist.
    Created,
    /// Its content changed: lines added and removed, against the version that was the default.
    Updated {
        /// The version that was the default before.
        previous: String,
        /// Lines only the new content has.
        added: usize,
        /// Lines only the old content had.
        removed: usize,
    },
    /// The default version already has this content.
    Unchanged,
}

/// A deployed document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// Its name.
    pub name: String,
    /// Its default version, now.
    pub version: String,
    /// What changed.
    pub change: Change,
    /// The attachments uploaded, as `s3://bucket/key`.
    pub uploaded: Vec<String>,
}

impl std::fmt::Display for Deployed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.change {
            Change::Created => write!(f, "{}: created, version {}", self.name, self.version)?,
            Change::Updated { previous, added, removed } => write!(
                f,
                "{}: updated, version {previous} → {} (+{added} -{removed} lines), now the default",
                self.name, self.version
            )?,
            Change::Unchanged => {
                write!(f, "{}: unchanged, version {}", self.name, self.version)?;
            }
        }
        for url in &self.uploaded {
            write!(f, "\n  attachment uploaded: {url}")?;
        }
        Ok(())
    }
}

/// Why a deploy did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The service refuses the name.
    #[error(
        "`{0}` is not a document name the service accepts (3 to 128 letters, digits, `_`, `-` \
         and `.`, not starting with `AWS`, `Amazon` or `amzn`): give one with --name"
    )]
    BadName(String),
    /// Attachments with nowhere to go.
    #[error(
        "the runbook has attachments ({0}): give an S3 bucket for them with --attachments-bucket"
    )]
    NoBucket(String),
    /// An attachment file cannot be read.
    #[error("attachment {name}: cannot read {}: {reason}", path.display())]
    Unreadable {
        /// The attachment.
        name: String,
        /// Its file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The document declares no checksum for an attachment.
    #[error(
        "attachment {name}: the service needs its sha256 under `files`: add \
         `checksums: {{sha256: {actual}}}` to `files.{name}`"
    )]
    NoChecksum {
        /// The attachment.
        name: String,
        /// The file's checksum.
        actual: String,
    },
    /// The declared checksum is not the file's.
    #[error(
        "attachment {name}: the runbook declares sha256 {declared}, but the file's is {actual}"
    )]
    WrongChecksum {
        /// The attachment.
        name: String,
        /// What `files` says.
        declared: String,
        /// What the file has.
        actual: String,
    },
    /// Only text attachments can be sent by this client.
    #[error("attachment {0}: only text attachments (scripts) can be uploaded, and it is not UTF-8")]
    Binary(String),
    /// A call failed.
    #[error("{operation}: {error}")]
    Api {
        /// `ssm.CreateDocument`, `s3.PutObject`...
        operation: String,
        /// The service's answer.
        error: ApiError,
    },
}

/// The call `service.api`, with its failure named after it.
pub(crate) async fn call(
    backend: &dyn AwsBackend,
    service: &str,
    api: &str,
    params: Value,
) -> Result<Value, (String, ApiError)> {
    backend
        .call(ApiRequest::new(service, api, params))
        .await
        .map_err(|error| (format!("{service}.{api}"), error))
}

fn api_error((operation, error): (String, ApiError)) -> DeployError {
    DeployError::Api { operation, error }
}

/// Whether the service takes `name` for a document of one's own.
pub fn is_document_name(name: &str) -> bool {
    (3..=128).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !["aws", "amazon", "amzn"].iter().any(|prefix| {
            name.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        })
}

/// Deploys `request` through `backend`.
pub async fn deploy(
    backend: &dyn AwsBackend,
    request: &DeployRequest,
) -> Result<Deployed, DeployError> {
    if !is_document_name(&request.name) {
        return Err(DeployError::BadName(request.name.clone()));
    }
    let files = attachment_files(request)?;
    let current = match call(backend, "ssm", "GetDocument", json!({"Name": request.name})).await {
        Ok(document) => Some(document),
        Err((_, error)) if error.code == "InvalidDocument" => None,
        Err(failure) => return Err(api_error(failure)),
    };
    let format = match request.format {
        Format::Yaml => "YAML",
        Format::Json => "JSON",
    };
    let version_of = |response: &Value| {
        response
            .pointer("/DocumentDescription/DocumentVersion")
            .or_else(|| response.get("DocumentVersion"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if let Some(current) = &current {
        let old = current.get("Content").and_then(Value::as_str).unwrap_or_default();
        let version = version_of(current);
        if old.trim_end() == request.content.trim_end() {
            return Ok(Deployed {
                name: request.name.clone(),
                version,
                change: Change::Unchanged,
                uploaded: Vec::new(),
            });
        }
    }
    let (attachments, uploaded) = upload(backend, request, &files).await?;
    let mut params = json!({
        "Name": request.name,
        "Content": request.content,
        "DocumentFormat": format,
    });
    if !attachments.is_empty() {
        params["Attachments"] = Value::Array(attachments);
    }
    let (version, change) = if let Some(current) = &current {
        params["DocumentVersion"] = json!("$LATEST");
        let version = match call(backend, "ssm", "UpdateDocument", params).await {
            Ok(updated) => version_of(&updated),
            // The latest version has this content but is not the default (the default was
            // set back): that version becomes the default again.
            Err((_, error)) if error.code == "DuplicateDocumentContent" => {
                let latest = call(
                    backend,
                    "ssm",
                    "GetDocument",
                    json!({"Name": request.name, "DocumentVersion": "$LATEST"}),
                )
                .await
                .map_err(api_error)?;
                let content = latest.get("Content").and_then(Value::as_str).unwrap_or_default();
                if content.trim_end() != request.content.trim_end() {
                    return Err(DeployError::Api { operation: "ssm.UpdateDocument".into(), error });
                }
                version_of(&latest)
            }
            Err(failure) => return Err(api_error(failure)),
        };
        call(
            backend,
            "ssm",
            "UpdateDocumentDefaultVersion",
            json!({"Name": request.name, "DocumentVersion": version}),
        )
        .await
        .map_err(api_error)?;
        let old = current.get("Content").and_then(Value::as_str).unwrap_or_default();
        let (added, removed) = changed_lines(old, &request.content);
        (version, Change::Updated { previous: version_of(current), added, removed })
    } else {
        params["DocumentType"] = json!("Automation");
        let created = call(backend, "ssm", "CreateDocument", params).await.map_err(api_error)?;
        (version_of(&created), Change::Created)
    };
    Ok(Deployed { name: request.name.clone(), version, change, uploaded })
}

/// Each attachment's file, text and checksum, checked against what `files` declares.
fn attachment_files(request: &DeployRequest) -> Result<Vec<(String, String, String)>, DeployError> {
    if request.attachments.is_empty() {
        return Ok(Vec::new());
    }
    if request.bucket.is_none() {
        let names: Vec<&str> = request.attachments.iter().map(|(name, _)| name.as_str()).collect();
        return Err(DeployError::NoBucket(names.join(", ")));
    }
    let mut files = Vec::new();
    for (name, declared) in &request.attachments {
        let path = request.attachments_dir.join(name);
        let bytes = std::fs::read(&path).map_err(|error| DeployError::Unreadable {
            name: name.clone(),
            path: path.clone(),
            reason: error.to_string(),
        })?;
        let actual = sha256_hex(&bytes);
        match declared {
            None => return Err(DeployError::NoChecksum { name: name.clone(), actual }),
            Some(declared) if !declared.eq_ignore_ascii_case(&actual) => {
                return Err(DeployError::WrongChecksum {
                    name: name.clone(),
                    declared: declared.clone(),
                    actual,
                });
            }
            Some(_) => {}
        }
        let text = String::from_utf8(bytes).map_err(|_| DeployError::Binary(name.clone()))?;
        files.push((name.clone(), text, actual));
    }
    Ok(files)
}

/// Uploads the attachments under a key made of their checksum, so that a version of the
/// document keeps finding the files it was made with.
async fn upload(
    backend: &dyn AwsBackend,
    request: &DeployRequest,
    files: &[(String, String, String)],
) -> Result<(Vec<Value>, Vec<String>), DeployError> {
    let Some(bucket) = &request.bucket else { return Ok((Vec::new(), Vec::new())) };
    let mut attachments = Vec::new();
    let mut uploaded = Vec::new();
    for (name, text, sha256) in files {
        let key = format!("runbook-attachments/{}/{sha256}/{}", request.name, file_name(name));
        call(backend, "s3", "PutObject", json!({"Bucket": bucket, "Key": key, "Body": text}))
            .await
            .map_err(api_error)?;
        attachments.push(json!({
            "Key": "S3FileUrl",
            "Values": [format!("https://s3.{}.amazonaws.com/{bucket}/{key}", request.region)],
            "Name": name,
        }));
        uploaded.push(format!("s3://{bucket}/{key}"));
    }
    Ok((attachments, uploaded))
}

fn file_name(name: &str) -> &str {
    Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or(name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    sha2::Sha256::digest(bytes).iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Lines only in `new`, and lines only in `old`, counted as multisets (the order of lines
/// moved around does not count).
fn changed_lines(old: &str, new: &str) -> (usize, usize) {
    let mut counts: std::collections::BTreeMap<&str, isize> = std::collections::BTreeMap::new();
    for line in old.lines() {
        *counts.entry(line).or_default() -= 1;
    }
    for line in new.lines() {
        *counts.entry(line).or_default() += 1;
    }
    let added = counts.values().filter(|n| **n > 0).map(|n| n.unsigned_abs()).sum();
    let removed = counts.values().filter(|n| **n < 0).map(|n| n.unsigned_abs()).sum();
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_names_follow_the_service_s_rules() {
        assert!(is_document_name("Restart-Web_1.v2"));
        for bad in ["ab", "has space", "AWS-Restart", "amazonThing", "x/y", &"a".repeat(129)] {
            assert!(!is_document_name(bad), "{bad}");
        }
    }

    #[test]
    fn changed_lines_count_what_each_side_alone_has() {
        assert_eq!(changed_lines("a\nb\nc\n", "a\nc\nd\ne\n"), (2, 1));
        assert_eq!(changed_lines("a\n", "a\n"), (0, 0));
    }

    #[test]
    fn checksums_are_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
