//! Mining row changes: what `xlogminer_contents` returns, without a server.
//!
//! Two passes over a [`Scan`]. The first reads the whole range once and
//! learns how every transaction ended ([`xacts`]) and which speculative
//! inserts were taken back. The second starts at the redo point of the
//! checkpoint before the range — from there every page modified comes with
//! a full-page image — tracks heap pages ([`crate::heap`]) and turns each
//! row change of the range into a [`MinedRow`] with redo and undo SQL
//! ([`sql`]), streamed one at a time. Relations come from a [`Catalog`],
//! value literals from a [`Render`]: the extension answers both from the
//! live server, tests from fakes.

pub mod catalog;
pub mod sql;
pub mod values;
pub mod xacts;

#[cfg(test)]
mod tests;

use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

pub use catalog::{Catalog, RelInfo, RelLookup};
pub use sql::Op;
pub use values::{Render, Stored};
pub use xacts::Status;

use crate::error::Result;
use crate::heap::{self, ChangeKind, HeapChange, PageStore};
use crate::layout::RelFileLocator;
use crate::lsn::Lsn;
use crate::rmgr::heap::HeapRecord;
use crate::rmgr::{xlog, RM_HEAP_ID};
use crate::scan::Scan;
use crate::source::WalSource;
use sql::statements;
use values::row_values;
use xacts::XactTable;

/// Which rows the caller wants.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Commit-time window, µs since 2000-01-01.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// One top-level transaction.
    pub xid: Option<u32>,
    /// Table OIDs.
    pub relations: Option<HashSet<u32>>,
    pub include_uncommitted: bool,
}

impl Filters {
    fn by_time(&self) -> bool {
        self.start_time.is_some() || self.end_time.is_some()
    }
}

/// How a mining run is set up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Memory for tracked pages; beyond it pages spill to a temporary file.
    pub page_cache_bytes: usize,
    /// The range's start was not named: rows start where the first
    /// transaction committed in the time window wrote.
    pub start_at_first_commit: bool,
}

/// One row change, as `xlogminer_contents` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct MinedRow {
    /// Start of the WAL record.
    pub lsn: Lsn,
    /// Position inside a multi-row record (COPY), else 0.
    pub item: u32,
    /// The top-level transaction.
    pub xid: u32,
    pub status: Status,
    /// µs since 2000-01-01, for committed changes.
    pub commit_time: Option<i64>,
    /// The relation, when it could be resolved.
    pub relation: Option<Rc<RelInfo>>,
    pub op: Op,
    pub redo: Option<String>,
    pub undo: Option<String>,
    /// (block, offset) of the row version before and after.
    pub old_tid: Option<(u32, u16)>,
    pub new_tid: Option<(u32, u16)>,
    /// Why the statements are missing.
    pub info: Option<String>,
}

impl MinedRow {
    /// Whether the statements reproduce the change.
    pub fn complete(&self) -> bool {
        self.redo.is_some()
    }
}

/// A speculative insert taken back by its own transaction
/// (`INSERT ... ON CONFLICT` that found a conflict after inserting).
type KilledSpec = (RelFileLocator, u32, u16, u32);

/// The miner: pass 1 runs in [`Miner::new`], pass 2 row by row in
/// [`Miner::next_row`].
pub struct Miner<S: WalSource, C: Catalog, R: Render> {
    scan: Scan<S>,
    row_start: Lsn,
    xacts: XactTable,
    killed: HashSet<KilledSpec>,
    catalog: C,
    render: R,
    store: PageStore,
    queue: VecDeque<MinedRow>,
    filters: Filters,
}

impl<S: WalSource, C: Catalog, R: Render> Miner<S, C, R> {
    /// Runs the first pass over `scan`'s range and positions the second.
    pub fn new(
        mut scan: Scan<S>,
        filters: Filters,
        catalog: C,
        render: R,
        options: Options,
    ) -> Result<Self> {
        let (xacts, killed) = first_pass(&mut scan)?;
        // The second pass ends where the first did, even if the WAL grew
        // in between: every change it reports was classified.
        let end = scan.reached();
        let row_start = if options.start_at_first_commit && filters.by_time() {
            xacts.first_lsn_committed_between(filters.start_time, filters.end_time).unwrap_or(end)
        } else {
            scan.start()
        };
        // Pages are tracked from early enough to know each by row_start.
        let oldest = scan.reader().source().oldest_lsn();
        let warm = redo_point_before(&mut scan, row_start).unwrap_or(row_start);
        scan.restart(warm.max(oldest).min(row_start), end)?;
        Ok(Miner {
            scan,
            row_start,
            xacts,
            killed,
            catalog,
            render,
            store: PageStore::new(options.page_cache_bytes),
            queue: VecDeque::new(),
            filters,
        })
    }

    /// Why the first pass ended early at an invalid record, once.
    pub fn take_warning(&mut self) -> Option<crate::WalError> {
        self.scan.take_warning()
    }

    /// The next row, `None` at the end of the range.
    pub fn next_row(&mut self) -> Result<Option<MinedRow>> {
        loop {
            if let Some(r) = self.queue.pop_front() {
                return Ok(Some(r));
            }
            let Some(rec) = self.scan.next_record()? else {
                return Ok(None);
            };
            let (lsn, xid) = (rec.lsn(), rec.xid());
            let changes = heap::apply(&rec, &mut self.store)?;
            if lsn < self.row_start {
                continue;
            }
            for ch in changes {
                if let Some(row) = self.row_for(lsn, xid, ch) {
                    self.queue.push_back(row);
                }
            }
        }
    }

    /// Whether a change by `xid` is wanted; its top-level xid, status and
    /// commit time.
    fn wanted(&self, xid: u32) -> Option<(u32, Status, Option<i64>)> {
        let (status, time) = self.xacts.outcome(xid);
        let top = self.xacts.top_of(xid);
        let f = &self.filters;
        if status != Status::Committed && !f.include_uncommitted {
            return None;
        }
        if f.xid.is_some_and(|x| x != top && x != xid) {
            return None;
        }
        let commit_time = time.filter(|_| status == Status::Committed);
        if f.by_time() {
            let t = commit_time?;
            if f.start_time.is_some_and(|s| t < s) || f.end_time.is_some_and(|e| t > e) {
                return None;
            }
        }
        Some((top, status, commit_time))
    }

    fn row_for(&mut self, lsn: Lsn, xid: u32, ch: HeapChange) -> Option<MinedRow> {
        let op = match ch.kind {
            ChangeKind::Insert => {
                let killed = ch.speculative
                    && ch
                        .new_tid
                        .is_some_and(|(b, o)| self.killed.contains(&(ch.locator, b, o, xid)));
                if killed {
                    return None;
                }
                Op::Insert
            }
            ChangeKind::Update { .. } => Op::Update,
            ChangeKind::Delete => Op::Delete,
            ChangeKind::SpecConfirm | ChangeKind::SpecAbort => return None,
        };
        if ch.on_toast_relation {
            return None;
        }
        let (top, status, commit_time) = self.wanted(xid)?;
        let relation = match self.catalog.relation(ch.locator, lsn) {
            RelLookup::Table(r) => Some(r),
            RelLookup::Skip | RelLookup::OtherDatabase => return None,
            RelLookup::Gone => None,
        };
        if let Some(set) = &self.filters.relations {
            if !relation.as_ref().is_some_and(|r| set.contains(&r.oid)) {
                return None;
            }
        }
        let sql = match &relation {
            None => Err(format!(
                "no relation uses file {}/{}/{} now: it was dropped, truncated or rewritten since",
                ch.locator.spc, ch.locator.db, ch.locator.rel
            )),
            Some(rel) => self.sql_for(rel, op, &ch),
        };
        let (redo, undo, info) = match sql {
            Ok(s) => (Some(s.redo), Some(s.undo), None),
            Err(why) => (None, None, Some(why)),
        };
        Some(MinedRow {
            lsn,
            item: ch.item,
            xid: top,
            status,
            commit_time,
            relation,
            op,
            redo,
            undo,
            old_tid: ch.old_tid,
            new_tid: ch.new_tid,
            info,
        })
    }

    /// Renders the old and new rows and builds the statements.
    fn sql_for(
        &mut self,
        rel: &RelInfo,
        op: Op,
        ch: &HeapChange,
    ) -> Result<sql::Statements, String> {
        if let Some(why) = &ch.missing {
            return Err(why.clone());
        }
        let old = match (&ch.old_tuple, op) {
            (Some(t), Op::Update | Op::Delete) => Some(row_values(&mut self.render, rel, t)?),
            _ => None,
        };
        let new = match (&ch.new_tuple, op) {
            (Some(t), Op::Update | Op::Insert) => Some(row_values(&mut self.render, rel, t)?),
            _ => None,
        };
        statements(rel, op, old.as_deref(), new.as_deref())
    }
}

/// Pass 1: the outcome of every transaction in the range, and the
/// speculative inserts their own transactions took back.
fn first_pass<S: WalSource>(scan: &mut Scan<S>) -> Result<(XactTable, HashSet<KilledSpec>)> {
    let mut xacts = XactTable::default();
    let mut killed = HashSet::new();
    while let Some(rec) = scan.next_record()? {
        xacts.observe(&rec);
        if rec.rmid() != RM_HEAP_ID {
            continue;
        }
        if let Some(HeapRecord::Delete(d)) =
            HeapRecord::parse(rec.version(), rec.info(), rec.main_data())
        {
            if let (true, Some(b)) = (d.is_super(), rec.block(0)) {
                killed.insert((b.locator, b.blkno, d.offnum, rec.xid()));
            }
        }
    }
    Ok((xacts, killed))
}

/// Walks back from `from` along the prev-links to the nearest checkpoint
/// record and returns its redo point: from there on every page modified
/// gets a full-page image, so page tracking started there knows every page
/// by the time it reaches `from`. `None` when the available WAL holds no
/// earlier checkpoint (or the walk meets damage). The scan must be
/// restarted afterwards.
pub fn redo_point_before<S: WalSource>(scan: &mut Scan<S>, from: Lsn) -> Option<Lsn> {
    let tick = scan.tick_fn();
    let reader = scan.reader_mut();
    let mut at = reader.seek(from).ok()?;
    loop {
        tick();
        reader.begin_at(at);
        let rec = reader.next_record().ok()??;
        if let Some(cp) = xlog::checkpoint(&rec) {
            return Some(Lsn(cp.redo));
        }
        let prev = rec.prev_lsn();
        if !prev.is_valid() || prev >= at {
            return None;
        }
        at = prev;
    }
}
