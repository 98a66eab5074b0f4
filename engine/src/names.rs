//! The engine's own lookup tables keyed by names (steps, interned template strings, selector
//! texts). Planning, validation and the run look names up several times a step, and the
//! standard library's hash cost more than the lookups around it. These stay `IndexMap`s, so
//! their order is the order of insertion whatever the hash.

/// A fast hash, seeded once per process.
pub(crate) type Hasher = foldhash::fast::RandomState;

/// A map keyed by names.
pub(crate) type NameMap<K, V> = indexmap::IndexMap<K, V, Hasher>;

/// A set of names.
pub(crate) type NameSet<T> = indexmap::IndexSet<T, Hasher>;
