//! The Heap2 resource manager (`access/heapam_xlog.h`): opcodes and flags,
//! the typed records — parsed once, for the WAL's major version, and used
//! by the description here, by the page redo in [`crate::heap`] and by the
//! miner — and ports of `heap2_identify` and `heap2_desc` (heapdesc.c).
//!
//! PG 17 replaced PRUNE, VACUUM and FREEZE_PAGE by three PRUNE_* records
//! with one layout ([`XlHeapPruneFreeze`]); they are described as PG 17/18
//! describe them. Everything else follows PostgreSQL 15's text.

use std::fmt::Write;

use super::heap::{
    out_infobits, XlHeapHeader, XLH_INSERT_ON_TOAST_RELATION, XLOG_HEAP_INIT_PAGE, XLOG_HEAP_OPMASK,
};
use super::DescInput;
use crate::bytes::{align_up, Cursor};
use crate::layout::RelFileLocator;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

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

/// Line pointers a prune or vacuum changes, from its block 0 data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneItems {
    /// (from, to) pairs: `from` becomes a redirect to `to`.
    pub redirected: Vec<(u16, u16)>,
    pub dead: Vec<u16>,
    pub unused: Vec<u16>,
}

/// `xl_heap_prune` of PG ≤ 16. Block 0's data: the redirected pairs, the
/// dead offsets, then the now-unused offsets up to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapPrune {
    /// `latestRemovedXid` (`snapshotConflictHorizon` in PG 16).
    pub conflict_xid: u32,
    pub nredirected: u16,
    pub ndead: u16,
}

impl XlHeapPrune {
    pub fn items(&self, blk: &[u8]) -> Option<PruneItems> {
        let mut c = Cursor::new(blk);
        let pairs = c.u16s(2 * usize::from(self.nredirected))?;
        let dead = c.u16s(usize::from(self.ndead))?;
        let unused = c.u16s(c.remaining() / 2)?;
        let redirected = pairs.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        Some(PruneItems { redirected, dead, unused })
    }
}

/// `xl_heap_vacuum` of PG ≤ 16; block 0's data: the now-unused offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapVacuum {
    pub nunused: u16,
}

impl XlHeapVacuum {
    /// The offsets in block 0's data (all of it, as `heap_xlog_vacuum`
    /// takes them).
    pub fn unused(blk: &[u8]) -> Option<Vec<u16>> {
        Cursor::new(blk).u16s(blk.len() / 2)
    }
}

/// `xl_heap_freeze_page` of PG ≤ 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapFreezePage {
    /// `cutoff_xid` (`snapshotConflictHorizon` in PG 16).
    pub cutoff_xid: u32,
    /// `ntuples` (`nplans` in PG 16).
    pub count: u16,
}

impl XlHeapFreezePage {
    /// Block 0's data as freeze plans: PG 16 logs `count` plans
    /// (`xl_heap_freeze_plan`, 12 bytes) then their offsets, plan by plan;
    /// PG 14 and 15 log `count` tuples (`xl_heap_freeze_tuple`, 12 bytes:
    /// xmax, offset, infomask2, infomask, frzflags), each a plan of one.
    pub fn plans(&self, version: PgVersion, blk: &[u8]) -> Option<Vec<FreezePlan>> {
        let mut c = Cursor::new(blk);
        let mut plans = Vec::with_capacity(usize::from(self.count));
        if version.freeze_page_has_plans() {
            let mut counts = Vec::with_capacity(plans.capacity());
            for _ in 0..self.count {
                let xmax = c.u32()?;
                let infomask2 = c.u16()?;
                let infomask = c.u16()?;
                let frzflags = c.u8()?;
                c.skip(1)?;
                counts.push(usize::from(c.u16()?));
                plans.push(FreezePlan { xmax, infomask2, infomask, frzflags, offsets: Vec::new() });
            }
            for (plan, n) in plans.iter_mut().zip(counts) {
                plan.offsets = c.u16s(n)?;
            }
        } else {
            for _ in 0..self.count {
                let xmax = c.u32()?;
                let offset = c.u16()?;
                let infomask2 = c.u16()?;
                let infomask = c.u16()?;
                let frzflags = c.u8()?;
                c.skip(1)?;
                plans.push(FreezePlan {
                    xmax,
                    infomask2,
                    infomask,
                    frzflags,
                    offsets: vec![offset],
                });
            }
        }
        Some(plans)
    }
}

/// One freeze plan (`xlhp_freeze_plan`) and the offsets it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezePlan {
    pub xmax: u32,
    pub infomask2: u16,
    pub infomask: u16,
    pub frzflags: u8,
    pub offsets: Vec<u16>,
}

/// `xl_heap_prune` of PG 17+, used by all three PRUNE_* records: pruning,
/// vacuuming and freezing in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapPruneFreeze {
    pub reason: u8,
    pub flags: u8,
    pub conflict_xid: Option<u32>,
}

impl XlHeapPruneFreeze {
    /// Block 0's data, as `heap_xlog_deserialize_prune_and_freeze` reads
    /// it: freeze plans (count, 2 pad bytes, 12-byte plans), redirections,
    /// dead and now-unused items (each a u16 count and offsets), then the
    /// frozen offsets, plan by plan.
    pub fn items(&self, blk: &[u8]) -> Option<(Vec<FreezePlan>, PruneItems)> {
        let mut c = Cursor::new(blk);
        let mut plans = Vec::new();
        let mut counts = Vec::new();
        if self.flags & XLHP_HAS_FREEZE_PLANS != 0 {
            let n = c.u16()?;
            c.skip(2)?;
            for _ in 0..n {
                let xmax = c.u32()?;
                let infomask2 = c.u16()?;
                let infomask = c.u16()?;
                let frzflags = c.u8()?;
                c.skip(1)?;
                counts.push(usize::from(c.u16()?));
                plans.push(FreezePlan { xmax, infomask2, infomask, frzflags, offsets: Vec::new() });
            }
        }
        let mut list = |flag: u8, per: usize| -> Option<Vec<u16>> {
            if self.flags & flag == 0 {
                return Some(Vec::new());
            }
            let n = usize::from(c.u16()?);
            c.u16s(n * per)
        };
        let pairs = list(XLHP_HAS_REDIRECTIONS, 2)?;
        let dead = list(XLHP_HAS_DEAD_ITEMS, 1)?;
        let unused = list(XLHP_HAS_NOW_UNUSED_ITEMS, 1)?;
        for (plan, n) in plans.iter_mut().zip(counts) {
            plan.offsets = c.u16s(n)?;
        }
        let redirected = pairs.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        Some((plans, PruneItems { redirected, dead, unused }))
    }
}

/// `xl_heap_visible`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapVisible {
    pub cutoff_xid: u32,
    pub flags: u8,
}

/// `xl_heap_multi_insert`: the offsets follow unless the page is
/// initialized (then they are 1..=ntuples); block 0's data holds the
/// tuples ([`XlHeapMultiInsert::tuples`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapMultiInsert<'a> {
    pub flags: u8,
    pub ntuples: u16,
    offsets: &'a [u8],
}

impl<'a> XlHeapMultiInsert<'a> {
    pub fn on_toast_relation(&self) -> bool {
        self.flags & XLH_INSERT_ON_TOAST_RELATION != 0
    }

    /// The offsets the tuples go to; `None` when the data holds fewer.
    pub fn offsets(&self, init_page: bool) -> Option<Vec<u16>> {
        if init_page {
            Some((1..=self.ntuples).collect())
        } else {
            Cursor::new(self.offsets).u16s(usize::from(self.ntuples))
        }
    }

    /// The `ntuples` tuples of block 0's data, each `SHORTALIGN`ed: a
    /// `xl_multi_insert_tuple` (length, infomask2, infomask, hoff) and the
    /// tuple's bytes from offset 23. After the first that does not fit,
    /// every further one is `None`.
    pub fn tuples(&self, blk: &'a [u8]) -> impl Iterator<Item = Option<MultiInsertTuple<'a>>> {
        let mut pos = Some(0usize);
        (0..self.ntuples).map(move |_| {
            let t = pos.and_then(|p| {
                let mut c = Cursor::at(blk, align_up(p, 2)?);
                let len = usize::from(c.u16()?);
                let header = XlHeapHeader::read(&mut c)?;
                let data = c.bytes(len)?;
                Some((MultiInsertTuple { header, data }, c.pos()))
            });
            pos = t.map(|(_, end)| end);
            t.map(|(t, _)| t)
        })
    }
}

/// One tuple of a multi-insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiInsertTuple<'a> {
    pub header: XlHeapHeader,
    /// The tuple's bytes from offset 23.
    pub data: &'a [u8],
}

/// `xl_heap_lock_updated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapLockUpdated {
    pub xmax: u32,
    pub offnum: u16,
    pub infobits_set: u8,
    pub flags: u8,
}

/// `xl_heap_new_cid`: command ids of a catalog tuple, for logical decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapNewCid {
    pub top_xid: u32,
    pub cmin: u32,
    pub cmax: u32,
    pub combocid: u32,
    pub target: RelFileLocator,
    pub blkno: u32,
    pub offnum: u16,
}

/// A heap2 record, parsed from its info byte and main data for `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heap2Record<'a> {
    /// Logical rewrite mappings; nothing the decoder reads.
    Rewrite,
    Prune(XlHeapPrune),
    Vacuum(XlHeapVacuum),
    FreezePage(XlHeapFreezePage),
    /// PG 17+: PRUNE_ON_ACCESS, PRUNE_VACUUM_SCAN or PRUNE_VACUUM_CLEANUP.
    PruneFreeze(XlHeapPruneFreeze),
    Visible(XlHeapVisible),
    MultiInsert {
        init_page: bool,
        insert: XlHeapMultiInsert<'a>,
    },
    LockUpdated(XlHeapLockUpdated),
    NewCid(XlHeapNewCid),
}

impl<'a> Heap2Record<'a> {
    /// Parses the fixed part of the main data; `None` when it is too short.
    pub fn parse(version: PgVersion, info: u8, d: &'a [u8]) -> Option<Heap2Record<'a>> {
        let mut c = Cursor::new(d);
        let op = info & XLOG_HEAP_OPMASK;
        if version.has_prune_freeze_records()
            && matches!(
                op,
                XLOG_HEAP2_PRUNE_ON_ACCESS
                    | XLOG_HEAP2_PRUNE_VACUUM_SCAN
                    | XLOG_HEAP2_PRUNE_VACUUM_CLEANUP
            )
        {
            let reason = c.u8()?;
            let flags = c.u8()?;
            let conflict_xid =
                if flags & XLHP_HAS_CONFLICT_HORIZON != 0 { Some(c.u32()?) } else { None };
            return Some(Heap2Record::PruneFreeze(XlHeapPruneFreeze {
                reason,
                flags,
                conflict_xid,
            }));
        }
        Some(match op {
            XLOG_HEAP2_REWRITE => Heap2Record::Rewrite,
            XLOG_HEAP2_PRUNE => Heap2Record::Prune(XlHeapPrune {
                conflict_xid: c.u32()?,
                nredirected: c.u16()?,
                ndead: c.u16()?,
            }),
            XLOG_HEAP2_VACUUM => Heap2Record::Vacuum(XlHeapVacuum { nunused: c.u16()? }),
            XLOG_HEAP2_FREEZE_PAGE => {
                Heap2Record::FreezePage(XlHeapFreezePage { cutoff_xid: c.u32()?, count: c.u16()? })
            }
            XLOG_HEAP2_VISIBLE => {
                Heap2Record::Visible(XlHeapVisible { cutoff_xid: c.u32()?, flags: c.u8()? })
            }
            XLOG_HEAP2_MULTI_INSERT => {
                let flags = c.u8()?;
                c.skip(1)?;
                let ntuples = c.u16()?;
                Heap2Record::MultiInsert {
                    init_page: info & XLOG_HEAP_INIT_PAGE != 0,
                    insert: XlHeapMultiInsert { flags, ntuples, offsets: c.bytes(c.remaining())? },
                }
            }
            XLOG_HEAP2_LOCK_UPDATED => Heap2Record::LockUpdated(XlHeapLockUpdated {
                xmax: c.u32()?,
                offnum: c.u16()?,
                infobits_set: c.u8()?,
                flags: c.u8()?,
            }),
            _ => {
                let top_xid = c.u32()?;
                let (cmin, cmax, combocid) = (c.u32()?, c.u32()?, c.u32()?);
                let target = RelFileLocator { spc: c.u32()?, db: c.u32()?, rel: c.u32()? };
                // ItemPointerData: bi_hi, bi_lo, posid.
                let hi = u32::from(c.u16()?);
                let lo = u32::from(c.u16()?);
                Heap2Record::NewCid(XlHeapNewCid {
                    top_xid,
                    cmin,
                    cmax,
                    combocid,
                    target,
                    blkno: hi << 16 | lo,
                    offnum: c.u16()?,
                })
            }
        })
    }
}

/// Port of `heap2_identify` (heapdesc.c); the PG 17 prune names replace
/// PRUNE, VACUUM and FREEZE_PAGE from PG 17 on.
pub fn identify(version: PgVersion, info: u8) -> Option<&'static str> {
    let v17 = version.has_prune_freeze_records();
    Some(match info & !XLR_INFO_MASK {
        XLOG_HEAP2_PRUNE_ON_ACCESS if v17 => "PRUNE_ON_ACCESS",
        XLOG_HEAP2_PRUNE_VACUUM_SCAN if v17 => "PRUNE_VACUUM_SCAN",
        XLOG_HEAP2_PRUNE_VACUUM_CLEANUP if v17 => "PRUNE_VACUUM_CLEANUP",
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

/// Port of `heap2_desc` (heapdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let rec = Heap2Record::parse(input.version, input.info, input.main_data)?;
    if let Heap2Record::PruneFreeze(r) = rec {
        return prune_freeze_desc(&r, input.block0_data, buf);
    }
    if input.version.keyed_descriptions() {
        return super::desc16::heap2(input, buf);
    }
    match rec {
        Heap2Record::Rewrite | Heap2Record::PruneFreeze(_) => {}
        Heap2Record::Prune(r) => {
            let _ = write!(
                buf,
                "latestRemovedXid {} nredirected {} ndead {}",
                r.conflict_xid, r.nredirected, r.ndead
            );
        }
        Heap2Record::Vacuum(r) => {
            let _ = write!(buf, "nunused {}", r.nunused);
        }
        Heap2Record::FreezePage(r) => {
            let what = if input.version.freeze_page_has_plans() { "nplans" } else { "ntuples" };
            let _ = write!(buf, "cutoff xid {} {what} {}", r.cutoff_xid, r.count);
        }
        Heap2Record::Visible(r) => {
            let _ = write!(buf, "cutoff xid {} flags 0x{:02X}", r.cutoff_xid, r.flags);
        }
        Heap2Record::MultiInsert { insert, .. } => {
            let _ = write!(buf, "{} tuples flags 0x{:02X}", insert.ntuples, insert.flags);
        }
        Heap2Record::LockUpdated(r) => {
            let _ = write!(buf, "off {}: xmax {}: flags 0x{:02X} ", r.offnum, r.xmax, r.flags);
            out_infobits(buf, r.infobits_set);
        }
        Heap2Record::NewCid(r) => {
            let t = r.target;
            let _ = write!(
                buf,
                "rel {}/{}/{}; tid {}/{}; cmin: {}, cmax: {}, combo: {}",
                t.spc, t.db, t.rel, r.blkno, r.offnum, r.cmin, r.cmax, r.combocid
            );
        }
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
/// PG 17/18 heapdesc.c.
fn prune_freeze_desc(r: &XlHeapPruneFreeze, blk: Option<&[u8]>, buf: &mut String) -> Option<()> {
    if let Some(xid) = r.conflict_xid {
        let _ = write!(buf, "snapshotConflictHorizon: {xid}");
    }
    let catalog = if r.flags & XLHP_IS_CATALOG_REL != 0 { 'T' } else { 'F' };
    let _ = write!(buf, ", isCatalogRel: {catalog}");
    let Some(blk) = blk.filter(|b| !b.is_empty()) else {
        return Some(());
    };
    let (plans, items) = r.items(blk)?;
    let _ = write!(
        buf,
        ", nplans: {}, nredirected: {}, ndead: {}, nunused: {}",
        plans.len(),
        items.redirected.len(),
        items.dead.len(),
        items.unused.len()
    );
    if !plans.is_empty() {
        buf.push_str(", plans: [");
        for (i, p) in plans.iter().enumerate() {
            if i > 0 {
                buf.push_str(", ");
            }
            let _ = write!(
                buf,
                "{{ xmax: {}, infomask: {}, infomask2: {}, ntuples: {}, offsets:",
                p.xmax,
                p.infomask,
                p.infomask2,
                p.offsets.len()
            );
            offsets_desc(buf, &p.offsets);
            buf.push_str(" }");
        }
        buf.push(']');
    }
    if !items.redirected.is_empty() {
        buf.push_str(", redirected: [");
        for (i, (from, to)) in items.redirected.iter().enumerate() {
            if i > 0 {
                buf.push_str(", ");
            }
            let _ = write!(buf, "{from}->{to}");
        }
        buf.push(']');
    }
    if !items.dead.is_empty() {
        buf.push_str(", dead:");
        offsets_desc(buf, &items.dead);
    }
    if !items.unused.is_empty() {
        buf.push_str(", unused:");
        offsets_desc(buf, &items.unused);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::heap::{XLHL_XMAX_KEYSHR_LOCK, XLH_INSERT_LAST_IN_MULTI};
    use crate::rmgr::testing::{desc, desc_blk, B};
    use crate::rmgr::{RM_HEAP2_ID, TRUNCATED};

    const V: PgVersion = PgVersion::V15;

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
        let v = PgVersion::V15;
        assert_eq!(identify(v, 0x00), Some("REWRITE"));
        assert_eq!(identify(v, 0x10), Some("PRUNE"));
        assert_eq!(identify(v, 0x20), Some("VACUUM"));
        assert_eq!(identify(v, 0x30), Some("FREEZE_PAGE"));
        assert_eq!(identify(v, 0x40), Some("VISIBLE"));
        assert_eq!(identify(v, 0x50), Some("MULTI_INSERT"));
        assert_eq!(identify(v, 0xD0), Some("MULTI_INSERT+INIT"));
        assert_eq!(identify(v, 0x60), Some("LOCK_UPDATED"));
        assert_eq!(identify(v, 0x70), Some("NEW_CID"));
        assert_eq!(identify(v, 0x90), None);
        let v = PgVersion::V17;
        assert_eq!(identify(v, 0x10), Some("PRUNE_ON_ACCESS"));
        assert_eq!(identify(v, 0x20), Some("PRUNE_VACUUM_SCAN"));
        assert_eq!(identify(v, 0x30), Some("PRUNE_VACUUM_CLEANUP"));
        assert_eq!(identify(PgVersion::V16, 0x30), Some("FREEZE_PAGE"));
    }

    #[test]
    fn typed_records_for_redo() {
        // PG <= 16 prune: one redirect, one dead, two unused.
        let md = B::new().u32(745).u16(1).u16(1).done();
        let Some(Heap2Record::Prune(p)) = Heap2Record::parse(V, XLOG_HEAP2_PRUNE, &md) else {
            panic!("not a prune")
        };
        let blk = B::new().u16(1).u16(3).u16(4).u16(5).u16(6).done();
        let items = p.items(&blk).unwrap();
        assert_eq!(items.redirected, vec![(1, 3)]);
        assert_eq!((items.dead, items.unused), (vec![4], vec![5, 6]));
        assert_eq!(p.items(&blk[..5]), None);
        // Multi-insert: offsets, and tuples each SHORTALIGNed.
        let md = B::new().u8(0).u8(0).u16(2).u16(7).u16(9).done();
        let Some(Heap2Record::MultiInsert { init_page: false, insert }) =
            Heap2Record::parse(V, XLOG_HEAP2_MULTI_INSERT, &md)
        else {
            panic!("not a multi-insert")
        };
        assert_eq!(insert.offsets(false), Some(vec![7, 9]));
        assert_eq!(insert.offsets(true), Some(vec![1, 2]));
        // "ab" ends at byte 9; the second tuple starts at 10.
        let blk = B::new()
            .u16(2)
            .u16(1)
            .u16(0)
            .u8(24)
            .bytes(b"ab")
            .u8(0)
            .u16(1)
            .u16(1)
            .u16(0)
            .u8(24)
            .bytes(b"c")
            .done();
        let ts: Vec<_> = insert.tuples(&blk).collect();
        assert_eq!(ts[0].map(|t| t.data), Some(&b"ab"[..]));
        assert_eq!(ts[1].map(|t| t.data), Some(&b"c"[..]));
        let ts: Vec<_> = insert.tuples(&blk[..17]).collect();
        assert!(ts[0].is_some() && ts[1].is_none());
    }
}
