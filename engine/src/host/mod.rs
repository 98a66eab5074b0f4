//! The interfaces the engine needs from its host: AWS, time, approvals, scripts, Parameter
//! Store, child runbooks and observers. Each has a real implementation and a scripted one for tests, so
//! the engine itself never touches the network, the clock or the terminal.

pub mod approver;
pub mod aws;
pub mod clock;
pub mod documents;
pub mod observer;
pub mod parameter_store;
pub mod script;

use std::future::Future;
use std::pin::Pin;

pub use approver::{ApprovalRequest, Approver, Decision, FixedApprover, WaitKind};
pub use aws::{ApiError, ApiRequest, AwsBackend, Location, RoleCredentials};
pub use clock::{Clock, SystemClock, VirtualClock, virtual_runtime};
pub use documents::{DocumentStore, FolderDocuments, MemoryDocuments, NoDocuments};
pub use observer::{Event, NoObserver, Observer, RunRef};
pub use parameter_store::{AwsParameterStore, MapParameterStore, ParameterStore};
pub use script::{
    NoScriptCalls, SCRIPT_CALL_UNANSWERED, ScriptAttachment, ScriptCalls, ScriptError,
    ScriptErrorKind, ScriptOutput, ScriptRequest, ScriptRunner,
};

/// A boxed future that can move between threads, as host interfaces return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
