//! A mutation fuzzer for the decoder on stable Rust (no libFuzzer, no
//! nightly toolchain). Inputs start from real WAL -- the `pg15-mixed`
//! fixture and the seeds of `fixtures/fuzz/seeds` (pglz, LZ4 and zstd
//! images, TOAST values; made by `make-seeds.sh`) -- and are mutated by a
//! seeded generator, so a run is the same for the same seed. Each target is
//! a stage that reads bytes from disk:
//!
//! - `reader`: record reassembly over a segment with a damaged window;
//! - `record`: record decoding (block references, images, main data) and
//!   every resource manager's description, on mutated record bytes;
//! - `image`: full-page image restoration (pglz, LZ4, zstd, holes);
//! - `redo`: heap redo of a run of records on tracked pages, one of them
//!   mutated, and the deforming of every row version it yields;
//! - `tuple`: tuple deforming with mutated tuples and descriptors;
//! - `toast`: TOAST assembly from mutated chunks and pointers, and inline
//!   compressed values.
//!
//! An input fails when a stage panics, takes over a second, or returns a
//! WAL error that does not carry the LSN it concerns. Failing inputs are
//! written (by the caller) to `fixtures/fuzz/crashes/`, which `tests/fuzz.rs`
//! replays. Shared by `examples/fuzz.rs` (timed runs) and `tests/fuzz.rs`.

mod corpus;
mod input;
mod mutate;
mod run;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use corpus::Corpus;
pub use input::{Failure, Input, Target};
pub use mutate::Rng;
pub use run::{catching, quiet_panics, Outcome};

/// The decoder crate's fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// What one target did in a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub execs: u64,
    /// Inputs refused with an error (the rest were read as valid).
    pub rejected: u64,
    pub time: Duration,
}

/// Counts of one run, per target.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub execs: BTreeMap<Target, Counts>,
    pub failures: Vec<Failure>,
    pub elapsed: Duration,
}

impl Report {
    pub fn total_execs(&self) -> u64 {
        self.execs.values().map(|c| c.execs).sum()
    }
}

/// Fuzzes `targets` round-robin, each with its own generator derived from
/// `seed`, until every target ran `execs_per_target` inputs or `deadline`
/// passed. Each failing input is minimized and handed to `on_failure`
/// (once per distinct reason) before the run goes on.
pub fn fuzz(
    corpus: &Corpus,
    seed: u64,
    targets: &[Target],
    execs_per_target: Option<u64>,
    deadline: Option<Instant>,
    on_failure: &mut dyn FnMut(&Failure),
) -> Report {
    let t0 = Instant::now();
    let mut rngs: Vec<Rng> = targets
        .iter()
        .map(|t| Rng::new(seed.wrapping_mul(31).wrapping_add(*t as u64 + 1)))
        .collect();
    let mut report = Report::default();
    let mut seen = HashSet::new();
    loop {
        let mut all_done = true;
        for (i, &t) in targets.iter().enumerate() {
            let n = report.execs.entry(t).or_default().execs;
            if execs_per_target.is_some_and(|max| n >= max) {
                continue;
            }
            all_done = false;
            // Timed runs give each target the same time (slices of 50 ms);
            // counted ones the same number of inputs.
            let batch = Instant::now();
            let slice = Duration::from_millis(50);
            loop {
                let input = corpus.generate(t, &mut rngs[i]);
                let result = corpus.run(&input);
                let c = report.execs.entry(t).or_default();
                c.execs += 1;
                if result == Ok(Outcome::Rejected) {
                    c.rejected += 1;
                }
                if let Err(reason) = result {
                    // One report per kind of failure: the message
                    // without its numbers (and the panic's place).
                    let kind: String = reason.chars().filter(|c| !c.is_ascii_digit()).collect();
                    let key = (t, kind);
                    if seen.insert(key) {
                        let input = corpus.minimize(&input);
                        let reason = corpus.run(&input).err().unwrap_or(reason);
                        let f = Failure { input, reason };
                        on_failure(&f);
                        report.failures.push(f);
                    }
                }
                let n = report.execs[&t].execs;
                match execs_per_target {
                    Some(max) if n >= max || n % 64 == 0 => break,
                    None if batch.elapsed() >= slice => break,
                    _ => {}
                }
            }
            report.execs.entry(t).or_default().time += batch.elapsed();
        }
        if all_done || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    report.elapsed = t0.elapsed();
    report
}

/// The kept failing inputs (`fixtures/fuzz/crashes/*.bin`).
pub fn crash_files() -> Vec<(PathBuf, Input)> {
    let dir = fixtures_dir().join("fuzz/crashes");
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "bin") {
                let bytes = std::fs::read(&p).unwrap_or_default();
                match Input::decode(&bytes) {
                    Some(i) => out.push((p, i)),
                    None => panic!("{} is not a fuzz input", p.display()),
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
