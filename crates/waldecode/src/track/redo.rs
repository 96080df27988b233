//! Applies heap and heap2 records to tracked pages and reports row changes.
//! Order matters: an old row version is read from the tracked page before
//! a full-page image replaces it; a new row version is read from the image
//! (which shows the page after the change) or rebuilt from the record's
//! data as `heap_xlog_insert`/`heap_xlog_update` do.

use super::page::{self, PageBuf, BLCKSZ};
use super::store::{PageKey, PageStore};
use super::tuple::SIZE_OF_HEAP_TUPLE_HEADER;
use crate::bytes::{u16_at, u32_at, Cursor};
use crate::error::{Result, WalError};
use crate::record::{BlockRef, Record, RelFileLocator};
use crate::version::PgVersion;

const RM_XLOG_ID: u8 = 0;
const RM_HEAP2_ID: u8 = 9;
const RM_HEAP_ID: u8 = 10;
const XLOG_FPI_FOR_HINT: u8 = 0xA0;
const XLOG_FPI: u8 = 0xB0;

const XLOG_HEAP_INSERT: u8 = 0x00;
const XLOG_HEAP_DELETE: u8 = 0x10;
const XLOG_HEAP_UPDATE: u8 = 0x20;
const XLOG_HEAP_HOT_UPDATE: u8 = 0x40;
const XLOG_HEAP_CONFIRM: u8 = 0x50;
const XLOG_HEAP_INPLACE: u8 = 0x70;
const XLOG_HEAP_INIT_PAGE: u8 = 0x80;
const XLOG_HEAP2_PRUNE: u8 = 0x10;
const XLOG_HEAP2_VACUUM: u8 = 0x20;
const XLOG_HEAP2_FREEZE_PAGE: u8 = 0x30;
const XLOG_HEAP2_MULTI_INSERT: u8 = 0x50;

const XLH_INSERT_IS_SPECULATIVE: u8 = 0x04;
const XLH_INSERT_ON_TOAST_RELATION: u8 = 0x10;
const XLH_DELETE_CONTAINS_OLD_TUPLE: u8 = 0x02;
const XLH_DELETE_IS_SUPER: u8 = 0x08;
const XLH_UPDATE_CONTAINS_OLD_TUPLE: u8 = 0x04;
const XLH_UPDATE_PREFIX_FROM_OLD: u8 = 0x20;
const XLH_UPDATE_SUFFIX_FROM_OLD: u8 = 0x40;
const SIZE_OF_HEAP_HEADER: usize = 5;
const SIZE_OF_HEAP_UPDATE: usize = 14;
const SIZE_OF_HEAP_DELETE: usize = 8;

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

fn io(lsn: crate::Lsn, e: std::io::Error) -> WalError {
    WalError::Io { lsn, segment: "page cache spill file".into(), source: e }
}

fn short(rec: &Record<'_>, what: &str) -> WalError {
    WalError::corrupt(rec.lsn(), format!("{what} too short in heap record at {}", rec.lsn()))
}

fn not_tracked(b: &BlockRef) -> String {
    format!(
        "the old row version is not known: page {} of relation file {}/{}/{} was not seen with a full-page image since decoding started",
        b.blkno, b.locator.spc, b.locator.db, b.locator.rel
    )
}

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

fn page_tuple(
    store: &mut PageStore,
    k: PageKey,
    offnum: u16,
    lsn: crate::Lsn,
) -> Result<Option<Vec<u8>>> {
    Ok(store
        .get(k)
        .map_err(|e| io(lsn, e))?
        .and_then(|p| page::tuple(p, offnum))
        .map(<[u8]>::to_vec))
}

/// Builds a tuple as heap redo does: a fresh header, then the logged bytes.
fn build_tuple(
    infomask2: u16,
    infomask: u16,
    hoff: u8,
    body: &[u8],
    xmin: u32,
    xmax: u32,
    tid: (u32, u16),
) -> Vec<u8> {
    let mut t = vec![0u8; SIZE_OF_HEAP_TUPLE_HEADER];
    t[0..4].copy_from_slice(&xmin.to_le_bytes());
    t[4..8].copy_from_slice(&xmax.to_le_bytes());
    t[12..14].copy_from_slice(&((tid.0 >> 16) as u16).to_le_bytes());
    t[14..16].copy_from_slice(&(tid.0 as u16).to_le_bytes());
    t[16..18].copy_from_slice(&tid.1.to_le_bytes());
    t[18..20].copy_from_slice(&infomask2.to_le_bytes());
    t[20..22].copy_from_slice(&infomask.to_le_bytes());
    t[22] = hoff;
    t.extend_from_slice(body);
    t
}

/// Adds a rebuilt tuple to the tracked (or freshly initialized) page;
/// forgets the page when the edit cannot be made.
fn add_to_page(
    store: &mut PageStore,
    b: &BlockRef,
    init: bool,
    offnum: u16,
    tuple: Option<&[u8]>,
    lsn: crate::Lsn,
) -> Result<()> {
    let k = key(b);
    if init {
        let mut p = Box::new([0u8; BLCKSZ]);
        page::init(&mut p);
        store.put(k, p).map_err(|e| io(lsn, e))?;
    }
    let ok = match (store.get(k).map_err(|e| io(lsn, e))?, tuple) {
        (Some(p), Some(t)) => page::add_item(p, offnum, t),
        (None, _) => true,
        (Some(_), None) => false,
    };
    if !ok {
        store.forget(k);
    }
    Ok(())
}

/// Applies one record; returns the row changes of heap records.
pub fn apply(rec: &Record<'_>, store: &mut PageStore) -> Result<Vec<HeapChange>> {
    match rec.rmid() {
        RM_XLOG_ID if matches!(rec.info() & 0xF0, XLOG_FPI | XLOG_FPI_FOR_HINT) => {
            for b in rec.blocks() {
                restore(rec, b, store)?;
            }
            Ok(Vec::new())
        }
        RM_HEAP_ID => heap(rec, store),
        RM_HEAP2_ID => heap2(rec, store),
        _ => Ok(Vec::new()),
    }
}

fn heap(rec: &Record<'_>, store: &mut PageStore) -> Result<Vec<HeapChange>> {
    let info = rec.info();
    let md = rec.main_data();
    let init = info & XLOG_HEAP_INIT_PAGE != 0;
    let Some(b0) = rec.block(0) else {
        return Ok(Vec::new());
    };
    let lsn = rec.lsn();
    match info & 0x70 {
        XLOG_HEAP_INSERT => {
            let offnum = u16_at(md, 0).ok_or_else(|| short(rec, "insert"))?;
            let flags = *md.get(2).ok_or_else(|| short(rec, "insert"))?;
            let mut ch = HeapChange::new(ChangeKind::Insert, b0.locator);
            ch.new_tid = Some((b0.blkno, offnum));
            ch.speculative = flags & XLH_INSERT_IS_SPECULATIVE != 0;
            ch.on_toast_relation = flags & XLH_INSERT_ON_TOAST_RELATION != 0;
            if restore(rec, b0, store)? {
                ch.new_tuple = page_tuple(store, key(b0), offnum, lsn)?;
            } else {
                let t = rec
                    .block_data(0)
                    .and_then(|d| from_logged(d, rec.xid(), 0, (b0.blkno, offnum)));
                add_to_page(store, b0, init, offnum, t.as_deref(), lsn)?;
                ch.new_tuple = t;
            }
            if ch.new_tuple.is_none() {
                ch.missing =
                    Some("the inserted row is in neither the record nor a known page".into());
            }
            Ok(vec![ch])
        }
        XLOG_HEAP_DELETE => {
            let offnum = u16_at(md, 4).ok_or_else(|| short(rec, "delete"))?;
            let flags = *md.get(7).ok_or_else(|| short(rec, "delete"))?;
            let kind = if flags & XLH_DELETE_IS_SUPER != 0 {
                ChangeKind::SpecAbort
            } else {
                ChangeKind::Delete
            };
            let mut ch = HeapChange::new(kind, b0.locator);
            ch.old_tid = Some((b0.blkno, offnum));
            ch.old_tuple = page_tuple(store, key(b0), offnum, lsn)?;
            if restore(rec, b0, store)? && ch.old_tuple.is_none() {
                // The image shows the page after the delete, which only
                // edited the tuple's header: its data is still there.
                ch.old_tuple = page_tuple(store, key(b0), offnum, lsn)?;
            }
            if ch.old_tuple.is_none() && flags & XLH_DELETE_CONTAINS_OLD_TUPLE != 0 {
                ch.old_tuple = logged_old_tuple(md.get(SIZE_OF_HEAP_DELETE..), rec.xid());
            }
            if ch.old_tuple.is_none() {
                ch.missing = Some(not_tracked(b0));
            }
            Ok(vec![ch])
        }
        op @ (XLOG_HEAP_UPDATE | XLOG_HEAP_HOT_UPDATE) => {
            update(rec, store, op == XLOG_HEAP_HOT_UPDATE, init)
        }
        XLOG_HEAP_CONFIRM => {
            let offnum = u16_at(md, 0).ok_or_else(|| short(rec, "confirm"))?;
            restore(rec, b0, store)?;
            let mut ch = HeapChange::new(ChangeKind::SpecConfirm, b0.locator);
            ch.new_tid = Some((b0.blkno, offnum));
            Ok(vec![ch])
        }
        XLOG_HEAP_INPLACE => {
            if !restore(rec, b0, store)? {
                let offnum = u16_at(md, 0).ok_or_else(|| short(rec, "inplace"))?;
                let k = key(b0);
                let done = match (store.get(k).map_err(|e| io(lsn, e))?, rec.block_data(0)) {
                    (Some(p), Some(new)) => inplace(p, offnum, new),
                    (None, _) => true,
                    _ => false,
                };
                if !done {
                    store.forget(k);
                }
            }
            Ok(Vec::new())
        }
        _ => {
            // LOCK, TRUNCATE: header edits only.
            for b in rec.blocks() {
                restore(rec, b, store)?;
            }
            Ok(Vec::new())
        }
    }
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

/// A whole old tuple logged in the main data (REPLICA IDENTITY FULL at
/// wal_level = logical): `xl_heap_header` then the tuple from byte 23.
fn logged_old_tuple(rest: Option<&[u8]>, xid: u32) -> Option<Vec<u8>> {
    from_logged(rest?, 0, xid, (0, 0))
}

/// A tuple from `xl_heap_header` followed by the tuple's bytes from 23 on.
fn from_logged(d: &[u8], xmin: u32, xmax: u32, tid: (u32, u16)) -> Option<Vec<u8>> {
    let h = d.get(..SIZE_OF_HEAP_HEADER)?;
    Some(build_tuple(
        u16::from_le_bytes([h[0], h[1]]),
        u16::from_le_bytes([h[2], h[3]]),
        h[4],
        &d[SIZE_OF_HEAP_HEADER..],
        xmin,
        xmax,
        tid,
    ))
}

fn update(
    rec: &Record<'_>,
    store: &mut PageStore,
    hot: bool,
    init: bool,
) -> Result<Vec<HeapChange>> {
    let md = rec.main_data();
    let lsn = rec.lsn();
    if md.len() < SIZE_OF_HEAP_UPDATE {
        return Err(short(rec, "update"));
    }
    let old_off = u16_at(md, 4).unwrap_or(0);
    let flags = md[7];
    let new_xmax = u32_at(md, 8).unwrap_or(0);
    let new_off = u16_at(md, 12).unwrap_or(0);
    let Some(b0) = rec.block(0) else { return Ok(Vec::new()) };
    let old_b = rec.block(1).unwrap_or(b0);
    let mut ch = HeapChange::new(ChangeKind::Update { hot }, b0.locator);
    ch.old_tid = Some((old_b.blkno, old_off));
    ch.new_tid = Some((b0.blkno, new_off));
    ch.old_tuple = page_tuple(store, key(old_b), old_off, lsn)?;
    let old_restored = if old_b.id != b0.id { restore(rec, old_b, store)? } else { false };
    let new_restored = restore(rec, b0, store)?;
    if ch.old_tuple.is_none() && (old_restored || (old_b.id == b0.id && new_restored)) {
        ch.old_tuple = page_tuple(store, key(old_b), old_off, lsn)?;
    }
    if ch.old_tuple.is_none() && flags & XLH_UPDATE_CONTAINS_OLD_TUPLE != 0 {
        ch.old_tuple = logged_old_tuple(md.get(SIZE_OF_HEAP_UPDATE..), rec.xid());
    }
    if new_restored {
        ch.new_tuple = page_tuple(store, key(b0), new_off, lsn)?;
    } else {
        let t = rec.block_data(0).and_then(|d| {
            rebuild_new(d, flags, ch.old_tuple.as_deref(), rec.xid(), new_xmax, (b0.blkno, new_off))
        });
        add_to_page(store, b0, init, new_off, t.as_deref(), lsn)?;
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
    d: &[u8],
    flags: u8,
    old: Option<&[u8]>,
    xmin: u32,
    xmax: u32,
    tid: (u32, u16),
) -> Option<Vec<u8>> {
    let mut c = Cursor::new(d);
    let prefix = if flags & XLH_UPDATE_PREFIX_FROM_OLD != 0 { usize::from(c.u16()?) } else { 0 };
    let suffix = if flags & XLH_UPDATE_SUFFIX_FROM_OLD != 0 { usize::from(c.u16()?) } else { 0 };
    let infomask2 = c.u16()?;
    let infomask = c.u16()?;
    let hoff = c.u8()?;
    let rest = c.bytes(c.remaining())?;
    let mut body = Vec::with_capacity(rest.len() + prefix + suffix);
    // Null bitmap and padding come first in the logged bytes.
    let head = usize::from(hoff).checked_sub(SIZE_OF_HEAP_TUPLE_HEADER)?;
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
    Some(build_tuple(infomask2, infomask, hoff, &body, xmin, xmax, tid))
}

fn heap2(rec: &Record<'_>, store: &mut PageStore) -> Result<Vec<HeapChange>> {
    let info = rec.info();
    let op = info & 0x70;
    let Some(b0) = rec.block(0) else { return Ok(Vec::new()) };
    let lsn = rec.lsn();
    if op == XLOG_HEAP2_MULTI_INSERT {
        return multi_insert(rec, store, info & XLOG_HEAP_INIT_PAGE != 0);
    }
    let mut restored = false;
    for b in rec.blocks() {
        restored |= restore(rec, b, store)? && b.id == b0.id;
    }
    if restored {
        return Ok(Vec::new());
    }
    let k = key(b0);
    let modern = rec.version() >= PgVersion::V17;
    match op {
        XLOG_HEAP2_PRUNE | XLOG_HEAP2_VACUUM | XLOG_HEAP2_FREEZE_PAGE if modern => {
            // PG 17 replaced these records by PRUNE_*; their page edits are
            // not reproduced here, so the page is no longer known.
            store.forget(k);
        }
        XLOG_HEAP2_PRUNE => {
            let md = rec.main_data();
            let (Some(nred), Some(ndead)) = (u16_at(md, 4), u16_at(md, 6)) else {
                return Err(short(rec, "prune"));
            };
            let ok = match (store.get(k).map_err(|e| io(lsn, e))?, rec.block_data(0)) {
                (Some(p), Some(d)) => prune(p, d, usize::from(nred), usize::from(ndead)),
                (None, _) => true,
                (Some(_), None) => false,
            };
            if !ok {
                store.forget(k);
            }
        }
        XLOG_HEAP2_VACUUM => {
            let ok = match (store.get(k).map_err(|e| io(lsn, e))?, rec.block_data(0)) {
                (Some(p), Some(d)) => {
                    let mut ok = true;
                    for c in d.chunks_exact(2) {
                        ok &= page::set_unused(p, u16::from_le_bytes([c[0], c[1]]));
                    }
                    page::truncate_line_pointers(p);
                    ok
                }
                (None, _) => true,
                (Some(_), None) => false,
            };
            if !ok {
                store.forget(k);
            }
        }
        // FREEZE_PAGE, VISIBLE, LOCK_UPDATED, NEW_CID, REWRITE: tuple
        // headers and flags only; the row data stays as it is.
        _ => {}
    }
    Ok(Vec::new())
}

/// `heap_page_prune_execute` on a tracked page.
fn prune(p: &mut PageBuf, d: &[u8], nred: usize, ndead: usize) -> bool {
    let offs: Vec<u16> = d.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    if offs.len() < 2 * nred + ndead {
        return false;
    }
    let (red, rest) = offs.split_at(2 * nred);
    let (dead, unused) = rest.split_at(ndead);
    let mut ok = true;
    for pair in red.chunks_exact(2) {
        ok &= page::set_redirect(p, pair[0], pair[1]);
    }
    for &o in dead {
        ok &= page::set_dead(p, o);
    }
    for &o in unused {
        ok &= page::set_unused(p, o);
    }
    ok && page::repair_fragmentation(p)
}

fn multi_insert(rec: &Record<'_>, store: &mut PageStore, init: bool) -> Result<Vec<HeapChange>> {
    let md = rec.main_data();
    let lsn = rec.lsn();
    let flags = *md.first().ok_or_else(|| short(rec, "multi-insert"))?;
    let n = usize::from(u16_at(md, 2).ok_or_else(|| short(rec, "multi-insert"))?);
    let Some(b0) = rec.block(0) else { return Ok(Vec::new()) };
    let offsets: Vec<u16> = if init {
        (1..=n as u16).collect()
    } else {
        (0..n)
            .map(|i| u16_at(md, 4 + 2 * i).ok_or_else(|| short(rec, "multi-insert")))
            .collect::<Result<_>>()?
    };
    let mut changes = Vec::with_capacity(n);
    let restored = restore(rec, b0, store)?;
    let mut tuples: Vec<Option<Vec<u8>>> = Vec::with_capacity(n);
    if restored {
        for &o in &offsets {
            tuples.push(page_tuple(store, key(b0), o, lsn)?);
        }
    } else {
        let d = rec.block_data(0).unwrap_or(&[]);
        let mut pos = 0usize;
        for &o in &offsets {
            pos = (pos + 1) & !1;
            let t = (|| {
                let h = d.get(pos..pos + 7)?;
                let len = usize::from(u16::from_le_bytes([h[0], h[1]]));
                let body = d.get(pos + 7..pos + 7 + len)?;
                pos += 7 + len;
                Some(build_tuple(
                    u16::from_le_bytes([h[2], h[3]]),
                    u16::from_le_bytes([h[4], h[5]]),
                    h[6],
                    body,
                    rec.xid(),
                    0,
                    (b0.blkno, o),
                ))
            })();
            if t.is_none() {
                pos = d.len();
            }
            tuples.push(t);
        }
        if init {
            let mut p = Box::new([0u8; BLCKSZ]);
            page::init(&mut p);
            store.put(key(b0), p).map_err(|e| io(lsn, e))?;
        }
        let k = key(b0);
        if let Some(p) = store.get(k).map_err(|e| io(lsn, e))? {
            let mut ok = true;
            for (t, &o) in tuples.iter().zip(&offsets) {
                ok &= t.as_deref().is_some_and(|t| page::add_item(p, o, t));
            }
            if !ok {
                store.forget(k);
            }
        }
    }
    for (i, (t, &o)) in tuples.into_iter().zip(&offsets).enumerate() {
        let mut ch = HeapChange::new(ChangeKind::Insert, b0.locator);
        ch.item = i as u32;
        ch.new_tid = Some((b0.blkno, o));
        ch.on_toast_relation = flags & XLH_INSERT_ON_TOAST_RELATION != 0;
        if t.is_none() {
            ch.missing = Some("the inserted row is in neither the record nor a known page".into());
        }
        ch.new_tuple = t;
        changes.push(ch);
    }
    Ok(changes)
}
