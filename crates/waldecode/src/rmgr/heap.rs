//! The Heap and Heap2 resource managers (`access/heapam_xlog.h`): opcodes
//! and flag constants, and ports of `heap_desc`, `heap2_desc`,
//! `heap_identify` and `heap2_identify` (heapdesc.c).
//!
//! Text follows PostgreSQL 15 for every version, with the record layouts
//! of each version; PG 17's prune records (which replaced PRUNE, VACUUM
//! and FREEZE_PAGE) are described as PG 17/18 describe them, and PG 18's
//! in-place update includes its invalidation messages.

use std::fmt::Write;

use super::cursor::{u16_at, u32_at, u8_at, Cursor};
use super::standby::desc_invalidations;
use super::{DescInput, XLR_INFO_MASK};
use crate::version::PgVersion;

// Heap opcodes (high nibble of xl_info, masked by XLOG_HEAP_OPMASK).
pub const XLOG_HEAP_INSERT: u8 = 0x00;
pub const XLOG_HEAP_DELETE: u8 = 0x10;
pub const XLOG_HEAP_UPDATE: u8 = 0x20;
pub const XLOG_HEAP_TRUNCATE: u8 = 0x30;
pub const XLOG_HEAP_HOT_UPDATE: u8 = 0x40;
pub const XLOG_HEAP_CONFIRM: u8 = 0x50;
pub const XLOG_HEAP_LOCK: u8 = 0x60;
pub const XLOG_HEAP_INPLACE: u8 = 0x70;
pub const XLOG_HEAP_OPMASK: u8 = 0x70;
/// The page is (re)initialized before the change (insert, update,
/// multi-insert).
pub const XLOG_HEAP_INIT_PAGE: u8 = 0x80;

// Heap2 opcodes.
pub const XLOG_HEAP2_REWRITE: u8 = 0x00;
/// PG ≤ 16.
pub const XLOG_HEAP2_PRUNE: u8 = 0x10;
/// PG ≤ 16.
pub const XLOG_HEAP2_VACUUM: u8 = 0x20;
/// PG ≤ 16.
pub const XLOG_HEAP2_FREEZE_PAGE: u8 = 0x30;
/// PG 17+ (reuses PRUNE's code).
pub const XLOG_HEAP2_PRUNE_ON_ACCESS: u8 = 0x10;
/// PG 17+ (reuses VACUUM's code).
pub const XLOG_HEAP2_PRUNE_VACUUM_SCAN: u8 = 0x20;
/// PG 17+ (reuses FREEZE_PAGE's code).
pub const XLOG_HEAP2_PRUNE_VACUUM_CLEANUP: u8 = 0x30;
pub const XLOG_HEAP2_VISIBLE: u8 = 0x40;
pub const XLOG_HEAP2_MULTI_INSERT: u8 = 0x50;
pub const XLOG_HEAP2_LOCK_UPDATED: u8 = 0x60;
pub const XLOG_HEAP2_NEW_CID: u8 = 0x70;

// xl_heap_insert / xl_heap_multi_insert flags.
pub const XLH_INSERT_ALL_VISIBLE_CLEARED: u8 = 1 << 0;
pub const XLH_INSERT_LAST_IN_MULTI: u8 = 1 << 1;
pub const XLH_INSERT_IS_SPECULATIVE: u8 = 1 << 2;
pub const XLH_INSERT_CONTAINS_NEW_TUPLE: u8 = 1 << 3;
pub const XLH_INSERT_ON_TOAST_RELATION: u8 = 1 << 4;
pub const XLH_INSERT_ALL_FROZEN_SET: u8 = 1 << 5;

// xl_heap_update flags.
pub const XLH_UPDATE_OLD_ALL_VISIBLE_CLEARED: u8 = 1 << 0;
pub const XLH_UPDATE_NEW_ALL_VISIBLE_CLEARED: u8 = 1 << 1;
pub const XLH_UPDATE_CONTAINS_OLD_TUPLE: u8 = 1 << 2;
pub const XLH_UPDATE_CONTAINS_OLD_KEY: u8 = 1 << 3;
pub const XLH_UPDATE_CONTAINS_NEW_TUPLE: u8 = 1 << 4;
pub const XLH_UPDATE_PREFIX_FROM_OLD: u8 = 1 << 5;
pub const XLH_UPDATE_SUFFIX_FROM_OLD: u8 = 1 << 6;
/// Any form of old tuple was logged.
pub const XLH_UPDATE_CONTAINS_OLD: u8 = XLH_UPDATE_CONTAINS_OLD_TUPLE | XLH_UPDATE_CONTAINS_OLD_KEY;

// xl_heap_delete flags.
pub const XLH_DELETE_ALL_VISIBLE_CLEARED: u8 = 1 << 0;
pub const XLH_DELETE_CONTAINS_OLD_TUPLE: u8 = 1 << 1;
pub const XLH_DELETE_CONTAINS_OLD_KEY: u8 = 1 << 2;
pub const XLH_DELETE_IS_SUPER: u8 = 1 << 3;
pub const XLH_DELETE_IS_PARTITION_MOVE: u8 = 1 << 4;
/// Any form of old tuple was logged.
pub const XLH_DELETE_CONTAINS_OLD: u8 = XLH_DELETE_CONTAINS_OLD_TUPLE | XLH_DELETE_CONTAINS_OLD_KEY;

// xl_heap_truncate flags.
pub const XLH_TRUNCATE_CASCADE: u8 = 1 << 0;
pub const XLH_TRUNCATE_RESTART_SEQS: u8 = 1 << 1;

// infobits_set bits (xl_heap_delete, _update, _lock, _lock_updated).
pub const XLHL_XMAX_IS_MULTI: u8 = 0x01;
pub const XLHL_XMAX_LOCK_ONLY: u8 = 0x02;
pub const XLHL_XMAX_EXCL_LOCK: u8 = 0x04;
pub const XLHL_XMAX_KEYSHR_LOCK: u8 = 0x08;
pub const XLHL_KEYS_UPDATED: u8 = 0x10;

/// xl_heap_lock / xl_heap_lock_updated flag.
pub const XLH_LOCK_ALL_FROZEN_CLEARED: u8 = 0x01;

// xl_heap_freeze_tuple / xlhp_freeze_plan frzflags (0x01 was XLH_FREEZE_XMIN).
pub const XLH_FREEZE_XVAC: u8 = 0x02;
pub const XLH_INVALID_XVAC: u8 = 0x04;

// xl_heap_prune flags, PG 17+.
pub const XLHP_IS_CATALOG_REL: u8 = 1 << 1;
pub const XLHP_CLEANUP_LOCK: u8 = 1 << 2;
pub const XLHP_HAS_CONFLICT_HORIZON: u8 = 1 << 3;
pub const XLHP_HAS_FREEZE_PLANS: u8 = 1 << 4;
pub const XLHP_HAS_REDIRECTIONS: u8 = 1 << 5;
pub const XLHP_HAS_DEAD_ITEMS: u8 = 1 << 6;
pub const XLHP_HAS_NOW_UNUSED_ITEMS: u8 = 1 << 7;

// Sizes of the fixed main-data structs (the SizeOfHeap* macros).
pub const SIZE_OF_HEAP_INSERT: usize = 3;
pub const SIZE_OF_HEAP_DELETE: usize = 8;
pub const SIZE_OF_HEAP_UPDATE: usize = 14;
pub const SIZE_OF_HEAP_HEADER: usize = 5;
pub const SIZE_OF_HEAP_MULTI_INSERT: usize = 4;
pub const SIZE_OF_MULTI_INSERT_TUPLE: usize = 7;

/// Port of `heap_identify` (heapdesc.c). Like the C, the whole high nibble
/// is matched, so only insert and the updates may carry `INIT_PAGE`.
pub fn heap_identify(info: u8) -> Option<&'static str> {
    const INIT: u8 = XLOG_HEAP_INIT_PAGE;
    Some(match info & !XLR_INFO_MASK {
        XLOG_HEAP_INSERT => "INSERT",
        x if x == XLOG_HEAP_INSERT | INIT => "INSERT+INIT",
        XLOG_HEAP_DELETE => "DELETE",
        XLOG_HEAP_UPDATE => "UPDATE",
        x if x == XLOG_HEAP_UPDATE | INIT => "UPDATE+INIT",
        XLOG_HEAP_HOT_UPDATE => "HOT_UPDATE",
        x if x == XLOG_HEAP_HOT_UPDATE | INIT => "HOT_UPDATE+INIT",
        XLOG_HEAP_TRUNCATE => "TRUNCATE",
        XLOG_HEAP_CONFIRM => "HEAP_CONFIRM",
        XLOG_HEAP_LOCK => "LOCK",
        XLOG_HEAP_INPLACE => "INPLACE",
        _ => return None,
    })
}

/// Port of `heap2_identify` (heapdesc.c); the PG 17 prune names replace
/// PRUNE, VACUUM and FREEZE_PAGE from PG 17 on.
pub fn heap2_identify(version: PgVersion, info: u8) -> Option<&'static str> {
    let v17 = version >= PgVersion::V17;
    Some(match info & !XLR_INFO_MASK {
        0x10 if v17 => "PRUNE_ON_ACCESS",
        0x20 if v17 => "PRUNE_VACUUM_SCAN",
        0x30 if v17 => "PRUNE_VACUUM_CLEANUP",
        XLOG_HEAP2_PRUNE => "PRUNE",
        XLOG_HEAP2_VACUUM => "VACUUM",
        XLOG_HEAP2_FREEZE_PAGE => "FREEZE_PAGE",
        XLOG_HEAP2_VISIBLE => "VISIBLE",
        XLOG_HEAP2_MULTI_INSERT => "MULTI_INSERT",
        x if x == XLOG_HEAP2_MULTI_INSERT | XLOG_HEAP_INIT_PAGE => "MULTI_INSERT+INIT",
        XLOG_HEAP2_LOCK_UPDATED => "LOCK_UPDATED",
        XLOG_HEAP2_NEW_CID => "NEW_CID",
        XLOG_HEAP2_REWRITE => "REWRITE",
        _ => return None,
    })
}

/// `out_infobits` (heapdesc.c).
fn out_infobits(buf: &mut String, infobits: u8) {
    if infobits & XLHL_XMAX_IS_MULTI != 0 {
        buf.push_str("IS_MULTI ");
    }
    if infobits & XLHL_XMAX_LOCK_ONLY != 0 {
        buf.push_str("LOCK_ONLY ");
    }
    if infobits & XLHL_XMAX_EXCL_LOCK != 0 {
        buf.push_str("EXCL_LOCK ");
    }
    if infobits & XLHL_XMAX_KEYSHR_LOCK != 0 {
        buf.push_str("KEYSHR_LOCK ");
    }
    if infobits & XLHL_KEYS_UPDATED != 0 {
        buf.push_str("KEYS_UPDATED ");
    }
}

/// Port of `heap_desc` (heapdesc.c).
pub fn heap_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & XLOG_HEAP_OPMASK {
        XLOG_HEAP_INSERT => {
            // xl_heap_insert: offnum u16, flags u8.
            let _ = write!(buf, "off {} flags 0x{:02X}", u16_at(d, 0)?, u8_at(d, 2)?);
        }
        XLOG_HEAP_DELETE => {
            // xl_heap_delete: xmax u32, offnum u16, infobits_set u8, flags u8.
            let (off, infobits, flags) = (u16_at(d, 4)?, u8_at(d, 6)?, u8_at(d, 7)?);
            let _ = write!(buf, "off {off} flags 0x{flags:02X} ");
            out_infobits(buf, infobits);
        }
        XLOG_HEAP_UPDATE | XLOG_HEAP_HOT_UPDATE => {
            // xl_heap_update: old_xmax u32, old_offnum u16, old_infobits_set
            // u8, flags u8, new_xmax u32, new_offnum u16.
            let mut c = Cursor::new(d);
            let old_xmax = c.u32()?;
            let old_off = c.u16()?;
            let old_infobits = c.u8()?;
            let flags = c.u8()?;
            let new_xmax = c.u32()?;
            let new_off = c.u16()?;
            let _ = write!(buf, "off {old_off} xmax {old_xmax} flags 0x{flags:02X} ");
            out_infobits(buf, old_infobits);
            let _ = write!(buf, "; new off {new_off} xmax {new_xmax}");
        }
        XLOG_HEAP_TRUNCATE => {
            // xl_heap_truncate: dbId u32, nrelids u32, flags u8, relids at 12.
            let nrelids = u32_at(d, 4)?;
            let flags = u8_at(d, 8)?;
            if flags & XLH_TRUNCATE_CASCADE != 0 {
                buf.push_str("cascade ");
            }
            if flags & XLH_TRUNCATE_RESTART_SEQS != 0 {
                buf.push_str("restart_seqs ");
            }
            let _ = write!(buf, "nrelids {nrelids} relids");
            let mut c = Cursor::at(d, 12);
            for _ in 0..nrelids {
                let _ = write!(buf, " {}", c.u32()?);
            }
        }
        XLOG_HEAP_CONFIRM => {
            let _ = write!(buf, "off {}", u16_at(d, 0)?);
        }
        XLOG_HEAP_LOCK => {
            // xl_heap_lock: locking_xid (xmax from PG 16) u32, offnum u16,
            // infobits_set, flags.
            let (xid, off, infobits, flags) =
                (u32_at(d, 0)?, u16_at(d, 4)?, u8_at(d, 6)?, u8_at(d, 7)?);
            let _ = write!(buf, "off {off}: xid {xid}: flags 0x{flags:02X} ");
            out_infobits(buf, infobits);
        }
        XLOG_HEAP_INPLACE => {
            let _ = write!(buf, "off {}", u16_at(d, 0)?);
            if input.version >= PgVersion::V18 {
                // PG 18 xl_heap_inplace: offnum, dbId 4, tsId 8,
                // relcacheInitFileInval 12, nmsgs 16, msgs 20.
                let mut c = Cursor::at(d, 4);
                let db = c.u32()?;
                let ts = c.u32()?;
                let init = c.bool()?;
                c.seek(16)?;
                let nmsgs = c.i32()?;
                let msgs = c.bytes(c.remaining())?;
                desc_invalidations(buf, nmsgs, msgs, db, ts, init)?;
            }
        }
        _ => {}
    }
    Some(())
}

/// Port of `heap2_desc` (heapdesc.c).
pub fn heap2_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v = input.version;
    let op = input.info & XLOG_HEAP_OPMASK;
    match op {
        0x10..=0x30 if v >= PgVersion::V17 => prune_desc_v17(input, buf)?,
        XLOG_HEAP2_PRUNE => {
            // xl_heap_prune (PG ≤ 16): latestRemovedXid (PG 16:
            // snapshotConflictHorizon) u32, nredirected u16, ndead u16.
            let _ = write!(
                buf,
                "latestRemovedXid {} nredirected {} ndead {}",
                u32_at(d, 0)?,
                u16_at(d, 4)?,
                u16_at(d, 6)?
            );
        }
        XLOG_HEAP2_VACUUM => {
            let _ = write!(buf, "nunused {}", u16_at(d, 0)?);
        }
        XLOG_HEAP2_FREEZE_PAGE => {
            // xl_heap_freeze_page: cutoff_xid u32, ntuples u16 (PG 16:
            // snapshotConflictHorizon u32, nplans u16).
            let (xid, n) = (u32_at(d, 0)?, u16_at(d, 4)?);
            if v >= PgVersion::V16 {
                let _ = write!(buf, "cutoff xid {xid} nplans {n}");
            } else {
                let _ = write!(buf, "cutoff xid {xid} ntuples {n}");
            }
        }
        XLOG_HEAP2_VISIBLE => {
            // xl_heap_visible: cutoff_xid u32, flags u8.
            let _ = write!(buf, "cutoff xid {} flags 0x{:02X}", u32_at(d, 0)?, u8_at(d, 4)?);
        }
        XLOG_HEAP2_MULTI_INSERT => {
            // xl_heap_multi_insert: flags u8, ntuples u16 at 2.
            let _ = write!(buf, "{} tuples flags 0x{:02X}", u16_at(d, 2)?, u8_at(d, 0)?);
        }
        XLOG_HEAP2_LOCK_UPDATED => {
            // xl_heap_lock_updated: xmax u32, offnum u16, infobits_set, flags.
            let (xmax, off, infobits, flags) =
                (u32_at(d, 0)?, u16_at(d, 4)?, u8_at(d, 6)?, u8_at(d, 7)?);
            let _ = write!(buf, "off {off}: xmax {xmax}: flags 0x{flags:02X} ");
            out_infobits(buf, infobits);
        }
        XLOG_HEAP2_NEW_CID => {
            // xl_heap_new_cid: top_xid, cmin, cmax, combocid, target node
            // (12 bytes) at 16, target tid (bi_hi, bi_lo, posid) at 28.
            let mut c = Cursor::new(d);
            let _top = c.u32()?;
            let (cmin, cmax, combo) = (c.u32()?, c.u32()?, c.u32()?);
            let (spc, db, rel) = (c.u32()?, c.u32()?, c.u32()?);
            let hi = u32::from(c.u16()?);
            let lo = u32::from(c.u16()?);
            let posid = c.u16()?;
            let _ = write!(
                buf,
                "rel {spc}/{db}/{rel}; tid {}/{posid}; cmin: {cmin}, cmax: {cmax}, combo: {combo}",
                hi << 16 | lo
            );
        }
        _ => {}
    }
    Some(())
}

/// `array_desc` (rmgrdesc_utils.c, PG 16+) over u16 offsets.
fn offsets_desc(buf: &mut String, offs: &[u16]) {
    buf.push_str(" [");
    for (i, o) in offs.iter().enumerate() {
        if i > 0 {
            buf.push_str(", ");
        }
        let _ = write!(buf, "{o}");
    }
    buf.push(']');
}

/// `heap2_desc` for PG 17's `XLOG_HEAP2_PRUNE_*` records, ported from the
/// PG 17/18 heapdesc.c (with `heap_xlog_deserialize_prune_and_freeze`).
/// Main data: reason u8, flags u8, then an unaligned u32 conflict horizon
/// when `XLHP_HAS_CONFLICT_HORIZON`. Block 0 data, when present: freeze
/// plans (u16 count, 2 pad bytes, 12-byte plans), redirections (u16 count +
/// pairs), dead and now-unused items (u16 count + offsets), then the
/// offsets of the frozen tuples, plan by plan.
fn prune_desc_v17(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let flags = u8_at(d, 1)?;
    if flags & XLHP_HAS_CONFLICT_HORIZON != 0 {
        let _ = write!(buf, "snapshotConflictHorizon: {}", u32_at(d, 2)?);
    }
    let catalog = if flags & XLHP_IS_CATALOG_REL != 0 { 'T' } else { 'F' };
    let _ = write!(buf, ", isCatalogRel: {catalog}");
    let Some(blk) = input.block0_data.filter(|b| !b.is_empty()) else {
        return Some(());
    };
    let mut c = Cursor::new(blk);
    // (xmax, infomask, infomask2, ntuples) per freeze plan.
    let mut plans: Vec<(u32, u16, u16, u16)> = Vec::new();
    if flags & XLHP_HAS_FREEZE_PLANS != 0 {
        let n = c.u16()?;
        c.skip(2)?;
        for _ in 0..n {
            let xmax = c.u32()?;
            let infomask2 = c.u16()?;
            let infomask = c.u16()?;
            let _frzflags = c.u8()?;
            c.skip(1)?;
            let ntuples = c.u16()?;
            plans.push((xmax, infomask, infomask2, ntuples));
        }
    }
    let mut redirected: Vec<(u16, u16)> = Vec::new();
    if flags & XLHP_HAS_REDIRECTIONS != 0 {
        let n = c.u16()?;
        for _ in 0..n {
            redirected.push((c.u16()?, c.u16()?));
        }
    }
    let mut list = |present: bool| -> Option<Vec<u16>> {
        if present {
            let n = c.u16()?;
            c.u16s(usize::from(n))
        } else {
            Some(Vec::new())
        }
    };
    let dead = list(flags & XLHP_HAS_DEAD_ITEMS != 0)?;
    let unused = list(flags & XLHP_HAS_NOW_UNUSED_ITEMS != 0)?;
    let _ = write!(
        buf,
        ", nplans: {}, nredirected: {}, ndead: {}, nunused: {}",
        plans.len(),
        redirected.len(),
        dead.len(),
        unused.len()
    );
    if !plans.is_empty() {
        buf.push_str(", plans: [");
        for (i, &(xmax, infomask, infomask2, ntuples)) in plans.iter().enumerate() {
            if i > 0 {
                buf.push_str(", ");
            }
            let _ = write!(
                buf,
                "{{ xmax: {xmax}, infomask: {infomask}, infomask2: {infomask2}, \
                 ntuples: {ntuples}, offsets:"
            );
            offsets_desc(buf, &c.u16s(usize::from(ntuples))?);
            buf.push_str(" }");
        }
        buf.push(']');
    }
    if !redirected.is_empty() {
        buf.push_str(", redirected: [");
        for (i, (from, to)) in redirected.iter().enumerate() {
            if i > 0 {
                buf.push_str(", ");
            }
            let _ = write!(buf, "{from}->{to}");
        }
        buf.push(']');
    }
    if !dead.is_empty() {
        buf.push_str(", dead:");
        offsets_desc(buf, &dead);
    }
    if !unused.is_empty() {
        buf.push_str(", unused:");
        offsets_desc(buf, &unused);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, desc_blk, B};
    use super::super::{RM_HEAP2_ID, RM_HEAP_ID, TRUNCATED};
    use super::*;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn insert() {
        let d = B::new().u16(3).u8(XLH_INSERT_ALL_VISIBLE_CLEARED).done();
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_INSERT, &d), "off 3 flags 0x01");
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_INSERT | XLOG_HEAP_INIT_PAGE, &d),
            "off 3 flags 0x01"
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_INSERT, &d[..2]), TRUNCATED);
    }

    #[test]
    fn delete() {
        let d = B::new().u32(740).u16(2).u8(XLHL_KEYS_UPDATED).u8(0).done();
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_DELETE, &d), "off 2 flags 0x00 KEYS_UPDATED ");
        let d = B::new().u32(740).u16(7).u8(0).u8(XLH_DELETE_IS_SUPER).done();
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_DELETE, &d), "off 7 flags 0x08 ");
    }

    #[test]
    fn update() {
        let d = B::new()
            .u32(741)
            .u16(1)
            .u8(XLHL_XMAX_IS_MULTI | XLHL_XMAX_LOCK_ONLY)
            .u8(XLH_UPDATE_PREFIX_FROM_OLD)
            .u32(0)
            .u16(4)
            .done();
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_UPDATE, &d),
            "off 1 xmax 741 flags 0x20 IS_MULTI LOCK_ONLY ; new off 4 xmax 0"
        );
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_HOT_UPDATE | XLOG_HEAP_INIT_PAGE, &d),
            "off 1 xmax 741 flags 0x20 IS_MULTI LOCK_ONLY ; new off 4 xmax 0"
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_UPDATE, &d[..13]), TRUNCATED);
    }

    #[test]
    fn others() {
        let d = B::new().u32(5).u32(2).u8(3).zeros(3).u32(16384).u32(16390).done();
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_TRUNCATE, &d),
            "cascade restart_seqs nrelids 2 relids 16384 16390"
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_CONFIRM, &[5, 0]), "off 5");
        let d = B::new().u32(760).u16(9).u8(XLHL_XMAX_EXCL_LOCK | XLHL_XMAX_LOCK_ONLY).u8(1).done();
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_LOCK, &d),
            "off 9: xid 760: flags 0x01 LOCK_ONLY EXCL_LOCK "
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_INPLACE, &[12, 0]), "off 12");
        let d18 = B::new()
            .u16(12)
            .zeros(2)
            .u32(5)
            .u32(1663)
            .u8(0)
            .zeros(3)
            .i32(1)
            .bytes(&[0xFE, 0, 0, 0])
            .u32(5)
            .u32(1259)
            .u32(0)
            .done();
        assert_eq!(
            desc(PgVersion::V18, RM_HEAP_ID, XLOG_HEAP_INPLACE, &d18),
            "off 12; inval msgs: relcache 1259"
        );
    }

    #[test]
    fn heap2() {
        let d = B::new().u32(745).u16(1).u16(2).done();
        assert_eq!(
            desc(V, RM_HEAP2_ID, XLOG_HEAP2_PRUNE, &d),
            "latestRemovedXid 745 nredirected 1 ndead 2"
        );
        assert_eq!(desc(V, RM_HEAP2_ID, XLOG_HEAP2_VACUUM, &[3, 0]), "nunused 3");
        assert_eq!(
            desc(V, RM_HEAP2_ID, XLOG_HEAP2_FREEZE_PAGE, &B::new().u32(700).u16(4).done()),
            "cutoff xid 700 ntuples 4"
        );
        assert_eq!(
            desc(V, RM_HEAP2_ID, XLOG_HEAP2_VISIBLE, &B::new().u32(750).u8(3).done()),
            "cutoff xid 750 flags 0x03"
        );
        let mi = B::new().u8(XLH_INSERT_LAST_IN_MULTI).u8(0).u16(3).u16(1).u16(2).u16(3).done();
        assert_eq!(desc(V, RM_HEAP2_ID, XLOG_HEAP2_MULTI_INSERT, &mi), "3 tuples flags 0x02");
        let lu = B::new().u32(761).u16(4).u8(XLHL_XMAX_KEYSHR_LOCK).u8(0).done();
        assert_eq!(
            desc(V, RM_HEAP2_ID, XLOG_HEAP2_LOCK_UPDATED, &lu),
            "off 4: xmax 761: flags 0x00 KEYSHR_LOCK "
        );
        let nc = B::new()
            .u32(770)
            .u32(0)
            .u32(u32::MAX)
            .u32(u32::MAX)
            .u32(1663)
            .u32(5)
            .u32(1259)
            .u16(1)
            .u16(2)
            .u16(7)
            .done();
        assert_eq!(
            desc(V, RM_HEAP2_ID, XLOG_HEAP2_NEW_CID, &nc),
            "rel 1663/5/1259; tid 65538/7; cmin: 0, cmax: 4294967295, combo: 4294967295"
        );
        assert_eq!(desc(V, RM_HEAP2_ID, XLOG_HEAP2_REWRITE, &[]), "");
    }

    #[test]
    fn prune_v17() {
        let v = PgVersion::V17;
        let flags = XLHP_HAS_CONFLICT_HORIZON
            | XLHP_IS_CATALOG_REL
            | XLHP_HAS_FREEZE_PLANS
            | XLHP_HAS_REDIRECTIONS
            | XLHP_HAS_DEAD_ITEMS
            | XLHP_HAS_NOW_UNUSED_ITEMS;
        let d = B::new().u8(0).u8(flags).u32(790).done();
        let blk = B::new()
            .u16(1)
            .zeros(2)
            .u32(0)
            .u16(0x0800)
            .u16(0x0B00)
            .u8(0)
            .u8(0)
            .u16(2)
            .u16(1)
            .u16(1)
            .u16(3)
            .u16(1)
            .u16(4)
            .u16(2)
            .u16(5)
            .u16(6)
            .u16(7)
            .u16(8)
            .done();
        assert_eq!(
            desc_blk(v, RM_HEAP2_ID, XLOG_HEAP2_PRUNE_VACUUM_SCAN, &d, false, Some(&blk)),
            "snapshotConflictHorizon: 790, isCatalogRel: T, nplans: 1, nredirected: 1, \
             ndead: 1, nunused: 2, plans: [{ xmax: 0, infomask: 2816, infomask2: 2048, \
             ntuples: 2, offsets: [7, 8] }], redirected: [1->3], dead: [4], unused: [5, 6]"
        );
        assert_eq!(desc(v, RM_HEAP2_ID, XLOG_HEAP2_PRUNE_ON_ACCESS, &[0, 0]), ", isCatalogRel: F");
        assert_eq!(
            desc_blk(v, RM_HEAP2_ID, 0x30, &d, false, Some(&blk[..blk.len() - 1])),
            TRUNCATED
        );
    }

    #[test]
    fn identify_all() {
        assert_eq!(heap_identify(0x00), Some("INSERT"));
        assert_eq!(heap_identify(0x80), Some("INSERT+INIT"));
        assert_eq!(heap_identify(0x10), Some("DELETE"));
        assert_eq!(heap_identify(0x90), None);
        assert_eq!(heap_identify(0x20), Some("UPDATE"));
        assert_eq!(heap_identify(0xA0), Some("UPDATE+INIT"));
        assert_eq!(heap_identify(0x40), Some("HOT_UPDATE"));
        assert_eq!(heap_identify(0xC0), Some("HOT_UPDATE+INIT"));
        assert_eq!(heap_identify(0x30), Some("TRUNCATE"));
        assert_eq!(heap_identify(0x50), Some("HEAP_CONFIRM"));
        assert_eq!(heap_identify(0x60), Some("LOCK"));
        assert_eq!(heap_identify(0x70), Some("INPLACE"));
        assert_eq!(heap_identify(0xF0), None);
        let v = PgVersion::V15;
        assert_eq!(heap2_identify(v, 0x00), Some("REWRITE"));
        assert_eq!(heap2_identify(v, 0x10), Some("PRUNE"));
        assert_eq!(heap2_identify(v, 0x20), Some("VACUUM"));
        assert_eq!(heap2_identify(v, 0x30), Some("FREEZE_PAGE"));
        assert_eq!(heap2_identify(v, 0x40), Some("VISIBLE"));
        assert_eq!(heap2_identify(v, 0x50), Some("MULTI_INSERT"));
        assert_eq!(heap2_identify(v, 0xD0), Some("MULTI_INSERT+INIT"));
        assert_eq!(heap2_identify(v, 0x60), Some("LOCK_UPDATED"));
        assert_eq!(heap2_identify(v, 0x70), Some("NEW_CID"));
        assert_eq!(heap2_identify(v, 0x90), None);
        let v = PgVersion::V17;
        assert_eq!(heap2_identify(v, 0x10), Some("PRUNE_ON_ACCESS"));
        assert_eq!(heap2_identify(v, 0x20), Some("PRUNE_VACUUM_SCAN"));
        assert_eq!(heap2_identify(v, 0x30), Some("PRUNE_VACUUM_CLEANUP"));
        assert_eq!(heap2_identify(PgVersion::V16, 0x30), Some("FREEZE_PAGE"));
    }
}
