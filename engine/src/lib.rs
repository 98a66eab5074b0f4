//! `runbook-engine`: load, validate and run AWS Systems Manager Automation runbooks
//! (documents with `schemaVersion: '0.3'`) with the service's semantics.
//!
//! The pipeline has three stages, each a plain function of the previous one's output:
//!
//! 1. [`Document::load`] reads YAML or JSON into a typed [`Document`] whose every field keeps its
//!    source position. It fails only when the file cannot be a runbook at all.
//! 2. [`validate()`](validate::validate) checks the document against the service's rules and
//!    returns a [`Report`](validate::Report) of located diagnostics. It never fails.
//!
//! ```
//! use runbook_engine::{Document, document::Format, validate::validate};
//!
//! let text = r#"
//! schemaVersion: '0.3'
//! mainSteps:
//!   - name: wait
//!     action: aws:sleep
//!     inputs: { Duration: PT5M }
//!     nextStep: missing
//! "#;
//! let document = Document::parse("example.yaml", text.to_string(), Format::Yaml)?;
//! let report = validate(&document);
//! assert!(report.has_errors());
//! assert_eq!(report.diagnostics[0].message, "`nextStep` names step `missing`, which does not exist");
//! # Ok::<(), runbook_engine::document::LoadError>(())
//! ```

pub mod catalog;
pub mod diagnostic;
pub mod document;
pub mod duration;
pub mod execute;
pub mod graph;
pub mod host;
pub mod params;
pub mod record;
pub mod schema;
pub mod selector;
pub mod syntax;
pub mod template;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod typing;
pub mod validate;
mod value;

pub use document::Document;
/// The graph library the step graph is built with, for callers that walk it.
pub use petgraph;
