//! Child runbooks named one by one in a test file (`documents: {NAME: FILE}`): the key is the
//! `DocumentName` as the runbook gives it (a name, `NAME:VERSION`, an ARN, or a `${...}`
//! placeholder of a templated runbook), so that a case can supply exactly the child a step asks
//! for, whatever file it is in.

use std::path::PathBuf;
use std::sync::Arc;

use runbook_engine::Document;
use runbook_engine::host::DocumentStore;
use runbook_engine::host::documents::document_name;

/// Runbooks by the names steps give.
#[derive(Clone, Debug)]
pub(crate) struct NamedDocuments {
    files: Vec<(String, PathBuf)>,
}

impl NamedDocuments {
    pub(crate) fn new(files: Vec<(String, PathBuf)>) -> Self {
        Self { files }
    }

    /// The file for `name` at `version`: the most specific key that matches, from `NAME:VERSION`
    /// through the name as written to the bare name inside an ARN.
    fn find(&self, name: &str, version: Option<&str>) -> Option<&PathBuf> {
        let bare = document_name(name);
        let mut candidates = Vec::with_capacity(4);
        // `$DEFAULT` and `$LATEST` name no particular version.
        if let Some(version) = version.filter(|v| !v.is_empty() && !v.starts_with('$')) {
            candidates.push(format!("{name}:{version}"));
            candidates.push(format!("{bare}:{version}"));
        }
        candidates.push(name.to_string());
        candidates.push(bare.to_string());
        candidates
            .iter()
            .find_map(|wanted| self.files.iter().find(|(key, _)| key == wanted))
            .map(|(_, path)| path)
    }
}

impl DocumentStore for NamedDocuments {
    fn load(&self, name: &str) -> Result<Arc<Document>, String> {
        self.load_version(name, None)
    }

    fn load_version(&self, name: &str, version: Option<&str>) -> Result<Arc<Document>, String> {
        let Some(path) = self.find(name, version) else {
            let asked = match version {
                Some(version) => format!("`{name}` (version {version})"),
                None => format!("`{name}`"),
            };
            let known: Vec<String> = self.files.iter().map(|(key, _)| format!("`{key}`")).collect();
            return Err(format!(
                "document {asked} is not among the test file's `documents` ({})",
                known.join(", ")
            ));
        };
        Document::load(path).map(Arc::new).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> NamedDocuments {
        NamedDocuments::new(
            [
                "Child",
                "Child:3",
                "${ChildDoc}",
                "arn:aws:ssm:us-east-1:111122223333:document/Shared",
            ]
            .iter()
            .map(|key| ((*key).to_string(), PathBuf::from(format!("{key}.yaml"))))
            .collect(),
        )
    }

    fn found(name: &str, version: Option<&str>) -> Option<String> {
        store().find(name, version).map(|path| path.display().to_string())
    }

    #[test]
    fn the_most_specific_key_wins() {
        assert_eq!(found("Child", None).as_deref(), Some("Child.yaml"));
        assert_eq!(found("Child", Some("3")).as_deref(), Some("Child:3.yaml"));
        assert_eq!(found("Child", Some("4")).as_deref(), Some("Child.yaml"));
        assert_eq!(found("Child", Some("$DEFAULT")).as_deref(), Some("Child.yaml"));
        assert_eq!(found("Child:3", None).as_deref(), Some("Child:3.yaml"));
        assert_eq!(found("${ChildDoc}", None).as_deref(), Some("${ChildDoc}.yaml"));
        assert_eq!(
            found("arn:aws:ssm:us-east-1:123456789012:document/Child", Some("3")).as_deref(),
            Some("Child:3.yaml")
        );
        assert_eq!(
            found("arn:aws:ssm:us-east-1:111122223333:document/Shared", None).as_deref(),
            Some("arn:aws:ssm:us-east-1:111122223333:document/Shared.yaml")
        );
        assert_eq!(found("Shared", None), None, "an ARN key is matched whole");
    }

    #[test]
    fn a_missing_document_names_the_ones_given() {
        let error = store().load_version("Other", Some("2")).unwrap_err();
        assert_eq!(
            error,
            "document `Other` (version 2) is not among the test file's `documents` (`Child`, `Child:3`, `${ChildDoc}`, `arn:aws:ssm:us-east-1:111122223333:document/Shared`)"
        );
    }
}
