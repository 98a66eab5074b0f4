//! The AWS API models botocore publishes, found on disk and loaded lazily, and the analyses
//! built on them.
//!
//! botocore keeps one folder per service (`DATA/ec2/2016-11-15/service-2.json.gz`). [`Models`]
//! finds that data folder ([`ModelSource`]), lists the services, and parses a service's newest
//! model the first time it is asked for, keeping it behind an [`Arc`] for every later caller.
//!
//! The analyses answer the questions a validator and a mock layer ask:
//! - [`check_params`]: do a call's parameters fit the operation's input?
//! - [`check_selector`]: does a `JSONPath` selector name members the output has?
//! - [`check_response`]: does a mocked response fit the operation's output?
//! - [`auto_response`]: a placeholder response shaped like the output.
//! - [`lint`]: the validation rules built on these (RB028 to RB031), over a whole runbook.
//!
//! Nothing else in the crate needs the models: without them, everything but these analyses
//! and the live client keeps working, and [`ModelError::NotFound`] says how to get them.
//!
//! ```
//! use runbook_aws::model::{ServiceModel, check_params, check_selector};
//! use serde_json::json;
//!
//! // Usually `Models::discover(None)?.service("ssm")?`; a model is plain JSON.
//! let model = ServiceModel::from_json("demo", br#"{
//!   "metadata": {"protocol": "json", "apiVersion": "2020-01-01"},
//!   "operations": {"GetThing": {"name": "GetThing",
//!                               "input": {"shape": "In"}, "output": {"shape": "Out"}}},
//!   "shapes": {
//!     "In": {"type": "structure", "required": ["Id"], "members": {"Id": {"shape": "S"}}},
//!     "Out": {"type": "structure", "members": {"Name": {"shape": "S"}}},
//!     "S": {"type": "string"}}}"#)?;
//! let operation = model.operation("get_thing").expect("boto3's method name finds it");
//! let problems = check_params(&operation, &json!({"Ids": "x"}));
//! assert_eq!(problems[0].to_string(), "unknown parameter `Ids`; did you mean `Id`?");
//! assert_eq!(problems[1].to_string(), "missing required parameter `Id`");
//! let problem = check_selector(&operation, "$.Nmae").expect("no member `Nmae`");
//! assert_eq!(problem.closest.as_deref(), Some("Name"));
//! # Ok::<(), serde_json::Error>(())
//! ```

mod cache;
mod check;
pub mod lint;
mod placeholder;
mod selector;
mod service;
mod table;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

pub use check::{
    ProblemKind, Subject, ValueProblem, check_params, check_response, parameter_alias_target,
};
pub use placeholder::{MAX_DEPTH, PLACEHOLDER_TIMESTAMP, auto_response, auto_response_variant};
pub use selector::{SelectorProblem, check_selector};
pub use service::{
    EndpointTrait, Http, HttpChecksum, Location, Member, Metadata, Operation, OperationDef,
    Protocol, ServiceModel, Shape, ShapeKind, Structure, XmlNamespace,
};

/// The environment variable that names botocore's data folder.
pub const MODELS_ENV: &str = "RUNBOOK_AWS_MODELS";

/// Where to look for the models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// This folder: botocore's `data` folder, or the botocore package folder that holds it.
    Dir(PathBuf),
    /// `$RUNBOOK_AWS_MODELS` if set, else the installed botocore package (asked of `python3`).
    Discover,
}

/// Where the models in use were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelOrigin {
    /// A folder given explicitly.
    Explicit,
    /// The folder named by `$RUNBOOK_AWS_MODELS`.
    Env,
    /// The installed botocore package.
    Botocore,
}

impl fmt::Display for ModelOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Explicit => "the folder given",
            Self::Env => MODELS_ENV,
            Self::Botocore => "the installed botocore package",
        })
    }
}

/// Why models could not be found or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No models anywhere.
    #[error(
        "aws api models not found ({detail}): install botocore (`pip install botocore`) or set \
         {MODELS_ENV} to its `data` folder"
    )]
    NotFound {
        /// What was tried.
        detail: String,
    },
    /// A folder was named but holds no models.
    #[error(
        "aws api models folder {} (from {origin}) does not exist or holds no service models",
        path.display()
    )]
    EmptyDir {
        /// The folder.
        path: PathBuf,
        /// Who named it.
        origin: ModelOrigin,
    },
    /// The service has no model.
    #[error("unknown aws service `{name}`{}", did_you_mean(closest.as_deref()))]
    UnknownService {
        /// The name asked for.
        name: String,
        /// The closest service name, if one is close.
        closest: Option<String>,
    },
    /// A model file could not be read.
    #[error("cannot read aws model {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A model file is not a model.
    #[error("cannot parse aws model {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

fn did_you_mean(closest: Option<&str>) -> String {
    closest.map(|name| format!("; did you mean `{name}`?")).unwrap_or_default()
}

/// botocore's models: a data folder, and the services loaded from it so far.
///
/// Cloning is cheap and clones share the cache.
#[derive(Clone)]
pub struct Models {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    origin: ModelOrigin,
    cache: Option<PathBuf>,
    names: OnceLock<Vec<String>>,
    // One lock for all services: a load takes milliseconds, and holding the lock while
    // loading means a service is never parsed twice.
    loaded: Mutex<BTreeMap<String, Arc<ServiceModel>>>,
}

impl fmt::Debug for Models {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Models")
            .field("root", &self.inner.root)
            .field("origin", &self.inner.origin)
            .finish_non_exhaustive()
    }
}

impl Models {
    /// Finds the models: in `explicit` if given, else as [`ModelSource::Discover`] says.
    pub fn discover(explicit: Option<PathBuf>) -> Result<Self, ModelError> {
        Self::load(explicit.map_or(ModelSource::Discover, ModelSource::Dir))
    }

    /// Finds the models from `source`. Only the folder is checked here; each service's
    /// model is read when first asked for. The cache folder (`$XDG_CACHE_HOME/runbook`, else
    /// `~/.cache/runbook`) remembers where botocore is and a compact form of each model read.
    pub fn load(source: ModelSource) -> Result<Self, ModelError> {
        Self::load_with_cache(source, cache::default_dir())
    }

    /// [`Models::load`] with the cache in `cache`, or with none: then finding botocore starts
    /// `python3` and each service's model is read from its JSON whole.
    pub fn load_with_cache(
        source: ModelSource,
        cache: Option<PathBuf>,
    ) -> Result<Self, ModelError> {
        let (root, origin) = match source {
            ModelSource::Dir(path) => (path, ModelOrigin::Explicit),
            ModelSource::Discover => match std::env::var_os(MODELS_ENV) {
                Some(path) if !path.is_empty() => (PathBuf::from(path), ModelOrigin::Env),
                _ => (botocore_data_dir(cache.as_deref())?, ModelOrigin::Botocore),
            },
        };
        let Some(root) = data_dir_within(&root) else {
            return Err(ModelError::EmptyDir { path: root, origin });
        };
        Ok(Self {
            inner: Arc::new(Inner {
                root,
                origin,
                cache,
                names: OnceLock::new(),
                loaded: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The data folder in use.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where the data folder was found.
    pub fn origin(&self) -> ModelOrigin {
        self.inner.origin
    }

    /// The names of every service with a model, sorted.
    pub fn service_names(&self) -> &[String] {
        self.inner.names.get_or_init(|| {
            let mut names: Vec<String> = std::fs::read_dir(&self.inner.root)
                .into_iter()
                .flatten()
                .flatten()
                // The entry's type costs no system call where `is_dir` would; links are
                // followed as before.
                .filter(|entry| match entry.file_type() {
                    Ok(kind) if !kind.is_symlink() => kind.is_dir(),
                    _ => entry.path().is_dir(),
                })
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect();
            names.sort();
            names
        })
    }

    /// The name of the service `name` stands for: itself when a model has that name, else the
    /// one name that matches it ignoring case (`EC2` stands for `ec2`, as runbooks in use
    /// spell it).
    pub fn canonical_service(&self, name: &str) -> Option<&str> {
        let names = self.service_names();
        if let Ok(index) = names.binary_search_by(|probe| probe.as_str().cmp(name)) {
            return Some(&names[index]);
        }
        let mut matches = names.iter().filter(|candidate| candidate.eq_ignore_ascii_case(name));
        match (matches.next(), matches.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// [`Models::canonical_service`], without listing the data folder when `name` is the
    /// name of a service folder as botocore spells them (lower case letters, digits and
    /// dashes): asking for that one folder spares listing the four hundred others.
    fn service_folder<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let plain = !name.is_empty()
            && !name.starts_with('-')
            && name
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
        let known = || {
            self.inner.loaded.lock().unwrap_or_else(PoisonError::into_inner).contains_key(name)
                || self.inner.root.join(name).is_dir()
        };
        if plain && known() {
            return Some(name);
        }
        self.canonical_service(name)
    }

    /// Whether `name` stands for a service with a model (see [`Models::canonical_service`]).
    pub fn has_service(&self, name: &str) -> bool {
        self.service_folder(name).is_some()
    }

    /// The service name closest to `name` (for "did you mean"), if one is close enough.
    pub fn closest_service(&self, name: &str) -> Option<&str> {
        runbook_engine::diagnostic::closest(name, self.service_names().iter().map(String::as_str))
    }

    /// The model of service `name` (`ec2`; see [`Models::canonical_service`] for other
    /// spellings), read on first use and cached.
    pub fn service(&self, name: &str) -> Result<Arc<ServiceModel>, ModelError> {
        let Some(name) = self.service_folder(name) else {
            return Err(ModelError::UnknownService {
                name: name.to_string(),
                closest: self.closest_service(name).map(str::to_string),
            });
        };
        let mut loaded = self.inner.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(model) = loaded.get(name) {
            return Ok(Arc::clone(model));
        }
        let model = Arc::new(read_service(&self.inner.root, name, self.inner.cache.as_deref())?);
        loaded.insert(name.to_string(), Arc::clone(&model));
        Ok(model)
    }
}

impl Models {
    /// botocore's `paginators-1.json` for the model of service `name` (the file that says
    /// which members of each paginated operation carry the next page's token), when there is
    /// one.
    pub fn paginators_file(&self, name: &str) -> Option<PathBuf> {
        let name = self.service_folder(name)?;
        let model = model_file(&self.inner.root.join(name))?;
        let file = model.parent()?.join("paginators-1.json");
        file.is_file().then_some(file)
    }
}

/// Reads the newest model of `name` under `root`, through the cache if there is one.
fn read_service(root: &Path, name: &str, cache: Option<&Path>) -> Result<ServiceModel, ModelError> {
    let folder = root.join(name);
    let path = model_file(&folder)
        .ok_or_else(|| ModelError::UnknownService { name: name.to_string(), closest: None })?;
    cache::service(cache, name, &path)
}

/// The model file of the newest API version in a service folder. Version folders are dates
/// (`2016-11-15`), so the greatest name is the newest.
fn model_file(service_folder: &Path) -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir(service_folder)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    versions.sort();
    versions.iter().rev().find_map(|version| {
        ["service-2.json", "service-2.json.gz"]
            .into_iter()
            .map(|file| version.join(file))
            .find(|path| path.is_file())
    })
}

/// The data folder that `path` is or holds (the botocore package folder holds it in `data`);
/// `None` when neither has service folders. Every command starts here: each look lists
/// botocore's four hundred folders, so it looks once.
fn data_dir_within(path: &Path) -> Option<PathBuf> {
    if has_service_folders(path) {
        return Some(path.to_path_buf());
    }
    let data = path.join("data");
    has_service_folders(&data).then_some(data)
}

/// Whether `path` looks like a data folder: some subfolder holds a versioned model.
fn has_service_folders(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else { return false };
    entries.flatten().any(|entry| entry.path().is_dir() && model_file(&entry.path()).is_some())
}

/// Where the installed botocore's data folder is: remembered in the cache for the `python3`
/// in use, else asked of it (and remembered).
/// The cache folder commands share (`$XDG_CACHE_HOME/runbook`, else `~/.cache/runbook`): the
/// models' compact forms and what else is worth remembering between commands.
pub fn cache_dir() -> Option<PathBuf> {
    cache::default_dir()
}

fn botocore_data_dir(cache: Option<&Path>) -> Result<PathBuf, ModelError> {
    let Some(cache) = cache else { return ask_python() };
    let key = cache::python_key();
    if let Some(data) = cache::remembered_location(cache, &key) {
        return Ok(data);
    }
    let data = ask_python()?;
    cache::remember_location(cache, &key, &data);
    Ok(data)
}

/// Asks `python3` where botocore is installed.
fn ask_python() -> Result<PathBuf, ModelError> {
    let output = std::process::Command::new("python3")
        .args(["-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|error| ModelError::NotFound {
            detail: format!("{MODELS_ENV} is not set and python3 could not run: {error}"),
        })?;
    if !output.status.success() {
        return Err(ModelError::NotFound {
            detail: format!("{MODELS_ENV} is not set and python3 cannot import botocore"),
        });
    }
    let folder = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok(Path::new(&folder).join("data"))
}

#[cfg(test)]
pub(crate) mod tests_support {
    use std::path::PathBuf;

    use super::{ModelSource, Models, ServiceModel};

    /// A small hand-written model (`tests/fixtures/models/demo.json`) shaped like EC2's.
    pub(crate) fn demo_model() -> ServiceModel {
        ServiceModel::from_json("demo", include_bytes!("../../tests/fixtures/models/demo.json"))
            .expect("the demo model parses")
    }

    /// A data folder holding the demo model as service `demo`, named after `tag` so that tests
    /// running at once do not share it; the caller removes the folder.
    pub(crate) fn demo_models(tag: &str) -> (Models, PathBuf) {
        let root = std::env::temp_dir().join(format!("runbook-aws-{tag}-{}", std::process::id()));
        let folder = root.join("demo/2020-01-01");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("service-2.json"),
            include_str!("../../tests/fixtures/models/demo.json"),
        )
        .unwrap();
        (Models::load_with_cache(ModelSource::Dir(root.clone()), None).unwrap(), root)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A scratch data folder with two versions of `demo` (the newer one gzipped) and an empty
    /// service folder.
    fn scratch_data_dir(tag: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("runbook-aws-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let old = root.join("demo/2019-01-01");
        let new = root.join("demo/2020-01-01");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        let model = |version: &str| {
            format!(
                r#"{{"metadata": {{"apiVersion": "{version}", "protocol": "json"}},
                    "operations": {{}}, "shapes": {{}}}}"#
            )
        };
        std::fs::write(old.join("service-2.json"), model("2019-01-01")).unwrap();
        let file = std::fs::File::create(new.join("service-2.json.gz")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(model("2020-01-01").as_bytes()).unwrap();
        gz.finish().unwrap();
        root
    }

    #[test]
    fn the_newest_version_is_loaded_once_and_shared() {
        let root = scratch_data_dir("newest");
        let models = Models::load_with_cache(ModelSource::Dir(root.clone()), None).unwrap();
        assert_eq!(models.origin(), ModelOrigin::Explicit);
        assert_eq!(models.service_names(), ["demo", "empty"]);
        let first = models.service("demo").unwrap();
        assert_eq!(first.metadata().api_version, "2020-01-01");
        let second = models.clone().service("demo").unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn unknown_services_suggest_the_closest_name() {
        let root = scratch_data_dir("unknown");
        let models = Models::load_with_cache(ModelSource::Dir(root.clone()), None).unwrap();
        let error = models.service("demos").unwrap_err();
        assert_eq!(error.to_string(), "unknown aws service `demos`; did you mean `demo`?");
        assert!(!models.has_service("demos"));
        assert_eq!(models.canonical_service("DEMO"), Some("demo"));
        assert_eq!(models.service("Demo").unwrap().name(), "demo");
        assert!(matches!(models.service("empty"), Err(ModelError::UnknownService { .. })));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_folder_without_models_is_an_error_naming_it() {
        let root = std::env::temp_dir().join(format!("runbook-aws-none-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let error = Models::discover(Some(root.clone())).unwrap_err();
        assert!(matches!(error, ModelError::EmptyDir { .. }));
        assert!(error.to_string().contains(&root.display().to_string()), "{error}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_broken_model_names_its_file() {
        let root = std::env::temp_dir().join(format!("runbook-aws-broken-{}", std::process::id()));
        let folder = root.join("bad/2020-01-01");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("service-2.json"), "{not json").unwrap();
        let models = Models::load_with_cache(ModelSource::Dir(root.clone()), None).unwrap();
        let error = models.service("bad").unwrap_err();
        assert!(matches!(error, ModelError::Parse { .. }));
        assert!(error.to_string().contains("service-2.json"), "{error}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
