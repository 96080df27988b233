//! Checks the page tracker's heap redo against the server's own page
//! images: `cargo run --release --example redo_check -- DIR [START_LSN]`
//! over a directory of WAL written with `wal_consistency_checking =
//! 'heap,heap2'` (scripts/redo-check.sh makes one on each major). Prints
//! the counts and every differing page; exits 1 on a difference or when
//! no page was compared (a check that compared nothing proves nothing).

use waldecode::heap::check::RedoCheck;
use waldecode::heap::PageStore;
use waldecode::source::{DirSource, WalSource};
use waldecode::{Lsn, WalError, WalReader};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: redo_check DIR [START_LSN]");
        std::process::exit(2);
    };
    let src = match DirSource::open(dir.as_ref(), None, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("redo_check: {e}");
            std::process::exit(2);
        }
    };
    let start = match args.next().map(|s| s.parse::<Lsn>()) {
        Some(Ok(l)) => l,
        Some(Err(_)) => {
            eprintln!("redo_check: not an LSN");
            std::process::exit(2);
        }
        None => src.oldest_lsn(),
    };
    let mut reader = WalReader::new(src);
    if let Err(e) = reader.seek(start) {
        eprintln!("redo_check: {e}");
        std::process::exit(2);
    }
    let mut store = PageStore::new(1 << 30);
    let mut check = RedoCheck::default();
    let mut version = None;
    loop {
        match reader.next_record() {
            Ok(Some(rec)) => {
                version.get_or_insert(rec.version());
                if let Err(e) = check.record(&rec, &mut store) {
                    eprintln!("redo_check: {e}");
                    std::process::exit(1);
                }
            }
            Ok(None) => break,
            // The end of valid WAL: a zeroed or recycled tail.
            Err(WalError::EndOfWal { .. }) => break,
            Err(e) => {
                eprintln!("redo_check: {e}");
                std::process::exit(1);
            }
        }
    }
    for m in check.mismatches.iter().take(50) {
        println!("differs: {} at byte {}", m.what, m.offset);
    }
    let major = version.map_or(0, |v| v.major());
    println!(
        "redo_check: PostgreSQL {major}: {} heap records checked, {} pages compared, {} untracked, {} differing",
        check.records,
        check.compared,
        check.untracked,
        check.mismatches.len()
    );
    if !check.mismatches.is_empty() || check.compared == 0 {
        std::process::exit(1);
    }
}
