//! The fuzzer as tests: a short deterministic pass over every target (the
//! long runs are `examples/fuzz.rs`), the inputs it once failed on (kept in
//! `fixtures/fuzz/crashes/`) run again, and the harness's own guarantees:
//! the same seed makes the same inputs, inputs survive their file format,
//! and a failing stage is caught.

// The harness is shared with examples/fuzz.rs; each uses part of it.
#[allow(dead_code, unused_imports)]
#[path = "../fuzz/mod.rs"]
mod harness;

use harness::{catching, crash_files, fuzz, quiet_panics, Corpus, Input, Rng, Target};

/// Inputs per target in the short pass: a few seconds in a debug build.
const SHORT_PASS: u64 = 3000;

#[test]
fn a_short_deterministic_pass_fails_nothing() {
    quiet_panics();
    let corpus = Corpus::load();
    let report = fuzz(&corpus, 1, &Target::ALL, Some(SHORT_PASS), None, &mut |f| {
        eprintln!("FAILURE {f}\n  keep it: {}", f.input.file_name())
    });
    for t in Target::ALL {
        let c = report.execs[&t];
        assert!(c.execs >= SHORT_PASS, "{}: {} inputs", t.name(), c.execs);
        // Mutations reach past the first checks: some inputs are refused,
        // some read as valid.
        assert!(
            c.rejected > 0 && c.rejected < c.execs,
            "{}: {} of {} refused",
            t.name(),
            c.rejected,
            c.execs
        );
    }
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn kept_failing_inputs_pass_now() {
    quiet_panics();
    let corpus = Corpus::load();
    let files = crash_files();
    let failing: Vec<String> = files
        .iter()
        .filter_map(|(p, i)| corpus.run(i).err().map(|e| format!("{}: {e}", p.display())))
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
}

#[test]
fn the_same_seed_makes_the_same_inputs() {
    let corpus = Corpus::load();
    for t in Target::ALL {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let one: Vec<Input> = (0..50).map(|_| corpus.generate(t, &mut a)).collect();
        let two: Vec<Input> = (0..50).map(|_| corpus.generate(t, &mut b)).collect();
        let other: Vec<Input> = (0..50).map(|_| corpus.generate(t, &mut c)).collect();
        assert_eq!(one, two, "{}", t.name());
        assert_ne!(one, other, "{}", t.name());
        for i in &one {
            assert_eq!(Input::decode(&i.encode()).as_ref(), Some(i), "{}", t.name());
        }
    }
}

#[test]
fn failing_stages_are_caught() {
    quiet_panics();
    // A panic inside a stage becomes a failure with its message and place,
    // not the end of the run.
    let err = catching(|| -> u8 { panic!("boom") }).unwrap_err();
    assert!(err.starts_with("panic: boom at ") && err.contains("fuzz.rs"), "{err}");
    assert_eq!(catching(|| 7), Ok(7));
    // An input no stage can take is a failure too, not a pass.
    let corpus = Corpus::load();
    let bad = Input::Record { version: 0xBEEF, lsn: 0x100, bytes: vec![0; 30] };
    assert!(corpus.run(&bad).is_err());
}
