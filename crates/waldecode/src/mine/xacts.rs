//! The first pass of mining: how every transaction in a range ended.
//! Reading only transaction records, it learns each (sub)transaction's
//! status, commit time and top-level transaction, so the second pass can
//! stream row changes in WAL order without holding them back until their
//! commit is seen — whatever the size of the transactions.

use crate::fxhash::FxHashMap;
use crate::lsn::Lsn;
use crate::record::Record;
use crate::rmgr::{xact, RM_XACT_ID};

/// How a (sub)transaction ended, as of the end of the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Committed,
    Aborted,
    /// No end seen before the end of the range.
    InProgress,
    /// PREPARE TRANSACTION seen, no COMMIT/ROLLBACK PREPARED yet.
    Prepared,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Committed => "committed",
            Status::Aborted => "aborted",
            Status::InProgress => "in progress",
            Status::Prepared => "prepared",
        }
    }
}

/// What is known about one xid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XactState {
    /// Parent transaction (0 = none known: a top-level transaction, or a
    /// subtransaction whose parent was never logged).
    pub parent: u32,
    pub status: Status,
    /// Commit (or abort) time, µs since 2000-01-01.
    pub end_time: Option<i64>,
    /// Where the commit (or abort, or prepare) record starts: the changes
    /// are visible to records after it.
    pub end_lsn: Option<Lsn>,
    /// First record written by this xid in the range.
    pub first_lsn: Lsn,
}

/// The outcome of every xid seen in a range.
#[derive(Debug, Default)]
pub struct XactTable {
    map: FxHashMap<u32, XactState>,
}

impl XactTable {
    fn entry(&mut self, xid: u32, lsn: Lsn) -> &mut XactState {
        self.map.entry(xid).or_insert(XactState {
            parent: 0,
            status: Status::InProgress,
            end_time: None,
            end_lsn: None,
            first_lsn: lsn,
        })
    }

    fn finish(&mut self, xid: u32, parent: u32, status: Status, time: Option<i64>, lsn: Lsn) {
        if xid == 0 {
            return;
        }
        let e = self.entry(xid, lsn);
        e.status = status;
        e.end_time = time;
        e.end_lsn = Some(lsn);
        if parent != 0 && parent != xid {
            e.parent = parent;
        }
    }

    /// Takes note of one record (call for every record, in WAL order).
    pub fn observe(&mut self, rec: &Record<'_>) {
        let lsn = rec.lsn();
        if rec.xid() != 0 {
            self.entry(rec.xid(), lsn);
        }
        if rec.rmid() != RM_XACT_ID {
            return;
        }
        let info = rec.info();
        let version = rec.version();
        let data = rec.main_data();
        match info & xact::XLOG_XACT_OPMASK {
            xact::XLOG_XACT_COMMIT | xact::XLOG_XACT_COMMIT_PREPARED => {
                if let Some(p) = xact::parse_commit(version, info, data) {
                    let top = if p.twophase_xid != 0 { p.twophase_xid } else { rec.xid() };
                    self.finish(top, 0, Status::Committed, Some(p.xact_time), lsn);
                    for &s in &p.subxacts {
                        self.finish(s, top, Status::Committed, Some(p.xact_time), lsn);
                    }
                }
            }
            xact::XLOG_XACT_ABORT | xact::XLOG_XACT_ABORT_PREPARED => {
                if let Some(p) = xact::parse_abort(version, info, data) {
                    let x = if p.twophase_xid != 0 { p.twophase_xid } else { rec.xid() };
                    self.finish(x, 0, Status::Aborted, Some(p.xact_time), lsn);
                    for &s in &p.subxacts {
                        self.finish(s, x, Status::Aborted, Some(p.xact_time), lsn);
                    }
                }
            }
            xact::XLOG_XACT_PREPARE => {
                if let Some(p) = xact::parse_prepare(version, data) {
                    self.finish(p.xid, 0, Status::Prepared, None, lsn);
                    for &s in &p.subxacts {
                        self.finish(s, p.xid, Status::Prepared, None, lsn);
                    }
                }
            }
            xact::XLOG_XACT_ASSIGNMENT => {
                if let Some((top, subs)) = xact::parse_assignment(data) {
                    for s in subs {
                        self.entry(s, lsn).parent = top;
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether `xid` is newer than every transaction seen (by the
    /// server's circular order, `TransactionIdPrecedes`); true when none
    /// was seen.
    pub fn is_newer_than_all(&self, xid: u32) -> bool {
        !self.map.contains_key(&xid)
            && self.map.keys().all(|&seen| (xid.wrapping_sub(seen) as i32) > 0)
    }

    /// The state of `xid`, if it was seen.
    pub fn get(&self, xid: u32) -> Option<&XactState> {
        self.map.get(&xid)
    }

    /// The top-level transaction of `xid` (itself when no parent is known).
    pub fn top_of(&self, xid: u32) -> u32 {
        let mut x = xid;
        // Parent chains are short; the bound guards against cycles in
        // damaged WAL.
        for _ in 0..64 {
            match self.map.get(&x) {
                Some(s) if s.parent != 0 && s.parent != x => x = s.parent,
                _ => break,
            }
        }
        x
    }

    /// Status and end time of the change made by `xid`: its own status,
    /// or, while it has none of its own, its top-level transaction's.
    pub fn outcome(&self, xid: u32) -> (Status, Option<i64>) {
        let own = self.map.get(&xid);
        match own {
            Some(s) if s.status != Status::InProgress => (s.status, s.end_time),
            _ => {
                let top = self.top_of(xid);
                self.map.get(&top).map_or((Status::InProgress, None), |s| (s.status, s.end_time))
            }
        }
    }

    /// Whether the changes of `xid` are visible to a record at `lsn`
    /// written by the top-level transaction `reader`: its own (or its
    /// transaction's) changes, or those of a transaction that committed
    /// before `lsn`. `None` when the range does not tell (an xid from
    /// before the range).
    pub fn visible_at(&self, xid: u32, lsn: Lsn, reader: u32) -> Option<bool> {
        let top = self.top_of(xid);
        if reader != 0 && top == reader {
            // A subtransaction that was rolled back before `lsn` is not.
            let own = self.map.get(&xid)?;
            let undone = own.status == Status::Aborted && own.end_lsn.is_some_and(|e| e < lsn);
            return Some(!undone);
        }
        let s = self.map.get(&top)?;
        Some(
            s.status == Status::Committed && s.end_lsn.is_some_and(|e| e < lsn) && {
                // A committed transaction's subtransaction may have been
                // rolled back on its own.
                self.map.get(&xid).is_none_or(|x| x.status != Status::Aborted)
            },
        )
    }

    /// Xids whose top-level transaction committed within [from, to]
    /// (µs since 2000-01-01), with the first LSN at which any of them wrote.
    pub fn first_lsn_committed_between(&self, from: Option<i64>, to: Option<i64>) -> Option<Lsn> {
        self.map
            .iter()
            .filter(|(&x, _)| {
                let (st, t) = self.outcome(x);
                st == Status::Committed
                    && t.is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e))
            })
            .map(|(_, s)| s.first_lsn)
            .min()
    }

    /// Xids not yet committed or aborted at the end of the range (in
    /// progress or prepared), nor is their top-level transaction, with the
    /// first record each wrote.
    pub fn open(&self) -> Vec<(u32, Lsn)> {
        let open = |s: &XactState| matches!(s.status, Status::InProgress | Status::Prepared);
        let mut v: Vec<(u32, Lsn)> = self
            .map
            .iter()
            .filter(|(&x, s)| open(s) && self.map.get(&self.top_of(x)).is_none_or(open))
            .map(|(&x, s)| (x, s.first_lsn))
            .collect();
        v.sort_unstable();
        v
    }

    /// The earliest commit time of a transaction committed in the range.
    pub fn first_commit_time(&self) -> Option<i64> {
        self.map.values().filter(|s| s.status == Status::Committed).filter_map(|s| s.end_time).min()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
