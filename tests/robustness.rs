//! The loader and the validator never panic: corpus runbooks mutated at random (lines dropped,
//! duplicated or swapped, characters replaced, text cut short) are fed to both. The mutations
//! are reproducible (a fixed seed); `RUNBOOK_MUTATIONS` sets how many per file.

use runbook_engine::Document;
use runbook_engine::document::Format;
use runbook_engine::validate::validate;

use crate::support::corpus_files;

/// A small, reproducible pseudo-random generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const NOISE: &[&str] = &[
    "{", "}", "[", "]", ":", "- ", "'", "\"", "\n", "\t", "  ", "{{", "}}", "&a", "*a", "<<: ",
    "!!int ", "\\u", ",", "#",
];

fn mutate(text: &str, random: &mut Random) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    match random.below(6) {
        0 if !lines.is_empty() => {
            lines.remove(random.below(lines.len()));
            lines.join("\n")
        }
        1 if !lines.is_empty() => {
            let at = random.below(lines.len());
            lines.insert(at, lines[at]);
            lines.join("\n")
        }
        2 if lines.len() > 1 => {
            let (a, b) = (random.below(lines.len()), random.below(lines.len()));
            lines.swap(a, b);
            lines.join("\n")
        }
        3 => {
            let mut chars: Vec<char> = text.chars().collect();
            let at = random.below(chars.len());
            let noise = NOISE[random.below(NOISE.len())];
            chars.splice(at..(at + 1).min(chars.len()), noise.chars());
            chars.into_iter().collect()
        }
        4 => text.chars().take(random.below(text.chars().count())).collect(),
        _ => {
            let mut chars: Vec<char> = text.chars().collect();
            let at = random.below(chars.len());
            let noise = NOISE[random.below(NOISE.len())];
            for (offset, c) in noise.chars().enumerate() {
                chars.insert((at + offset).min(chars.len()), c);
            }
            chars.into_iter().collect()
        }
    }
}

#[test]
fn mutated_corpus_files_never_panic() {
    let per_file: usize =
        std::env::var("RUNBOOK_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let mut random = Random(0x5EED_2026);
    let mut loaded = 0usize;
    let mut runs = 0usize;
    for (name, path) in corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let format = Format::from_path(&path);
        for _ in 0..per_file {
            let mutated = mutate(&text, &mut random);
            runs += 1;
            let outcome = std::panic::catch_unwind(|| {
                if let Ok(document) = Document::parse(&name, mutated.clone(), format) {
                    let _ = validate(&document);
                    true
                } else {
                    false
                }
            });
            match outcome {
                Ok(true) => loaded += 1,
                Ok(false) => {}
                Err(panic) => {
                    drop(panic);
                    panic!("{name}: a mutation panicked; the mutated text was:\n{mutated}")
                }
            }
        }
    }
    assert!(runs > 2000, "only {runs} mutations ran");
    // Most mutations still load, so the validator is exercised too, not only the parser.
    assert!(loaded * 3 > runs, "only {loaded} of {runs} mutated files loaded");
}
