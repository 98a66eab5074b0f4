//! A table of named model entries (operations or shapes) decoded on first use.
//!
//! A compact model file (`cache.rs`) keeps every entry as a small JSON text at a known place
//! of its body, and an index sorted by name. A runbook touches a handful of ec2's four thousand
//! shapes, so a table over such a file holds only the index in memory, finds a name by binary
//! search and reads and decodes an entry from the file the first time it is asked for: a
//! command's cost follows the work it does, not the size of the model. A table made from an
//! already decoded model simply holds its values.

use std::cmp::Ordering;
use std::fs::File;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;

/// The size of one index record: the name's offset and length in the names area, the
/// entry's offset and length in the body, each a little-endian `u32`.
pub(crate) const RECORD: usize = 16;

/// Named entries, each decoded the first time it is asked for.
#[derive(Clone, Debug)]
pub(crate) struct Table<T> {
    inner: Inner<T>,
}

#[derive(Clone, Debug)]
enum Inner<T> {
    Decoded(IndexMap<String, T>),
    Lazy(Lazy<T>),
}

/// A table over a compact file: its index and the entries decoded so far.
#[derive(Clone, Debug)]
struct Lazy<T> {
    body: Arc<Body>,
    index: Index,
    // `None` once decoded means the text was not a `T`: the entry is treated as absent.
    values: Vec<OnceLock<Option<Box<T>>>>,
}

/// The body of a compact file: entries are read from it at their offsets.
#[derive(Debug)]
pub(crate) struct Body {
    file: File,
    start: u64,
    length: u64,
}

impl Body {
    /// The body of `file`: `length` bytes from offset `start`.
    pub(crate) fn new(file: File, start: u64, length: u64) -> Self {
        Self { file, start, length }
    }

    /// The `length` bytes at `offset` of the body, if the file still has them.
    fn read(&self, offset: u32, length: u32) -> Option<Vec<u8>> {
        let end = u64::from(offset) + u64::from(length);
        if end > self.length {
            return None;
        }
        let mut bytes = vec![0; length as usize];
        read_exact_at(&self.file, &mut bytes, self.start + u64::from(offset)).ok()?;
        Some(bytes)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut bytes: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, bytes, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            read => {
                bytes = &mut bytes[read..];
                offset += read as u64;
            }
        }
    }
    Ok(())
}

/// The index of one table as the compact file stores it: `count` records sorted by name,
/// then `count` record numbers in model order (little-endian `u32`s), then the names.
#[derive(Clone, Debug)]
pub(crate) struct Index {
    bytes: Arc<Vec<u8>>,
    // Where this table's part of `bytes` starts and how many entries it has.
    at: usize,
    count: usize,
}

impl Index {
    /// The index of `count` entries at `at` of `bytes`; `None` when the records and the order
    /// do not fit in `bytes` (the names are checked as they are read).
    pub(crate) fn new(bytes: Arc<Vec<u8>>, at: usize, count: usize) -> Option<Self> {
        let end = at.checked_add(count.checked_mul(RECORD + 4)?)?;
        (end <= bytes.len()).then_some(Self { bytes, at, count })
    }

    fn word(&self, at: usize) -> u32 {
        self.bytes
            .get(at..at + 4)
            .and_then(|bytes| bytes.try_into().ok())
            .map_or(u32::MAX, u32::from_le_bytes)
    }

    /// Record `i`'s (name offset, name length, body offset, body length).
    fn record(&self, i: usize) -> [u32; 4] {
        let at = self.at + i * RECORD;
        [self.word(at), self.word(at + 4), self.word(at + 8), self.word(at + 12)]
    }

    fn names_start(&self) -> usize {
        self.at + self.count * (RECORD + 4)
    }

    /// Record `i`'s name; empty when the file is damaged.
    fn name(&self, i: usize) -> &[u8] {
        let [offset, length, ..] = self.record(i);
        let start = self.names_start().saturating_add(offset as usize);
        self.bytes.get(start..start.saturating_add(length as usize)).unwrap_or_default()
    }

    fn find(&self, name: &str) -> Option<usize> {
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.name(middle).cmp(name.as_bytes()) {
                Ordering::Less => low = middle + 1,
                Ordering::Greater => high = middle,
                Ordering::Equal => return Some(middle),
            }
        }
        None
    }

    /// The record numbers in model order.
    fn order(&self) -> impl Iterator<Item = usize> + '_ {
        let at = self.at + self.count * RECORD;
        (0..self.count).map(move |i| self.word(at + 4 * i) as usize)
    }
}

impl<T: DeserializeOwned> Table<T> {
    /// A table of values already decoded.
    pub(crate) fn decoded(values: IndexMap<String, T>) -> Self {
        Self { inner: Inner::Decoded(values) }
    }

    /// A table whose entries `index` finds in `body`.
    pub(crate) fn lazy(body: Arc<Body>, index: Index) -> Self {
        let values = std::iter::repeat_with(OnceLock::new).take(index.count).collect();
        Self { inner: Inner::Lazy(Lazy { body, index, values }) }
    }

    /// The entry `name`, decoded.
    pub(crate) fn get(&self, name: &str) -> Option<&T> {
        match &self.inner {
            Inner::Decoded(values) => values.get(name),
            Inner::Lazy(lazy) => {
                let i = lazy.index.find(name)?;
                lazy.values
                    .get(i)?
                    .get_or_init(|| {
                        let [_, _, offset, length] = lazy.index.record(i);
                        let bytes = lazy.body.read(offset, length)?;
                        serde_json::from_slice(&bytes).ok().map(Box::new)
                    })
                    .as_deref()
            }
        }
    }

    /// The names, in model order.
    pub(crate) fn names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match &self.inner {
            Inner::Decoded(values) => Box::new(values.keys().map(String::as_str)),
            Inner::Lazy(lazy) => Box::new(
                lazy.index
                    .order()
                    .filter(|i| *i < lazy.index.count)
                    .filter_map(|i| std::str::from_utf8(lazy.index.name(i)).ok()),
            ),
        }
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        match &self.inner {
            Inner::Decoded(values) => values.len(),
            Inner::Lazy(lazy) => lazy.index.count,
        }
    }
}

/// Writes the index of `entries` (name, body offset, body length), given in model order, as
/// [`Index`] reads it.
pub(crate) fn write_index(entries: &[(&str, u32, u32)], out: &mut Vec<u8>) -> Option<()> {
    let mut sorted: Vec<usize> = (0..entries.len()).collect();
    sorted.sort_by_key(|i| entries[*i].0.as_bytes());
    let mut position = vec![0u32; entries.len()];
    let mut names = Vec::new();
    for (rank, i) in sorted.iter().enumerate() {
        position[*i] = u32::try_from(rank).ok()?;
        let (name, offset, length) = entries[*i];
        for word in [u32::try_from(names.len()).ok()?, u32::try_from(name.len()).ok()?] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        names.extend_from_slice(name.as_bytes());
    }
    for rank in position {
        out.extend_from_slice(&rank.to_le_bytes());
    }
    out.extend_from_slice(&names);
    Some(())
}

/// The length of the index [`write_index`] writes for `entries`.
pub(crate) fn index_length(entries: &[(&str, u32, u32)]) -> usize {
    entries.iter().map(|(name, ..)| RECORD + 4 + name.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(body: &[u8], entries: &[(&str, u32, u32)]) -> Table<Vec<u32>> {
        let root = std::env::temp_dir().join(format!("runbook-table-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let path = root.join(format!("body-{}", body.len()));
        std::fs::write(&path, [b"head".as_slice(), body].concat()).unwrap();
        let file = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let mut index = b"xy".to_vec();
        write_index(entries, &mut index).unwrap();
        assert_eq!(index.len(), 2 + index_length(entries));
        let index = Index::new(Arc::new(index), 2, entries.len()).unwrap();
        Table::lazy(Arc::new(Body::new(file, 4, body.len() as u64)), index)
    }

    #[test]
    fn entries_decode_on_first_use_and_bad_ones_are_absent() {
        let table = table(
            b"[1,2][3]{bad",
            &[("d", 8, 91), ("b", 5, 3), ("a", 0, 5), ("c", 8, 4), ("aa", 5, 3)],
        );
        assert_eq!(table.len(), 5);
        assert_eq!(table.get("a"), Some(&vec![1, 2]));
        assert_eq!(table.get("aa"), Some(&vec![3]));
        assert_eq!(table.get("b"), Some(&vec![3]));
        assert_eq!(table.get("c"), None);
        assert_eq!(table.get("d"), None);
        assert_eq!(table.get("e"), None);
        assert_eq!(table.get(""), None);
        assert_eq!(table.names().collect::<Vec<_>>(), ["d", "b", "a", "c", "aa"]);
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let table = table(b"", &[]);
        assert_eq!(table.len(), 0);
        assert_eq!(table.get("a"), None);
        assert_eq!(table.names().count(), 0);
    }

    #[test]
    fn an_index_that_does_not_fit_its_bytes_is_refused() {
        assert!(Index::new(Arc::new(vec![0u8; 40]), 0, 2).is_some());
        assert!(Index::new(Arc::new(vec![0u8; 39]), 0, 2).is_none());
        assert!(Index::new(Arc::new(vec![0u8; 40]), 1, 2).is_none());
        assert!(Index::new(Arc::new(vec![0u8; 40]), 0, usize::MAX).is_none());
    }
}
