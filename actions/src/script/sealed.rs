//! The environment of a script on a dry run: sealed off from the user's AWS identity.
//!
//! On mocks ([`MOCK_AWS_ENV`] is `mock`), a script and every process it starts must reach
//! nothing real. The bootstrap answers the script's own botocore calls, but a child process
//! (`python -c "import boto3; ..."`, the AWS CLI) has its own botocore, which reads the
//! environment and `~/.aws`. So every `AWS_*` variable of this process is removed, the
//! configuration and credentials files are empty files in the script's scratch folder,
//! credentials are a placeholder pair, instance metadata is off, and the endpoint is one that
//! refuses connections.

use std::path::Path;

use super::MOCK_AWS_ENV;

/// An endpoint that refuses connections: port 1 of the loopback interface, which only a
/// privileged process could listen on and none does.
pub(crate) const REFUSING_ENDPOINT: &str = "http://127.0.0.1:1";

/// The placeholder credentials a sealed script sees, as the bootstrap gives its own botocore.
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "mock";

/// What to change in a script's environment.
#[derive(Debug, Default)]
pub(crate) struct Environment {
    /// Variables of this process the script must not inherit.
    pub(crate) remove: Vec<String>,
    /// Variables to set, before the request's own.
    pub(crate) set: Vec<(String, String)>,
}

/// Whether a script with the request environment `env` runs on mocks.
pub(crate) fn is_dry(env: &[(String, String)]) -> bool {
    env.iter().any(|(name, value)| name == MOCK_AWS_ENV && value == "mock")
}

/// The sealed environment for a script of a dry run, whose scratch folder is `dir`; the empty
/// files it names are made there.
pub(crate) fn environment(dir: &Path) -> std::io::Result<Environment> {
    let remove = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("AWS_"))
        .collect();
    let config = dir.join("aws-config");
    let credentials = dir.join("aws-credentials");
    for file in [&config, &credentials] {
        super::process::private_file(file, b"")?;
    }
    let text = |path: &Path| path.to_string_lossy().into_owned();
    let set = [
        ("AWS_CONFIG_FILE", text(&config)),
        ("AWS_SHARED_CREDENTIALS_FILE", text(&credentials)),
        ("AWS_ENDPOINT_URL", REFUSING_ENDPOINT.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect();
    Ok(Environment { remove, set })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_is_told_by_the_mock_variable() {
        let env = |value: &str| vec![(MOCK_AWS_ENV.to_string(), value.to_string())];
        assert!(is_dry(&env("mock")));
        assert!(!is_dry(&env("observe")));
        assert!(!is_dry(&[]));
    }

    #[test]
    fn the_sealed_environment_names_empty_files_and_a_refusing_endpoint() {
        let dir = super::super::process::ScratchDir::new().unwrap();
        let sealed = environment(dir.path()).unwrap();
        let get = |name: &str| {
            sealed.set.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap()
        };
        assert_eq!(get("AWS_ENDPOINT_URL"), REFUSING_ENDPOINT);
        for name in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
            assert_eq!(std::fs::read(get(name)).unwrap(), b"");
        }
        assert!(sealed.remove.iter().all(|name| name.starts_with("AWS_")));
    }
}
