//! Reading a range on threads of their own, ahead of its consumer: the
//! threads read, check and decode records and add each to a batch of rows
//! (`add`), and hand the batches over in the order of the records, so the
//! consumer (the backend, building SQL rows) works on one core and the
//! reading on the others. Memory is bounded by the batches in flight.
//!
//! With one thread, it reads the range from start to end. With more, the
//! range is cut into parts of [`PART_BYTES`], each read by whichever
//! thread is free, at most [`PARTS_AHEAD_PER_THREAD`] per thread ahead of
//! the part the consumer is on. The rows are a serial scan's, exactly: a
//! part's rows reach the consumer only once its first record is checked
//! to follow the last record before it (as in [`crate::parallel`]), and
//! where a part does not join up or meets an error, the rest of the range
//! is read by one thread from the last record handed over, so every
//! error, warning and early end is the one a serial scan meets.
//!
//! The threads touch nothing but their readers: the scan's hooks are the
//! consumer's to call (it ticks while it waits), and a warning the scan
//! meets comes with the end of the rows. Dropping the pipeline stops the
//! threads at their next record and waits for them, so an early end of
//! the consumer (LIMIT, an error, a cancel) leaves nothing running.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::WalError;
use crate::lsn::Lsn;
use crate::parallel::{cut_end, joins_up, record_start_after, ForkSource};
use crate::reader::WalReader;
use crate::record::Record;
use crate::scan::Scan;
use crate::source::WalSource;

/// Records per batch: enough that handing a batch over costs nothing per
/// row.
pub const ROWS_PER_BATCH: usize = 256;
/// Batches in flight between the one reading thread and the consumer.
pub const BATCHES_IN_FLIGHT: usize = 8;
/// How long the consumer waits for a batch before it ticks again.
const WAIT_SLICE: Duration = Duration::from_millis(5);
/// The WAL of a part read by several threads: small, so the rows read
/// ahead of the consumer (a part's are kept whole) take a few MB; large
/// enough that positioning a reader (a page or two) costs nothing.
pub const PART_BYTES: u64 = 256 * 1024;
/// Parts each thread may have read or be reading ahead of the consumer's:
/// with two, a thread on a part slower than the others (large records,
/// a page cache miss) left the others waiting (on 1 GB of FPI-heavy WAL,
/// in FROM, 0.71–0.81 s against 0.49–0.69 s with eight); eight parts per
/// thread are 4 MB of WAL, whose rows are about 10 MB when records are
/// small.
pub const PARTS_AHEAD_PER_THREAD: usize = 8;

enum Msg<T> {
    Rows(T),
    /// The range ended; the scan's warning, if it ended early.
    End(Option<WalError>),
    Failed(WalError),
}

/// What the consumer gets next.
pub enum Next<T> {
    /// A batch of the rows of [`ROWS_PER_BATCH`] records (fewer at the end
    /// of the range or of a part).
    Rows(T),
    /// The range ended (with the scan's warning, if it ended early).
    End(Option<WalError>),
    Failed(WalError),
}

/// How a batch is filled: with the record, the batch, and whether the
/// record is the batch's first (the batch then holds old rows, to clear).
pub trait AddFn<T>: Fn(&Record<'_>, &mut T, bool) + Send + Sync + 'static {}
impl<T, F: Fn(&Record<'_>, &mut T, bool) + Send + Sync + 'static> AddFn<T> for F {}

/// Called right before threads are started (`true`) and right after
/// (`false`), as in [`crate::parallel::accumulate`].
pub type Spawning = fn(bool);

/// Batches of rows of a range read on other threads. Batches are filled by
/// the reading threads; the consumer hands each one back (`give_back`) to
/// be filled anew, so their buffers are reused, not freed and made again.
pub struct Pipeline<T: Default + Send + 'static> {
    reading: Reading<T>,
    /// Parts whose rows were all handed over, read in parallel, before
    /// the rest was read on one thread.
    joined: usize,
}

enum Reading<T: Default + Send + 'static> {
    Parts(Parts<T>),
    Serial(Serial<T>),
}

impl<T: Default + Send + 'static> Pipeline<T> {
    /// Starts reading `scan` (positioned; its hooks are not called) on
    /// `threads` threads, in parts, when its range has more than one part;
    /// on one thread otherwise.
    pub fn start<S: ForkSource + 'static>(
        scan: Scan<S>,
        threads: usize,
        add: impl AddFn<T>,
        spawning: Spawning,
    ) -> Self {
        let add = Arc::new(add);
        let cuts = Cuts::of(&scan);
        let reading = if threads <= 1 || scan.is_done() || cuts.count < 2 {
            Reading::Serial(Serial::start(scan, add, spawning))
        } else {
            Reading::Parts(Parts::start(scan, cuts, threads, add, spawning))
        };
        Pipeline { reading, joined: 0 }
    }

    /// Hands a batch the consumer is done with back, to be filled again.
    pub fn give_back(&mut self, batch: T) {
        match &self.reading {
            Reading::Parts(p) => p.give_back(batch),
            Reading::Serial(s) => s.give_back(batch),
        }
    }

    /// The next batch, or how the range ended; `tick` is called while
    /// waiting for the threads (at least every few milliseconds).
    pub fn next(&mut self, tick: &mut dyn FnMut()) -> Next<T> {
        if let Reading::Parts(p) = &mut self.reading {
            match p.next(tick) {
                PartsNext::Rows(b) => return Next::Rows(b),
                PartsNext::End => return Next::End(None),
                PartsNext::Serially(serial) => {
                    self.joined = p.passed;
                    self.reading = Reading::Serial(serial);
                }
            }
        }
        match &mut self.reading {
            Reading::Serial(s) => s.next(tick),
            Reading::Parts(_) => Next::End(None),
        }
    }

    /// How many parts were read in parallel and all their rows handed
    /// over (the rest, if any, was read serially).
    pub fn parts_joined(&self) -> usize {
        match &self.reading {
            Reading::Parts(p) => p.passed,
            Reading::Serial(_) => self.joined,
        }
    }
}

/// The range read on one thread.
struct Serial<T> {
    rx: Option<Receiver<Msg<T>>>,
    back: Option<std::sync::mpsc::Sender<T>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    ended: bool,
}

impl<T: Default + Send + 'static> Serial<T> {
    fn start<S, F>(mut scan: Scan<S>, add: Arc<F>, spawning: Spawning) -> Self
    where
        S: WalSource + Send + 'static,
        F: AddFn<T>,
    {
        scan.set_hooks(|_| {}, |_| {});
        let (tx, rx) = sync_channel(BATCHES_IN_FLIGHT);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let (back, returned) = std::sync::mpsc::channel::<T>();
        spawning(true);
        let handle = std::thread::Builder::new().name("xlogminer-reader".into()).spawn(move || {
            let mut batch = T::default();
            let mut n = 0;
            let send = |batch: T| tx.send(Msg::Rows(batch)).is_ok();
            loop {
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                match scan.next_record() {
                    Ok(Some(rec)) => {
                        add(&rec, &mut batch, n == 0);
                        n += 1;
                        if n == ROWS_PER_BATCH {
                            n = 0;
                            let next = returned.try_recv().unwrap_or_default();
                            if !send(std::mem::replace(&mut batch, next)) {
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        if n > 0 && !send(batch) {
                            return;
                        }
                        let _ = tx.send(Msg::End(scan.take_warning()));
                        return;
                    }
                    Err(e) => {
                        if n > 0 && !send(batch) {
                            return;
                        }
                        let _ = tx.send(Msg::Failed(e));
                        return;
                    }
                }
            }
        });
        spawning(false);
        let (rx, handle) = match handle {
            Ok(h) => (Some(rx), Some(h)),
            Err(_) => (None, None),
        };
        Serial { rx, back: Some(back), stop, handle, ended: false }
    }

    fn give_back(&self, batch: T) {
        if let Some(b) = &self.back {
            let _ = b.send(batch);
        }
    }

    fn next(&mut self, tick: &mut dyn FnMut()) -> Next<T> {
        if self.ended {
            return Next::End(None);
        }
        let Some(rx) = &self.rx else {
            self.ended = true;
            return Next::Failed(thread_gone("could not be started"));
        };
        loop {
            tick();
            match rx.recv_timeout(WAIT_SLICE) {
                Ok(Msg::Rows(rows)) => return Next::Rows(rows),
                Ok(Msg::End(w)) => {
                    self.ended = true;
                    return Next::End(w);
                }
                Ok(Msg::Failed(e)) => {
                    self.ended = true;
                    return Next::Failed(e);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.ended = true;
                    return Next::Failed(thread_gone("ended without a result"));
                }
            }
        }
    }
}

impl<T> Drop for Serial<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // A thread blocked on a full channel gets an error once the
        // receiver is gone, and returns.
        self.rx = None;
        self.back = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cold]
fn thread_gone(what: &str) -> WalError {
    WalError::corrupt(Lsn::INVALID, format!("the WAL reading thread {what}"))
}

/// A record's place, for checking that parts join up: its LSN, where it
/// ended (its prev-link, for a part's first record), the timeline of the
/// page read last.
type Place = (Lsn, Lsn, u32);

/// Where the parts of a scan's range begin: the first at the scan's
/// start, the others at multiples of [`PART_BYTES`] up to where the
/// source's segments end; the last one reads to the end of the range.
#[derive(Clone, Copy)]
struct Cuts {
    start: Lsn,
    count: usize,
    seg_size: u32,
}

impl Cuts {
    fn of<S: WalSource>(scan: &Scan<S>) -> Cuts {
        let src = scan.reader().source();
        let seg_size = src.segment_size();
        let stop = cut_end(src, scan.end());
        let start = scan.start();
        let cuts = stop.0.div_ceil(PART_BYTES).saturating_sub(start.0 / PART_BYTES + 1);
        Cuts { start, count: usize::try_from(cuts).unwrap_or(usize::MAX - 1) + 1, seg_size }
    }

    /// Records starting in `[from, to)` make part `i`.
    fn part(&self, i: usize) -> (Lsn, Lsn) {
        let cut = |k: usize| Lsn((self.start.0 / PART_BYTES + k as u64) * PART_BYTES);
        let from = if i == 0 { self.start } else { cut(i) };
        let to = if i + 1 == self.count { Lsn(u64::MAX) } else { cut(i + 1) };
        (from, to)
    }
}

/// One part's rows and how its reading went.
struct Slot<T> {
    /// Its batches, each with the place of its last record.
    batches: VecDeque<(T, Place)>,
    /// Its first record's place (with its prev-link), once read.
    first: Option<Place>,
    /// Read to its end, or to an error (`failed`).
    done: bool,
    failed: bool,
    /// Its first record was checked to join up.
    checked: bool,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot { batches: VecDeque::new(), first: None, done: false, failed: false, checked: false }
    }
}

struct State<T> {
    /// The part the consumer is on: `slots[0]`'s.
    current: usize,
    /// The next part no thread has taken.
    next: usize,
    /// The parts from `current` to `next`.
    slots: VecDeque<Slot<T>>,
    /// Batches handed back, to be filled again.
    free: Vec<T>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// A batch was added or a part ended (for the consumer).
    filled: Condvar,
    /// The consumer moved on to the next part (for the threads).
    moved: Condvar,
    stop: AtomicBool,
}

enum PartsNext<T> {
    Rows(T),
    End,
    /// The rest of the range is read on one thread, from after the last
    /// record handed over.
    Serially(Serial<T>),
}

/// What reads the rest of the range serially: the scan the parts were
/// forked from (positioned at the range's start), moved on past the last
/// record handed over, if any.
type Rest<T> = Box<dyn FnOnce(Option<Place>) -> Serial<T> + Send>;

/// The range read in parts on several threads.
struct Parts<T: Default + Send + 'static> {
    shared: Arc<Shared<T>>,
    handles: Vec<JoinHandle<()>>,
    cuts: Cuts,
    rest: Option<Rest<T>>,
    /// The last record handed over.
    last: Option<Place>,
    /// Parts passed: all their rows handed over, or skipped.
    passed: usize,
}

impl<T: Default + Send + 'static> Parts<T> {
    fn start<S: ForkSource + 'static, F: AddFn<T>>(
        mut scan: Scan<S>,
        cuts: Cuts,
        threads: usize,
        add: Arc<F>,
        spawning: Spawning,
    ) -> Self {
        scan.set_hooks(|_| {}, |_| {});
        let state = State { current: 0, next: 0, slots: VecDeque::new(), free: Vec::new() };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            filled: Condvar::new(),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let ahead = threads * PARTS_AHEAD_PER_THREAD;
        let mut handles = Vec::new();
        spawning(true);
        for _ in 0..threads {
            let base = scan.reader();
            let mut reader = base.fork_with(base.source().fork());
            let (shared, add) = (Arc::clone(&shared), Arc::clone(&add));
            let thread = std::thread::Builder::new().name("xlogminer-reader".into());
            let read = move || read_parts(&shared, &mut reader, cuts, ahead, &*add);
            if let Ok(h) = thread.spawn(read) {
                handles.push(h);
            }
        }
        spawning(false);
        let rest: Rest<T> = Box::new(move |last| {
            if let Some((lsn, end, _)) = last {
                scan.continue_after(end, lsn);
            }
            Serial::start(scan, add, spawning)
        });
        Parts { shared, handles, cuts, rest: Some(rest), last: None, passed: 0 }
    }

    fn give_back(&self, batch: T) {
        if let Ok(mut st) = self.shared.state.lock() {
            st.free.push(batch);
        }
    }

    fn next(&mut self, tick: &mut dyn FnMut()) -> PartsNext<T> {
        loop {
            tick();
            match self.step() {
                Step::Rows(b) => return PartsNext::Rows(b),
                Step::End => return PartsNext::End,
                Step::Wait => {}
                Step::Serially => {
                    self.stop();
                    let Some(rest) = self.rest.take() else { return PartsNext::End };
                    return PartsNext::Serially(rest(self.last));
                }
            }
        }
    }

    /// Where the record after the last one handed over starts.
    fn next_start(&self) -> Lsn {
        match self.last {
            Some((_, end, _)) => record_start_after(end, self.cuts.seg_size),
            None => self.cuts.start,
        }
    }

    /// Takes what is there for the consumer, or waits a slice for it.
    fn step(&mut self) -> Step<T> {
        let Ok(mut st) = self.shared.state.lock() else { return Step::Serially };
        loop {
            let current = st.current;
            let Some(slot) = st.slots.front_mut() else { break };
            // A part the serial scan would not read from (past a segment
            // switch, or within a record continued from before it): its
            // rows, its end and its errors are none of the range's.
            let (_, to) = self.cuts.part(current);
            if self.next_start() >= to {
                if !slot.done {
                    break;
                }
                let skipped = st.slots.pop_front().map(|s| s.batches).unwrap_or_default();
                st.free.extend(skipped.into_iter().map(|(b, _)| b));
                st.current += 1;
                self.passed += 1;
                self.shared.moved.notify_all();
                if st.current >= self.cuts.count {
                    return Step::End;
                }
                continue;
            }
            if !slot.checked {
                match slot.first {
                    Some(first)
                        if !joins_up(first, self.last, self.cuts.start, self.cuts.seg_size) =>
                    {
                        return Step::Serially
                    }
                    Some(_) => slot.checked = true,
                    None if slot.done => slot.checked = true,
                    None => break,
                }
            }
            if let Some((batch, place)) = slot.batches.pop_front() {
                self.last = Some(place);
                return Step::Rows(batch);
            }
            if !slot.done {
                break;
            }
            if slot.failed {
                return Step::Serially;
            }
            st.slots.pop_front();
            st.current += 1;
            self.passed += 1;
            self.shared.moved.notify_all();
            if st.current >= self.cuts.count {
                return Step::End;
            }
        }
        // Nothing yet: a thread is reading the part. If none is left (one
        // died: a bug), the rest is read serially instead of waited for.
        if self.handles.iter().all(JoinHandle::is_finished) {
            return Step::Serially;
        }
        match self.shared.filled.wait_timeout(st, WAIT_SLICE) {
            Ok(_) => Step::Wait,
            Err(_) => Step::Serially,
        }
    }

    /// Stops the threads at their next record and waits for them.
    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.moved.notify_all();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl<T: Default + Send + 'static> Drop for Parts<T> {
    fn drop(&mut self) {
        self.stop();
    }
}

enum Step<T> {
    Rows(T),
    End,
    Wait,
    Serially,
}

/// A reading thread: takes the next part no one has taken, at most
/// `ahead` parts past the consumer's, and reads it into batches.
fn read_parts<S: WalSource, T: Default, F: AddFn<T>>(
    shared: &Shared<T>,
    reader: &mut WalReader<S>,
    cuts: Cuts,
    ahead: usize,
    add: &F,
) {
    let stopped = || shared.stop.load(Ordering::Relaxed);
    loop {
        let (i, mut batch) = {
            let Ok(mut st) = shared.state.lock() else { return };
            loop {
                if stopped() || st.next >= cuts.count {
                    return;
                }
                if st.next < st.current + ahead {
                    break;
                }
                st = match shared.moved.wait_timeout(st, WAIT_SLICE) {
                    Ok((st, _)) => st,
                    Err(_) => return,
                };
            }
            let i = st.next;
            st.next += 1;
            st.slots.push_back(Slot::new());
            (i, st.free.pop().unwrap_or_default())
        };
        let (from, to) = cuts.part(i);
        let mut first = None;
        let mut last = None;
        let mut n = 0;
        let mut failed = reader.seek(from).is_err();
        while !failed && reader.next_lsn() < to {
            if stopped() {
                return;
            }
            match reader.next_record() {
                Ok(Some(rec)) => {
                    let (lsn, end, prev) = (rec.lsn(), rec.end_lsn(), rec.prev_lsn());
                    add(&rec, &mut batch, n == 0);
                    n += 1;
                    let tli = reader.latest_timeline();
                    first.get_or_insert((lsn, prev, tli));
                    let at = (lsn, end, tli);
                    last = Some(at);
                    if n == ROWS_PER_BATCH {
                        n = 0;
                        let Ok(mut st) = shared.state.lock() else { return };
                        let Some(slot) = slot_of(&mut st, i) else { return };
                        slot.batches.push_back((batch, at));
                        slot.first = first;
                        batch = st.free.pop().unwrap_or_default();
                        shared.filled.notify_one();
                    }
                }
                Ok(None) => break,
                Err(_) => failed = true,
            }
        }
        let Ok(mut st) = shared.state.lock() else { return };
        let kept = match last {
            Some(at) if n > 0 => Some((batch, at)),
            _ => {
                st.free.push(batch);
                None
            }
        };
        let Some(slot) = slot_of(&mut st, i) else { return };
        slot.batches.extend(kept);
        slot.first = first;
        slot.done = true;
        slot.failed = failed;
        shared.filled.notify_one();
    }
}

/// Part `i`'s slot: the consumer is on it or on one before it.
fn slot_of<T>(st: &mut State<T>, i: usize) -> Option<&mut Slot<T>> {
    let at = i.checked_sub(st.current)?;
    st.slots.get_mut(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsn::Lsn;
    use crate::parallel::tests::{wal, wal_with_prev_link_broken_at, SEG};
    use crate::reader::WalReader;
    use crate::scan::EndPolicy;
    use crate::source::MemSource;
    use crate::testutil::{record, WalWriter};

    fn small_wal(n: u32) -> (WalWriter, Lsn) {
        let mut w = WalWriter::new(SEG, 1);
        let first = w.append(record(10, 0, 0, &[], &[0; 30]));
        for i in 1..n {
            w.append(record(10, 0, i, &[], &vec![i as u8; 30 + (i % 300) as usize]));
        }
        (w, first)
    }

    fn scan(w: &WalWriter, first: Lsn, policy: EndPolicy) -> Scan<crate::source::MemSource> {
        Scan::new(WalReader::new(w.source()), first, Lsn(u64::MAX), policy).unwrap()
    }

    type Row = (Lsn, u32);

    fn add(r: &Record<'_>, batch: &mut Vec<Row>, first: bool) {
        if first {
            batch.clear();
        }
        batch.push((r.lsn(), r.xid()));
    }

    fn collect(p: &mut Pipeline<Vec<Row>>) -> (Vec<Row>, Next<Vec<Row>>) {
        let mut rows = Vec::new();
        loop {
            match p.next(&mut || {}) {
                Next::Rows(b) => {
                    assert!(b.len() <= ROWS_PER_BATCH);
                    rows.extend_from_slice(&b);
                    p.give_back(b);
                }
                end => return (rows, end),
            }
        }
    }

    #[test]
    fn rows_come_in_order_and_end_as_the_scan_does() {
        let (mut w, first) = small_wal(3000);
        let make = |r: &Record<'_>| (r.lsn(), r.xid());
        let mut serial = scan(&w, first, EndPolicy::Strict);
        let mut expected = Vec::new();
        let serial_end = loop {
            match serial.next_record() {
                Ok(Some(r)) => expected.push(make(&r)),
                Ok(None) => break None,
                Err(e) => break Some(e.to_string()),
            }
        };
        let mut p = Pipeline::start(scan(&w, first, EndPolicy::Strict), 1, add, |_| {});
        let (rows, end) = collect(&mut p);
        assert_eq!(rows, expected);
        assert!(rows.len() == 3000);
        match end {
            Next::Failed(e) => assert_eq!(Some(e.to_string()), serial_end),
            _ => panic!("the server's WAL read past its end is an error"),
        }
        // A torn record in a directory: the rows before it, then its warning.
        w.poke(expected[2000].0 .0 + 30, &[0xEE]);
        let dir = EndPolicy::Directory { explicit_end: false };
        let mut p = Pipeline::start(scan(&w, first, dir), 1, add, |_| {});
        let (rows, end) = collect(&mut p);
        assert_eq!(rows, expected[..2000]);
        assert!(matches!(end, Next::End(Some(WalError::Corrupt { .. }))));
    }

    /// The rows and the end of a serial scan of `src` from `start`.
    fn serial_rows(src: &MemSource, start: Lsn, policy: EndPolicy) -> (Vec<Row>, String) {
        let mut scan = match Scan::new(WalReader::new(src.clone()), start, Lsn(u64::MAX), policy) {
            Ok(s) => s,
            Err(e) => return (Vec::new(), format!("failed: {e}")),
        };
        let mut rows = Vec::new();
        loop {
            match scan.next_record() {
                Ok(Some(r)) => rows.push((r.lsn(), r.xid())),
                Ok(None) => {
                    return (rows, format!("end: {:?}", scan.take_warning().map(|w| w.to_string())))
                }
                Err(e) => return (rows, format!("failed: {e}")),
            }
        }
    }

    /// The same, read in parts on `threads` threads.
    fn parallel_rows(
        src: &MemSource,
        start: Lsn,
        policy: EndPolicy,
        threads: usize,
    ) -> (Vec<Row>, String, usize) {
        let scan = match Scan::new(WalReader::new(src.clone()), start, Lsn(u64::MAX), policy) {
            Ok(s) => s,
            Err(e) => return (Vec::new(), format!("failed: {e}"), 0),
        };
        let mut p = Pipeline::start(scan, threads, add, |_| {});
        let (rows, end) = collect(&mut p);
        let end = match end {
            Next::End(w) => format!("end: {:?}", w.map(|w| w.to_string())),
            Next::Failed(e) => format!("failed: {e}"),
            Next::Rows(_) => unreachable!(),
        };
        (rows, end, p.parts_joined())
    }

    /// Checks the rows and end are the serial scan's; returns the fewest
    /// parts read in parallel.
    fn same_as_serial(src: MemSource, start: Lsn, policy: EndPolicy) -> usize {
        let serial = serial_rows(&src, start, policy);
        let mut joined = usize::MAX;
        for threads in [2, 3] {
            let par = parallel_rows(&src, start, policy, threads);
            assert_eq!(par.1, serial.1, "{threads} threads, {policy:?}");
            assert!(
                par.0 == serial.0,
                "{threads} threads, {policy:?}: {} rows, serially {}",
                par.0.len(),
                serial.0.len()
            );
            joined = joined.min(par.2);
        }
        joined
    }

    /// The part `at` is in, of a range starting at `first`.
    fn part_of(at: u64, first: Lsn) -> usize {
        (at / PART_BYTES - first.0 / PART_BYTES) as usize
    }

    const DIR: EndPolicy = EndPolicy::Directory { explicit_end: false };
    const POLICIES: [EndPolicy; 3] =
        [EndPolicy::Strict, DIR, EndPolicy::Directory { explicit_end: true }];

    #[test]
    fn parts_give_the_rows_of_a_serial_scan() {
        let (w, first) = wal();
        let (rows, _) = serial_rows(&w.source(), first, DIR);
        // Several parts per segment, and records across parts.
        assert!(rows.len() > 10_000 && u64::from(SEG) / PART_BYTES >= 4, "{} rows", rows.len());
        // Every part of the clean WAL joins up but the last, which the
        // directory's WAL ends in (finished serially).
        let (_, end) = serial_rows(&w.source(), first, EndPolicy::Strict);
        assert!(end.starts_with("failed"), "{end}");
        let parts = part_of(w.pos, first);
        for policy in POLICIES {
            let joined = same_as_serial(w.source(), first, policy);
            assert!(
                joined == parts,
                "{policy:?}: {joined} parts joined, the WAL ends in part {parts}"
            );
        }
        // Starting mid-part, in a segment continued from the one before.
        same_as_serial(w.source(), Lsn(5 * u64::from(SEG) + 100), DIR);
        same_as_serial(w.source(), Lsn(3 * u64::from(SEG) + PART_BYTES + 8), DIR);
    }

    #[test]
    fn parts_past_a_segment_switch_are_skipped_not_read_serially() {
        // Segments switched a third of the way in: the rest of each is
        // unused, and the parts there are of no record.
        let mut w = WalWriter::new(SEG, 2);
        let first = w.append(record(10, 0, 0, &[], &[0; 40]));
        for i in 1..30_000u32 {
            w.append(record(10, 0, i, &[], &vec![i as u8; 40 + (i % 150) as usize]));
            if w.pos % u64::from(SEG) > u64::from(SEG) / 3 && w.pos < 8 * u64::from(SEG) {
                w.switch();
            }
        }
        let parts = part_of(w.pos, first);
        assert!(parts > 30, "{parts} parts");
        for policy in POLICIES {
            let joined = same_as_serial(w.source(), first, policy);
            assert!(
                joined == parts,
                "{policy:?}: {joined} parts joined, the WAL ends in part {parts}"
            );
        }
    }

    #[test]
    fn damage_gives_the_rows_and_the_end_of_a_serial_scan() {
        let (w, first) = wal();
        let seg = u64::from(SEG);
        let clean = serial_rows(&w.source(), first, DIR).0.len();
        for at in [
            6 * seg + 3000,
            4 * seg + 40,
            7 * seg + 20,
            2 * seg + PART_BYTES + 500,
            10 * seg + 1000,
        ] {
            let mut d = w.clone();
            d.poke(at, &[0xEE, 0xEE, 0xEE, 0xEE]);
            for policy in POLICIES {
                let joined = same_as_serial(d.source(), first, policy);
                // The parts before the one the damaged record starts in
                // (after the last good one) were read in parallel.
                let (rows, _) = serial_rows(&d.source(), first, policy);
                let good = rows.last().map_or(0, |r| part_of(r.0 .0, first));
                // (Bytes no check reads, such as a page header's padding,
                // are no damage.)
                let damaged =
                    if rows.len() == clean { part_of(w.pos, first) } else { part_of(at, first) };
                assert!(
                    (good..=damaged).contains(&joined),
                    "{joined} parts joined, the last good record in part {good}, damage in {damaged}"
                );
            }
        }
        let (broken, first) = wal_with_prev_link_broken_at(Some(6));
        let (_, end) = serial_rows(&broken.source(), first, EndPolicy::Strict);
        assert!(end.contains("prev-link"), "{end}");
        for policy in POLICIES {
            same_as_serial(broken.source(), first, policy);
        }
        let mut missing = w.source();
        missing.segments.remove(&6);
        for policy in POLICIES {
            same_as_serial(missing.clone(), first, policy);
        }
        let mut other_system = w.clone();
        other_system.poke(5 * seg + 24, &[0x42]);
        same_as_serial(other_system.source(), first, EndPolicy::Strict);
    }

    #[test]
    fn dropping_it_early_stops_the_threads() {
        let (w, first) = wal();
        let scan = Scan::new(WalReader::new(w.source()), first, Lsn(u64::MAX), DIR).unwrap();
        let mut p = Pipeline::start(scan, 2, add, |_| {});
        assert!(matches!(p.next(&mut || {}), Next::Rows(_)));
        // The threads have filled the parts they may read ahead by now, or
        // soon, and wait: dropping must not hang.
        std::thread::sleep(Duration::from_millis(20));
        drop(p);
    }

    #[test]
    fn dropping_it_early_stops_the_thread() {
        let (w, first) = small_wal(20_000);
        let mut p = Pipeline::start(scan(&w, first, EndPolicy::Strict), 1, add, |_| {});
        assert!(matches!(p.next(&mut || {}), Next::Rows(_)));
        // The thread is blocked on a full channel by now, or soon: dropping
        // must not hang.
        std::thread::sleep(Duration::from_millis(20));
        drop(p);
    }
}
