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
pub mod ddl;
pub mod history;
pub mod relations;
pub mod sql;
pub mod toast;
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

use crate::error::{Result, WalError};
use crate::fxhash::FxHashMap;
use crate::heap::store::SpillMaker;
use crate::heap::toast::ToastPointer;
use crate::heap::tuple::FIRST_NORMAL_XID;
use crate::heap::{self, ChangeKind, HeapChange, PageKey, PageStore};
use crate::layout::RelFileLocator;
use crate::lsn::Lsn;
use crate::rmgr::heap::HeapRecord;
use crate::rmgr::{smgr, xlog, RM_HEAP2_ID, RM_HEAP_ID, RM_SMGR_ID, RM_XACT_ID};
use crate::scan::{Progress, Scan};
use crate::source::WalSource;
use ddl::{ddl_rows, DdlRow};
use history::CatalogHistory;
use relations::{Relations, FIRST_NORMAL_OBJECT_ID};
use sql::statements;
use toast::{assemble, ChunkIndex};
use values::{row_values, update_values};
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
    /// Table OIDs whose rows are never wanted (an audit's own tables).
    pub excluded: HashSet<u32>,
    pub include_uncommitted: bool,
    /// Only transactions whose commit record is at or after this LSN (an
    /// audit's bookmark: those before were captured).
    pub committed_from: Option<Lsn>,
}

impl Filters {
    fn by_time(&self) -> bool {
        self.start_time.is_some() || self.end_time.is_some()
    }

    /// Whether rows of relation `oid` (`None`: not resolved) are wanted.
    fn admits(&self, oid: Option<u32>) -> bool {
        match (oid, &self.relations) {
            (Some(o), _) if self.excluded.contains(&o) => false,
            (Some(o), Some(set)) => set.contains(&o),
            (None, Some(_)) => false,
            (_, None) => true,
        }
    }
}

/// The default bound on a range's transactions: about 500 MB of
/// transaction table at most.
pub const DEFAULT_MAX_TRANSACTIONS: usize = 10_000_000;

/// How a mining run is set up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Memory for tracked pages; beyond it pages spill to a temporary file.
    pub page_cache_bytes: usize,
    /// The range's start was not named: rows start where the first
    /// transaction committed in the time window wrote.
    pub start_at_first_commit: bool,
    /// Opens the file tracked pages spill to beyond `page_cache_bytes`.
    pub spill: SpillMaker,
    /// Most transactions (and subtransactions) the range may hold: the
    /// memory of the transaction table is bounded by it.
    pub max_transactions: usize,
    /// Where the available WAL ends, past the range (0: not known). A
    /// table changed in the range and dropped after it is known to neither
    /// the live catalog nor the range's catalog history: the first pass
    /// then reads on to here for catalog changes only.
    pub wal_end: Lsn,
}

impl Default for Options {
    /// 64 MB of pages in memory, spilling to the system's temporary
    /// directory; the range as given; no WAL past it.
    fn default() -> Options {
        Options {
            page_cache_bytes: 64 << 20,
            start_at_first_commit: false,
            spill: crate::heap::store::temp_file_spill,
            max_transactions: DEFAULT_MAX_TRANSACTIONS,
            wal_end: Lsn::INVALID,
        }
    }
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
    /// Whether both statements are given and reproduce the change.
    pub complete: bool,
    /// Why not, or what else is worth knowing.
    pub info: Option<String>,
}

impl MinedRow {
    /// Says so when the statements name a relation dropped since.
    fn note_gone(&mut self) {
        let Some(rel) = self.relation.as_ref().filter(|r| r.gone && self.redo.is_some()) else {
            return;
        };
        let gone = format!(
            "relation {} no longer exists: the statements name it as it was",
            rel.qualified
        );
        self.info = Some(match self.info.take() {
            Some(why) => format!("{why}; {gone}"),
            None => gone,
        });
    }

    fn set_sql(&mut self, sql: std::result::Result<sql::Statements, String>) {
        (self.redo, self.undo, self.info) = match sql {
            Ok(s) => (Some(s.redo), Some(s.undo), None),
            Err(why) => (None, None, Some(why)),
        };
        self.complete = self.redo.is_some();
    }
}

/// A speculative insert taken back by its own transaction
/// (`INSERT ... ON CONFLICT` that found a conflict after inserting).
type KilledSpec = (RelFileLocator, u32, u16, u32);

/// A row whose old row version needs TOAST values not found yet. A
/// DELETE's values are deleted — and so their pages first imaged — by the
/// records that follow it in its transaction; the row waits for them.
struct Waiting {
    row: MinedRow,
    ch: HeapChange,
    /// The xid of the record that made the change.
    xid: u32,
}

/// A row in the output queue, ready or waiting for TOAST values.
enum Queued {
    Ready(MinedRow),
    Waiting(Box<Waiting>),
}

/// The miner: pass 1 runs in [`Miner::new`], pass 2 row by row in
/// [`Miner::next_row`].
pub struct Miner<S: WalSource, C: Catalog, R: Render> {
    scan: Scan<S>,
    row_start: Lsn,
    /// Where the second pass ends (the first pass's end).
    row_end: Lsn,
    /// Pages are tracked from a checkpoint's redo point before the rows.
    imaged: bool,
    /// Rows whose old row version was on no page known.
    unimaged: u64,
    xacts: XactTable,
    killed: HashSet<KilledSpec>,
    relations: Relations<C>,
    render: R,
    store: PageStore,
    /// The pages records read old row versions from, each with the last
    /// record that does (pass 1): a table's page is kept only until then.
    /// `None` when they were too many to note: every page is kept.
    reads: Option<FxHashMap<PageKey, Lsn>>,
    toast: ChunkIndex,
    queue: VecDeque<Queued>,
    /// DDL and TRUNCATE rows of the range not yet queued, in WAL order.
    ddl: VecDeque<DdlRow>,
    /// Pass 2 has read its last record.
    ended: bool,
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
        // Both passes start at the checkpoint before the range: from there
        // every page modified, catalog pages included, comes with an image.
        let start = scan.start();
        let oldest = scan.reader().source().oldest_lsn();
        let warm = redo_point_before(&mut scan, start).unwrap_or(start).max(oldest).min(start);
        scan.restart(warm, scan.end())?;
        let mut catalog = catalog;
        let (db, _) = catalog.database();
        let history = CatalogHistory::new(db, &catalog.catalog_filenodes(), options.spill);
        let FirstPass { mut xacts, killed, mut history, touched, reads } =
            first_pass(&mut scan, history, db, &options)?;
        // The second pass ends where the first did, even if the WAL grew
        // in between: every change it reports was classified.
        let end = scan.reached();
        // The live catalog speaks for a table's rows where the range's
        // catalog history is silent only if the table still exists and its
        // rows predate the range's transactions. Otherwise (dropped since,
        // a column added, dropped or retyped since, its file taken over by
        // a later table) the catalog changes after the range are read too.
        let orphans = touched.iter().any(|l| {
            let spc = if l.spc == catalog.database().1 { 0 } else { l.spc };
            let mut owners = history.oids_with_file(l.rel, spc);
            owners.extend(catalog.relid_by_filenode(spc, l.rel));
            owners.is_empty()
                || owners.into_iter().any(|oid| match catalog.definition_xmins(oid) {
                    None => true,
                    Some(xs) => {
                        xs.iter().any(|&x| x >= FIRST_NORMAL_XID && xacts.is_newer_than_all(x))
                    }
                })
        });
        if orphans && options.wal_end > end {
            // Catalog changes after the range say what those files were.
            scan.restart(end, options.wal_end)?;
            while let Ok(Some(rec)) = scan.next_record() {
                xacts.observe(&rec);
                if history.observe(&rec).is_err() {
                    break;
                }
            }
        }
        let row_start = if options.start_at_first_commit && filters.by_time() {
            xacts.first_lsn_committed_between(filters.start_time, filters.end_time).unwrap_or(end)
        } else {
            start
        };
        // Pages are tracked from early enough to know each by row_start.
        let redo = redo_point_before(&mut scan, row_start).filter(|r| *r >= oldest);
        let warm = redo.unwrap_or(row_start);
        scan.restart(warm.max(oldest).min(row_start), end)?;
        let mut relations = Relations::new(catalog, history, &xacts);
        let mut render = render;
        let ddl = ddl_rows(&mut relations, &mut render, &xacts).into();
        Ok(Miner {
            scan,
            row_start,
            row_end: end,
            imaged: redo.is_some(),
            unimaged: 0,
            xacts,
            killed,
            relations,
            render,
            store: PageStore::with_spill(options.page_cache_bytes, options.spill),
            reads,
            toast: ChunkIndex::default(),
            queue: VecDeque::new(),
            ddl,
            ended: false,
            filters,
        })
    }

    /// The renderer values are written with.
    pub fn render_mut(&mut self) -> &mut R {
        &mut self.render
    }

    /// Where the second pass ends: the first pass's end.
    pub fn end(&self) -> Lsn {
        self.row_end
    }

    /// When no checkpoint precedes the rows in the WAL read (until the
    /// first one, pages modified come without full-page images) and rows
    /// so far lacked their old row version: where rows start, and how many.
    pub fn rows_without_images(&self) -> Option<(Lsn, u64)> {
        (!self.imaged && self.unimaged > 0).then_some((self.row_start, self.unimaged))
    }

    /// The commit time of the first transaction that committed in the WAL
    /// read (µs since 2000-01-01).
    pub fn first_commit_time(&self) -> Option<i64> {
        self.xacts.first_commit_time()
    }

    /// The transactions (and subtransactions) that wrote in the range and
    /// had not ended by its end, with the first record each wrote.
    pub fn open_transactions(&self) -> Vec<(u32, Lsn)> {
        self.xacts.open()
    }

    /// Why the first pass ended early at an invalid record, once.
    pub fn take_warning(&mut self) -> Option<crate::WalError> {
        self.scan.take_warning()
    }

    /// The next row, `None` at the end of the range.
    pub fn next_row(&mut self) -> Result<Option<MinedRow>> {
        loop {
            match self.queue.front() {
                Some(Queued::Ready(_)) => {
                    if let Some(Queued::Ready(r)) = self.queue.pop_front() {
                        return Ok(Some(r));
                    }
                }
                Some(Queued::Waiting(_)) if self.ended => self.resolve_waiting(|_| true),
                None if self.ended => return Ok(None),
                _ => {}
            }
            if !self.ended {
                self.next_record()?;
            }
        }
    }

    /// Reads one record of pass 2: tracks its pages and TOAST chunks,
    /// resolves the rows waiting for it and queues its row changes.
    fn next_record(&mut self) -> Result<()> {
        let Some(rec) = self.scan.next_record()? else {
            self.ended = true;
            self.queue_ddl(Lsn(u64::MAX));
            return Ok(());
        };
        let (lsn, xid, rmid) = (rec.lsn(), rec.xid(), rec.rmid());
        // Only heap records and bare page images touch tables' pages, and
        // only pages of this database's tables and their TOAST relations
        // are kept (not indexes', catalogs', nor another database's: a
        // CREATE DATABASE logs every page it copies).
        let heap_pages = matches!(rmid, RM_HEAP_ID | RM_HEAP2_ID) || xlog::is_fpi(&rec);
        let relevant = heap_pages
            && rec.blocks().iter().any(|b| {
                !matches!(
                    self.relations.relation(b.locator, lsn, xid, &self.xacts),
                    RelLookup::Skip | RelLookup::OtherDatabase
                )
            });
        let truncated = match rmid {
            RM_SMGR_ID => smgr::Truncate::parse(rec.info(), rec.main_data()),
            _ => None,
        };
        let catalog = &mut self.relations.catalog;
        let changes = if relevant {
            heap::apply(&rec, &mut self.store, &mut |loc, tid| catalog.live_tuple(loc, tid))?
        } else {
            Vec::new()
        };
        // Chunks of TOAST values: those on pages imaged here (written
        // before the range) and those inserted here; TOAST pages are kept
        // for the values' chunks. A table's page no later record reads a
        // row version from is not kept: the page budget (and the spill
        // file) goes to the pages that will be read.
        let mut toast_record = false;
        for b in rec.blocks().iter().filter(|_| relevant) {
            let key = PageKey { locator: b.locator, fork: b.fork, blkno: b.blkno };
            if !matches!(
                self.relations.relation(b.locator, lsn, xid, &self.xacts),
                RelLookup::Toast
            ) {
                let read_later =
                    self.reads.as_ref().is_none_or(|r| r.get(&key).is_some_and(|&last| last > lsn));
                if !read_later {
                    self.store.forget(key);
                }
                continue;
            }
            toast_record = true;
            if b.fork == 0 && b.image.as_ref().is_some_and(|i| i.apply) {
                self.toast.note_page(&mut self.store, key, lsn)?;
            }
        }
        for ch in &changes {
            if let (true, Some(tid), Some(t)) = (ch.on_toast_relation, ch.new_tid, &ch.new_tuple) {
                self.toast.note(ch.locator, tid, t);
            }
        }
        // A transaction moves on from a change when it writes anything but
        // its TOAST chunks, or ends.
        if rmid == RM_XACT_ID {
            self.resolve_waiting(|_| true);
        } else if xid != 0 && !toast_record {
            self.resolve_waiting(|w| w.xid == xid);
        }
        if lsn >= self.row_start {
            for ch in changes {
                if let Some(q) = self.row_for(lsn, xid, ch) {
                    self.queue.push_back(q);
                }
            }
        }
        // A TRUNCATE in place: the table was created or given a new file
        // earlier in the same transaction (VACUUM truncates without a
        // transaction, and only trailing pages).
        if let Some(t) = truncated
            .filter(|t| t.blkno == 0 && t.flags & smgr::SMGR_TRUNCATE_HEAP != 0 && xid != 0)
        {
            if let RelLookup::Table(rel) = self.relations.relation(t.locator, lsn, xid, &self.xacts)
            {
                self.ddl.push_front(ddl::truncate_in_place(lsn, xid, rel));
            }
        }
        // DDL rows come from catalog records, which change no user rows.
        self.queue_ddl(lsn);
        Ok(())
    }

    /// Queues the DDL rows of records up to `upto` that are wanted.
    fn queue_ddl(&mut self, upto: Lsn) {
        let mut item = 0;
        let mut last = Lsn::INVALID;
        while self.ddl.front().is_some_and(|d| d.lsn <= upto) {
            let Some(d) = self.ddl.pop_front() else { break };
            if d.lsn < self.row_start || d.lsn >= self.row_end {
                continue;
            }
            let Some((top, status, commit_time)) = self.wanted(d.xid) else { continue };
            if !self.filters.admits(Some(d.relation.oid)) {
                continue;
            }
            item = if d.lsn == last { item + 1 } else { 0 };
            last = d.lsn;
            let mut row = MinedRow {
                lsn: d.lsn,
                item,
                xid: top,
                status,
                commit_time,
                relation: Some(d.relation),
                op: d.op,
                redo: d.redo,
                undo: d.undo,
                old_tid: None,
                new_tid: None,
                complete: d.complete,
                info: d.info,
            };
            row.note_gone();
            self.queue.push_back(Queued::Ready(row));
        }
    }

    /// Builds the statements of the waiting rows `which` selects again,
    /// with the TOAST chunks known now; they are ready, complete or not.
    fn resolve_waiting(&mut self, which: impl Fn(&Waiting) -> bool) {
        if !self.queue.iter().any(|q| matches!(q, Queued::Waiting(w) if which(w))) {
            return;
        }
        let queue = std::mem::take(&mut self.queue);
        for q in queue {
            let q = match q {
                Queued::Waiting(w) if which(&w) => {
                    let Waiting { mut row, ch, .. } = *w;
                    if let Some(rel) = row.relation.clone() {
                        let (sql, _) = self.sql_for(&rel, row.op, &ch, row.lsn);
                        row.set_sql(sql);
                    }
                    Queued::Ready(row)
                }
                other => other,
            };
            self.queue.push_back(q);
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
        if let Some(from) = f.committed_from {
            let end = self.xacts.get(top).and_then(|s| s.end_lsn);
            if end.is_none_or(|e| e < from) {
                return None;
            }
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

    fn row_for(&mut self, lsn: Lsn, xid: u32, ch: HeapChange) -> Option<Queued> {
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
        let (relation, unknown) = match self.relations.relation(ch.locator, lsn, xid, &self.xacts) {
            RelLookup::Table(r) => (Some(r), None),
            RelLookup::Toast
            | RelLookup::Transient
            | RelLookup::Skip
            | RelLookup::OtherDatabase => return None,
            RelLookup::Unknown(why) => (None, Some(why)),
        };
        if !self.filters.admits(relation.as_deref().map(|r| r.oid)) {
            return None;
        }
        let (sql, toast_missing) = match &relation {
            None => (Err(unknown.unwrap_or_default()), false),
            Some(rel) => self.sql_for(rel, op, &ch, lsn),
        };
        let mut row = MinedRow {
            lsn,
            item: ch.item,
            xid: top,
            status,
            commit_time,
            relation,
            op,
            redo: None,
            undo: None,
            old_tid: ch.old_tid,
            new_tid: ch.new_tid,
            complete: false,
            info: None,
        };
        row.set_sql(sql);
        row.note_gone();
        Some(if toast_missing && op == Op::Delete {
            Queued::Waiting(Box::new(Waiting { row, ch, xid }))
        } else {
            Queued::Ready(row)
        })
    }

    /// Renders the old and new rows and builds the statements; also says
    /// whether a TOAST value was not found.
    fn sql_for(
        &mut self,
        rel: &RelInfo,
        op: Op,
        ch: &HeapChange,
        lsn: Lsn,
    ) -> (std::result::Result<sql::Statements, String>, bool) {
        if let Some(why) = &ch.missing {
            self.unimaged += 1;
            return (Err(why.clone()), false);
        }
        let Miner { render, store, toast, relations, .. } = self;
        let catalog = &mut relations.catalog;
        let db = ch.locator.db;
        let mut toast_missing = false;
        // Values stored out of line: from the chunks the WAL showed, else
        // from wherever the catalog finds them.
        let mut detoast = |ptr: &ToastPointer| -> std::result::Result<Vec<u8>, String> {
            if let Some(v) = toast.fetch(store, db, ptr, lsn).map_err(|e| e.to_string())? {
                return Ok(v);
            }
            let found = match catalog.toast_chunks(ptr) {
                Some(chunks) => assemble(ptr, chunks),
                None => {
                    Err("its chunks are neither in the WAL read nor in the TOAST relation".into())
                }
            };
            toast_missing |= found.is_err();
            found
        };
        let (old, new) = match (&ch.old_tuple, &ch.new_tuple, op) {
            (Some(o), Some(n), Op::Update) => {
                let (o, n) = update_values(render, rel, o, n, &mut detoast);
                (Some(o), Some(n))
            }
            (o, n, _) => {
                let mut render_row = |t: &[u8]| row_values(render, rel, t, &mut detoast);
                let old = o.as_deref().filter(|_| matches!(op, Op::Update | Op::Delete));
                let new = n.as_deref().filter(|_| matches!(op, Op::Update | Op::Insert));
                (old.map(&mut render_row), new.map(&mut render_row))
            }
        };
        let sql = match (old.transpose(), new.transpose()) {
            (Ok(old), Ok(new)) => statements(rel, op, old.as_deref(), new.as_deref()),
            (Err(why), _) | (_, Err(why)) => Err(why),
        };
        (sql, toast_missing)
    }
}

/// What pass 1 learns.
struct FirstPass {
    xacts: XactTable,
    /// Speculative inserts taken back by their own transactions.
    killed: HashSet<KilledSpec>,
    history: CatalogHistory,
    /// The files of the user tables heap records touched.
    touched: HashSet<RelFileLocator>,
    /// The pages old row versions are read from, with the last record
    /// that reads each; `None` beyond [`reads_bound`].
    reads: Option<FxHashMap<PageKey, Lsn>>,
}

/// The most pages pass 1 notes the last reader of: their map (about 32
/// bytes a page) takes no more memory than the page budget. Past it,
/// none is noted and pass 2 keeps every page it tracks (within the budget,
/// spilling the rest).
fn reads_bound(page_cache_bytes: usize) -> usize {
    page_cache_bytes / 32
}

/// Pass 1: the outcome of every transaction in the range, the speculative
/// inserts their own transactions took back, the catalog history and the
/// files of database `db`'s user tables the range changes.
fn first_pass<S: WalSource>(
    scan: &mut Scan<S>,
    mut history: CatalogHistory,
    db: u32,
    options: &Options,
) -> Result<FirstPass> {
    let max_transactions = options.max_transactions;
    let mut xacts = XactTable::default();
    let mut killed = HashSet::new();
    let mut touched = HashSet::new();
    let mut reads = Some(FxHashMap::default());
    let max_reads = reads_bound(options.page_cache_bytes);
    while let Some(rec) = scan.next_record()? {
        xacts.observe(&rec);
        if xacts.len() > max_transactions {
            return Err(WalError::TooManyTransactions { lsn: rec.lsn(), limit: max_transactions });
        }
        history.observe(&rec)?;
        if !matches!(rec.rmid(), RM_HEAP_ID | RM_HEAP2_ID) {
            continue;
        }
        if let Some(b) =
            rec.block(0).filter(|b| b.locator.db == db && b.locator.rel >= FIRST_NORMAL_OBJECT_ID)
        {
            touched.insert(b.locator);
        }
        if rec.rmid() != RM_HEAP_ID {
            continue;
        }
        let Some(parsed) = HeapRecord::parse(rec.version(), rec.info(), rec.main_data()) else {
            continue;
        };
        if let Some(k) = heap::page_read(&rec, &parsed).filter(|k| k.locator.db == db) {
            if let Some(r) = reads.as_mut() {
                r.insert(k, rec.lsn());
                if r.len() > max_reads {
                    reads = None;
                }
            }
        }
        if let HeapRecord::Delete(d) = parsed {
            if let (true, Some(b)) = (d.is_super(), rec.block(0)) {
                killed.insert((b.locator, b.blkno, d.offnum, rec.xid()));
            }
        }
    }
    Ok(FirstPass { xacts, killed, history, touched, reads })
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
        tick(Progress { at, start: at, end: from });
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
