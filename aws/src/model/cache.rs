//! What later commands remember about the models, so that they neither start `python3` nor
//! read whole model files: where botocore's data folder is, and a compact form of each
//! service's model.
//!
//! Both live in the cache folder (`$XDG_CACHE_HOME/runbook`, else `~/.cache/runbook`) and are
//! only ever an optimisation: a cache that is missing, unreadable, stale or unwritable means
//! doing the work again, never an error.
//!
//! - `botocore-location-<key>` names the data folder `python3` reported, keyed by what decides
//!   which botocore `python3` imports (the `python3` found on `PATH`, the environment variables
//!   that select an interpreter or its packages, a pyenv `.python-version` file), and stamped
//!   with the modification times of the data folder and the package folder, which a reinstall
//!   or an upgrade changes. One file per key, so that projects with different interpreters do
//!   not take turns replacing each other's answer.
//! - `models/<service>-<key>.rbm` is one service's model without its documentation, every
//!   operation and shape at a known place and an index of them sorted by name, so that a
//!   command reads the index and then only the entries it uses; the key is the model file's
//!   path, size and modification time and the form's version, so a new botocore version (or a
//!   new form) gets new files.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::ModelError;
use super::service::{Metadata, OperationDef, ServiceModel, Shape};
use super::table::{Body, Index, Table, index_length, write_index};

/// The cache folder: `$XDG_CACHE_HOME/runbook`, else `$HOME/.cache/runbook`.
pub(crate) fn default_dir() -> Option<PathBuf> {
    let absolute =
        |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|folder| folder.join("runbook"))
}

/// Writes `bytes` to `path` whole or not at all (a concurrent reader never sees half a file).
fn write_atomically(path: &Path, bytes: &[u8]) {
    let Some(folder) = path.parent() else { return };
    if std::fs::create_dir_all(folder).is_err() {
        return;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&temporary, bytes).is_ok() && std::fs::rename(&temporary, path).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A file's or folder's modification time in nanoseconds, as text.
fn stamp(path: &Path) -> Option<String> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(modified.duration_since(UNIX_EPOCH).ok()?.as_nanos().to_string())
}

/// The file that remembers the data folder for `key`.
fn location_file(cache: &Path, key: &str) -> PathBuf {
    cache.join(format!("botocore-location-{key}"))
}
const LOCATION_TAG: &str = "runbook botocore location 1";

/// What decides which botocore `python3 -c "import botocore"` finds, as one hashed key.
pub(crate) fn python_key() -> String {
    let mut parts: Vec<String> = Vec::new();
    let python = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|folder| folder.join("python3"))
            .find(|file| file.is_file())
    });
    if let Some(python) = python {
        parts.push(python.display().to_string());
        parts.push(stamp(&python).unwrap_or_default());
    }
    for name in [
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONUSERBASE",
        "PYENV_VERSION",
    ] {
        parts.push(
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()).unwrap_or_default(),
        );
    }
    // pyenv picks a version from the nearest `.python-version` file.
    let nearest = std::env::current_dir().ok().and_then(|folder| {
        folder.ancestors().map(|folder| folder.join(".python-version")).find(|file| file.is_file())
    });
    if let Some(file) = nearest {
        parts.push(std::fs::read_to_string(file).unwrap_or_default());
    }
    format!("{:016x}", hash_of(&parts))
}

/// The stamps that change when the botocore package at `data` is reinstalled or upgraded.
fn location_stamps(data: &Path) -> Option<String> {
    let package = data.parent()?;
    Some(format!("{} {}", stamp(data)?, stamp(package)?))
}

/// The data folder remembered for `key`, if it still exists unchanged.
pub(crate) fn remembered_location(cache: &Path, key: &str) -> Option<PathBuf> {
    let text = std::fs::read_to_string(location_file(cache, key)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != LOCATION_TAG || lines.next()? != key {
        return None;
    }
    let stamps = lines.next()?;
    let data = PathBuf::from(lines.next()?);
    (location_stamps(&data)? == stamps).then_some(data)
}

/// Remembers that `python3`, as `key` describes it, reported the data folder `data`.
pub(crate) fn remember_location(cache: &Path, key: &str, data: &Path) {
    let Some(text) = data.to_str().filter(|text| !text.contains('\n')) else { return };
    let Some(stamps) = location_stamps(data) else { return };
    let content = format!("{LOCATION_TAG}\n{key}\n{stamps}\n{text}\n");
    write_atomically(&location_file(cache, key), content.as_bytes());
}

const COMPACT_TAG: &[u8] = b"runbook compact model 2\n";

/// The model in `path` (a `service-2.json` or `.json.gz`) of service `name`: from its compact
/// form in `cache` when there is one, else read, decoded, and (with a cache) made compact for
/// the next command.
pub(crate) fn service(
    cache: Option<&Path>,
    name: &str,
    path: &Path,
) -> Result<ServiceModel, ModelError> {
    let parse_error = |source| ModelError::Parse { path: path.to_path_buf(), source };
    let Some(cache) = cache else {
        let text = read_model_text(path)?;
        return ServiceModel::from_json(name, &text).map_err(parse_error);
    };
    let source = source_key(path);
    let file = source.as_ref().map(|key| cache.join("models").join(format!("{name}-{key}.rbm")));
    let open_file = |file: &Path, key: &str| {
        std::fs::File::open(file).ok().and_then(|handle| open(name, key, handle))
    };
    if let (Some(file), Some(key)) = (&file, &source)
        && let Some(model) = open_file(file, key)
    {
        mark_used(file);
        return Ok(model);
    }
    let text = read_model_text(path)?;
    let compact = compact(&text, source.as_deref().unwrap_or_default()).map_err(parse_error)?;
    if let (Some(file), Some(key)) = (&file, &source) {
        write_atomically(file, &compact);
        prune(&cache.join("models"), name, file);
        if let Some(model) = open_file(file, key) {
            return Ok(model);
        }
    }
    // The cache folder cannot be written: the model is decoded whole, as without a cache.
    ServiceModel::from_json(name, &text).map_err(parse_error)
}

/// How many compact forms of one service the cache keeps besides the newest: one per botocore
/// in use (a project's virtual environment and the system's, say), without growing with every
/// environment ever made and removed.
const KEPT_PER_SERVICE: usize = 2;

/// Marks a compact form as used now, so that pruning keeps the ones in use.
#[allow(
    clippy::disallowed_methods,
    reason = "a file's modification time is file-system bookkeeping, not the run's clock"
)]
fn mark_used(file: &Path) {
    if let Ok(handle) = std::fs::File::options().append(true).open(file) {
        let _ = handle.set_modified(std::time::SystemTime::now());
    }
}

/// Removes the compact forms of service `name` other than `kept` beyond the
/// `KEPT_PER_SERVICE` most recently used.
fn prune(models: &Path, name: &str, kept: &Path) {
    let Ok(entries) = std::fs::read_dir(models) else { return };
    let mut others: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path != kept)
        .filter(|path| {
            // `ec2-KEY.rbm` is ec2's; `ec2-instance-connect-KEY.rbm` is not.
            path.file_name()
                .and_then(|file| file.to_str())
                .and_then(|file| file.strip_suffix(".rbm"))
                .and_then(|stem| stem.rsplit_once('-'))
                .is_some_and(|(service, _)| service == name)
        })
        .filter_map(|path| Some((std::fs::metadata(&path).ok()?.modified().ok()?, path)))
        .collect();
    others.sort_by_key(|(used, _)| std::cmp::Reverse(*used));
    for (_, path) in others.into_iter().skip(KEPT_PER_SERVICE) {
        let _ = std::fs::remove_file(path);
    }
}

/// The model file's identity (its path, size and modification time) and the compact form's
/// version, hashed.
fn source_key(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    // The form's version is part of the key, so that binaries that write different forms do
    // not replace each other's files.
    Some(format!("{:016x}", hash_of(&(path, metadata.len(), modified, COMPACT_TAG))))
}

/// A model file's JSON text, unzipped if it is gzipped.
pub(crate) fn read_model_text(path: &Path) -> Result<Vec<u8>, ModelError> {
    let io_error = |source| ModelError::Io { path: path.to_path_buf(), source };
    let bytes = std::fs::read(path).map_err(io_error)?;
    if path.extension().is_some_and(|extension| extension == "gz") {
        let mut text = Vec::with_capacity(bytes.len() * 8);
        flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut text).map_err(io_error)?;
        Ok(text)
    } else {
        Ok(bytes)
    }
}

#[derive(Deserialize)]
struct RawModel<'a> {
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    operations: IndexMap<String, &'a RawValue>,
    #[serde(borrow, default)]
    shapes: IndexMap<String, &'a RawValue>,
}

/// Keys no analysis or protocol reads, dropped from the compact form; documentation is most of
/// a model's size.
const UNUSED: [&str; 8] = [
    "documentation",
    "documentationUrl",
    "min",
    "max",
    "pattern",
    "deprecatedMessage",
    "sensitive",
    "box",
];

fn strip(value: &mut Value) {
    if let Value::Object(object) = value {
        for key in UNUSED {
            object.shift_remove(key);
        }
    }
}

/// Strips an operation or a shape and the member references it holds (not the names of its
/// members: a member may well be called `pattern`).
fn strip_entry(value: &mut Value) {
    strip(value);
    let Value::Object(object) = value else { return };
    for key in ["input", "output", "member", "key", "value"] {
        if let Some(member) = object.get_mut(key) {
            strip(member);
        }
    }
    for key in ["members"] {
        if let Some(Value::Object(members)) = object.get_mut(key) {
            members.values_mut().for_each(strip);
        }
    }
    if let Some(Value::Array(errors)) = object.get_mut("errors") {
        errors.iter_mut().for_each(strip);
    }
}

/// The compact form of a model's JSON text; every entry is decoded once here, so a model that
/// does not decode is an error now rather than a missing shape later.
///
/// The form: a tag line, `source <key>`, the metadata as one line of JSON, `operations <n>
/// <index length>`, `shapes <n> <index length>` and `body <length>` lines, then the index of
/// the operations and that of the shapes (as `table::write_index` writes them: sorted by name, so that a
/// command finds an entry without reading them all), then the body, where each entry is a
/// compact JSON text at the place its index record gives.
fn compact(text: &[u8], source: &str) -> Result<Vec<u8>, serde_json::Error> {
    let raw: RawModel<'_> = serde_json::from_slice(text)?;
    let metadata = match raw.metadata {
        Some(metadata) => {
            let _: Metadata = serde_json::from_str(metadata.get())?;
            serde_json::to_string(&serde_json::from_str::<Value>(metadata.get())?)?
        }
        None => "{}".to_string(),
    };
    let too_large = || serde::de::Error::custom("the model is too large for its compact form");
    let mut body = Vec::with_capacity(text.len() / 3);
    let mut add = |raw: &RawValue| -> Result<(u32, u32), serde_json::Error> {
        let mut value: Value = serde_json::from_str(raw.get())?;
        strip_entry(&mut value);
        let start = body.len();
        serde_json::to_writer(&mut body, &value)?;
        let start = u32::try_from(start).map_err(|_| too_large())?;
        let length = u32::try_from(body.len()).map_err(|_| too_large())? - start;
        Ok((start, length))
    };
    let mut operations = Vec::with_capacity(raw.operations.len());
    for (name, operation) in &raw.operations {
        let _: OperationDef = serde_json::from_str(operation.get())?;
        let (start, length) = add(operation)?;
        operations.push((name.as_str(), start, length));
    }
    let mut shapes = Vec::with_capacity(raw.shapes.len());
    for (name, shape) in &raw.shapes {
        let _: Shape = serde_json::from_str(shape.get())?;
        let (start, length) = add(shape)?;
        shapes.push((name.as_str(), start, length));
    }
    let mut index = Vec::with_capacity(index_length(&operations) + index_length(&shapes));
    write_index(&operations, &mut index).ok_or_else(too_large)?;
    write_index(&shapes, &mut index).ok_or_else(too_large)?;
    let mut out = Vec::with_capacity(index.len() + body.len() + metadata.len() + 256);
    out.extend_from_slice(COMPACT_TAG);
    let _ = write!(
        Text(&mut out),
        "source {source}\n{metadata}\noperations {} {}\nshapes {} {}\nbody {}\n",
        operations.len(),
        index_length(&operations),
        shapes.len(),
        index_length(&shapes),
        body.len()
    );
    out.extend_from_slice(&index);
    out.extend_from_slice(&body);
    Ok(out)
}

/// `fmt::Write` into bytes.
struct Text<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Text<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// Opens a compact form made by [`compact`] from a model with source key `source`, reading only
/// its header and index; `None` when it is not one (another version of the form, another
/// source, a truncated file).
fn open(name: &str, source: &str, file: std::fs::File) -> Option<ServiceModel> {
    let total = file.metadata().ok()?.len();
    let mut reader = std::io::BufReader::new(file);
    let mut consumed = 0u64;
    let mut line = |reader: &mut std::io::BufReader<std::fs::File>| -> Option<Vec<u8>> {
        let mut line = Vec::new();
        reader.read_until(b'\n', &mut line).ok()?;
        consumed += line.len() as u64;
        (line.pop() == Some(b'\n')).then_some(line)
    };
    // A `<label> <number>...` line.
    let numbers = |line: Option<Vec<u8>>, label: &str| -> Option<Vec<usize>> {
        let line = String::from_utf8(line?).ok()?;
        let rest = line.strip_prefix(label)?.strip_prefix(' ')?;
        rest.split(' ').map(|number| number.parse().ok()).collect()
    };
    if line(&mut reader)? != COMPACT_TAG[..COMPACT_TAG.len() - 1] {
        return None;
    }
    if line(&mut reader)? != format!("source {source}").as_bytes() {
        return None;
    }
    let metadata: Metadata = serde_json::from_slice(&line(&mut reader)?).ok()?;
    let [operations, operations_length] = numbers(line(&mut reader), "operations")?[..] else {
        return None;
    };
    let [shapes, shapes_length] = numbers(line(&mut reader), "shapes")?[..] else {
        return None;
    };
    let [body_length] = numbers(line(&mut reader), "body")?[..] else { return None };
    let index_length = operations_length.checked_add(shapes_length)?;
    let body_start = consumed.checked_add(index_length as u64)?;
    if total != body_start.checked_add(body_length as u64)? {
        return None;
    }
    let mut index = vec![0; index_length];
    reader.read_exact(&mut index).ok()?;
    let index = Arc::new(index);
    let operations = Index::new(Arc::clone(&index), 0, operations)?;
    let shapes = Index::new(index, operations_length, shapes)?;
    let body = Arc::new(Body::new(reader.into_inner(), body_start, body_length as u64));
    let operations: Table<OperationDef> = Table::lazy(Arc::clone(&body), operations);
    let shapes: Table<Shape> = Table::lazy(body, shapes);
    Some(ServiceModel::from_parts(name, metadata, operations, shapes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{
      "version": "2.0",
      "metadata": {"apiVersion": "2020-01-01", "protocol": "json", "targetPrefix": "Demo"},
      "operations": {
        "GetThing": {"name": "GetThing", "http": {"method": "POST", "requestUri": "/"},
                     "input": {"shape": "In", "documentation": "in"},
                     "output": {"shape": "Out"}, "documentation": "<p>long</p>"}
      },
      "shapes": {
        "In": {"type": "structure", "required": ["pattern"],
               "members": {"pattern": {"shape": "S", "documentation": "d"}}},
        "Out": {"type": "structure", "members": {"Items": {"shape": "L"}}},
        "L": {"type": "list", "member": {"shape": "S", "locationName": "item"}},
        "S": {"type": "string", "max": 10, "pattern": ".*", "enum": ["a", "b"]}
      }
    }"#;

    /// Opens `bytes` as a compact file.
    fn open_bytes(name: &str, source: &str, bytes: &[u8]) -> Option<ServiceModel> {
        let root = scratch("open");
        let path = root.join("model.rbm");
        std::fs::write(&path, bytes).unwrap();
        let model = open(name, source, std::fs::File::open(&path).unwrap());
        std::fs::remove_dir_all(root).unwrap();
        model
    }

    #[test]
    fn the_compact_form_reads_back_without_documentation() {
        let compact = compact(MODEL.as_bytes(), "k").unwrap();
        let text = String::from_utf8_lossy(&compact);
        assert!(!text.contains("documentation"), "{text}");
        assert!(!text.contains("\"max\""), "{text}");
        let model = open_bytes("demo", "k", &compact).unwrap();
        assert_eq!(model.metadata().target_prefix.as_deref(), Some("Demo"));
        let operation = model.operation("get_thing").unwrap();
        let input = operation.input().unwrap();
        assert!(input.members.contains_key("pattern"));
        assert_eq!(input.required, ["pattern"]);
        assert!(operation.output().unwrap().members.contains_key("Items"));
        assert_eq!(model.shape_count(), 4);
        assert_eq!(model.operation_names().collect::<Vec<_>>(), ["GetThing"]);
        assert!(model.shape("Missing").is_none());
        assert!(open_bytes("demo", "other source", &compact).is_none());
        assert!(open_bytes("demo", "k", &compact[..compact.len() - 1]).is_none());
        assert!(open_bytes("demo", "k", &[&compact[..], b"x"].concat()).is_none());
        // The form of an earlier version is not read.
        let earlier = [b"runbook compact model 1\n".as_slice(), &compact[COMPACT_TAG.len()..]];
        assert!(open_bytes("demo", "k", &earlier.concat()).is_none());
    }

    #[test]
    fn a_broken_shape_stops_the_compact_form() {
        let text = r#"{"metadata": {}, "operations": {}, "shapes": {"L": {"type": "list"}}}"#;
        let error = compact(text.as_bytes(), "k").unwrap_err();
        assert!(error.to_string().contains("list shape without `member`"), "{error}");
    }

    fn scratch(tag: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("runbook-cache-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        root
    }

    #[test]
    fn a_service_is_made_compact_once_and_again_when_its_file_changes() {
        let root = scratch("service");
        let cache = root.join("cache");
        let path = root.join("service-2.json");
        std::fs::write(&path, MODEL).unwrap();
        let first = service(Some(&cache), "demo", &path).unwrap();
        assert_eq!(first.shape_count(), 4);
        let files = || std::fs::read_dir(cache.join("models")).unwrap().count();
        assert_eq!(files(), 1);
        let again = service(Some(&cache), "demo", &path).unwrap();
        assert_eq!(again.shape_count(), 4);
        assert_eq!(files(), 1);
        std::fs::write(&path, MODEL.replace(r#""L": "#, r#""M": {"type": "long"}, "L": "#))
            .unwrap();
        assert_eq!(service(Some(&cache), "demo", &path).unwrap().shape_count(), 5);
        assert_eq!(files(), 2);
        // A damaged cache file is made again.
        for entry in std::fs::read_dir(cache.join("models")).unwrap() {
            std::fs::write(entry.unwrap().path(), "runbook compact model 1\nsource").unwrap();
        }
        assert_eq!(service(Some(&cache), "demo", &path).unwrap().shape_count(), 5);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_cache_keeps_a_few_forms_of_a_service_not_one_per_botocore_ever_seen() {
        let root = scratch("prune");
        let cache = root.join("cache");
        std::fs::create_dir_all(cache.join("models")).unwrap();
        // Another service whose name starts with this one's is not touched.
        let neighbour = cache.join("models/demo-extra-0000000000000000.rbm");
        std::fs::write(&neighbour, "x").unwrap();
        for version in 0..5 {
            let path = root.join(format!("v{version}/service-2.json"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, MODEL).unwrap();
            service(Some(&cache), "demo", &path).unwrap();
        }
        let names: Vec<String> = std::fs::read_dir(cache.join("models"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let own = names.iter().filter(|name| !name.starts_with("demo-extra-")).count();
        assert_eq!(own, 1 + KEPT_PER_SERVICE, "{names:?}");
        assert!(neighbour.exists());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_location_is_remembered_until_its_folders_change() {
        let root = scratch("location");
        let cache = root.join("cache");
        let data = root.join("botocore/data");
        std::fs::create_dir_all(&data).unwrap();
        remember_location(&cache, "key", &data);
        assert_eq!(remembered_location(&cache, "key"), Some(data.clone()));
        assert_eq!(remembered_location(&cache, "another python"), None);
        // Another interpreter's answer sits beside it rather than replacing it.
        let other = root.join("other/botocore/data");
        std::fs::create_dir_all(&other).unwrap();
        remember_location(&cache, "another python", &other);
        assert_eq!(remembered_location(&cache, "another python"), Some(other));
        assert_eq!(remembered_location(&cache, "key"), Some(data.clone()));
        // An upgrade replaces the package folder.
        std::fs::remove_dir_all(root.join("botocore")).unwrap();
        assert_eq!(remembered_location(&cache, "key"), None);
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(
            location_file(&cache, "key"),
            format!("{LOCATION_TAG}\nkey\n1 2\n{}\n", data.display()),
        )
        .unwrap();
        assert_eq!(remembered_location(&cache, "key"), None);
        std::fs::remove_dir_all(root).unwrap();
    }
}
