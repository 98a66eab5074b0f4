//! Finding botocore's API models for the commands that use them: a folder given with
//! `--aws-models`, else `$RUNBOOK_AWS_MODELS`, else the installed botocore package.

use std::path::PathBuf;

use runbook_aws::model::{ModelError, Models};

/// The models, when there are any.
pub(crate) enum Lookup {
    /// Found.
    Found(Models),
    /// Nowhere to be found; the error says how to get them.
    Missing(ModelError),
}

/// Looks for the models. A folder the user named (with the flag or the environment variable)
/// that holds none is an error: the user asked for models and would silently go without.
pub(crate) fn lookup(explicit: Option<PathBuf>) -> Result<Lookup, ModelError> {
    match Models::discover(explicit) {
        Ok(models) => Ok(Lookup::Found(models)),
        Err(error @ ModelError::NotFound { .. }) => Ok(Lookup::Missing(error)),
        Err(error) => Err(error),
    }
}
