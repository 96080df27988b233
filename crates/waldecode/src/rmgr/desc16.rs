//! Descriptions as PostgreSQL 16 and later word them: 16 rewrote the text
//! of heapdesc.c and nbtdesc.c as `key: value` lists with arrays
//! (rmgrdesc_utils.c `array_desc`), so pg_walinspect and pg_waldump of
//! those majors print, e.g., `off: 3, flags: 0x00` where 15 printed
//! `off 3 flags 0x00`. The heap, heap2 and btree modules call these for
//! WAL of 16+ ([`crate::PgVersion::keyed_descriptions`]); 17's PRUNE_*
//! records are described in [`super::heap2`].

use std::fmt::Write;

use super::btree::{
    XLOG_BTREE_DEDUP, XLOG_BTREE_DELETE, XLOG_BTREE_INSERT_LEAF, XLOG_BTREE_INSERT_META,
    XLOG_BTREE_INSERT_POST, XLOG_BTREE_INSERT_UPPER, XLOG_BTREE_MARK_PAGE_HALFDEAD,
    XLOG_BTREE_META_CLEANUP, XLOG_BTREE_NEWROOT, XLOG_BTREE_REUSE_PAGE, XLOG_BTREE_SPLIT_L,
    XLOG_BTREE_SPLIT_R, XLOG_BTREE_UNLINK_PAGE, XLOG_BTREE_UNLINK_PAGE_META, XLOG_BTREE_VACUUM,
};
use super::heap::{
    HeapRecord, XLHL_KEYS_UPDATED, XLHL_XMAX_EXCL_LOCK, XLHL_XMAX_IS_MULTI, XLHL_XMAX_KEYSHR_LOCK,
    XLHL_XMAX_LOCK_ONLY, XLH_TRUNCATE_CASCADE, XLH_TRUNCATE_RESTART_SEQS,
};
use super::heap2::{Heap2Record, XlHeapFreezePage};
use super::standby::desc_invalidations;
use super::text::full_xid;
use super::DescInput;
use crate::bytes::{u16_at, u32_at, u64_at, Cursor};
use crate::record::XLR_INFO_MASK;

/// `array_desc` (rmgrdesc_utils.c): ` [a, b, c]`, ` []` when empty.
pub(crate) fn array_desc<T>(buf: &mut String, items: &[T], mut elem: impl FnMut(&mut String, &T)) {
    buf.push_str(" [");
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            buf.push_str(", ");
        }
        elem(buf, it);
    }
    buf.push(']');
}

fn offsets(buf: &mut String, offs: &[u16]) {
    array_desc(buf, offs, |b, o| {
        let _ = write!(b, "{o}");
    });
}

fn redirects(buf: &mut String, pairs: &[(u16, u16)]) {
    array_desc(buf, pairs, |b, (from, to)| {
        let _ = write!(b, "{from}->{to}");
    });
}

/// `infobits_desc` (heapdesc.c): `name: [LOCK_ONLY, EXCL_LOCK]`.
fn infobits(buf: &mut String, bits: u8, name: &str) {
    let names: Vec<&str> = [
        (XLHL_XMAX_IS_MULTI, "IS_MULTI"),
        (XLHL_XMAX_LOCK_ONLY, "LOCK_ONLY"),
        (XLHL_XMAX_EXCL_LOCK, "EXCL_LOCK"),
        (XLHL_XMAX_KEYSHR_LOCK, "KEYSHR_LOCK"),
        (XLHL_KEYS_UPDATED, "KEYS_UPDATED"),
    ]
    .into_iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| n)
    .collect();
    let _ = write!(buf, "{name}: [{}]", names.join(", "));
}

/// `heap_desc` of PG 16-18.
pub fn heap(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    match HeapRecord::parse(input.version, input.info, input.main_data)? {
        HeapRecord::Insert(r) => {
            let _ = write!(buf, "off: {}, flags: 0x{:02X}", r.offnum, r.flags);
        }
        HeapRecord::Delete(r) => {
            let _ = write!(buf, "xmax: {}, off: {}, ", r.xmax, r.offnum);
            infobits(buf, r.infobits_set, "infobits");
            let _ = write!(buf, ", flags: 0x{:02X}", r.flags);
        }
        HeapRecord::Update { update: r, .. } => {
            let _ = write!(buf, "old_xmax: {}, old_off: {}, ", r.old_xmax, r.old_offnum);
            infobits(buf, r.old_infobits_set, "old_infobits");
            let _ = write!(
                buf,
                ", flags: 0x{:02X}, new_xmax: {}, new_off: {}",
                r.flags, r.new_xmax, r.new_offnum
            );
        }
        HeapRecord::Truncate(r) => {
            let names: Vec<&str> =
                [(XLH_TRUNCATE_CASCADE, "CASCADE"), (XLH_TRUNCATE_RESTART_SEQS, "RESTART_SEQS")]
                    .into_iter()
                    .filter(|(b, _)| r.flags & b != 0)
                    .map(|(_, n)| n)
                    .collect();
            let _ = write!(buf, "flags: [{}], nrelids: {}, relids:", names.join(", "), r.nrelids);
            array_desc(buf, &r.relids()?, |b, o| {
                let _ = write!(b, "{o}");
            });
        }
        HeapRecord::Confirm { offnum } => {
            let _ = write!(buf, "off: {offnum}");
        }
        HeapRecord::Lock(r) => {
            let _ = write!(buf, "xmax: {}, off: {}, ", r.xmax, r.offnum);
            infobits(buf, r.infobits_set, "infobits");
            let _ = write!(buf, ", flags: 0x{:02X}", r.flags);
        }
        HeapRecord::Inplace(r) => {
            let _ = write!(buf, "off: {}", r.offnum);
            if let Some((db, ts, init, nmsgs, msgs)) = r.invals {
                desc_invalidations(buf, nmsgs, msgs, db, ts, init)?;
            }
        }
    }
    Some(())
}

/// `heap2_desc` of PG 16 (and of 17-18 but for their PRUNE_* records).
pub fn heap2(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let blk = input.block0_data;
    match Heap2Record::parse(input.version, input.info, input.main_data)? {
        Heap2Record::Rewrite | Heap2Record::PruneFreeze(_) => {}
        Heap2Record::Prune(r) => {
            let _ = write!(
                buf,
                "snapshotConflictHorizon: {}, nredirected: {}, ndead: {}",
                r.conflict_xid, r.nredirected, r.ndead
            );
            if let Some(d) = blk {
                let items = r.items(d)?;
                let _ = write!(buf, ", nunused: {}, redirected:", items.unused.len());
                redirects(buf, &items.redirected);
                buf.push_str(", dead:");
                offsets(buf, &items.dead);
                buf.push_str(", unused:");
                offsets(buf, &items.unused);
            }
        }
        Heap2Record::Vacuum(r) => {
            let _ = write!(buf, "nunused: {}", r.nunused);
            if let Some(d) = blk {
                buf.push_str(", unused:");
                offsets(buf, &Cursor::new(d).u16s(usize::from(r.nunused))?);
            }
        }
        Heap2Record::FreezePage(r) => freeze_page(buf, &r, input, blk)?,
        Heap2Record::Visible(r) => {
            let _ =
                write!(buf, "snapshotConflictHorizon: {}, flags: 0x{:02X}", r.cutoff_xid, r.flags);
        }
        Heap2Record::MultiInsert { init_page, insert } => {
            let _ = write!(buf, "ntuples: {}, flags: 0x{:02X}", insert.ntuples, insert.flags);
            if blk.is_some() && !init_page {
                buf.push_str(", offsets:");
                offsets(buf, &insert.offsets(false)?);
            }
        }
        Heap2Record::LockUpdated(r) => {
            let _ = write!(buf, "xmax: {}, off: {}, ", r.xmax, r.offnum);
            infobits(buf, r.infobits_set, "infobits");
            let _ = write!(buf, ", flags: 0x{:02X}", r.flags);
        }
        Heap2Record::NewCid(r) => {
            let t = r.target;
            let _ = write!(
                buf,
                "rel: {}/{}/{}, tid: {}/{}, cmin: {}, cmax: {}, combo: {}",
                t.spc, t.db, t.rel, r.blkno, r.offnum, r.cmin, r.cmax, r.combocid
            );
        }
    }
    Some(())
}

fn freeze_page(
    buf: &mut String,
    r: &XlHeapFreezePage,
    input: &DescInput<'_>,
    blk: Option<&[u8]>,
) -> Option<()> {
    let _ = write!(buf, "snapshotConflictHorizon: {}, nplans: {}", r.cutoff_xid, r.count);
    if let Some(d) = blk {
        buf.push_str(", plans:");
        array_desc(buf, &r.plans(input.version, d)?, |b, p| {
            let _ = write!(
                b,
                "{{ xmax: {}, infomask: {}, infomask2: {}, ntuples: {}, offsets:",
                p.xmax,
                p.infomask,
                p.infomask2,
                p.offsets.len()
            );
            offsets(b, &p.offsets);
            b.push_str(" }");
        });
    }
    Some(())
}

/// `delvacuum_desc` (nbtdesc.c): deleted offsets, then the updated
/// posting-list tuples with the TIDs removed from each.
fn delvacuum(buf: &mut String, d: &[u8], ndeleted: u16, nupdated: u16) -> Option<()> {
    let mut c = Cursor::new(d);
    buf.push_str(", deleted:");
    offsets(buf, &c.u16s(usize::from(ndeleted))?);
    buf.push_str(", updated: [");
    let updated = c.u16s(usize::from(nupdated))?;
    for (i, off) in updated.iter().enumerate() {
        // xl_btree_update: ndeletedtids u16, then that many u16 ptids.
        let n = c.u16()?;
        let ptids = c.u16s(usize::from(n))?;
        let list: Vec<String> = ptids.iter().map(u16::to_string).collect();
        let _ = write!(buf, "{{ off: {off}, nptids: {n}, ptids: [{}] }}", list.join(", "));
        if i + 1 < updated.len() {
            buf.push_str(", ");
        }
    }
    buf.push(']');
    Some(())
}

/// `btree_desc` of PG 16-18; `isCatalogRel` is printed from PG 17 on
/// ([`crate::PgVersion::desc_has_catalog_rel`]).
pub fn btree(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let blk = input.block0_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_BTREE_INSERT_LEAF
        | XLOG_BTREE_INSERT_UPPER
        | XLOG_BTREE_INSERT_META
        | XLOG_BTREE_INSERT_POST => {
            let _ = write!(buf, "off: {}", u16_at(d, 0)?);
        }
        XLOG_BTREE_SPLIT_L | XLOG_BTREE_SPLIT_R => {
            let _ = write!(
                buf,
                "level: {}, firstrightoff: {}, newitemoff: {}, postingoff: {}",
                u32_at(d, 0)?,
                u16_at(d, 4)?,
                u16_at(d, 6)?,
                u16_at(d, 8)?
            );
        }
        XLOG_BTREE_DEDUP => {
            let _ = write!(buf, "nintervals: {}", u16_at(d, 0)?);
        }
        XLOG_BTREE_VACUUM => {
            let (ndeleted, nupdated) = (u16_at(d, 0)?, u16_at(d, 2)?);
            let _ = write!(buf, "ndeleted: {ndeleted}, nupdated: {nupdated}");
            if let Some(b) = blk {
                delvacuum(buf, b, ndeleted, nupdated)?;
            }
        }
        XLOG_BTREE_DELETE => {
            // snapshotConflictHorizon, ndeleted u16, nupdated u16,
            // isCatalogRel bool at 8.
            let (ndeleted, nupdated) = (u16_at(d, 4)?, u16_at(d, 6)?);
            let _ = write!(
                buf,
                "snapshotConflictHorizon: {}, ndeleted: {ndeleted}, nupdated: {nupdated}",
                u32_at(d, 0)?
            );
            if input.version.desc_has_catalog_rel() {
                let _ = write!(buf, ", isCatalogRel: {}", tf(*d.get(8)?));
            }
            if let Some(b) = blk {
                delvacuum(buf, b, ndeleted, nupdated)?;
            }
        }
        XLOG_BTREE_MARK_PAGE_HALFDEAD => {
            let _ = write!(
                buf,
                "topparent: {}, leaf: {}, left: {}, right: {}",
                u32_at(d, 16)?,
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                u32_at(d, 12)?
            );
        }
        XLOG_BTREE_UNLINK_PAGE_META | XLOG_BTREE_UNLINK_PAGE => {
            let _ = write!(
                buf,
                "left: {}, right: {}, level: {}, safexid: {}, leafleft: {}, leafright: {}, \
                 leaftopparent: {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                full_xid(u64_at(d, 16)?),
                u32_at(d, 24)?,
                u32_at(d, 28)?,
                u32_at(d, 32)?
            );
        }
        XLOG_BTREE_NEWROOT => {
            let _ = write!(buf, "level: {}", u32_at(d, 4)?);
        }
        XLOG_BTREE_REUSE_PAGE => {
            // locator (12 bytes), block, snapshotConflictHorizon u64 at 16,
            // isCatalogRel at 24.
            let _ = write!(
                buf,
                "rel: {}/{}/{}, snapshotConflictHorizon: {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                full_xid(u64_at(d, 16)?)
            );
            if input.version.desc_has_catalog_rel() {
                let _ = write!(buf, ", isCatalogRel: {}", tf(*d.get(24)?));
            }
        }
        XLOG_BTREE_META_CLEANUP => {
            let _ = write!(buf, "last_cleanup_num_delpages: {}", u32_at(blk?, 20)?);
        }
        _ => {}
    }
    Some(())
}

fn tf(b: u8) -> char {
    if b != 0 {
        'T'
    } else {
        'F'
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::heap::{XLOG_HEAP_DELETE, XLOG_HEAP_INSERT, XLOG_HEAP_UPDATE};
    use crate::rmgr::heap2::{XLOG_HEAP2_FREEZE_PAGE, XLOG_HEAP2_PRUNE, XLOG_HEAP2_VACUUM};
    use crate::rmgr::testing::{desc, desc_blk, B};
    use crate::rmgr::{RM_BTREE_ID, RM_HEAP2_ID, RM_HEAP_ID};
    use crate::PgVersion::{V15, V16, V17};

    // Expected texts are pg_waldump's of 16.15 and 17.11 on real WAL.
    #[test]
    fn heap_texts() {
        let ins = B::new().u16(2).u8(0).done();
        assert_eq!(desc(V16, RM_HEAP_ID, XLOG_HEAP_INSERT, &ins), "off: 2, flags: 0x00");
        assert_eq!(desc(V15, RM_HEAP_ID, XLOG_HEAP_INSERT, &ins), "off 2 flags 0x00");
        let del = B::new().u32(359).u16(116).u8(XLHL_KEYS_UPDATED).u8(0).done();
        assert_eq!(
            desc(V17, RM_HEAP_ID, XLOG_HEAP_DELETE, &del),
            "xmax: 359, off: 116, infobits: [KEYS_UPDATED], flags: 0x00"
        );
        let upd = B::new().u32(3).u16(34).u8(0).u8(0).u32(0).u16(36).done();
        assert_eq!(
            desc(V16, RM_HEAP_ID, XLOG_HEAP_UPDATE, &upd),
            "old_xmax: 3, old_off: 34, old_infobits: [], flags: 0x00, new_xmax: 0, new_off: 36"
        );
    }

    #[test]
    fn heap2_texts() {
        let prune = B::new().u32(3).u16(0).u16(1).u8(0).done();
        let blk = B::new().u16(34).done();
        assert_eq!(
            desc_blk(V16, RM_HEAP2_ID, XLOG_HEAP2_PRUNE, &prune, false, Some(&blk)),
            "snapshotConflictHorizon: 3, nredirected: 0, ndead: 1, nunused: 0, redirected: [], dead: [34], unused: []"
        );
        let vac = B::new().u16(2).done();
        let blk = B::new().u16(13).u16(14).done();
        assert_eq!(
            desc_blk(V16, RM_HEAP2_ID, XLOG_HEAP2_VACUUM, &vac, false, Some(&blk)),
            "nunused: 2, unused: [13, 14]"
        );
        let frz = B::new().u32(689).u16(1).u8(0).done();
        let blk = B::new().u32(0).u16(31).u16(2817).u8(0).u8(0).u16(2).u16(19).u16(20).done();
        assert_eq!(
            desc_blk(V16, RM_HEAP2_ID, XLOG_HEAP2_FREEZE_PAGE, &frz, false, Some(&blk)),
            "snapshotConflictHorizon: 689, nplans: 1, plans: [{ xmax: 0, infomask: 2817, infomask2: 31, ntuples: 2, offsets: [19, 20] }]"
        );
        assert!(desc_blk(V16, RM_HEAP2_ID, XLOG_HEAP2_FREEZE_PAGE, &frz, false, Some(&blk[..14]))
            .contains("truncated"));
    }

    #[test]
    fn btree_texts() {
        let del = B::new().u32(0).u16(2).u16(0).u8(0).done();
        let blk = B::new().u16(2).u16(5).done();
        assert_eq!(
            desc_blk(V16, RM_BTREE_ID, XLOG_BTREE_DELETE, &del, false, Some(&blk)),
            "snapshotConflictHorizon: 0, ndeleted: 2, nupdated: 0, deleted: [2, 5], updated: []"
        );
        assert_eq!(
            desc_blk(V17, RM_BTREE_ID, XLOG_BTREE_DELETE, &del, false, Some(&blk)),
            "snapshotConflictHorizon: 0, ndeleted: 2, nupdated: 0, isCatalogRel: F, deleted: [2, 5], updated: []"
        );
        let root = B::new().u32(1).u32(0).done();
        assert_eq!(desc(V16, RM_BTREE_ID, XLOG_BTREE_NEWROOT, &root), "level: 0");
    }
}
