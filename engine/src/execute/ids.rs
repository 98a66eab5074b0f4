//! Execution ids: UUID-shaped like the service's, drawn from a seeded generator. A dry run or a
//! test seeds it from what it runs ([`IdGenerator::for_run`]), so that it gives the same ids
//! every time; a run against AWS seeds it with fresh randomness, so that two real runs never
//! share an id (resources named after `automation:EXECUTION_ID` would collide).

use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;
use serde_json::Value;

use crate::document::Source;

/// Makes ids.
#[derive(Debug)]
pub struct IdGenerator {
    seed: u64,
    counter: AtomicU64,
}

impl IdGenerator {
    /// The seed of dry runs and tests unless they are given another.
    pub const SEED: u64 = 0x5EED;

    /// A generator whose ids follow from `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { seed, counter: AtomicU64::new(0) }
    }

    /// A generator whose ids follow from the runbook's text, the run's parameters and `seed`:
    /// the same run gives the same ids, a different runbook or parameter gives others.
    pub fn for_run(document_text: &str, parameters: &IndexMap<String, Value>, seed: u64) -> Self {
        Self::from_text_hash(text_hash(document_text), parameters, seed)
    }

    /// [`for_run`](Self::for_run) of the runbook read from `source`, whose text's hash is found
    /// once, and may have been found already.
    pub fn for_source(source: &Source, parameters: &IndexMap<String, Value>, seed: u64) -> Self {
        Self::from_text_hash(source.text_hash(), parameters, seed)
    }

    fn from_text_hash(text_hash: u64, parameters: &IndexMap<String, Value>, seed: u64) -> Self {
        // The parameters go on where the text left off: one hash of the text and then them.
        let mut hash = Fnv(text_hash);
        for (name, value) in parameters {
            hash.write(&[0]);
            hash.write(name.as_bytes());
            hash.write(&[0]);
            hash.write(value.to_string().as_bytes());
        }
        Self::new(mix(hash.0 ^ mix(seed)))
    }

    /// The next id: 36 characters in the 8-4-4-4-12 form of a version-4 UUID.
    pub fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let high = mix(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let low = mix(high ^ self.seed.rotate_left(17) ^ n);
        // Written digit by digit: a run takes one id a step, and `format!` costs more than
        // the rest of making it.
        let mut text = *b"00000000-0000-4000-0000-000000000000";
        let mut put = |at: usize, width: usize, mut value: u64| {
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b"0123456789abcdef"[(value & 0xF) as usize];
                value >>= 4;
            }
        };
        put(0, 8, high >> 32);
        put(9, 4, (high >> 16) & 0xFFFF);
        put(15, 3, high & 0x0FFF);
        put(19, 4, ((low >> 48) & 0x3FFF) | 0x8000);
        put(24, 12, low & 0xFFFF_FFFF_FFFF);
        // Hex digits and dashes: always text, and checked as such at a glance.
        std::str::from_utf8(&text).map_or_else(|_| String::new(), str::to_owned)
    }
}

impl Default for IdGenerator {
    fn default() -> Self {
        Self::new(Self::SEED)
    }
}

/// Whether `text` has the form of an execution id: a UUID, 36 characters in the 8-4-4-4-12
/// form of hexadecimal digits.
pub fn is_execution_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// 64-bit FNV-1a: stable across platforms and compiler versions, unlike the standard hasher.
/// The hash of a runbook's text that its execution ids start from (see
/// [`IdGenerator::for_run`]).
pub fn text_hash(text: &str) -> u64 {
    let mut hash = Fnv::default();
    hash.write(text.as_bytes());
    hash.0
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// splitmix64's finalizer.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_written_as_their_numbers_say() {
        let ids = IdGenerator::new(0x1234);
        let (high, low) = {
            let n = 0u64;
            let high = mix(0x1234 ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            (high, mix(high ^ 0x1234u64.rotate_left(17) ^ n))
        };
        let expected = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0x0FFF,
            ((low >> 48) & 0x3FFF) | 0x8000,
            low & 0xFFFF_FFFF_FFFF
        );
        assert_eq!(ids.next_id(), expected);
    }

    #[test]
    fn a_source_s_hash_gives_the_ids_its_text_gives() {
        let text = "schemaVersion: '0.3'\nmainSteps: []\n";
        let source = Source::new("r.yaml", text.to_string(), crate::document::Format::Yaml);
        let parameters: IndexMap<String, Value> =
            [("Name".to_string(), Value::from("x"))].into_iter().collect();
        let expected = IdGenerator::for_run(text, &parameters, 3).next_id();
        assert_eq!(IdGenerator::for_source(&source, &parameters, 3).next_id(), expected);
        // Found before, on another thread: the same.
        std::thread::scope(|scope| scope.spawn(|| source.text_hash()).join().unwrap());
        assert_eq!(IdGenerator::for_source(&source, &parameters, 3).next_id(), expected);
        assert_ne!(IdGenerator::for_run("other", &parameters, 3).next_id(), expected);
    }

    #[test]
    fn ids_are_uuid_shaped_distinct_and_reproducible() {
        let a = IdGenerator::new(7);
        let b = IdGenerator::new(7);
        let first = a.next_id();
        assert_eq!(first, b.next_id());
        assert_ne!(first, a.next_id());
        assert_eq!(first.len(), 36);
        assert_eq!(&first[14..15], "4");
        assert!(is_execution_id(&first), "{first}");
    }

    #[test]
    fn run_ids_follow_the_runbook_the_parameters_and_the_seed() {
        let parameters: IndexMap<String, Value> = [("Name".to_string(), Value::from("a"))].into();
        let other: IndexMap<String, Value> = [("Name".to_string(), Value::from("b"))].into();
        let id = |text: &str, parameters: &IndexMap<String, Value>, seed: u64| {
            IdGenerator::for_run(text, parameters, seed).next_id()
        };
        let first = id("text", &parameters, 1);
        assert_eq!(first, id("text", &parameters, 1), "the same run, the same id");
        assert_ne!(first, id("text 2", &parameters, 1), "another runbook");
        assert_ne!(first, id("text", &other, 1), "another parameter value");
        assert_ne!(first, id("text", &parameters, 2), "another seed");
        assert!(is_execution_id(&first));
    }

    #[test]
    fn execution_ids_are_uuids() {
        assert!(is_execution_id("0123abcd-0000-4000-8000-00000000BEEF"));
        for bad in
            ["", "0123abcd00004000800000000000beef", "0123abcd-0000-4000-8000-00000000beeg", "x"]
        {
            assert!(!is_execution_id(bad), "{bad}");
        }
    }
}
