//! A scan: a reader positioned over a resolved range, with the rule that
//! decides where the range may end. The server's own WAL must be valid up to
//! the end the server reports; a directory's WAL (an archive, a copy) simply
//! ends where valid records stop, a torn last record included. Every
//! function of the extension and both passes of the miner read through one.

use crate::error::{Result, WalError};
use crate::lsn::Lsn;
use crate::reader::WalReader;
use crate::record::Record;
use crate::source::WalSource;

/// How the end of a range is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndPolicy {
    /// Everything up to the end must be valid: the server's WAL up to its
    /// flush (or replay) LSN. Any error is an error.
    Strict,
    /// A directory of segments: reading stops quietly where its WAL ends
    /// (a missing next segment, a zeroed or recycled page). Without an
    /// explicit end, an invalid record also ends it — a crash leaves a torn
    /// last record — and the reason is kept as a [`Scan::take_warning`].
    Directory { explicit_end: bool },
}

/// Where a scan is, for a progress report: the position reached and the
/// range being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub at: Lsn,
    pub start: Lsn,
    pub end: Lsn,
}

/// Called before every record: the extension checks for query cancel and
/// reports progress here, so a long scan stops promptly and says where it
/// is.
pub type Tick = fn(Progress);

/// A positioned reader over `[start, end)`.
pub struct Scan<S: WalSource> {
    reader: WalReader<S>,
    policy: EndPolicy,
    done: bool,
    start: Lsn,
    end: Lsn,
    /// Where the record returned last ends.
    reached: Lsn,
    warning: Option<WalError>,
    tick: Tick,
    /// Called when the scan ends early at an invalid record (the extension
    /// raises a WARNING).
    warn: fn(&WalError),
}

impl<S: WalSource> Scan<S> {
    /// A scan from the first record at or after `start` up to `end`.
    /// Positioning fails as reading would (by the policy): a range with no
    /// record in it is an empty scan, not an error, where the policy allows.
    pub fn new(reader: WalReader<S>, start: Lsn, end: Lsn, policy: EndPolicy) -> Result<Scan<S>> {
        let mut scan = Scan {
            reader,
            policy,
            done: false,
            start,
            end,
            reached: start,
            warning: None,
            tick: |_| {},
            warn: |_| {},
        };
        scan.restart(start, end)?;
        Ok(scan)
    }

    /// Sets the function called before every record and the one called
    /// when the scan ends early at an invalid record.
    /// A warning already due (positioning met the early end) is passed to
    /// `warn` at once.
    pub fn set_hooks(&mut self, tick: Tick, warn: fn(&WalError)) {
        self.tick = tick;
        self.warn = warn;
        if let Some(w) = &self.warning {
            warn(w);
        }
    }

    /// The function called before every record.
    pub fn tick_fn(&self) -> Tick {
        self.tick
    }

    /// Positions the scan again, over `[start, end)` of the same WAL.
    pub fn restart(&mut self, start: Lsn, end: Lsn) -> Result<()> {
        self.done = false;
        self.start = start;
        self.end = end;
        self.reached = start;
        if start >= end {
            self.done = true;
            return Ok(());
        }
        self.reader.set_end(end);
        match self.reader.seek(start) {
            Ok(found) => {
                self.start = found;
                self.reached = found;
                Ok(())
            }
            Err(e) => end_or_fail(self.policy, &mut self.done, &mut self.warning, self.warn, e),
        }
    }

    /// Goes on reading after the record at `prev`, which ended at `next`
    /// (a part of the range read elsewhere, e.g. on another thread).
    pub fn continue_after(&mut self, next: Lsn, prev: Lsn) {
        self.done = next >= self.end;
        self.reached = next;
        self.reader.continue_after(next, prev);
    }

    /// Whether the scan has ended (positioning found nothing, or the end
    /// was reached).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The first record of the range (after positioning).
    pub fn start(&self) -> Lsn {
        self.start
    }

    /// The end the scan was given.
    pub fn end(&self) -> Lsn {
        self.end
    }

    /// Where the record returned last ends: after a whole pass, where the
    /// range's WAL really ended.
    pub fn reached(&self) -> Lsn {
        self.reached
    }

    pub fn reader(&self) -> &WalReader<S> {
        &self.reader
    }

    /// See [`WalReader::set_headers_only`]; the scan goes on as it was.
    pub fn set_headers_only(&mut self, on: bool) {
        self.reader.set_headers_only(on);
    }

    /// The reader, to walk the WAL off the range (the scan must be
    /// restarted before it is read again).
    pub fn reader_mut(&mut self) -> &mut WalReader<S> {
        self.done = true;
        &mut self.reader
    }

    /// Why the scan ended early at an invalid record, once.
    pub fn take_warning(&mut self) -> Option<WalError> {
        self.warning.take()
    }

    /// The next record of the range, or `None` at its end.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        (self.tick)(Progress { at: self.reached, start: self.start, end: self.end });
        if self.done {
            return Ok(None);
        }
        match self.reader.next_record() {
            Ok(Some(rec)) => {
                self.reached = rec.end_lsn();
                Ok(Some(rec))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                end_or_fail(self.policy, &mut self.done, &mut self.warning, self.warn, e)?;
                Ok(None)
            }
        }
    }
}

/// Decides, by the policy, whether `e` ends the scan quietly. (A function
/// of the fields it needs, so it can run while a record borrows the
/// reader.)
fn end_or_fail(
    policy: EndPolicy,
    done: &mut bool,
    warning: &mut Option<WalError>,
    warn: fn(&WalError),
    e: WalError,
) -> Result<()> {
    *done = true;
    match (&e, policy) {
        (WalError::EndOfWal { .. }, EndPolicy::Directory { .. }) => Ok(()),
        (WalError::Corrupt { .. }, EndPolicy::Directory { explicit_end: false }) => {
            warn(&e);
            *warning = Some(e);
            Ok(())
        }
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{record, WalWriter};

    const SEG: u32 = 1 << 20;

    fn wal(n: usize) -> (WalWriter, Vec<Lsn>) {
        let mut w = WalWriter::new(SEG, 1);
        let lsns = (0..n).map(|i| w.append(record(10, 0, i as u32, &[], &[7; 40]))).collect();
        (w, lsns)
    }

    #[test]
    fn directory_ends_quietly_server_does_not() {
        let (w, lsns) = wal(5);
        let dir = EndPolicy::Directory { explicit_end: false };
        let mut s = Scan::new(WalReader::new(w.source()), lsns[0], Lsn(u64::MAX), dir).unwrap();
        let mut n = 0;
        while s.next_record().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 5);
        assert!(s.take_warning().is_none());
        let last_end = s.reached();
        assert!(last_end > lsns[4]);
        // The same WAL read strictly to beyond its end is an error.
        let mut s =
            Scan::new(WalReader::new(w.source()), lsns[0], Lsn(u64::MAX), EndPolicy::Strict)
                .unwrap();
        let mut res = Ok(None);
        for _ in 0..6 {
            res = s.next_record().map(|r| r.map(|r| r.lsn()));
        }
        assert!(matches!(res, Err(WalError::EndOfWal { .. })), "{res:?}");
        // Restarted over the part that was read, it ends cleanly.
        s.restart(lsns[1], last_end).unwrap();
        let mut n = 0;
        while s.next_record().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 4);
    }

    #[test]
    fn torn_record_is_a_warning_without_an_end() {
        let (mut w, lsns) = wal(4);
        w.poke(lsns[3].0 + 30, &[0xEE]);
        let dir = EndPolicy::Directory { explicit_end: false };
        let mut s = Scan::new(WalReader::new(w.source()), lsns[0], Lsn(u64::MAX), dir).unwrap();
        let mut n = 0;
        while s.next_record().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
        assert!(matches!(s.take_warning(), Some(WalError::Corrupt { lsn, .. }) if lsn == lsns[3]));
        let named = EndPolicy::Directory { explicit_end: true };
        let mut s = Scan::new(WalReader::new(w.source()), lsns[0], Lsn(u64::MAX), named).unwrap();
        let mut last = Ok(None);
        for _ in 0..4 {
            last = s.next_record().map(|r| r.map(|r| r.lsn()));
        }
        assert!(matches!(last, Err(WalError::Corrupt { .. })));
    }
}
