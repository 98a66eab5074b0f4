//! Where `aws:executeAutomation` finds the runbooks it runs as children: a folder of runbook
//! files named after the documents (`NAME.yaml`, `NAME.yml` or `NAME.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::document::{Document, Format};

/// Finds runbooks by name.
pub trait DocumentStore: Send + Sync {
    /// The runbook named `name` (an ARN's last part is the name).
    fn load(&self, name: &str) -> Result<Arc<Document>, String>;

    /// The runbook named `name` at `version` (`DocumentVersion`, when the step gives one).
    /// Stores that keep one version of each runbook ignore the version.
    fn load_version(&self, name: &str, version: Option<&str>) -> Result<Arc<Document>, String> {
        let _ = version;
        self.load(name)
    }
}

/// No documents: every `aws:executeAutomation` fails with a message saying how to give some.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDocuments;

impl DocumentStore for NoDocuments {
    fn load(&self, name: &str) -> Result<Arc<Document>, String> {
        Err(format!(
            "document `{name}` is not available: give a folder of runbooks with --documents (or `documents:` in a test file)"
        ))
    }
}

/// Runbooks in a folder.
#[derive(Clone, Debug)]
pub struct FolderDocuments {
    folders: Vec<PathBuf>,
}

impl FolderDocuments {
    /// Looks in `folders`, in order.
    pub fn new(folders: Vec<PathBuf>) -> Self {
        Self { folders }
    }

    fn find(&self, name: &str) -> Option<PathBuf> {
        self.folders
            .iter()
            .flat_map(|folder| {
                ["yaml", "yml", "json"].map(|ext| folder.join(format!("{name}.{ext}")))
            })
            .find(|path| path.is_file())
    }
}

/// Runbooks held in memory, by name (YAML, or JSON when the text starts with `{`): for programs
/// that build their runbooks, and for tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryDocuments {
    documents: Vec<(String, String)>,
}

impl MemoryDocuments {
    /// No documents yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the runbook `text` under `name`.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.documents.push((name.into(), text.into()));
        self
    }
}

impl DocumentStore for MemoryDocuments {
    fn load(&self, name: &str) -> Result<Arc<Document>, String> {
        let name = document_name(name);
        let (_, text) = self
            .documents
            .iter()
            .find(|(known, _)| known == name)
            .ok_or_else(|| format!("document `{name}` is not among the runbooks given"))?;
        let format = if text.trim_start().starts_with('{') { Format::Json } else { Format::Yaml };
        Document::parse(format!("{name}.yaml"), text.clone(), format)
            .map(Arc::new)
            .map_err(|error| error.to_string())
    }
}

/// The document name in a name or an ARN (`arn:aws:ssm:...:document/NAME`).
pub fn document_name(name_or_arn: &str) -> &str {
    name_or_arn.rsplit_once('/').map_or(name_or_arn, |(_, name)| name)
}

impl DocumentStore for FolderDocuments {
    fn load(&self, name: &str) -> Result<Arc<Document>, String> {
        let name = document_name(name);
        let path = self.find(name).ok_or_else(|| {
            let folders: Vec<String> =
                self.folders.iter().map(|f| f.display().to_string()).collect();
            format!(
                "document `{name}` not found in {} (looked for {name}.yaml, .yml, .json)",
                folders.join(", ")
            )
        })?;
        Document::load(Path::new(&path)).map(Arc::new).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _obj_safe(_: &dyn DocumentStore) {}

    #[test]
    fn memory_documents_find_yaml_and_json_by_name_or_arn() {
        let documents = MemoryDocuments::new()
            .with("Yaml", "schemaVersion: '0.3'\nmainSteps: []\n")
            .with("Json", "{\"schemaVersion\": \"0.3\", \"mainSteps\": []}");
        assert!(documents.load("Yaml").is_ok());
        assert!(documents.load("arn:aws:ssm:us-east-1:123456789012:document/Json").is_ok());
        assert_eq!(
            documents.load("Other").unwrap_err(),
            "document `Other` is not among the runbooks given"
        );
    }

    #[test]
    fn arns_name_their_document() {
        assert_eq!(document_name("arn:aws:ssm:us-east-1:123456789012:document/MyDoc"), "MyDoc");
        assert_eq!(document_name("MyDoc"), "MyDoc");
    }
}
