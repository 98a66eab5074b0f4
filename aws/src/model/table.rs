//! A table of named model entries (operations or shapes) decoded on first use.
//!
//! A compact model file keeps every entry as a small JSON text at a known place; a runbook
//! touches a handful of ec2's four thousand shapes, so decoding only those keeps a command's
//! cost to the work it does. A table made from an already decoded model simply holds its values.

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;

/// Named entries, each decoded from its text the first time it is asked for.
#[derive(Clone, Debug)]
pub(crate) struct Table<T> {
    text: Arc<Vec<u8>>,
    slots: IndexMap<String, Slot<T>>,
}

#[derive(Clone, Debug)]
struct Slot<T> {
    start: usize,
    end: usize,
    // `None` once decoded means the text was not a `T`: the entry is treated as absent.
    value: OnceLock<Option<T>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self { text: Arc::default(), slots: IndexMap::new() }
    }
}

impl<T: DeserializeOwned> Table<T> {
    /// A table of values already decoded.
    pub(crate) fn decoded(values: IndexMap<String, T>) -> Self {
        let slots = values
            .into_iter()
            .map(|(name, value)| {
                (name, Slot { start: 0, end: 0, value: OnceLock::from(Some(value)) })
            })
            .collect();
        Self { text: Arc::default(), slots }
    }

    /// A table over `text`, whose entries are the given (name, start, end) byte ranges of it.
    /// Ranges outside the text are the caller's error and make their entry absent.
    pub(crate) fn lazy(
        text: Arc<Vec<u8>>,
        entries: impl IntoIterator<Item = (String, usize, usize)>,
    ) -> Self {
        let slots = entries
            .into_iter()
            .map(|(name, start, end)| (name, Slot { start, end, value: OnceLock::new() }))
            .collect();
        Self { text, slots }
    }

    /// The entry `name`, decoded.
    pub(crate) fn get(&self, name: &str) -> Option<&T> {
        let slot = self.slots.get(name)?;
        slot.value
            .get_or_init(|| {
                let bytes = self.text.get(slot.start..slot.end)?;
                serde_json::from_slice(bytes).ok()
            })
            .as_ref()
    }

    /// The names, in model order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.slots.keys().map(String::as_str)
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_decode_on_first_use_and_bad_ones_are_absent() {
        let text = Arc::new(b"[1,2][3]{bad".to_vec());
        let table: Table<Vec<u32>> = Table::lazy(
            text,
            [
                ("a".to_string(), 0, 5),
                ("b".to_string(), 5, 8),
                ("c".to_string(), 8, 12),
                ("d".to_string(), 8, 99),
            ],
        );
        assert_eq!(table.len(), 4);
        assert_eq!(table.get("a"), Some(&vec![1, 2]));
        assert_eq!(table.get("b"), Some(&vec![3]));
        assert_eq!(table.get("c"), None);
        assert_eq!(table.get("d"), None);
        assert_eq!(table.get("e"), None);
        assert_eq!(table.names().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }
}
