//! Reader tests over WAL built byte for byte by `testutil`.

use super::*;
use crate::source::MemSource;
use crate::testutil::{record, TBlock, WalWriter};
use crate::RelFileLocator;

const SEG: u32 = 1 << 20;

fn main_of(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Reads every record from the start of segment 1 until the end of WAL.
/// (start, end, prev, main data) of each record read.
type Seen = Vec<(Lsn, Lsn, Lsn, Vec<u8>)>;

fn read_all(w: &WalWriter) -> (Seen, WalError) {
    let mut r = WalReader::new(w.source());
    let first = r.seek(Lsn::from_segment(1, SEG)).expect("first record");
    assert_eq!(first.segment_offset(SEG), 40);
    let mut out = Vec::new();
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                out.push((rec.lsn(), rec.end_lsn(), rec.prev_lsn(), rec.main_data().to_vec()))
            }
            Ok(None) => panic!("no end set"),
            Err(e) => return (out, e),
        }
    }
}

#[test]
fn records_across_pages_and_segments() {
    let mut w = WalWriter::new(SEG, 1);
    let mut expect = Vec::new();
    // Sizes chosen to straddle page and segment boundaries many times,
    // including records larger than two pages.
    for i in 0..900usize {
        let n = [1, 7, 100, 250, 300, 3000, 8150, 8170, 17_000, 40][i % 10] + i;
        let m = main_of(n, i as u8);
        let lsn = w.append(record(10, 0, i as u32, &[], &m));
        expect.push((lsn, m));
    }
    assert!(w.segments.len() >= 3, "test must cross segments");
    let (got, end) = read_all(&w);
    assert!(matches!(end, WalError::EndOfWal { .. }), "{end}");
    assert_eq!(got.len(), expect.len());
    let mut prev = Lsn(0);
    for (i, ((lsn, end, p, m), (elsn, em))) in got.iter().zip(&expect).enumerate() {
        assert_eq!(lsn, elsn, "record {i}");
        assert_eq!(m, em, "record {i}");
        if i > 0 {
            assert_eq!(*p, prev);
        }
        assert!(end > lsn);
        if let Some(next) = got.get(i + 1) {
            // The next record starts at this one's end (or after a page header).
            assert!(next.0 >= *end && next.0 .0 - end.0 <= 40, "record {i}");
        }
        prev = *lsn;
    }
}

#[test]
fn record_ending_exactly_on_page_boundary() {
    let mut w = WalWriter::new(SEG, 1);
    // First record at 40 on the long-header page: fill the page exactly.
    let n = 8192 - 40 - 24 - 5; // header + "255 len" + data
    let a = w.append(record(10, 0, 1, &[], &main_of(n, 1)));
    let b = w.append(record(10, 0, 2, &[], &main_of(10, 2)));
    assert_eq!(b.0, Lsn::from_segment(1, SEG).0 + 8192 + 24);
    let (got, _) = read_all(&w);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, a);
    assert_eq!(got[0].1, Lsn(Lsn::from_segment(1, SEG).0 + 8192));
    assert_eq!(got[1].0, b);
}

#[test]
fn header_split_across_pages() {
    let mut w = WalWriter::new(SEG, 1);
    // Leave 16 bytes on the page: the next header is split.
    let n = 8192 - 40 - 24 - 5 - 16;
    w.append(record(10, 0, 1, &[], &main_of(n, 1)));
    let b = w.append(record(10, 0, 2, &[], &main_of(50, 2)));
    assert_eq!(b.page_offset(), 8192 - 16);
    let (got, _) = read_all(&w);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].3, main_of(50, 2));
}

#[test]
fn bad_crc_is_corruption_with_lsn() {
    let mut w = WalWriter::new(SEG, 1);
    w.append(record(10, 0, 1, &[], &main_of(30, 1)));
    let bad = w.append(record(10, 0, 2, &[], &main_of(30, 2)));
    w.append(record(10, 0, 3, &[], &main_of(30, 3)));
    w.poke(bad.0 + 30, &[0xFF]);
    let (got, err) = read_all(&w);
    assert_eq!(got.len(), 1);
    match err {
        WalError::Corrupt { lsn, reason } => {
            assert_eq!(lsn, bad);
            assert!(reason.contains("checksum"), "{reason}");
        }
        e => panic!("{e}"),
    }
}

#[test]
fn torn_tail_is_end_of_wal() {
    let mut w = WalWriter::new(SEG, 1);
    w.append(record(10, 0, 1, &[], &main_of(30, 1)));
    let big = w.append(record(10, 0, 2, &[], &main_of(20_000, 2)));
    // Zero the record's last page, as if the write never reached disk.
    let last_page = (w.pos - 1) & !8191;
    w.poke(last_page, &vec![0; 8192]);
    let (got, err) = read_all(&w);
    assert_eq!(got.len(), 1);
    match err {
        WalError::EndOfWal { lsn, reason } => {
            assert_eq!(lsn, big);
            assert!(reason.contains("incomplete"), "{reason}");
        }
        e => panic!("{e}"),
    }
}

#[test]
fn bad_prev_link_and_rmid() {
    let mut w = WalWriter::new(SEG, 1);
    w.append(record(10, 0, 1, &[], &main_of(30, 1)));
    w.prev = 12345;
    let bad = w.append(record(10, 0, 2, &[], &main_of(30, 2)));
    let (got, err) = read_all(&w);
    assert_eq!(got.len(), 1);
    assert!(
        matches!(&err, WalError::Corrupt { lsn, reason } if *lsn == bad && reason.contains("prev-link")),
        "{err}"
    );

    let mut w = WalWriter::new(SEG, 1);
    w.append(record(10, 0, 1, &[], &main_of(30, 1)));
    let bad = w.append(record(77, 0, 2, &[], &main_of(30, 2)));
    let (_, err) = read_all(&w);
    assert!(
        matches!(&err, WalError::Corrupt { lsn, reason } if *lsn == bad && reason.contains("resource manager ID 77")),
        "{err}"
    );
}

#[test]
fn switch_jumps_to_next_segment() {
    let mut w = WalWriter::new(SEG, 1);
    w.append(record(10, 0, 1, &[], &main_of(30, 1)));
    let sw = w.switch();
    let after = w.append(record(10, 0, 2, &[], &main_of(30, 2)));
    assert_eq!(after, Lsn(Lsn::from_segment(2, SEG).0 + 40));
    let (got, _) = read_all(&w);
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].0, sw);
    assert_eq!(got[1].1, Lsn::from_segment(2, SEG));
    assert_eq!(got[2].0, after);
}

#[test]
fn missing_middle_segment() {
    let mut w = WalWriter::new(SEG, 1);
    while w.segments.len() < 4 {
        w.append(record(10, 0, 1, &[], &main_of(5000, 1)));
    }
    w.segments.remove(&2);
    let (_, err) = read_all(&w);
    match err {
        WalError::MissingSegment { segment, .. } => assert_eq!(segment, "000000010000000000000002"),
        e => panic!("{e}"),
    }
}

#[test]
fn seek_skips_continuations_and_partial_records() {
    let mut w = WalWriter::new(SEG, 1);
    let mut lsns = Vec::new();
    for i in 0..20 {
        lsns.push(w.append(record(10, 0, i, &[], &main_of(6000, i as u8))));
    }
    for (i, l) in lsns.iter().enumerate().skip(1) {
        // A position inside the previous record finds this one.
        let mut r = WalReader::new(w.source());
        let target = Lsn(l.0 - 100);
        assert_eq!(r.seek(target).unwrap(), *l);
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.lsn(), *l);
        assert_eq!(rec.xid(), i as u32);
        // And reading goes on with the prev-link checked.
        if i + 1 < lsns.len() {
            assert_eq!(r.next_record().unwrap().unwrap().lsn(), lsns[i + 1]);
        }
    }
}

#[test]
fn end_limit_is_respected() {
    let mut w = WalWriter::new(SEG, 1);
    let mut lsns = Vec::new();
    for i in 0..10 {
        lsns.push(w.append(record(10, 0, i, &[], &main_of(100, 0))));
    }
    let mut r = WalReader::new(w.source());
    r.seek(lsns[0]).unwrap();
    // End exactly at the end of record 4: records 0..=4.
    let end4 = lsns[5];
    r.set_end(end4);
    let mut n = 0;
    while let Some(rec) = r.next_record().unwrap() {
        assert!(rec.end_lsn() <= end4);
        n += 1;
    }
    assert_eq!(n, 5);
    // A limit in the middle of record 5 stops before it.
    let mut r = WalReader::new(w.source());
    r.seek(lsns[0]).unwrap();
    r.set_end(Lsn(lsns[5].0 + 50));
    let mut n = 0;
    while r.next_record().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn seek_to_a_record_not_complete_by_the_end_finds_nothing() {
    // The server's flush LSN on a page boundary inside a record (its
    // first page written, the rest not yet): positioning there is not an
    // error, there is just nothing to read yet; likewise inside a record
    // continued over several pages past the end.
    let mut w = WalWriter::new(SEG, 1);
    let a = w.append(record(10, 0, 1, &[], &main_of(100, 0)));
    let b = w.append(record(10, 0, 2, &[], &main_of(20_000, 1)));
    let flush = Lsn(Lsn(b.0 + 8192).0 & !8191);
    for (start, end) in [(b, flush), (a, flush), (Lsn(b.0 + 9000), Lsn(b.0 + 9100))] {
        let mut r = WalReader::new(w.source());
        r.set_end(end);
        let found = r.seek(start).unwrap();
        let mut got = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            got.push(rec.lsn());
        }
        if start == a {
            assert_eq!((found, got), (a, vec![a]));
        } else {
            assert_eq!((found, got), (end, vec![]), "start {start}, end {end}");
        }
    }
}

#[test]
fn block_references_decode() {
    let rel = RelFileLocator { spc: 1663, db: 5, rel: 16384 };
    let page_bytes: Vec<u8> = (0..8192 - 4000).map(|i| (i % 251) as u8).collect();
    let blocks = vec![
        TBlock {
            id: 0,
            rel: Some(rel),
            blkno: 7,
            data: vec![1, 2, 3],
            image: Some((page_bytes.clone(), 100, 4000, 0x01 | 0x02)),
            ..Default::default()
        },
        TBlock { id: 1, rel: None, blkno: 9, data: vec![], ..Default::default() },
        TBlock {
            id: 3,
            fork: 2,
            rel: Some(RelFileLocator { rel: 99, ..rel }),
            blkno: 1,
            data: vec![9; 300],
            ..Default::default()
        },
    ];
    let mut w = WalWriter::new(SEG, 1);
    let lsn = w.append(record(10, 0x20, 55, &blocks, &main_of(14, 3)));
    let mut r = WalReader::new(w.source());
    r.seek(lsn).unwrap();
    let rec = r.next_record().unwrap().unwrap();
    assert_eq!(rec.xid(), 55);
    assert_eq!(rec.info(), 0x20);
    assert_eq!(rec.main_data(), &main_of(14, 3)[..]);
    let b: Vec<_> = rec.blocks().iter().map(|b| (b.id, b.fork, b.locator, b.blkno)).collect();
    assert_eq!(
        b,
        vec![(0, 0, rel, 7), (1, 0, rel, 9), (3, 2, RelFileLocator { rel: 99, ..rel }, 1)]
    );
    assert_eq!(rec.block_data(0), Some(&[1u8, 2, 3][..]));
    assert_eq!(rec.block_data(1), None);
    assert_eq!(rec.block_data(3).map(|d| d.len()), Some(300));
    assert_eq!(rec.fpi_len(), page_bytes.len() as u32);
    let mut page = vec![0u8; 8192];
    assert!(rec.restore_image(0, &mut page).unwrap());
    assert_eq!(&page[..100], &page_bytes[..100]);
    assert!(page[100..4100].iter().all(|b| *b == 0));
    assert_eq!(&page[4100..], &page_bytes[100..]);
    assert!(rec.block(0).unwrap().image.as_ref().unwrap().apply);
    assert!(!rec.restore_image(1, &mut page).unwrap());
}

#[test]
fn structural_errors_in_block_headers() {
    let rel = RelFileLocator { spc: 1663, db: 5, rel: 1 };
    // SAME_REL on the first block.
    let mut w = WalWriter::new(SEG, 1);
    let lsn =
        w.append(record(10, 0, 1, &[TBlock { id: 0, rel: None, ..Default::default() }], &[1]));
    let mut r = WalReader::new(w.source());
    let err = r.seek(lsn).unwrap_err();
    assert!(err.to_string().contains("BKPBLOCK_SAME_REL set but no previous rel"), "{err}");
    // Out-of-order block ids.
    let mut w = WalWriter::new(SEG, 1);
    let blocks = [
        TBlock { id: 2, rel: Some(rel), ..Default::default() },
        TBlock { id: 1, rel: Some(rel), ..Default::default() },
    ];
    let lsn = w.append(record(10, 0, 1, &blocks, &[1]));
    let mut r = WalReader::new(w.source());
    let err = r.seek(lsn).unwrap_err();
    assert!(err.to_string().contains("out-of-order block_id 1"), "{err}");
    // An uncompressed image without a hole must be a whole page (PG reports the implied hole).
    let mut w = WalWriter::new(SEG, 1);
    let blocks = [TBlock {
        id: 0,
        rel: Some(rel),
        image: Some((vec![0; 100], 0, 0, 0)),
        ..Default::default()
    }];
    let lsn = w.append(record(10, 0, 1, &blocks, &[1]));
    let mut r = WalReader::new(w.source());
    let err = r.seek(lsn).unwrap_err();
    assert!(
        err.to_string().contains("BKPIMAGE_HAS_HOLE not set, but hole offset 0 length 8092"),
        "{err}"
    );
}

#[test]
fn random_damage_never_panics() {
    let mut w = WalWriter::new(SEG, 1);
    for i in 0..60usize {
        let blocks = [TBlock {
            id: 0,
            rel: Some(RelFileLocator { spc: 1663, db: 5, rel: i as u32 }),
            data: main_of(i * 37 % 500 + 1, 1),
            ..Default::default()
        }];
        w.append(record(10, 0, 1, &blocks, &main_of(i * 131 % 9000, 2)));
    }
    let clean = w.segments.clone();
    let mut state = 0x1234_5678_u64;
    for _ in 0..300 {
        w.segments = clean.clone();
        for _ in 0..4 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let off = (state >> 33) % 200_000;
            let byte = (state >> 17) as u8;
            w.poke(Lsn::from_segment(1, SEG).0 + off, &[byte]);
        }
        let mut r = WalReader::new(w.source());
        if r.seek(Lsn::from_segment(1, SEG)).is_err() {
            continue;
        }
        let mut n = 0;
        while let Ok(Some(rec)) = r.next_record() {
            let mut page = vec![0u8; 8192];
            for b in rec.blocks() {
                let _ = rec.restore_image(b.id, &mut page);
                let _ = rec.block_data(b.id);
            }
            n += 1;
            assert!(n < 1000);
        }
    }
}

// The damage matrix: every single-bit flip in a record header, in record
// data and in page headers, a zero-filled tail and a segment of another
// cluster. Each damaged reading must return exactly the records before the
// damage (a prefix of the clean reading, byte for byte) and then stop with
// an error that names the damaged record or page, or end cleanly.

/// (start, raw bytes) of every record from segment 1's first record on,
/// and why the reading stopped.
fn read_raw(src: MemSource) -> (Vec<(Lsn, Vec<u8>)>, WalError) {
    let mut r = WalReader::new(src);
    let mut out = Vec::new();
    if let Err(e) = r.seek(Lsn::from_segment(1, SEG)) {
        return (out, e);
    }
    loop {
        match r.next_record() {
            Ok(Some(rec)) => out.push((rec.lsn(), rec.raw().to_vec())),
            Ok(None) => panic!("no end set"),
            Err(e) => return (out, e),
        }
    }
}

/// Checks that `damaged` is a prefix of `clean`; returns its length.
fn assert_prefix(clean: &[(Lsn, Vec<u8>)], damaged: &[(Lsn, Vec<u8>)], what: &str) -> usize {
    assert!(damaged.len() <= clean.len(), "{what}: more records than the clean WAL");
    for (i, (d, c)) in damaged.iter().zip(clean).enumerate() {
        assert!(d == c, "{what}: record {i} at {} differs from the clean one", d.0);
    }
    damaged.len()
}

/// Where byte `i` of the record starting at `lsn` is stored, past the page
/// headers it crosses.
fn record_byte(lsn: Lsn, i: usize) -> u64 {
    let mut pos = lsn.0;
    for _ in 0..i {
        pos += 1;
        if pos.is_multiple_of(8192) {
            pos += if pos.is_multiple_of(u64::from(SEG)) { 40 } else { 24 };
        }
    }
    pos
}

/// Appends records until one ends `gap` bytes before the end of a page.
fn fill_page_but(w: &mut WalWriter, lsns: &mut Vec<Lsn>, gap: usize) {
    loop {
        let mut start = (w.pos + 7) & !7;
        if start.is_multiple_of(8192) {
            start += if start.is_multiple_of(u64::from(SEG)) { 40 } else { 24 };
        }
        let room = 8192 - start % 8192;
        let n = match room as usize - gap {
            l if l >= 24 + 5 + 256 => l - 29,
            l if (24 + 2 + 1..24 + 2 + 256).contains(&l) => l - 26,
            _ => {
                lsns.push(w.append(record(10, 0, 0, &[], &main_of(40, 3))));
                continue;
            }
        };
        lsns.push(w.append(record(10, 0, 1, &[], &main_of(n, 9))));
        return;
    }
}

/// WAL of records of many sizes: some fit a page, some cross pages and one
/// segment boundary, one has its header split over two pages.
fn matrix_wal() -> (WalWriter, Vec<Lsn>) {
    let mut w = WalWriter::new(SEG, 1);
    let mut lsns = Vec::new();
    let mut i = 0usize;
    while w.segments.len() < 3 {
        let n = [60, 700, 9000, 200, 3000, 17][i % 6] + i;
        lsns.push(w.append(record(10, 0, i as u32, &[], &main_of(n, i as u8))));
        i += 1;
    }
    // A header split across a page boundary: a record that ends 16 bytes
    // before a page's end, then one whose header starts there.
    fill_page_but(&mut w, &mut lsns, 16);
    lsns.push(w.append(record(10, 0, 2, &[], &main_of(300, 10))));
    assert_eq!(lsns.last().unwrap().page_offset(), 8192 - 16);
    // A page no record continues onto.
    fill_page_but(&mut w, &mut lsns, 0);
    for j in 0..200 {
        lsns.push(w.append(record(10, 0, j, &[], &main_of(100, j as u8))));
    }
    (w, lsns)
}

#[test]
fn every_bit_flip_in_a_record_header_is_caught_at_that_record() {
    let (w, lsns) = matrix_wal();
    let (clean, _) = read_raw(w.source());
    assert_eq!(clean.len(), lsns.len());
    // A record within a page, one crossing pages, the one whose header is
    // split, and the first of the second segment.
    let seg2 = lsns.iter().position(|l| l.segment(SEG) == 2).unwrap();
    let split = lsns.iter().position(|l| l.page_offset() == 8192 - 16).unwrap();
    let crossing = (0..lsns.len()).find(|&k| clean[k].1.len() > 8192).unwrap();
    for k in [3, crossing, split, seg2] {
        for byte in 0..24 {
            for bit in 0..8 {
                let mut d = w.clone();
                let at = record_byte(lsns[k], byte);
                let b = d.segments[&Lsn(at).segment(SEG)][Lsn(at).segment_offset(SEG) as usize];
                d.poke(at, &[b ^ (1 << bit)]);
                let what = format!("record {k} header byte {byte} bit {bit}");
                let (got, err) = read_raw(d.source());
                assert_eq!(assert_prefix(&clean, &got, &what), k, "{what}: {err}");
                assert_eq!(err.lsn(), lsns[k], "{what}: {err}");
                assert!(
                    matches!(err, WalError::Corrupt { .. } | WalError::EndOfWal { .. }),
                    "{what}: {err}"
                );
            }
        }
    }
}

#[test]
fn every_bit_flip_in_record_data_is_a_checksum_error_at_that_record() {
    let (w, lsns) = matrix_wal();
    let (clean, _) = read_raw(w.source());
    let k = 3;
    for byte in 24..clean[k].1.len() {
        for bit in 0..8 {
            let mut d = w.clone();
            let at = record_byte(lsns[k], byte);
            let b = d.segments[&Lsn(at).segment(SEG)][Lsn(at).segment_offset(SEG) as usize];
            d.poke(at, &[b ^ (1 << bit)]);
            let (got, err) = read_raw(d.source());
            let what = format!("data byte {byte} bit {bit}");
            assert_eq!(assert_prefix(&clean, &got, &what), k);
            assert!(
                matches!(&err, WalError::Corrupt { lsn, reason } if *lsn == lsns[k] && reason.contains("checksum")),
                "{what}: {err}"
            );
        }
    }
}

#[test]
fn every_bit_flip_in_a_page_header_is_caught_at_that_page_or_ignored() {
    let (w, lsns) = matrix_wal();
    let (clean, _) = read_raw(w.source());
    let ends: Vec<u64> = clean.iter().map(|(l, raw)| record_byte(*l, raw.len() - 1) + 1).collect();
    // A short header a record continues onto, one a record starts after,
    // and the long header of the second segment.
    let crossing = (0..lsns.len()).find(|&k| clean[k].1.len() > 8192).unwrap();
    let cont_page = (lsns[crossing].0 & !8191) + 8192;
    let last = lsns.last().unwrap().0;
    let plain_page = (1..=last / 8192)
        .map(|p| p * 8192)
        .filter(|p| !p.is_multiple_of(u64::from(SEG)) && *p > lsns[0].0)
        .find(|p| {
            let off = Lsn(*p).segment_offset(SEG) as usize;
            w.segments[&Lsn(*p).segment(SEG)][off + 2] & 0x01 == 0
        })
        .unwrap();
    let long_page = Lsn::from_segment(2, SEG).0;
    let mut ignored = 0;
    for (page, size) in [(cont_page, 24), (plain_page, 24), (long_page, 40)] {
        for byte in 0..size {
            for bit in 0..8 {
                let mut d = w.clone();
                let b = d.segments[&Lsn(page).segment(SEG)]
                    [Lsn(page).segment_offset(SEG) as usize + byte];
                d.poke(page + byte as u64, &[b ^ (1 << bit)]);
                let what = format!("page {} header byte {byte} bit {bit}", Lsn(page));
                let (got, err) = read_raw(d.source());
                let n = assert_prefix(&clean, &got, &what);
                if n == clean.len() {
                    // Fields the reader does not use, as xlogreader.c
                    // does not: the padding, XLP_BKP_REMOVABLE, and
                    // xlp_rem_len and XLP_FIRST_IS_OVERWRITE_CONTRECORD
                    // where no record continues.
                    let padding = (20..24).contains(&byte);
                    let removable = byte == 2 && bit == 2;
                    let plain =
                        page == plain_page && ((16..20).contains(&byte) || (byte == 2 && bit == 3));
                    assert!(padding || removable || plain, "{what}: not noticed");
                    ignored += 1;
                    continue;
                }
                // Every record that ends before the page was returned;
                // the error names the page or the record that needed it.
                let before = ends.iter().take_while(|e| **e <= page).count();
                assert!(n >= before, "{what}: a record before the page is missing");
                let first_affected = clean[n].0.min(Lsn(page));
                // A timeline raised on one page is only out of sequence on
                // the next one (as in xlogreader.c); its own records are
                // intact.
                let tli_raised =
                    (4..8).contains(&byte) && err.to_string().contains("out-of-sequence timeline");
                let limit = if tli_raised { page + 2 * 8192 } else { page + 8192 };
                assert!(err.lsn() >= first_affected && err.lsn().0 < limit, "{what}: {err}");
            }
        }
    }
    assert_eq!(ignored, 3 * (32 + 1) + 32 + 1);
}

#[test]
fn a_zero_filled_tail_ends_the_wal() {
    let (w, lsns) = matrix_wal();
    let (clean, _) = read_raw(w.source());
    let mut d = w.clone();
    // Zero everything from the page of record 10 on, as a crash leaves
    // pages that were never written.
    let page = lsns[10].0 & !8191;
    let end = Lsn::from_segment(3, SEG).0 + u64::from(SEG);
    let mut at = page;
    while at < end {
        d.poke(at, &[0; 8192]);
        at += 8192;
    }
    let (got, err) = read_raw(d.source());
    let n = assert_prefix(&clean, &got, "zero tail");
    let before = clean.iter().take_while(|(l, raw)| record_byte(*l, raw.len() - 1) < page).count();
    assert_eq!(n, before);
    assert!(matches!(err, WalError::EndOfWal { lsn, .. } if lsn == lsns[n]), "{err}");
}

#[test]
fn a_segment_of_another_cluster_is_refused_where_it_starts() {
    let (mut w, lsns) = matrix_wal();
    // Positioning anywhere in a segment reads its long header.
    let mut r = WalReader::new(w.source());
    r.seek(lsns[5]).unwrap();
    assert_eq!(r.system_identifier(), crate::testutil::SYSID);
    assert_eq!(r.version(), Some(PgVersion::V15));
    let seg3 = Lsn::from_segment(3, SEG);
    w.poke(seg3.0 + 24, &42u64.to_le_bytes());
    let (got, err) = read_raw(w.source());
    assert!(got.iter().all(|(l, _)| *l < seg3));
    assert!(
        matches!(&err, WalError::Corrupt { lsn, reason } if *lsn == seg3 && reason.contains("database system identifier is 42")),
        "{err}"
    );
    // Identified by the segment positioned in, whichever it is.
    let in_seg3 =
        *lsns.iter().find(|l| l.segment(SEG) == 3 && l.segment_offset(SEG) > 8192).unwrap();
    let mut r = WalReader::new(w.source());
    r.seek(in_seg3).unwrap();
    assert_eq!(r.system_identifier(), 42);
    // A damaged first page of a segment stops a reader positioned after
    // it: the segment cannot be identified.
    w.poke(seg3.0 + 24, &[0xFF; 8]);
    w.poke(seg3.0 + 32, &[0xFF; 4]);
    let err = WalReader::new(w.source()).seek(in_seg3).unwrap_err();
    assert_eq!(err.lsn(), seg3, "{err}");
}

#[test]
fn headers_only_reads_what_a_full_decode_does() {
    let rel = RelFileLocator { spc: 1663, db: 5, rel: 16384 };
    let mut state = 0x9E37_79B9_u64;
    let mut next = move |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut invalid = 0;
    for _ in 0..400 {
        // Up to four blocks, ids rising (now and then not), the first one
        // now and then without a relation, images whole, with a hole, or
        // of a length no image may have.
        let mut id = 0u8;
        let blocks: Vec<TBlock> = (0..next(5))
            .map(|i| {
                id = if next(12) == 0 { id } else { id + 1 + next(3) as u8 };
                let image = match next(5) {
                    0 => Some((vec![7; 8192], 0, 0, 0x02)),
                    1 => Some((vec![8; 8192 - 900], 300, 900, 0x03)),
                    2 if next(3) == 0 => Some((vec![9; 100], 0, 0, 0)),
                    _ => None,
                };
                TBlock {
                    id,
                    rel: if i > 0 && next(2) == 0 || next(15) == 0 { None } else { Some(rel) },
                    blkno: next(1000) as u32,
                    data: vec![3; next(3) as usize * 40],
                    image,
                    ..Default::default()
                }
            })
            .collect();
        let mut w = WalWriter::new(SEG, 1);
        let lsn = w.append(record(10, 0x10, 5, &blocks, &main_of(next(300) as usize, 4)));
        let read = |headers_only: bool| {
            let mut r = WalReader::new(w.source());
            r.set_headers_only(headers_only);
            // Positioning reads the record itself, decoded as set.
            r.seek(lsn).map(|_| {
                let rec = r.next_record().unwrap().unwrap();
                (rec.total_len(), rec.fpi_len(), rec.main_data().to_vec(), rec.blocks().len())
            })
        };
        match (read(false), read(true)) {
            (Ok(full), Ok(lean)) => {
                assert_eq!((full.0, full.1, &full.2), (lean.0, lean.1, &lean.2));
                assert_eq!((full.3, lean.3), (blocks.len(), 0));
                let images: usize =
                    blocks.iter().filter_map(|b| b.image.as_ref()).map(|i| i.0.len()).sum();
                assert_eq!(full.1 as usize, images);
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                invalid += 1;
            }
            (a, b) => panic!("{:?} against {:?}", a.map(|r| r.1), b.map(|r| r.1)),
        }
    }
    assert!((40..360).contains(&invalid), "{invalid} invalid of 400");
}
