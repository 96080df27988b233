//! Times the decoder alone over a directory of WAL segments, to separate
//! its cost from the server's: `cargo run --release --example scan -- DIR [START]`.
//! Prints records, bytes and seconds for a page-only pass and a full pass.

use std::time::Instant;

use waldecode::source::{DirSource, WalSource};
use waldecode::stats::WalStats;
use waldecode::{Lsn, WalReader};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: scan DIR [START_LSN]");
    let src = DirSource::open(dir.as_ref(), None, None).expect("open");
    let (first, last) = src.segment_range().expect("segments");
    let seg = src.segment_size();
    let start = args
        .next()
        .map(|s| s.parse::<Lsn>().expect("lsn"))
        .unwrap_or(Lsn::from_segment(first, seg));

    // RECORDS_ONLY=1: only the record pass (for a profile of it alone).
    let records_only = std::env::var_os("RECORDS_ONLY").is_some();
    let mut pages = DirSource::open(dir.as_ref(), None, None).expect("open");
    let mut buf = vec![0u8; 8192];
    let t = Instant::now();
    let mut n = 0u64;
    let mut p = Lsn::from_segment(first, seg).0;
    while !records_only && p < Lsn::from_segment(last + 1, seg).0 {
        pages.read_page(Lsn(p), &mut buf).expect("page");
        n += 1;
        p += 8192;
    }
    let dt = t.elapsed().as_secs_f64();
    println!("pages only: {n} pages, {:.0} MB/s", n as f64 * 8192.0 / 1e6 / dt);

    let t = Instant::now();
    let crc_bytes = (n * 8192) as usize;
    let mut acc = 0u32;
    for chunk in 0..(crc_bytes / (1 << 20)) * usize::from(!records_only) {
        acc ^= crc32c::crc32c(&vec![chunk as u8; 1 << 20]);
    }
    let _ = acc;
    let dt2 = t.elapsed().as_secs_f64();
    println!(
        "crc32c of the same volume (incl. buffer fill): {:.0} MB/s",
        crc_bytes as f64 / 1e6 / dt2
    );

    let mut r = WalReader::new(src);
    // HEADERS_ONLY=1: records without their block references, as
    // xlogminer_stats reads them.
    r.set_headers_only(std::env::var_os("HEADERS_ONLY").is_some());
    r.seek(start).expect("seek");
    let t = Instant::now();
    let mut stats = WalStats::default();
    let mut count = 0u64;
    let mut bytes = 0u64;
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                count += 1;
                bytes += u64::from(rec.total_len());
                stats.add(&rec);
            }
            Ok(None) => break,
            Err(e) => {
                println!("end: {e}");
                break;
            }
        }
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "records: {count}, {:.0} MB of records, {:.2} s, {:.0} MB/s",
        bytes as f64 / 1e6,
        dt,
        bytes as f64 / 1e6 / dt
    );
}
