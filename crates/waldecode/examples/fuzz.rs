//! The decoder's mutation fuzzer (`fuzz/mod.rs` says what it does):
//!
//!     cargo run --profile fuzz -p waldecode --example fuzz -- --seconds 60 --seed 1
//!
//! Options: `--seconds N` (default 60), `--seed S` (default 1; a run is
//! the same for the same seed), `--targets reader,record,image,redo,tuple,toast`
//! (default all), `--save` (write failing inputs to `fixtures/fuzz/crashes/`,
//! where `tests/fuzz.rs` replays them), `--replay` (run the kept inputs and
//! exit). Prints executions per target and per second; exits with 1 when
//! an input failed.

// The harness is shared with tests/fuzz.rs; each uses part of it.
#[allow(dead_code, unused_imports)]
#[path = "../fuzz/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{crash_files, fuzz, quiet_panics, Corpus, Target};

fn main() {
    let mut seconds = 60u64;
    let mut seed = 1u64;
    let mut targets = Target::ALL.to_vec();
    let mut save = false;
    let mut replay = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
        match a.as_str() {
            "--seconds" => seconds = value().parse().unwrap_or_else(|_| usage("--seconds N")),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage("--seed S")),
            "--targets" => {
                targets = value()
                    .split(',')
                    .map(|t| {
                        Target::from_name(t)
                            .unwrap_or_else(|| usage(&format!("unknown target {t}")))
                    })
                    .collect()
            }
            "--save" => save = true,
            "--replay" => replay = true,
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    quiet_panics();
    let t = Instant::now();
    let corpus = Corpus::load();
    println!(
        "fuzz: corpus of {} seeds ({} records), {} images, {} row versions, {} TOAST values, {} inline values; loaded in {:.1} s",
        corpus.seeds.len(),
        corpus.seeds.iter().map(|s| s.records.len()).sum::<usize>(),
        corpus.images.len(),
        corpus.tuples.len(),
        corpus.toast.len(),
        corpus.inline.len(),
        t.elapsed().as_secs_f64()
    );
    if replay {
        let files = crash_files();
        let bad: Vec<_> =
            files.iter().filter_map(|(p, i)| corpus.run(i).err().map(|e| (p, e))).collect();
        for (p, e) in &bad {
            println!("FAILED {}: {e}", p.display());
        }
        println!("fuzz: replayed {} kept inputs, {} failed", files.len(), bad.len());
        std::process::exit(i32::from(!bad.is_empty()));
    }
    println!(
        "fuzz: seed {seed}, {seconds} s, targets {}",
        targets.iter().map(|t| t.name()).collect::<Vec<_>>().join(",")
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let crashes = harness::fixtures_dir().join("fuzz/crashes");
    let report = fuzz(&corpus, seed, &targets, None, Some(deadline), &mut |f| {
        println!("FAILURE {f}");
        if save {
            let _ = std::fs::create_dir_all(&crashes);
            let path = crashes.join(f.input.file_name());
            match std::fs::write(&path, f.input.encode()) {
                Ok(()) => println!("  kept as {}", path.display()),
                Err(e) => println!("  could not write {}: {e}", path.display()),
            }
        }
    });
    let secs = report.elapsed.as_secs_f64();
    for (t, c) in &report.execs {
        println!(
            "fuzz: {:>6} {:>9} execs, {:>8.0} execs/s, {:>3.0}% refused as damaged",
            t.name(),
            c.execs,
            c.execs as f64 / c.time.as_secs_f64(),
            100.0 * c.rejected as f64 / c.execs.max(1) as f64
        );
    }
    println!(
        "fuzz: {} execs in {secs:.1} s ({:.0} execs/s), {} failing inputs",
        report.total_execs(),
        report.total_execs() as f64 / secs,
        report.failures.len()
    );
    std::process::exit(i32::from(!report.failures.is_empty()));
}

fn usage(why: &str) -> ! {
    eprintln!(
        "fuzz: {why}\nusage: fuzz [--seconds N] [--seed S] [--targets a,b,...] [--save] [--replay]"
    );
    std::process::exit(2)
}
