//! Execution ids: UUID-shaped like the service's, drawn from a seeded generator so that dry-runs
//! and tests give the same ids every time.

use std::sync::atomic::{AtomicU64, Ordering};

/// Makes ids.
#[derive(Debug)]
pub struct IdGenerator {
    seed: u64,
    counter: AtomicU64,
}

impl IdGenerator {
    /// A generator whose ids follow from `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { seed, counter: AtomicU64::new(0) }
    }

    /// The next id: 36 characters in the 8-4-4-4-12 form of a version-4 UUID.
    pub fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let high = mix(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let low = mix(high ^ self.seed.rotate_left(17) ^ n);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0x0FFF,
            ((low >> 48) & 0x3FFF) | 0x8000,
            low & 0xFFFF_FFFF_FFFF
        )
    }
}

impl Default for IdGenerator {
    fn default() -> Self {
        Self::new(0x5EED)
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
    fn ids_are_uuid_shaped_distinct_and_reproducible() {
        let a = IdGenerator::new(7);
        let b = IdGenerator::new(7);
        let first = a.next_id();
        assert_eq!(first, b.next_id());
        assert_ne!(first, a.next_id());
        assert_eq!(first.len(), 36);
        assert_eq!(&first[14..15], "4");
    }
}
