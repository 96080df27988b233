//! The miner behind `xlogminer_contents`: two passes over the range. The
//! first learns how every transaction ended (and which speculative inserts
//! were taken back); the second starts at the redo point of the checkpoint
//! before the range to track heap pages, and turns each heap change of the
//! range into a row, streamed one at a time.

use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use waldecode::heap::tuple::{deform, Datum};
use waldecode::heap::{self as track, ChangeKind, HeapChange, PageStore};
use waldecode::mine::catalog::{Catalog, RelInfo, RelLookup};
use waldecode::mine::sql::{statements, Op, Value};
use waldecode::mine::xacts::{Status, XactTable};
use waldecode::{Lsn, RelFileLocator};

use crate::catalog::LiveCatalog;
use crate::render::{needs_fixed_settings, with_fixed_settings, Renderer};
use crate::types::{PgLsn, PgName};
use crate::wal::WalScan;

/// One row of `xlogminer_contents` (columns as declared there).
pub type ContentsRow = (
    PgLsn,
    i32,
    crate::types::Xid,
    &'static str,
    Option<TimestampWithTimeZone>,
    PgName,
    Option<PgName>,
    Option<PgName>,
    &'static str,
    Option<String>,
    Option<String>,
    Option<pg_sys::ItemPointerData>,
    Option<pg_sys::ItemPointerData>,
    bool,
    Option<String>,
);

/// Which rows the caller wants.
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

const RM_HEAP_ID: u8 = 10;
const XLOG_HEAP_DELETE: u8 = 0x10;
const XLH_DELETE_IS_SUPER: u8 = 0x08;

/// A speculative insert taken back by its own transaction
/// (`INSERT ... ON CONFLICT` that found a conflict after inserting).
type KilledSpec = (RelFileLocator, u32, u16, u32);

pub struct Miner {
    scan: WalScan,
    row_start: Lsn,
    xacts: XactTable,
    killed: HashSet<KilledSpec>,
    catalog: LiveCatalog,
    renderer: Renderer,
    store: PageStore,
    queue: VecDeque<ContentsRow>,
    filters: Filters,
    database: Rc<str>,
    /// Schema and table names as shared strings, per table OID.
    names: std::collections::HashMap<u32, (Rc<str>, Rc<str>)>,
}

impl Miner {
    pub fn open(
        start: Option<PgLsn>,
        end: Option<PgLsn>,
        wal_dir: Option<&str>,
        filters: Filters,
    ) -> Miner {
        let by_time =
            start.is_none() && (filters.start_time.is_some() || filters.end_time.is_some());
        // The scan that resolved the range is already positioned at its
        // start: it serves as the first pass.
        let mut range = WalScan::open(start, end, wal_dir);
        // Pass 1: transaction outcomes over the whole range.
        let mut xacts = XactTable::default();
        let mut killed = HashSet::new();
        while let Some(rec) = range.next() {
            xacts.observe(&rec);
            if rec.rmid() == RM_HEAP_ID && rec.info() & 0x70 == XLOG_HEAP_DELETE {
                let md = rec.main_data();
                if md.len() >= 8 && md[7] & XLH_DELETE_IS_SUPER != 0 {
                    if let Some(b) = rec.block(0) {
                        let off = u16::from_le_bytes([md[4], md[5]]);
                        killed.insert((b.locator, b.blkno, off, rec.xid()));
                    }
                }
            }
        }
        let row_start = if by_time {
            xacts
                .first_lsn_committed_between(filters.start_time, filters.end_time)
                .unwrap_or(range.end)
        } else {
            range.start
        };
        // Pass 2 starts early enough to know every page by row_start.
        let warm = range.redo_point_before(row_start).unwrap_or(row_start);
        let warm = warm.max(range.oldest());
        let scan = range.reopen(warm.min(row_start), range.end);
        // SAFETY: the connected database's name.
        let database = unsafe {
            let p = pg_sys::get_database_name(pg_sys::MyDatabaseId);
            if p.is_null() {
                String::new()
            } else {
                std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        Miner {
            scan,
            row_start,
            xacts,
            killed,
            catalog: LiveCatalog::new(),
            renderer: Renderer::default(),
            store: PageStore::new(crate::page_cache_bytes()),
            queue: VecDeque::new(),
            filters,
            database: Rc::from(database),
            names: std::collections::HashMap::new(),
        }
    }

    /// Whether a change by `xid` is wanted; its status and commit time.
    fn wanted(&self, xid: u32) -> Option<(u32, Status, Option<i64>)> {
        let (status, time) = self.xacts.outcome(xid);
        let top = self.xacts.top_of(xid);
        if status != Status::Committed && !self.filters.include_uncommitted {
            return None;
        }
        if self.filters.xid.is_some_and(|x| x != top && x != xid) {
            return None;
        }
        if self.filters.start_time.is_some() || self.filters.end_time.is_some() {
            let t = time.filter(|_| status == Status::Committed)?;
            if self.filters.start_time.is_some_and(|s| t < s)
                || self.filters.end_time.is_some_and(|e| t > e)
            {
                return None;
            }
        }
        let commit_time = time.filter(|_| status == Status::Committed);
        Some((top, status, commit_time))
    }

    fn row_for(&mut self, lsn: Lsn, xid: u32, ch: HeapChange) -> Option<ContentsRow> {
        let op = match ch.kind {
            ChangeKind::Insert => {
                if ch.speculative {
                    if let Some((b, o)) = ch.new_tid {
                        if self.killed.contains(&(ch.locator, b, o, xid)) {
                            return None;
                        }
                    }
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
        let rel = match self.catalog.relation(ch.locator, lsn) {
            RelLookup::Table(r) => Some(r),
            RelLookup::Skip | RelLookup::OtherDatabase => return None,
            RelLookup::Gone => None,
        };
        if let Some(set) = &self.filters.relations {
            if !rel.as_ref().is_some_and(|r| set.contains(&r.oid)) {
                return None;
            }
        }
        let (redo_sql, undo_sql, info) = match &rel {
            None => (
                None,
                None,
                Some(format!(
                    "no relation uses file {}/{}/{} now: it was dropped, truncated or rewritten since",
                    ch.locator.spc, ch.locator.db, ch.locator.rel
                )),
            ),
            Some(rel) => match self.sql_for(rel, op, &ch) {
                Ok((r, u)) => (Some(r), Some(u), None),
                Err(why) => (None, None, Some(why)),
            },
        };
        let complete = redo_sql.is_some();
        let names = rel.as_ref().map(|r| {
            self.names
                .entry(r.oid)
                .or_insert_with(|| (Rc::from(r.schema.as_str()), Rc::from(r.name.as_str())))
                .clone()
        });
        let tid = |t: Option<(u32, u16)>| {
            t.map(|(b, o)| {
                let mut ip = pg_sys::ItemPointerData::default();
                ip.ip_blkid.bi_hi = (b >> 16) as u16;
                ip.ip_blkid.bi_lo = b as u16;
                ip.ip_posid = o;
                ip
            })
        };
        Some((
            PgLsn(lsn.0),
            ch.item as i32,
            crate::types::Xid(top),
            status.as_str(),
            commit_time.and_then(|t| TimestampWithTimeZone::try_from(t).ok()),
            PgName(self.database.clone()),
            names.as_ref().map(|n| PgName(n.0.clone())),
            names.as_ref().map(|n| PgName(n.1.clone())),
            op.as_str(),
            redo_sql,
            undo_sql,
            tid(ch.old_tid),
            tid(ch.new_tid),
            complete,
            info,
        ))
    }

    /// Renders the old and new rows and builds the statements.
    fn sql_for(
        &mut self,
        rel: &Rc<RelInfo>,
        op: Op,
        ch: &HeapChange,
    ) -> Result<(String, String), String> {
        if let Some(why) = &ch.missing {
            return Err(why.clone());
        }
        let old = match (&ch.old_tuple, op) {
            (Some(t), Op::Update | Op::Delete) => Some(self.values(rel, t)?),
            _ => None,
        };
        let new = match (&ch.new_tuple, op) {
            (Some(t), Op::Update | Op::Insert) => Some(self.values(rel, t)?),
            _ => None,
        };
        let s = statements(rel, op, old.as_deref(), new.as_deref())?;
        Ok((s.redo, s.undo))
    }

    fn values(&mut self, rel: &RelInfo, tuple: &[u8]) -> Result<Vec<Value>, String> {
        let layouts: Vec<_> = rel.atts.iter().map(|a| a.layout).collect();
        let datums =
            deform(tuple, &layouts).map_err(|e| format!("could not decode the row: {e}"))?;
        let renderer = &mut self.renderer;
        let mut render = || {
            rel.atts
                .iter()
                .zip(datums.iter().chain(std::iter::repeat(&Datum::Missing)))
                .map(|(att, d)| if att.dropped() { Value::Null } else { renderer.value(att, d) })
                .collect()
        };
        Ok(if needs_fixed_settings(&rel.atts) { with_fixed_settings(render) } else { render() })
    }
}

impl Iterator for Miner {
    type Item = ContentsRow;

    fn next(&mut self) -> Option<ContentsRow> {
        loop {
            if let Some(r) = self.queue.pop_front() {
                return Some(r);
            }
            let rec = self.scan.next()?;
            let lsn = rec.lsn();
            let xid = rec.xid();
            let changes = match track::apply(&rec, &mut self.store) {
                Ok(c) => c,
                Err(e) => crate::error::raise_wal(e),
            };
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
}
