//! Runbooks on the service itself: [`mod@deploy`] makes a runbook an Automation document of the
//! account, [`follow`] starts an execution there and follows it, telling an observer what a
//! local run would, and [`record`] reads the service's record into the local record's shape.
//!
//! Everything goes through an [`AwsBackend`](runbook_engine::host::AwsBackend), the signed
//! client in `runbook deploy` and `runbook run --remote`, anything that answers the same calls
//! in tests.

pub mod deploy;
pub mod follow;
pub mod record;

pub use deploy::{Change, DeployError, DeployRequest, Deployed, deploy};
pub use follow::{FollowError, Followed, Follower, Polling, StartRequest, start};
