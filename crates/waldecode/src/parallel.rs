//! Reading a range on several threads, for work whose result does not
//! depend on the order of records (statistics): the range is cut at
//! segment boundaries into parts, each part read by its own reader, and the
//! parts' results merged in order. The result is the serial scan's, exactly:
//! the parts are checked to join up (each one's first record is where the
//! one before it ended, its prev-link names that one's last record, the
//! timeline does not go back), and wherever they do not — or a part ended
//! in an error — the rest of the range is read serially from the last
//! point that joined, so every error, warning and early end is the one a
//! serial scan meets, at the same record.
//!
//! The calling thread reads parts too, calling the scan's tick before each
//! record (the extension checks query cancel there); the other threads
//! touch nothing but their own reader and stop at the next record once the
//! call unwinds or returns. Memory is a reader's buffers per thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Result;
use crate::lsn::Lsn;
use crate::page::{SIZE_OF_LONG_PHD, SIZE_OF_SHORT_PHD};
use crate::reader::WalReader;
use crate::record::Record;
use crate::scan::{Progress, Scan};
use crate::source::{DirSource, MemSource, WalSource};

/// A source that can be duplicated for another thread.
pub trait ForkSource: WalSource + Send {
    fn fork(&self) -> Self;
}

impl ForkSource for DirSource {
    fn fork(&self) -> Self {
        DirSource::fork(self)
    }
}

impl ForkSource for MemSource {
    fn fork(&self) -> Self {
        self.clone()
    }
}

/// A result built record by record, whose parts can be added up.
pub trait Accumulate: Send + Sized {
    fn add(&mut self, rec: &Record<'_>);
    /// Adds `later`, the result of the records that follow.
    fn merge(&mut self, later: Self);
}

/// Segments per part: small enough that two threads finish together,
/// large enough that a part's fixed cost (a reader, its first page) is
/// nothing.
pub const SEGMENTS_PER_PART: u64 = 1;

/// What one part read.
struct Part<A> {
    acc: A,
    /// First record: its LSN, its prev-link, the timeline of its page.
    first: Option<(Lsn, Lsn, u32)>,
    /// Last record: its LSN, where it ended, the timeline of the page read
    /// last.
    last: Option<(Lsn, Lsn, u32)>,
    /// The part ended in an error (before its end).
    failed: bool,
}

/// Sets the flag that stops the other threads when dropped: also when the
/// calling thread unwinds (a cancel raised in its tick).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Counts a thread out when it ends, however it ends.
struct Leaving<'a>(&'a AtomicUsize);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where the record after one that ended at `end` starts: past the page
/// header when `end` is a page's first byte.
pub(crate) fn record_start_after(end: Lsn, seg_size: u32) -> Lsn {
    if end.page_offset() != 0 {
        end
    } else if end.segment_offset(seg_size) == 0 {
        Lsn(end.0 + SIZE_OF_LONG_PHD as u64)
    } else {
        Lsn(end.0 + SIZE_OF_SHORT_PHD as u64)
    }
}

/// Whether a part whose first record is `first` (its LSN, its prev-link,
/// the timeline of its page) follows `last`, the last record before it
/// (its LSN, where it ended, its timeline), as a serial read would go on;
/// with no record before it, whether it is the range's first, `start`.
pub(crate) fn joins_up(
    first: (Lsn, Lsn, u32),
    last: Option<(Lsn, Lsn, u32)>,
    start: Lsn,
    seg_size: u32,
) -> bool {
    let (lsn, prev, tli) = first;
    match last {
        None => lsn == start,
        Some((l_lsn, l_end, l_tli)) => {
            lsn == record_start_after(l_end, seg_size) && prev == l_lsn && tli >= l_tli
        }
    }
}

/// `end`, or where the source's segments end if that is before: parts
/// are not cut beyond it (the last part reads on to the range's end).
pub(crate) fn cut_end<S: WalSource>(src: &S, end: Lsn) -> Lsn {
    let last_seg = src.segment_range().map_or(0, |(_, last)| last);
    end.min(Lsn::from_segment(last_seg.saturating_add(1), src.segment_size()))
}

/// The boundaries of the parts of `[start, end)`: `start`, then segment
/// starts, up to where the source's segments end.
fn boundaries<S: WalSource>(src: &S, start: Lsn, end: Lsn) -> Vec<Lsn> {
    let seg = src.segment_size();
    let stop = cut_end(src, end);
    let mut b = vec![start];
    let mut segno = start.segment(seg) + SEGMENTS_PER_PART;
    while Lsn::from_segment(segno, seg) < stop {
        b.push(Lsn::from_segment(segno, seg));
        segno += SEGMENTS_PER_PART;
    }
    b.push(Lsn(u64::MAX));
    b
}

/// Reads the records starting in `[from, to)` with `reader` into `acc`;
/// `go_on` is asked before each record.
fn read_part<S: WalSource, A: Accumulate>(
    reader: &mut WalReader<S>,
    from: Lsn,
    to: Lsn,
    acc: A,
    go_on: &mut dyn FnMut(Lsn) -> bool,
) -> Part<A> {
    let mut part = Part { acc, first: None, last: None, failed: false };
    if reader.seek(from).is_err() {
        part.failed = true;
        return part;
    }
    loop {
        let at = reader.next_lsn();
        if at >= to || !go_on(at) {
            break;
        }
        match reader.next_record() {
            Ok(Some(rec)) => {
                let (lsn, end, prev) = (rec.lsn(), rec.end_lsn(), rec.prev_lsn());
                part.acc.add(&rec);
                let tli = reader.latest_timeline();
                part.first.get_or_insert((lsn, prev, tli));
                part.last = Some((lsn, end, tli));
            }
            Ok(None) => break,
            Err(_) => {
                part.failed = true;
                break;
            }
        }
    }
    part
}

/// Reads the whole range of `scan` (positioned, not yet read) into one
/// accumulator, on `threads` threads (the calling one included), and
/// returns what a serial read would: `new` makes an empty accumulator.
/// `spawning(true)` is called just before the other threads are started
/// and `spawning(false)` just after (the extension blocks signals there, so
/// they inherit a mask that leaves every signal to the backend's thread).
pub fn accumulate<S: ForkSource, A: Accumulate>(
    scan: &mut Scan<S>,
    threads: usize,
    new: &(dyn Fn() -> A + Sync),
    spawning: &dyn Fn(bool),
) -> Result<A> {
    let serial = |scan: &mut Scan<S>, mut acc: A| -> Result<A> {
        while let Some(rec) = scan.next_record()? {
            acc.add(&rec);
        }
        Ok(acc)
    };
    if threads <= 1 || scan.is_done() {
        return serial(scan, new());
    }
    let (start, end) = (scan.start(), scan.end());
    let seg_size = scan.reader().segment_size();
    let bounds = boundaries(scan.reader().source(), start, end);
    let parts = bounds.len() - 1;
    if parts < 2 {
        return serial(scan, new());
    }
    let next_part = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let done: Mutex<Vec<Option<Part<A>>>> = Mutex::new((0..parts).map(|_| None).collect());
    let base = scan.reader();
    let fork = || base.fork_with(base.source().fork());
    let take = || {
        let i = next_part.fetch_add(1, Ordering::Relaxed);
        (i < parts).then_some(i)
    };
    let store = |i: usize, part: Part<A>| {
        if let Ok(mut d) = done.lock() {
            d[i] = Some(part);
        }
    };
    let tick = scan.tick_fn();
    let mut own = fork();
    // Threads still reading: a thread that died (a bug: it panicked) must
    // not leave the backend waiting for its part.
    let alive = AtomicUsize::new(threads - 1);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        spawning(true);
        for _ in 1..threads {
            let mut reader = fork();
            let (take, store, stop, bounds, alive) = (&take, &store, &stop, &bounds, &alive);
            s.spawn(move || {
                let _gone = Leaving(alive);
                while let Some(i) = take() {
                    let mut go_on = |_: Lsn| !stop.load(Ordering::Relaxed);
                    let part = read_part(&mut reader, bounds[i], bounds[i + 1], new(), &mut go_on);
                    store(i, part);
                }
            });
        }
        spawning(false);
        while let Some(i) = take() {
            let mut go_on = |at: Lsn| {
                tick(Progress { at, start, end });
                true
            };
            let part = read_part(&mut own, bounds[i], bounds[i + 1], new(), &mut go_on);
            store(i, part);
        }
        // The last parts may still be read by the others: wait for them,
        // still checking for cancel.
        loop {
            let all = done.lock().map(|d| d.iter().all(Option::is_some)).unwrap_or(true);
            if all || alive.load(Ordering::Relaxed) == 0 {
                break;
            }
            tick(Progress { at: bounds[parts - 1], start, end });
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    let parts = match done.into_inner() {
        Ok(d) => d,
        Err(_) => return serial(scan, new()),
    };
    join(scan, parts, seg_size, new)
}

/// Merges the parts in order while they join up; reads the rest serially
/// from the last point where they did.
fn join<S: WalSource, A: Accumulate>(
    scan: &mut Scan<S>,
    parts: Vec<Option<Part<A>>>,
    seg_size: u32,
    new: &dyn Fn() -> A,
) -> Result<A> {
    let mut total = new();
    // The last record merged: its LSN, where it ended, its timeline.
    let mut last: Option<(Lsn, Lsn, u32)> = None;
    for part in parts {
        // A part never read (its thread died) is read here.
        let Some(part) = part else {
            return rest_serially(scan, total, last);
        };
        let joins = part.first.is_none_or(|f| joins_up(f, last, scan.start(), seg_size));
        if !joins || part.failed {
            return rest_serially(scan, total, last);
        }
        total.merge(part.acc);
        if part.last.is_some() {
            last = part.last;
        }
    }
    // Every part read to its end: the range's end was reached as the
    // serial scan would (a part stops only at its bound or at the end set).
    Ok(total)
}

/// Reads serially from after the last record merged (or from the start).
fn rest_serially<S: WalSource, A: Accumulate>(
    scan: &mut Scan<S>,
    mut total: A,
    last: Option<(Lsn, Lsn, u32)>,
) -> Result<A> {
    match last {
        Some((lsn, end, _)) => scan.continue_after(end, lsn),
        None => scan.restart(scan.start(), scan.end())?,
    }
    while let Some(rec) = scan.next_record()? {
        total.add(&rec);
    }
    Ok(total)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scan::EndPolicy;
    use crate::stats::WalStats;
    use crate::testutil::{record, WalWriter};

    pub(crate) const SEG: u32 = 1 << 20;

    /// WAL over eight segments: small records, records across pages and
    /// segments, one longer than a segment, and a segment switch.
    pub(crate) fn wal() -> (WalWriter, Lsn) {
        wal_with_prev_link_broken_at(None)
    }

    /// The same WAL, but the first record starting in segment `segno`
    /// (when given) points back at the wrong record: its CRC is right,
    /// only the chain is broken.
    pub(crate) fn wal_with_prev_link_broken_at(segno: Option<u64>) -> (WalWriter, Lsn) {
        let mut w = WalWriter::new(SEG, 2);
        let first = w.append(record(10, 0, 1, &[], &[1; 40]));
        let mut i = 0u32;
        while w.pos < 10 * u64::from(SEG) + u64::from(SEG) / 2 {
            let len = match i % 97 {
                0 => 20_000,
                1 => 9000,
                _ => 20 + (i % 200) as usize,
            };
            if segno
                .is_some_and(|s| w.pos >= s * u64::from(SEG) && w.pos < s * u64::from(SEG) + 8192)
            {
                w.prev -= 8;
            }
            w.append(record((i % 20) as u8, ((i % 4) << 4) as u8, i, &[], &vec![i as u8; len]));
            if i == 3000 {
                w.append(record(10, 0, i, &[], &vec![3; SEG as usize + 5000]));
            }
            if i == 9000 {
                w.switch();
            }
            i += 1;
        }
        (w, first)
    }

    fn stats(src: MemSource, start: Lsn, threads: usize, policy: EndPolicy) -> Result<Vec<String>> {
        let reader = WalReader::new(src);
        let mut scan = Scan::new(reader, start, Lsn(u64::MAX), policy)?;
        let s = accumulate(&mut scan, threads, &WalStats::default, &|_| {})?;
        Ok(s.rows(true).iter().map(|r| format!("{r:?}")).collect())
    }

    fn same_as_serial(src: MemSource, start: Lsn, policy: EndPolicy) {
        let serial = stats(src.clone(), start, 1, policy);
        for threads in [2, 3] {
            let par = stats(src.clone(), start, threads, policy);
            match (&serial, &par) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{threads} threads"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                _ => panic!("serial {serial:?}, {threads} threads {par:?}"),
            }
        }
    }

    const DIR: EndPolicy = EndPolicy::Directory { explicit_end: false };

    #[test]
    fn parts_add_up_to_the_serial_scan() {
        let (w, first) = wal();
        assert!(w.segments.len() >= 8);
        same_as_serial(w.source(), first, DIR);
        let n: usize = stats(w.source(), first, 2, DIR).unwrap().len();
        assert!(n > 20, "{n} rows");
        // Starting mid-range, in a segment continued from the one before.
        same_as_serial(w.source(), Lsn(5 * u64::from(SEG) + 100), DIR);
    }

    #[test]
    fn damage_in_a_later_part_gives_the_serial_error_or_end() {
        let (w, first) = wal();
        for at in [6 * u64::from(SEG) + 3000, 4 * u64::from(SEG) + 40, 7 * u64::from(SEG) + 20] {
            let mut d = w.clone();
            d.poke(at, &[0xEE, 0xEE, 0xEE, 0xEE]);
            same_as_serial(d.source(), first, DIR);
            same_as_serial(d.source(), first, EndPolicy::Strict);
            same_as_serial(d.source(), first, EndPolicy::Directory { explicit_end: true });
        }
    }

    #[test]
    fn parts_that_do_not_join_are_read_serially() {
        let (w, first) = wal_with_prev_link_broken_at(Some(6));
        let serial = stats(w.source(), first, 1, EndPolicy::Strict);
        assert!(serial.as_ref().is_err_and(|e| e.to_string().contains("prev-link")), "{serial:?}");
        same_as_serial(w.source(), first, EndPolicy::Strict);
        same_as_serial(w.source(), first, DIR);
    }

    #[test]
    fn a_missing_or_foreign_segment_is_met_as_serially() {
        let (w, first) = wal();
        let mut missing = w.source();
        missing.segments.remove(&6);
        same_as_serial(missing.clone(), first, DIR);
        same_as_serial(missing, first, EndPolicy::Strict);
        let mut foreign = w.clone();
        foreign.poke(7 * u64::from(SEG) + 8, &[0x55]);
        same_as_serial(foreign.source(), first, EndPolicy::Strict);
        let mut other_system = w.clone();
        other_system.poke(5 * u64::from(SEG) + 24, &[0x42]);
        let serial = stats(other_system.source(), first, 1, EndPolicy::Strict);
        assert!(serial.is_err());
        same_as_serial(other_system.source(), first, EndPolicy::Strict);
    }
}
