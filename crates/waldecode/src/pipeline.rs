//! Reading a range on a thread of its own, ahead of its consumer: the
//! thread reads, checks and decodes records and adds each to a batch of
//! rows (`add`), and hands the batches over through a bounded channel,
//! so the consumer (the backend, building SQL rows) works on one core and
//! the reading on another. Memory is bounded by the batches in flight.
//!
//! The thread touches nothing but its scan: the scan's hooks are the
//! consumer's to call (it ticks while it waits), and a warning the scan
//! meets comes with the end of the rows. Dropping the pipeline stops the
//! thread at its next record and waits for it, so an early end of the
//! consumer (LIMIT, an error, a cancel) leaves nothing running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::WalError;
use crate::record::Record;
use crate::scan::Scan;
use crate::source::WalSource;

/// Records per batch: enough that handing a batch over costs nothing per
/// row.
pub const ROWS_PER_BATCH: usize = 256;
/// Batches in flight between the thread and the consumer.
pub const BATCHES_IN_FLIGHT: usize = 8;
/// How long the consumer waits for a batch before it ticks again.
const WAIT_SLICE: Duration = Duration::from_millis(5);

enum Msg<T> {
    Rows(T),
    /// The range ended; the scan's warning, if it ended early.
    End(Option<WalError>),
    Failed(WalError),
}

/// What the consumer gets next.
pub enum Next<T> {
    /// A batch of the rows of [`ROWS_PER_BATCH`] records (fewer at the end).
    Rows(T),
    /// The range ended (with the scan's warning, if it ended early).
    End(Option<WalError>),
    Failed(WalError),
}

/// Batches of rows of a range read on another thread. Batches are filled
/// and freed by the thread that made them, not by the consumer: the
/// consumer hands each one back (`give_back`) to be filled anew.
pub struct Pipeline<T: Default + Send + 'static> {
    rx: Option<Receiver<Msg<T>>>,
    back: Option<std::sync::mpsc::Sender<T>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    ended: bool,
}

impl<T: Default + Send + 'static> Pipeline<T> {
    /// Starts reading `scan` (positioned; its hooks are not called) on a
    /// new thread, each record added to the batch being filled by `add`
    /// (which gets it cleared: what it holds is the consumer's old rows).
    /// `spawning` is called around starting the thread, as in
    /// [`crate::parallel::accumulate`].
    pub fn start<S, F>(mut scan: Scan<S>, mut add: F, spawning: &dyn Fn(bool)) -> Self
    where
        S: WalSource + Send + 'static,
        F: FnMut(&Record<'_>, &mut T, bool) + Send + 'static,
    {
        scan.set_hooks(|_| {}, |_| {});
        let (tx, rx) = sync_channel(BATCHES_IN_FLIGHT);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        spawning(true);
        let (back, returned) = std::sync::mpsc::channel::<T>();
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
        Pipeline { rx, back: Some(back), stop, handle, ended: false }
    }

    /// Hands a batch the consumer is done with back, to be filled again.
    pub fn give_back(&mut self, batch: T) {
        if let Some(b) = &self.back {
            let _ = b.send(batch);
        }
    }

    /// The next batch, or how the range ended; `tick` is called while
    /// waiting for the thread (at least every few milliseconds).
    pub fn next(&mut self, tick: &mut dyn FnMut()) -> Next<T> {
        if self.ended {
            return Next::End(None);
        }
        let Some(rx) = &self.rx else {
            self.ended = true;
            return Next::Failed(WalError::corrupt(
                crate::Lsn::INVALID,
                "the WAL reading thread could not be started".to_string(),
            ));
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
                    return Next::Failed(WalError::corrupt(
                        crate::Lsn::INVALID,
                        "the WAL reading thread ended without a result".to_string(),
                    ));
                }
            }
        }
    }
}

impl<T: Default + Send + 'static> Drop for Pipeline<T> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsn::Lsn;
    use crate::reader::WalReader;
    use crate::scan::EndPolicy;
    use crate::testutil::{record, WalWriter};

    const SEG: u32 = 1 << 20;

    fn wal(n: u32) -> (WalWriter, Lsn) {
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
        let (mut w, first) = wal(3000);
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
        let mut p = Pipeline::start(scan(&w, first, EndPolicy::Strict), add, &|_| {});
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
        let mut p = Pipeline::start(scan(&w, first, dir), add, &|_| {});
        let (rows, end) = collect(&mut p);
        assert_eq!(rows, expected[..2000]);
        assert!(matches!(end, Next::End(Some(WalError::Corrupt { .. }))));
    }

    #[test]
    fn dropping_it_early_stops_the_thread() {
        let (w, first) = wal(20_000);
        let mut p = Pipeline::start(scan(&w, first, EndPolicy::Strict), add, &|_| {});
        assert!(matches!(p.next(&mut || {}), Next::Rows(_)));
        // The thread is blocked on a full channel by now, or soon: dropping
        // must not hang.
        std::thread::sleep(Duration::from_millis(20));
        drop(p);
    }
}
