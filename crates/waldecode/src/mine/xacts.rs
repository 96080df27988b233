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

/// Xids per block of the table: the xids of a range are nearly dense
/// (an xid is assigned at a transaction's first write), so blocks of
/// consecutive xids hold them with no per-entry overhead and grow without
/// rehashing everything (a hash table of 7 million transactions peaked at
/// 700 MB while it grew).
const BLOCK_XIDS: u32 = 4096;

/// One xid's entry, packed: 32 bytes.
#[derive(Clone, Copy)]
struct Slot {
    first_lsn: Lsn,
    /// `Lsn::INVALID`: none.
    end_lsn: Lsn,
    /// `i64::MIN`: none.
    end_time: i64,
    parent: u32,
    /// 0: not seen; else a [`Status`].
    status: u8,
}

const UNSEEN: Slot =
    Slot { first_lsn: Lsn(0), end_lsn: Lsn(0), end_time: i64::MIN, parent: 0, status: 0 };

impl Slot {
    fn state(&self) -> Option<XactState> {
        let status = match self.status {
            1 => Status::Committed,
            2 => Status::Aborted,
            3 => Status::InProgress,
            4 => Status::Prepared,
            _ => return None,
        };
        Some(XactState {
            parent: self.parent,
            status,
            end_time: (self.end_time != i64::MIN).then_some(self.end_time),
            end_lsn: self.end_lsn.is_valid().then_some(self.end_lsn),
            first_lsn: self.first_lsn,
        })
    }
}

/// Whether `a` follows `b` (`TransactionIdPrecedes(b, a)`).
fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn status_code(s: Status) -> u8 {
    match s {
        Status::Committed => 1,
        Status::Aborted => 2,
        Status::InProgress => 3,
        Status::Prepared => 4,
    }
}

/// The outcome of every xid seen in a range.
#[derive(Default)]
pub struct XactTable {
    blocks: FxHashMap<u32, Box<[Slot]>>,
    len: usize,
    /// The newest xid seen, by the server's circular order.
    newest: Option<u32>,
}

impl std::fmt::Debug for XactTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "XactTable({} xids)", self.len)
    }
}

impl XactTable {
    fn slot(&self, xid: u32) -> Option<&Slot> {
        let s = self.blocks.get(&(xid / BLOCK_XIDS))?.get((xid % BLOCK_XIDS) as usize)?;
        (s.status != 0).then_some(s)
    }

    fn entry(&mut self, xid: u32, lsn: Lsn) -> &mut Slot {
        let block = self
            .blocks
            .entry(xid / BLOCK_XIDS)
            .or_insert_with(|| vec![UNSEEN; BLOCK_XIDS as usize].into_boxed_slice());
        let s = &mut block[(xid % BLOCK_XIDS) as usize];
        if s.status == 0 {
            *s = Slot { first_lsn: lsn, status: status_code(Status::InProgress), ..UNSEEN };
            self.len += 1;
            if self.newest.is_none_or(|n| newer(xid, n)) {
                self.newest = Some(xid);
            }
        }
        s
    }

    /// Every xid seen, with its state (in no particular order).
    fn iter(&self) -> impl Iterator<Item = (u32, XactState)> + '_ {
        self.blocks.iter().flat_map(|(&b, slots)| {
            slots
                .iter()
                .enumerate()
                .filter_map(move |(i, s)| Some((b * BLOCK_XIDS + i as u32, s.state()?)))
        })
    }

    fn finish(&mut self, xid: u32, parent: u32, status: Status, time: Option<i64>, lsn: Lsn) {
        if xid == 0 {
            return;
        }
        let e = self.entry(xid, lsn);
        e.status = status_code(status);
        e.end_time = time.unwrap_or(i64::MIN);
        e.end_lsn = lsn;
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
        self.slot(xid).is_none() && self.newest.is_none_or(|n| newer(xid, n))
    }

    /// The state of `xid`, if it was seen.
    pub fn get(&self, xid: u32) -> Option<XactState> {
        self.slot(xid)?.state()
    }

    /// The top-level transaction of `xid` (itself when no parent is known).
    pub fn top_of(&self, xid: u32) -> u32 {
        let mut x = xid;
        // Parent chains are short; the bound guards against cycles in
        // damaged WAL.
        for _ in 0..64 {
            match self.slot(x) {
                Some(s) if s.parent != 0 && s.parent != x => x = s.parent,
                _ => break,
            }
        }
        x
    }

    /// Status and end time of the change made by `xid`: its own status,
    /// or, while it has none of its own, its top-level transaction's.
    pub fn outcome(&self, xid: u32) -> (Status, Option<i64>) {
        let own = self.get(xid);
        match own {
            Some(s) if s.status != Status::InProgress => (s.status, s.end_time),
            _ => {
                let top = self.top_of(xid);
                self.get(top).map_or((Status::InProgress, None), |s| (s.status, s.end_time))
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
            let own = self.get(xid)?;
            let undone = own.status == Status::Aborted && own.end_lsn.is_some_and(|e| e < lsn);
            return Some(!undone);
        }
        let s = self.get(top)?;
        Some(
            s.status == Status::Committed && s.end_lsn.is_some_and(|e| e < lsn) && {
                // A committed transaction's subtransaction may have been
                // rolled back on its own.
                self.get(xid).is_none_or(|x| x.status != Status::Aborted)
            },
        )
    }

    /// Xids whose top-level transaction committed within [from, to]
    /// (µs since 2000-01-01), with the first LSN at which any of them wrote.
    pub fn first_lsn_committed_between(&self, from: Option<i64>, to: Option<i64>) -> Option<Lsn> {
        self.iter()
            .filter(|&(x, _)| {
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
            .iter()
            .filter(|(x, s)| open(s) && self.get(self.top_of(*x)).is_none_or(|t| open(&t)))
            .map(|(x, s)| (x, s.first_lsn))
            .collect();
        v.sort_unstable();
        v
    }

    /// The earliest commit time of a transaction committed in the range.
    pub fn first_commit_time(&self) -> Option<i64> {
        self.iter()
            .filter(|(_, s)| s.status == Status::Committed)
            .filter_map(|(_, s)| s.end_time)
            .min()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xids_across_blocks_and_far_apart() {
        let mut t = XactTable::default();
        let (a, b, old) = (BLOCK_XIDS - 1, BLOCK_XIDS, 7);
        t.entry(a, Lsn(100));
        t.entry(b, Lsn(200));
        t.entry(old, Lsn(50));
        t.finish(b, a, Status::Aborted, Some(5), Lsn(300));
        t.finish(a, 0, Status::Committed, Some(9), Lsn(400));
        assert_eq!(t.len(), 3);
        assert!(t.get(BLOCK_XIDS + 1).is_none() && t.get(0).is_none());
        assert_eq!(t.top_of(b), a);
        let sb = t.get(b).unwrap();
        assert_eq!(
            (sb.status, sb.end_time, sb.end_lsn, sb.first_lsn),
            (Status::Aborted, Some(5), Some(Lsn(300)), Lsn(200))
        );
        assert_eq!(t.outcome(a), (Status::Committed, Some(9)));
        // A rolled-back subtransaction's change is invisible after its end.
        assert_eq!(t.visible_at(b, Lsn(250), a), Some(true));
        assert_eq!(t.visible_at(b, Lsn(350), a), Some(false));
        assert_eq!(t.visible_at(a, Lsn(450), 0), Some(true));
        assert_eq!(t.open(), vec![(old, Lsn(50))]);
        assert_eq!(t.first_commit_time(), Some(9));
        assert!(t.is_newer_than_all(BLOCK_XIDS + 5) && !t.is_newer_than_all(a));
        // Seeing an xid again changes nothing of what was learnt.
        t.entry(a, Lsn(999));
        assert_eq!((t.len(), t.get(a).unwrap().first_lsn), (3, Lsn(100)));
    }
}
