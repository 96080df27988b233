//! Prints every record of a directory of WAL as
//! `LSN<TAB>rmgr<TAB>type<TAB>description<TAB>block refs`, the fields
//! `pg_waldump` and pg_walinspect show, to compare the decoder's text with
//! theirs on another major's WAL:
//! `cargo run --example describe -- DIR [START_LSN]`.

use waldecode::describe::{block_refs, description, record_type, rmgr_name};
use waldecode::source::{DirSource, WalSource};
use waldecode::{Lsn, WalError, WalReader};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: describe DIR [START_LSN]");
        std::process::exit(2);
    };
    let src = match DirSource::open(dir.as_ref(), None, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("describe: {e}");
            std::process::exit(2);
        }
    };
    let start = match args.next().map(|s| s.parse::<Lsn>()) {
        Some(Ok(l)) => l,
        Some(Err(_)) => {
            eprintln!("describe: not an LSN");
            std::process::exit(2);
        }
        None => src.oldest_lsn(),
    };
    let mut reader = WalReader::new(src);
    if let Err(e) = reader.seek(start) {
        eprintln!("describe: {e}");
        std::process::exit(2);
    }
    let (mut desc, mut blocks) = (String::new(), String::new());
    loop {
        match reader.next_record() {
            Ok(Some(rec)) => {
                desc.clear();
                blocks.clear();
                description(&rec, &mut desc);
                block_refs(&rec, &mut blocks);
                println!(
                    "{}\t{}\t{}\t{desc}\t{blocks}",
                    rec.lsn(),
                    rmgr_name(rec.rmid()),
                    record_type(&rec)
                );
            }
            Ok(None) | Err(WalError::EndOfWal { .. }) => break,
            Err(e) => {
                eprintln!("describe: {e}");
                std::process::exit(1);
            }
        }
    }
}
