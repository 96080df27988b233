//! Applies heap and heap2 records to tracked pages and reports row changes.
//! Order matters: an old row version is read from the tracked page before
//! a full-page image replaces it; a new row version is read from the image
//! (which shows the page after the change) or rebuilt from the record's
//! data as `heap_xlog_insert`/`heap_xlog_update` do. Records are read
//! through the typed records of [`crate::rmgr::heap`] and
//! [`crate::rmgr::heap2`].

use super::edit;
use super::page::{self, PageBuf};
use super::store::{io_error as io, PageKey, PageStore};
use super::tuple::{TupleHeader, SIZE_OF_HEAP_TUPLE_HEADER};
use crate::error::{Result, WalError};
use crate::layout::{RelFileLocator, BLCKSZ};
use crate::lsn::Lsn;
use crate::record::{BlockRef, Record};
use crate::rmgr::heap::{
    HeapRecord, XlHeapHeader, XlHeapInsert, XlHeapUpdate, XlHeapUpdateNew,
    XLH_DELETE_ALL_VISIBLE_CLEARED, XLH_DELETE_IS_PARTITION_MOVE, XLH_INSERT_ALL_FROZEN_SET,
    XLH_INSERT_ALL_VISIBLE_CLEARED, XLH_UPDATE_NEW_ALL_VISIBLE_CLEARED,
    XLH_UPDATE_OLD_ALL_VISIBLE_CLEARED, XLOG_HEAP_LOCK, XLOG_HEAP_OPMASK, XLOG_HEAP_TRUNCATE,
};
use crate::rmgr::heap2::{
    Heap2Record, PruneItems, XlHeapMultiInsert, XlHeapPruneFreeze, XlHeapVacuum, XLHP_CLEANUP_LOCK,
};
use crate::rmgr::{xlog, RM_HEAP2_ID, RM_HEAP_ID};
use crate::version::PgVersion;

/// What a heap record did to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update {
        hot: bool,
    },
    Delete,
    /// A speculative insert (`INSERT ... ON CONFLICT`) was confirmed.
    SpecConfirm,
    /// A speculative insert was taken back (super-delete).
    SpecAbort,
}

/// One row change, with the row versions that could be recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapChange {
    pub kind: ChangeKind,
    pub locator: RelFileLocator,
    /// Position inside a multi-insert, else 0.
    pub item: u32,
    pub old_tid: Option<(u32, u16)>,
    pub new_tid: Option<(u32, u16)>,
    /// The row before the change, header included.
    pub old_tuple: Option<Vec<u8>>,
    /// The row after the change, header included.
    pub new_tuple: Option<Vec<u8>>,
    pub speculative: bool,
    pub on_toast_relation: bool,
    /// Why a row version the change needs could not be recovered.
    pub missing: Option<String>,
}

impl HeapChange {
    fn new(kind: ChangeKind, locator: RelFileLocator) -> Self {
        HeapChange {
            kind,
            locator,
            item: 0,
            old_tid: None,
            new_tid: None,
            old_tuple: None,
            new_tuple: None,
            speculative: false,
            on_toast_relation: false,
            missing: None,
        }
    }
}

fn key(b: &BlockRef) -> PageKey {
    PageKey { locator: b.locator, fork: b.fork, blkno: b.blkno }
}

/// The page heap record `rec`, parsed as `parsed`, reads an old row
/// version from, if it reads one: a DELETE's page, an UPDATE's old page
/// (block 1 when it differs from the new one; a visibility-map reference
/// would be fork VM).
pub fn page_read(rec: &Record<'_>, parsed: &HeapRecord<'_>) -> Option<PageKey> {
    let b0 = rec.block(0)?;
    match parsed {
        HeapRecord::Delete(_) => Some(key(b0)),
        HeapRecord::Update { .. } => Some(key(old_page(rec, b0))),
        _ => None,
    }
}

/// An update's old page: block 1 when it differs from the new page.
fn old_page<'r>(rec: &'r Record<'_>, b0: &'r BlockRef) -> &'r BlockRef {
    rec.block(1).filter(|b| b.fork == 0).unwrap_or(b0)
}

fn short(rec: &Record<'_>) -> WalError {
    let lsn = rec.lsn();
    WalError::corrupt(lsn, format!("main data too short in heap record at {lsn}"))
}

fn not_tracked(b: &BlockRef) -> String {
    format!(
        "the old row version is not known: page {} of relation file {}/{}/{} was not seen with a full-page image since decoding started, and the relation's page does not hold it now",
        b.blkno, b.locator.spc, b.locator.db, b.locator.rel
    )
}

/// Reads the tuple at a position of a relation's page as it is now (the
/// extension: the buffer manager, under a share lock); `None` when there
/// is none. Asked only for pages WAL never showed.
pub type LiveTuple<'a> = dyn FnMut(RelFileLocator, (u32, u16)) -> Option<Vec<u8>> + 'a;

/// Nothing is live: for callers without a server.
pub fn no_live_tuples(_: RelFileLocator, _: (u32, u16)) -> Option<Vec<u8>> {
    None
}

/// Whether a tuple read from the relation now is the old row version a
/// DELETE or UPDATE record speaks of: its xmax is the one the record set,
/// and for an UPDATE its ctid leads to the new version. Row data never
/// changes in place, so such a tuple holds the old values.
fn is_old_version(t: &[u8], xmax: u32, next: Option<(u32, u16)>) -> bool {
    let Some(h) = TupleHeader::parse(t) else { return false };
    h.xmax == xmax && next.is_none_or(|n| h.ctid == n)
}

const NEW_ROW_MISSING: &str = "the inserted row is in neither the record nor a known page";

/// Installs block `b`'s image if redo would apply it. True if installed.
fn restore(rec: &Record<'_>, b: &BlockRef, store: &mut PageStore) -> Result<bool> {
    let apply = b.image.as_ref().is_some_and(|i| i.apply);
    if !apply || b.fork != 0 {
        return Ok(false);
    }
    let mut p = Box::new([0u8; BLCKSZ]);
    rec.restore_image(b.id, &mut p[..])?;
    store.put(key(b), p).map_err(|e| io(rec.lsn(), e))?;
    Ok(true)
}

/// Installs the image of every block redo would apply; true if block 0's was.
fn restore_all(rec: &Record<'_>, store: &mut PageStore) -> Result<bool> {
    let mut restored0 = false;
    for b in rec.blocks() {
        restored0 |= restore(rec, b, store)? && b.id == 0;
    }
    Ok(restored0)
}

fn page_tuple(store: &mut PageStore, k: PageKey, offnum: u16, lsn: Lsn) -> Result<Option<Vec<u8>>> {
    Ok(store
        .get(k)
        .map_err(|e| io(lsn, e))?
        .and_then(|p| page::tuple(p, offnum))
        .map(<[u8]>::to_vec))
}

/// Builds a tuple as heap redo does: a fresh header from the logged
/// fields, then the logged bytes.
fn build_tuple(h: XlHeapHeader, body: &[u8], xmin: u32, xmax: u32, tid: (u32, u16)) -> Vec<u8> {
    let mut t = vec![0u8; SIZE_OF_HEAP_TUPLE_HEADER];
    t[0..4].copy_from_slice(&xmin.to_le_bytes());
    t[4..8].copy_from_slice(&xmax.to_le_bytes());
    t[12..14].copy_from_slice(&((tid.0 >> 16) as u16).to_le_bytes());
    t[14..16].copy_from_slice(&(tid.0 as u16).to_le_bytes());
    t[16..18].copy_from_slice(&tid.1.to_le_bytes());
    t[18..20].copy_from_slice(&h.infomask2.to_le_bytes());
    t[20..22].copy_from_slice(&h.infomask.to_le_bytes());
    t[22] = h.hoff;
    t.extend_from_slice(body);
    t
}

/// Runs `edit` on the tracked page `k` with block 0's data; forgets the
/// page when the edit fails or the data is missing. Untracked pages stay
/// untracked.
fn edit_page(
    store: &mut PageStore,
    k: PageKey,
    data: Option<&[u8]>,
    lsn: Lsn,
    edit: impl FnOnce(&mut PageBuf, &[u8]) -> bool,
) -> Result<()> {
    let ok = match (store.get(k).map_err(|e| io(lsn, e))?, data) {
        (Some(p), Some(d)) => edit(p, d),
        (None, _) => true,
        (Some(_), None) => false,
    };
    if !ok {
        store.forget(k);
    }
    Ok(())
}

/// Runs `edit` on the tracked page `k`, if tracked; forgets the page when
/// the edit fails (the server would have failed there too, so what the
/// page holds is no longer known).
fn edit_tracked(
    store: &mut PageStore,
    k: PageKey,
    lsn: Lsn,
    edit: impl FnOnce(&mut PageBuf) -> bool,
) -> Result<()> {
    edit_page(store, k, Some(&[]), lsn, |p, _| edit(p))
}

/// Adds a rebuilt tuple to the tracked (or freshly initialized) page;
/// forgets the page when the edit cannot be made.
fn add_to_page(
    store: &mut PageStore,
    b: &BlockRef,
    init: bool,
    offnum: u16,
    tuple: Option<&[u8]>,
    lsn: Lsn,
) -> Result<()> {
    let k = key(b);
    if init {
        put_empty_page(store, k, lsn)?;
    }
    edit_page(store, k, tuple, lsn, |p, t| page::add_item(p, offnum, t))
}

fn put_empty_page(store: &mut PageStore, k: PageKey, lsn: Lsn) -> Result<()> {
    let mut p = Box::new([0u8; BLCKSZ]);
    page::init(&mut p);
    store.put(k, p).map_err(|e| io(lsn, e))
}

/// Applies one record; returns the row changes of heap records. An old row
/// version on a page WAL never showed is looked for with `live`.
pub fn apply(
    rec: &Record<'_>,
    store: &mut PageStore,
    live: &mut LiveTuple<'_>,
) -> Result<Vec<HeapChange>> {
    if xlog::is_fpi(rec) {
        restore_all(rec, store)?;
        return Ok(Vec::new());
    }
    match rec.rmid() {
        RM_HEAP_ID => heap(rec, store, live),
        RM_HEAP2_ID => heap2(rec, store),
        _ => Ok(Vec::new()),
    }
}

fn heap(
    rec: &Record<'_>,
    store: &mut PageStore,
    live: &mut LiveTuple<'_>,
) -> Result<Vec<HeapChange>> {
    let Some(b0) = rec.block(0) else {
        return Ok(Vec::new());
    };
    let init = rec.info() & crate::rmgr::heap::XLOG_HEAP_INIT_PAGE != 0;
    match HeapRecord::parse(rec.version(), rec.info(), rec.main_data()) {
        Some(HeapRecord::Insert(r)) => insert(rec, store, b0, &r, init),
        Some(HeapRecord::Delete(r)) => {
            let lsn = rec.lsn();
            let kind = if r.is_super() { ChangeKind::SpecAbort } else { ChangeKind::Delete };
            let mut ch = HeapChange::new(kind, b0.locator);
            ch.old_tid = Some((b0.blkno, r.offnum));
            ch.old_tuple = page_tuple(store, key(b0), r.offnum, lsn)?;
            if restore(rec, b0, store)? {
                if ch.old_tuple.is_none() {
                    // The image shows the page after the delete, which only
                    // edited the tuple's header: its data is still there.
                    ch.old_tuple = page_tuple(store, key(b0), r.offnum, lsn)?;
                }
            } else {
                let d = edit::Delete {
                    tid: (b0.blkno, r.offnum),
                    xmax: r.xmax,
                    infobits: r.infobits_set,
                    is_super: r.is_super(),
                    partition_move: r.flags & XLH_DELETE_IS_PARTITION_MOVE != 0,
                    all_visible_cleared: r.flags & XLH_DELETE_ALL_VISIBLE_CLEARED != 0,
                    xid: rec.xid(),
                };
                edit_tracked(store, key(b0), lsn, |p| edit::delete(p, &d))?;
            }
            if ch.old_tuple.is_none() {
                ch.old_tuple = r.old_tuple().map(|(h, d)| build_tuple(h, d, 0, rec.xid(), (0, 0)));
            }
            if ch.old_tuple.is_none() {
                ch.old_tuple = live(b0.locator, (b0.blkno, r.offnum))
                    .filter(|t| is_old_version(t, r.xmax, None));
            }
            if ch.old_tuple.is_none() {
                ch.missing = Some(not_tracked(b0));
            }
            Ok(vec![ch])
        }
        Some(HeapRecord::Update { hot, update }) => {
            self::update(rec, store, live, b0, &update, hot, init)
        }
        Some(HeapRecord::Confirm { offnum }) => {
            if !restore(rec, b0, store)? {
                let tid = (b0.blkno, offnum);
                edit_tracked(store, key(b0), rec.lsn(), |p| edit::confirm(p, tid))?;
            }
            let mut ch = HeapChange::new(ChangeKind::SpecConfirm, b0.locator);
            ch.new_tid = Some((b0.blkno, offnum));
            Ok(vec![ch])
        }
        Some(HeapRecord::Inplace(r)) => {
            if !restore(rec, b0, store)? {
                edit_page(store, key(b0), rec.block_data(0), rec.lsn(), |p, new| {
                    inplace(p, r.offnum, new)
                })?;
            }
            Ok(Vec::new())
        }
        Some(HeapRecord::Lock(r)) => {
            if !restore(rec, b0, store)? {
                let tid = (b0.blkno, r.offnum);
                edit_tracked(store, key(b0), rec.lsn(), |p| {
                    edit::lock(p, tid, r.xmax, r.infobits_set)
                })?;
            }
            Ok(Vec::new())
        }
        // TRUNCATE has no block; its redo is a no-op.
        Some(HeapRecord::Truncate(_)) => {
            restore_all(rec, store)?;
            Ok(Vec::new())
        }
        None if matches!(rec.info() & XLOG_HEAP_OPMASK, XLOG_HEAP_LOCK | XLOG_HEAP_TRUNCATE) => {
            restore_all(rec, store)?;
            Ok(Vec::new())
        }
        None => Err(short(rec)),
    }
}

fn insert(
    rec: &Record<'_>,
    store: &mut PageStore,
    b0: &BlockRef,
    r: &XlHeapInsert,
    init: bool,
) -> Result<Vec<HeapChange>> {
    let lsn = rec.lsn();
    let mut ch = HeapChange::new(ChangeKind::Insert, b0.locator);
    let tid = (b0.blkno, r.offnum);
    ch.new_tid = Some(tid);
    ch.speculative = r.is_speculative();
    ch.on_toast_relation = r.on_toast_relation();
    if restore(rec, b0, store)? {
        ch.new_tuple = page_tuple(store, key(b0), r.offnum, lsn)?;
    } else {
        let t = rec
            .block_data(0)
            .and_then(XlHeapHeader::split)
            .map(|(h, d)| build_tuple(h, d, rec.xid(), 0, tid));
        add_to_page(store, b0, init, r.offnum, t.as_deref(), lsn)?;
        edit_tracked(store, key(b0), lsn, |p| {
            if r.flags & XLH_INSERT_ALL_VISIBLE_CLEARED != 0 {
                page::set_all_visible(p, false);
            }
            if r.flags & XLH_INSERT_ALL_FROZEN_SET != 0 {
                page::set_all_visible(p, true);
            }
            true
        })?;
        ch.new_tuple = t;
    }
    if ch.new_tuple.is_none() {
        ch.missing = Some(NEW_ROW_MISSING.into());
    }
    Ok(vec![ch])
}

/// `heap_xlog_inplace`: new bytes over the tuple's data area.
fn inplace(p: &mut PageBuf, offnum: u16, new: &[u8]) -> bool {
    let Some((off, _, len)) = page::item(p, offnum) else { return false };
    let Some(t) = page::tuple(p, offnum) else { return false };
    let hoff = usize::from(t[22.min(t.len() - 1)]);
    if hoff + new.len() != len || off + len > BLCKSZ {
        return false;
    }
    p[off + hoff..off + len].copy_from_slice(new);
    true
}

fn update(
    rec: &Record<'_>,
    store: &mut PageStore,
    live: &mut LiveTuple<'_>,
    b0: &BlockRef,
    r: &XlHeapUpdate<'_>,
    hot: bool,
    init: bool,
) -> Result<Vec<HeapChange>> {
    let lsn = rec.lsn();
    let old_b = old_page(rec, b0);
    let mut ch = HeapChange::new(ChangeKind::Update { hot }, b0.locator);
    ch.old_tid = Some((old_b.blkno, r.old_offnum));
    let new_tid = (b0.blkno, r.new_offnum);
    ch.new_tid = Some(new_tid);
    ch.old_tuple = page_tuple(store, key(old_b), r.old_offnum, lsn)?;
    let old_restored = if old_b.id != b0.id { restore(rec, old_b, store)? } else { false };
    let new_restored = restore(rec, b0, store)?;
    // heap_xlog_update: the old tuple's header first (on the new page
    // when they share it, unless that page was restored).
    if !(old_restored || (old_b.id == b0.id && new_restored)) {
        let cleared = r.flags & XLH_UPDATE_OLD_ALL_VISIBLE_CLEARED != 0;
        let xid = rec.xid();
        edit_tracked(store, key(old_b), lsn, |p| {
            edit::update_old(
                p,
                r.old_offnum,
                r.old_xmax,
                r.old_infobits_set,
                hot,
                new_tid,
                cleared,
                xid,
            )
        })?;
    }
    if ch.old_tuple.is_none() && (old_restored || (old_b.id == b0.id && new_restored)) {
        ch.old_tuple = page_tuple(store, key(old_b), r.old_offnum, lsn)?;
    }
    if ch.old_tuple.is_none() {
        ch.old_tuple = r.old_tuple().map(|(h, d)| build_tuple(h, d, 0, rec.xid(), (0, 0)));
    }
    if ch.old_tuple.is_none() {
        ch.old_tuple = live(old_b.locator, (old_b.blkno, r.old_offnum))
            .filter(|t| is_old_version(t, r.old_xmax, Some(new_tid)));
    }
    if new_restored {
        ch.new_tuple = page_tuple(store, key(b0), r.new_offnum, lsn)?;
    } else {
        let t = rec
            .block_data(0)
            .and_then(|d| XlHeapUpdateNew::parse(r.flags, d))
            .and_then(|n| rebuild_new(&n, ch.old_tuple.as_deref(), rec.xid(), r.new_xmax, new_tid));
        add_to_page(store, b0, init, r.new_offnum, t.as_deref(), lsn)?;
        if r.flags & XLH_UPDATE_NEW_ALL_VISIBLE_CLEARED != 0 {
            edit_tracked(store, key(b0), lsn, |p| {
                page::set_all_visible(p, false);
                true
            })?;
        }
        ch.new_tuple = t;
    }
    if ch.old_tuple.is_none() {
        ch.missing = Some(not_tracked(old_b));
    } else if ch.new_tuple.is_none() {
        ch.missing = Some("the new row version could not be rebuilt".into());
    }
    Ok(vec![ch])
}

/// The new tuple of an update from its logged bytes, with the prefix and
/// suffix it shares with the old tuple put back (`heap_xlog_update`).
fn rebuild_new(
    n: &XlHeapUpdateNew<'_>,
    old: Option<&[u8]>,
    xmin: u32,
    xmax: u32,
    tid: (u32, u16),
) -> Option<Vec<u8>> {
    let (prefix, suffix) = (usize::from(n.prefix_len), usize::from(n.suffix_len));
    let rest = n.data;
    let mut body = Vec::with_capacity(rest.len() + prefix + suffix);
    // Null bitmap and padding come first in the logged bytes.
    let head = usize::from(n.header.hoff).checked_sub(SIZE_OF_HEAP_TUPLE_HEADER)?;
    let head = head.min(rest.len());
    body.extend_from_slice(&rest[..head]);
    if prefix > 0 || suffix > 0 {
        let old = old?;
        let old_hoff = usize::from(*old.get(22)?);
        if prefix > 0 {
            body.extend_from_slice(old.get(old_hoff..old_hoff.checked_add(prefix)?)?);
        }
        body.extend_from_slice(&rest[head..]);
        if suffix > 0 {
            body.extend_from_slice(old.get(old.len().checked_sub(suffix)?..)?);
        }
    } else {
        body.extend_from_slice(&rest[head..]);
    }
    Some(build_tuple(n.header, &body, xmin, xmax, tid))
}

fn heap2(rec: &Record<'_>, store: &mut PageStore) -> Result<Vec<HeapChange>> {
    let Some(b0) = rec.block(0) else { return Ok(Vec::new()) };
    let version = rec.version();
    let Some(parsed) = Heap2Record::parse(version, rec.info(), rec.main_data()) else {
        return Err(short(rec));
    };
    let lsn = rec.lsn();
    let k = key(b0);
    let data = rec.block_data(0);
    match parsed {
        Heap2Record::MultiInsert { init_page, insert } => {
            return multi_insert(rec, store, b0, &insert, init_page);
        }
        // VISIBLE: block 0 is the visibility-map page, block 1 the heap
        // page, which gets PD_ALL_VISIBLE (its image, if any, when
        // checksums or wal_log_hints are on).
        Heap2Record::Visible(_) => {
            if let Some(b1) = rec.block(1).filter(|b| b.fork == 0) {
                if !restore(rec, b1, store)? {
                    edit_tracked(store, key(b1), lsn, |p| {
                        page::set_all_visible(p, true);
                        true
                    })?;
                }
            }
            return Ok(Vec::new());
        }
        _ => {}
    }
    if restore(rec, b0, store)? {
        return Ok(Vec::new());
    }
    match parsed {
        Heap2Record::Prune(p) => {
            edit_page(store, k, data, lsn, |page, d| {
                p.items(d).is_some_and(|items| prune(version, page, &items, false))
            })?;
        }
        Heap2Record::Vacuum(_) => {
            edit_page(store, k, data, lsn, |page, d| {
                let Some(unused) = XlHeapVacuum::unused(d) else { return false };
                let mut ok = true;
                for o in unused {
                    ok &= page::set_unused(page, o);
                }
                page::truncate_line_pointers(page);
                ok
            })?;
        }
        Heap2Record::FreezePage(f) => {
            edit_page(store, k, data, lsn, |page, d| {
                f.plans(version, d).is_some_and(|plans| edit::freeze(page, &plans))
            })?;
        }
        Heap2Record::PruneFreeze(r) => {
            edit_page(store, k, data, lsn, |page, d| prune_freeze(version, page, &r, d))?;
        }
        Heap2Record::LockUpdated(l) => {
            edit_tracked(store, k, lsn, |p| {
                edit::lock_updated(p, l.offnum, l.xmax, l.infobits_set)
            })?;
        }
        // REWRITE and NEW_CID change no heap page.
        Heap2Record::Rewrite
        | Heap2Record::NewCid(_)
        | Heap2Record::MultiInsert { .. }
        | Heap2Record::Visible(_) => {}
    }
    Ok(Vec::new())
}

/// `heap_page_prune_execute`: line pointers set as the record says, then
/// the page compacted — or, for VACUUM's second pass (no cleanup lock,
/// only LP_DEAD items made unused), only the line-pointer array cut.
fn prune(version: PgVersion, p: &mut PageBuf, items: &PruneItems, lp_truncate_only: bool) -> bool {
    let mut ok = true;
    for &(from, to) in &items.redirected {
        ok &= page::set_redirect(p, from, to);
    }
    for &o in &items.dead {
        ok &= page::set_dead(p, o);
    }
    for &o in &items.unused {
        ok &= page::set_unused(p, o);
    }
    if lp_truncate_only {
        page::truncate_line_pointers(p);
        ok
    } else {
        ok && page::repair_fragmentation(p, version.prune_truncates_line_pointers())
    }
}

/// `heap_xlog_prune_freeze` (PG 17+): prune, then freeze.
fn prune_freeze(version: PgVersion, p: &mut PageBuf, r: &XlHeapPruneFreeze, d: &[u8]) -> bool {
    let Some((plans, items)) = r.items(d) else { return false };
    let mut ok = true;
    if !(items.redirected.is_empty() && items.dead.is_empty() && items.unused.is_empty()) {
        ok &= prune(version, p, &items, r.flags & XLHP_CLEANUP_LOCK == 0);
    }
    ok && edit::freeze(p, &plans)
}

fn multi_insert(
    rec: &Record<'_>,
    store: &mut PageStore,
    b0: &BlockRef,
    r: &XlHeapMultiInsert<'_>,
    init: bool,
) -> Result<Vec<HeapChange>> {
    let lsn = rec.lsn();
    let offsets = r.offsets(init).ok_or_else(|| short(rec))?;
    let k = key(b0);
    let tuples: Vec<Option<Vec<u8>>> = if restore(rec, b0, store)? {
        let mut v = Vec::with_capacity(offsets.len());
        for &o in &offsets {
            v.push(page_tuple(store, k, o, lsn)?);
        }
        v
    } else {
        let d = rec.block_data(0).unwrap_or(&[]);
        let tuples: Vec<_> = r
            .tuples(d)
            .zip(&offsets)
            .map(|(t, &o)| t.map(|t| build_tuple(t.header, t.data, rec.xid(), 0, (b0.blkno, o))))
            .collect();
        if init {
            put_empty_page(store, k, lsn)?;
        }
        if let Some(p) = store.get(k).map_err(|e| io(lsn, e))? {
            let mut ok = true;
            for (t, &o) in tuples.iter().zip(&offsets) {
                ok &= t.as_deref().is_some_and(|t| page::add_item(p, o, t));
            }
            if r.flags & XLH_INSERT_ALL_VISIBLE_CLEARED != 0 {
                page::set_all_visible(p, false);
            }
            if r.flags & XLH_INSERT_ALL_FROZEN_SET != 0 {
                page::set_all_visible(p, true);
            }
            if !ok {
                store.forget(k);
            }
        }
        tuples
    };
    let on_toast = r.on_toast_relation();
    Ok(tuples
        .into_iter()
        .zip(&offsets)
        .enumerate()
        .map(|(i, (t, &o))| {
            let mut ch = HeapChange::new(ChangeKind::Insert, b0.locator);
            ch.item = i as u32;
            ch.new_tid = Some((b0.blkno, o));
            ch.on_toast_relation = on_toast;
            if t.is_none() {
                ch.missing = Some(NEW_ROW_MISSING.into());
            }
            ch.new_tuple = t;
            ch
        })
        .collect())
}
