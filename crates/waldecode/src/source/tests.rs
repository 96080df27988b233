//! Directory sources over files on disk: timelines and their history,
//! `.partial` segments, truncated files, segments removed or recycled
//! while they are read. WAL is built by `testutil` and written to a
//! directory per test.

use super::*;
use crate::error::WalError;
use crate::reader::WalReader;
use crate::scan::{EndPolicy, Scan};
use crate::testutil::{record, TestDir, WalWriter};

const SEG: u32 = 1 << 20;

/// A record whose main data names it.
fn named(w: &mut WalWriter, name: &str) -> Lsn {
    let mut main = name.as_bytes().to_vec();
    main.resize(900, b'.');
    w.append(record(10, 0, 1, &[], &main))
}

fn name_of(main: &[u8]) -> String {
    String::from_utf8_lossy(main).trim_end_matches('.').to_string()
}

/// Names of the records read from `start` until the reader stops, and why
/// it stopped.
fn read_names<S: WalSource>(src: S, start: Lsn) -> (Vec<String>, WalError) {
    let mut r = WalReader::new(src);
    let mut out = Vec::new();
    if let Err(e) = r.seek(start) {
        return (out, e);
    }
    loop {
        match r.next_record() {
            Ok(Some(rec)) => out.push(name_of(rec.main_data())),
            Ok(None) => panic!("no end was set"),
            Err(e) => return (out, e),
        }
    }
}

/// Timeline 1 runs `common` records into segment 2, then forks: timeline 2
/// (a promoted standby) writes `new` records, timeline 1 (the old primary)
/// goes on with `old` records into segment 4. Returns both writers and the
/// switch point.
fn forked(common: usize, new: usize, old: usize) -> (WalWriter, WalWriter, Lsn) {
    let mut w1 = WalWriter::new(SEG, 1);
    for i in 0..common {
        named(&mut w1, &format!("common {i}"));
    }
    assert_eq!(Lsn(w1.pos).segment(SEG), 2, "the fork must be inside segment 2");
    let switch = Lsn(w1.pos).maxalign();
    let mut w2 = w1.clone();
    w2.tli = 2;
    // The new timeline's first segment holds the old one's WAL up to the
    // switch point (XLogInitNewTimeline copies it); the rest is new.
    for i in 0..new {
        named(&mut w2, &format!("tli2 {i}"));
    }
    for i in 0..old {
        named(&mut w1, &format!("tli1 after fork {i}"));
    }
    assert!(w2.segments.len() >= 3, "timeline 2 must reach segment 3");
    (w1, w2, switch)
}

fn history_2(dir: &Path, switch: Lsn) {
    std::fs::write(
        dir.join("00000002.history"),
        format!("1\t{switch}\tno recovery target specified\n"),
    )
    .unwrap();
}

#[test]
fn the_newest_timeline_is_followed_from_its_history() {
    let (w1, w2, switch) = forked(1300, 1500, 3000);
    assert_eq!(w1.segments.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    let dir = TestDir::new("history");
    w1.write_files(dir.path(), 1, &[], "");
    w2.write_files(dir.path(), 2, &[2, 3], "");
    history_2(dir.path(), switch);

    let src = DirSource::open(dir.path(), None, None).unwrap();
    assert_eq!(src.history().map(History::target), Some(2));
    // Segment 1 lies wholly before the fork, 2 (the fork's) and 3 are the
    // new timeline's; timeline 1's segment 4 is not on the history.
    assert_eq!(src.segment_range(), Some((1, 3)));
    assert_eq!(
        (src.timeline_of(1), src.timeline_of(2), src.timeline_of(3)),
        (Some(1), Some(2), Some(2))
    );
    let (names, end) = read_names(src, Lsn::from_segment(1, SEG));
    assert_eq!(names.len(), 2800);
    assert!(names[..1300].iter().enumerate().all(|(i, n)| *n == format!("common {i}")));
    assert!(names[1300..].iter().enumerate().all(|(i, n)| *n == format!("tli2 {i}")));
    assert!(matches!(end, WalError::EndOfWal { .. }), "{end}");

    // Starting where only the old primary wrote finds nothing: before
    // following the history, timeline 1's segment 4 was read as if it
    // continued timeline 2.
    let src = DirSource::open(dir.path(), None, None).unwrap();
    let (names, end) = read_names(src, Lsn::from_segment(4, SEG));
    assert!(names.is_empty(), "{names:?}");
    assert!(matches!(end, WalError::EndOfWal { .. }), "{end}");

    // Following timeline 1 instead reads the old primary's WAL.
    let src = DirSource::open(dir.path(), None, Some(1)).unwrap();
    let (names, _) = read_names(src, Lsn::from_segment(1, SEG));
    assert_eq!(names.len(), 4300);
    assert_eq!(names[1300], "tli1 after fork 0");
}

#[test]
fn bad_history_files_are_refused() {
    let (w1, w2, _) = forked(1300, 1500, 0);
    let dir = TestDir::new("bad-history");
    w1.write_files(dir.path(), 1, &[], "");
    w2.write_files(dir.path(), 2, &[2], "");
    std::fs::write(dir.path().join("00000002.history"), "1\tnot an lsn\n").unwrap();
    let err = DirSource::open(dir.path(), None, None).err().unwrap();
    assert!(matches!(err, DirSourceError::BadHistory { .. }), "{err}");
    assert!(err.to_string().contains("switchpoint"), "{err}");
}

#[test]
fn partial_segments_stand_for_missing_ones() {
    let mut w = WalWriter::new(SEG, 1);
    for i in 0..2500 {
        named(&mut w, &format!("r {i}"));
    }
    assert_eq!(w.segments.len(), 3);
    // pg_receivewal's current segment.
    let dir = TestDir::new("partial");
    w.write_files(dir.path(), 1, &[1, 2], "");
    w.write_files(dir.path(), 1, &[3], ".partial");
    let src = DirSource::open(dir.path(), None, None).unwrap();
    assert_eq!(src.segment_file_name(3), "000000010000000000000003.partial");
    let (names, end) = read_names(src, Lsn::from_segment(1, SEG));
    assert_eq!(names.len(), 2500);
    assert!(matches!(end, WalError::EndOfWal { .. }), "{end}");
    // A complete file wins over a .partial one of the same segment.
    let mut junk = w.segments[&3].clone();
    junk[8192..].fill(0xA5);
    std::fs::write(dir.path().join("000000010000000000000003.partial"), &junk).unwrap();
    w.write_files(dir.path(), 1, &[3], "");
    let src = DirSource::open(dir.path(), None, None).unwrap();
    assert_eq!(src.segment_file_name(3), "000000010000000000000003");
    assert_eq!(read_names(src, Lsn::from_segment(1, SEG)).0.len(), 2500);
}

#[test]
fn an_old_timelines_partial_segment_is_read_up_to_the_switch_point() {
    // The archive of a promotion: the old timeline's last segment renamed
    // .partial, the new timeline's history, and none of its segments yet.
    let (w1, w2, switch) = forked(1300, 1500, 500);
    let dir = TestDir::new("old-partial");
    w1.write_files(dir.path(), 1, &[1], "");
    w1.write_files(dir.path(), 1, &[2], ".partial");
    history_2(dir.path(), switch);
    let src = DirSource::open(dir.path(), None, None).unwrap();
    let (names, end) = read_names(src, Lsn::from_segment(1, SEG));
    assert_eq!(names.len(), 1300, "the old primary's records past the fork are not read");
    assert!(
        matches!(&end, WalError::EndOfWal { lsn, .. } if *lsn == switch),
        "{end} (switch point {switch})"
    );

    // With a later segment of the new timeline there, the fork's segment
    // is a gap: an error, not a quiet end.
    w2.write_files(dir.path(), 2, &[3], "");
    let src = DirSource::open(dir.path(), None, None).unwrap();
    let (names, end) = read_names(src, Lsn::from_segment(1, SEG));
    assert!(names.len() < 1300 + 1);
    match end {
        WalError::MissingSegment { segment, .. } => assert_eq!(segment, "000000020000000000000002"),
        e => panic!("{e}"),
    }
}

#[test]
fn a_truncated_segment_file_is_read_up_to_where_it_ends() {
    let mut w = WalWriter::new(SEG, 1);
    let mut lsns = Vec::new();
    for i in 0..2500 {
        lsns.push(named(&mut w, &format!("r {i}")));
    }
    let dir = TestDir::new("truncated");
    w.write_files(dir.path(), 1, &[], "");
    // Segment 2 cut inside its fourth page.
    let cut = 3 * 8192 + 100;
    let path = dir.path().join("000000010000000000000002");
    std::fs::write(&path, &w.segments[&2][..cut]).unwrap();
    let page = Lsn(Lsn::from_segment(2, SEG).0 + 3 * 8192);
    let complete = lsns.iter().filter(|l| l.0 + 924 <= page.0).count();

    let src = DirSource::open(dir.path(), None, None).unwrap();
    let (names, end) = read_names(src, Lsn::from_segment(1, SEG));
    assert_eq!(names.len(), complete);
    match &end {
        WalError::Corrupt { lsn, reason } => {
            assert_eq!(*lsn, page);
            assert!(reason.contains("truncated: 24676 bytes instead of 1048576"), "{reason}");
        }
        e => panic!("{e}"),
    }
    // A directory read without an end stops there, with the reason kept
    // as a warning.
    let src = DirSource::open(dir.path(), None, None).unwrap();
    let policy = EndPolicy::Directory { explicit_end: false };
    let mut s =
        Scan::new(WalReader::new(src), Lsn::from_segment(1, SEG), Lsn(u64::MAX), policy).unwrap();
    let mut n = 0;
    while s.next_record().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, complete);
    assert!(s.take_warning().is_some_and(|w| w.lsn() == page));
}

#[test]
fn a_segment_removed_or_recycled_while_read_is_named() {
    let mut w = WalWriter::new(SEG, 1);
    for i in 0..3500 {
        named(&mut w, &format!("r {i}"));
    }
    assert_eq!(w.segments.len(), 4);
    let dir = TestDir::new("removed");
    w.write_files(dir.path(), 1, &[], "");
    let seg = |n: u64| dir.path().join(SegmentName { timeline: 1, segno: n }.file_name(SEG));

    // Removed before the reader gets to it.
    let mut r = WalReader::new(DirSource::open(dir.path(), None, None).unwrap());
    r.seek(Lsn::from_segment(1, SEG)).unwrap();
    r.next_record().unwrap().unwrap();
    std::fs::remove_file(seg(2)).unwrap();
    let err = loop {
        match r.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no end was set"),
            Err(e) => break e,
        }
    };
    match &err {
        WalError::Removed { lsn, segment } => {
            assert_eq!(segment, "000000010000000000000002");
            assert_eq!(*lsn, Lsn::from_segment(2, SEG));
        }
        e => panic!("{e}"),
    }

    // Recycled while open: renamed to a future segment's name and
    // overwritten in place by the server writing that segment.
    w.write_files(dir.path(), 1, &[2], "");
    let mut r = WalReader::new(DirSource::open(dir.path(), None, None).unwrap());
    r.seek(Lsn::from_segment(3, SEG)).unwrap();
    r.next_record().unwrap().unwrap();
    std::fs::rename(seg(3), seg(9)).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(seg(9)).unwrap();
    let mut future = WalWriter::new(SEG, 9);
    for i in 0..600 {
        named(&mut future, &format!("future {i}"));
    }
    file.write_all_at(&future.segments[&9], 0).unwrap();
    let err = loop {
        match r.next_record() {
            Ok(Some(rec)) => assert!(name_of(rec.main_data()).starts_with("r "), "a future record"),
            Ok(None) => panic!("no end was set"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(&err, WalError::Removed { segment, .. } if segment == "000000010000000000000003"),
        "{err}"
    );
}
