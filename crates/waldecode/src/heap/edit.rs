//! The tuple-header edits of heap redo: what `heap_xlog_delete`, `_update`
//! (old tuple), `_lock`, `_lock_updated`, `_confirm` and
//! `heap_execute_freeze_tuple` do to a tuple that stays on its page
//! (heapam.c, heapam_xlog.c from PG 17; the same in PG 14-18). Row data
//! never changes here, but the page tracker must match the server's page
//! byte for byte (see the consistency check in `examples/redo_check.rs`),
//! and a later record may read these fields.
//!
//! Each edit takes the page and the item's offset and returns false when
//! the item is not a normal tuple, as the server would PANIC there.

use super::page::{self, PageBuf};
use super::tuple::{
    HEAP_XMAX_COMMITTED, HEAP_XMAX_EXCL_LOCK, HEAP_XMAX_INVALID, HEAP_XMAX_IS_MULTI,
    HEAP_XMAX_KEYSHR_LOCK, HEAP_XMAX_LOCK_ONLY,
};
use crate::rmgr::heap::{
    XLHL_KEYS_UPDATED, XLHL_XMAX_EXCL_LOCK, XLHL_XMAX_IS_MULTI, XLHL_XMAX_KEYSHR_LOCK,
    XLHL_XMAX_LOCK_ONLY,
};
use crate::rmgr::heap2::{FreezePlan, XLH_FREEZE_XVAC, XLH_INVALID_XVAC};

// htup_details.h
const HEAP_COMBOCID: u16 = 0x0020;
const HEAP_LOCK_MASK: u16 = HEAP_XMAX_EXCL_LOCK | HEAP_XMAX_KEYSHR_LOCK;
const HEAP_XMAX_BITS: u16 = HEAP_XMAX_COMMITTED
    | HEAP_XMAX_INVALID
    | HEAP_XMAX_IS_MULTI
    | HEAP_LOCK_MASK
    | HEAP_XMAX_LOCK_ONLY;
const HEAP_MOVED: u16 = 0xC000;
const HEAP_KEYS_UPDATED: u16 = 0x2000;
const HEAP_HOT_UPDATED: u16 = 0x4000;
/// `FrozenTransactionId`.
const FROZEN_XID: u32 = 2;
/// `ItemPointerSetMovedPartitions`: block `InvalidBlockNumber`, offset
/// `MovedPartitionsOffsetNumber`.
const MOVED_PARTITIONS_TID: (u32, u16) = (u32::MAX, 0xFFFD);

/// A tuple header being edited: the 23 bytes of `HeapTupleHeaderData`.
struct Hdr<'a>(&'a mut [u8]);

impl Hdr<'_> {
    fn u16(&self, off: usize) -> u16 {
        u16::from_le_bytes([self.0[off], self.0[off + 1]])
    }
    fn set_u16(&mut self, off: usize, v: u16) {
        self.0[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn infomask(&self) -> u16 {
        self.u16(20)
    }
    fn infomask2(&self) -> u16 {
        self.u16(18)
    }
    fn set_infomask(&mut self, v: u16) {
        self.set_u16(20, v);
    }
    fn set_infomask2(&mut self, v: u16) {
        self.set_u16(18, v);
    }
    fn set_xmin(&mut self, xid: u32) {
        self.set_u32(0, xid);
    }
    fn set_xmax(&mut self, xid: u32) {
        self.set_u32(4, xid);
    }
    /// `t_cid` / `t_xvac` share the field.
    fn set_field3(&mut self, v: u32) {
        self.set_u32(8, v);
    }
    /// `HeapTupleHeaderSetCmax(htup, FirstCommandId, false)`.
    fn set_cmax_first(&mut self) {
        self.set_field3(0);
        let m = self.infomask() & !HEAP_COMBOCID;
        self.set_infomask(m);
    }
    fn set_ctid(&mut self, (blk, off): (u32, u16)) {
        self.set_u16(12, (blk >> 16) as u16);
        self.set_u16(14, blk as u16);
        self.set_u16(16, off);
    }
    /// The common start of delete, update, lock and lock-updated redo:
    /// xmax bits, HEAP_MOVED and KEYS_UPDATED cleared, then
    /// `fix_infomask_from_infobits`.
    fn reset_xmax_bits(&mut self, infobits: u8) {
        let mut m = self.infomask() & !(HEAP_XMAX_BITS | HEAP_MOVED);
        let mut m2 = self.infomask2() & !HEAP_KEYS_UPDATED;
        for (bit, flag) in [
            (XLHL_XMAX_IS_MULTI, HEAP_XMAX_IS_MULTI),
            (XLHL_XMAX_LOCK_ONLY, HEAP_XMAX_LOCK_ONLY),
            (XLHL_XMAX_EXCL_LOCK, HEAP_XMAX_EXCL_LOCK),
            (XLHL_XMAX_KEYSHR_LOCK, HEAP_XMAX_KEYSHR_LOCK),
        ] {
            if infobits & bit != 0 {
                m |= flag;
            }
        }
        if infobits & XLHL_KEYS_UPDATED != 0 {
            m2 |= HEAP_KEYS_UPDATED;
        }
        self.set_infomask(m);
        self.set_infomask2(m2);
    }
    fn set_hot_updated(&mut self, on: bool) {
        let m2 = self.infomask2();
        self.set_infomask2(if on { m2 | HEAP_HOT_UPDATED } else { m2 & !HEAP_HOT_UPDATED });
    }
}

fn with_hdr(p: &mut PageBuf, offnum: u16, f: impl FnOnce(&mut Hdr<'_>)) -> bool {
    match page::tuple_header_mut(p, offnum) {
        Some(h) => {
            f(&mut Hdr(h));
            true
        }
        None => false,
    }
}

/// What `heap_xlog_delete` needs from the record.
pub struct Delete {
    pub tid: (u32, u16),
    pub xmax: u32,
    pub infobits: u8,
    pub is_super: bool,
    pub partition_move: bool,
    pub all_visible_cleared: bool,
    /// The record's xid, for `pd_prune_xid`.
    pub xid: u32,
}

/// `heap_xlog_delete`'s page edit.
pub fn delete(p: &mut PageBuf, d: &Delete) -> bool {
    let ok = with_hdr(p, d.tid.1, |h| {
        h.reset_xmax_bits(d.infobits);
        h.set_hot_updated(false);
        if d.is_super {
            h.set_xmin(0);
        } else {
            h.set_xmax(d.xmax);
        }
        h.set_cmax_first();
        h.set_ctid(if d.partition_move { MOVED_PARTITIONS_TID } else { d.tid });
    });
    page::set_prunable(p, d.xid);
    if d.all_visible_cleared {
        page::set_all_visible(p, false);
    }
    ok
}

/// `heap_xlog_update`'s edit of the old tuple: it now leads to `new_tid`.
#[allow(clippy::too_many_arguments)]
pub fn update_old(
    p: &mut PageBuf,
    offnum: u16,
    xmax: u32,
    infobits: u8,
    hot: bool,
    new_tid: (u32, u16),
    all_visible_cleared: bool,
    xid: u32,
) -> bool {
    let ok = with_hdr(p, offnum, |h| {
        h.reset_xmax_bits(infobits);
        h.set_hot_updated(hot);
        h.set_xmax(xmax);
        h.set_cmax_first();
        h.set_ctid(new_tid);
    });
    page::set_prunable(p, xid);
    if all_visible_cleared {
        page::set_all_visible(p, false);
    }
    ok
}

/// `heap_xlog_lock`: a lock-only xmax also makes the tuple its own latest
/// version again.
pub fn lock(p: &mut PageBuf, tid: (u32, u16), xmax: u32, infobits: u8) -> bool {
    with_hdr(p, tid.1, |h| {
        h.reset_xmax_bits(infobits);
        let m = h.infomask();
        // HEAP_XMAX_IS_LOCKED_ONLY
        let locked_only = m & HEAP_XMAX_LOCK_ONLY != 0
            || m & (HEAP_XMAX_IS_MULTI | HEAP_LOCK_MASK) == HEAP_XMAX_EXCL_LOCK;
        if locked_only {
            h.set_hot_updated(false);
            h.set_ctid(tid);
        }
        h.set_xmax(xmax);
        h.set_cmax_first();
    })
}

/// `heap_xlog_lock_updated`.
pub fn lock_updated(p: &mut PageBuf, offnum: u16, xmax: u32, infobits: u8) -> bool {
    with_hdr(p, offnum, |h| {
        h.reset_xmax_bits(infobits);
        h.set_xmax(xmax);
    })
}

/// `heap_xlog_confirm`: the speculative token in t_ctid becomes the
/// tuple's own position.
pub fn confirm(p: &mut PageBuf, tid: (u32, u16)) -> bool {
    with_hdr(p, tid.1, |h| h.set_ctid(tid))
}

/// `heap_execute_freeze_tuple` for every offset of every plan.
pub fn freeze(p: &mut PageBuf, plans: &[FreezePlan]) -> bool {
    let mut ok = true;
    for plan in plans {
        for &o in &plan.offsets {
            ok &= with_hdr(p, o, |h| {
                h.set_xmax(plan.xmax);
                if plan.frzflags & XLH_FREEZE_XVAC != 0 {
                    h.set_field3(FROZEN_XID);
                }
                if plan.frzflags & XLH_INVALID_XVAC != 0 {
                    h.set_field3(0);
                }
                h.set_infomask(plan.infomask);
                h.set_infomask2(plan.infomask2);
            });
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::BLCKSZ;

    fn page_with_tuple() -> Box<PageBuf> {
        let mut p = Box::new([0u8; BLCKSZ]);
        page::init(&mut p);
        let mut t = vec![0u8; 32];
        t[0..4].copy_from_slice(&100u32.to_le_bytes()); // xmin
        t[18..20].copy_from_slice(&(2u16 | HEAP_KEYS_UPDATED).to_le_bytes());
        t[20..22].copy_from_slice(&(HEAP_XMAX_INVALID | HEAP_COMBOCID).to_le_bytes());
        t[22] = 24;
        assert!(page::add_item(&mut p, 1, &t));
        p
    }

    fn hdr(p: &PageBuf) -> Vec<u8> {
        page::tuple(p, 1).map(|t| t[..23].to_vec()).unwrap_or_default()
    }

    #[test]
    fn delete_sets_xmax_ctid_and_bits() {
        let mut p = page_with_tuple();
        let d = Delete {
            tid: (7, 1),
            xmax: 200,
            infobits: XLHL_KEYS_UPDATED,
            is_super: false,
            partition_move: false,
            all_visible_cleared: true,
            xid: 200,
        };
        assert!(delete(&mut p, &d));
        let h = hdr(&p);
        assert_eq!(u32::from_le_bytes([h[4], h[5], h[6], h[7]]), 200);
        assert_eq!(&h[12..18], &[0, 0, 7, 0, 1, 0]);
        assert_eq!(u16::from_le_bytes([h[20], h[21]]), 0, "xmax bits and combocid cleared");
        assert_eq!(u16::from_le_bytes([h[18], h[19]]), 2 | HEAP_KEYS_UPDATED);
        assert_eq!(u32::from_le_bytes([p[20], p[21], p[22], p[23]]), 200, "prunable");
        let d = Delete { tid: (7, 2), ..d };
        assert!(!delete(&mut p, &d), "no item 2");
    }

    #[test]
    fn lock_only_resets_ctid_freeze_sets_masks() {
        let mut p = page_with_tuple();
        assert!(update_old(&mut p, 1, 300, 0, true, (9, 4), false, 300));
        assert_eq!(&hdr(&p)[12..18], &[0, 0, 9, 0, 4, 0]);
        assert!(lock(&mut p, (7, 1), 301, XLHL_XMAX_LOCK_ONLY));
        let h = hdr(&p);
        assert_eq!(&h[12..18], &[0, 0, 7, 0, 1, 0]);
        assert_eq!(u16::from_le_bytes([h[18], h[19]]) & HEAP_HOT_UPDATED, 0);
        let plan = FreezePlan {
            xmax: 0,
            infomask2: 2,
            infomask: 0x0B00,
            frzflags: XLH_FREEZE_XVAC,
            offsets: vec![1],
        };
        assert!(freeze(&mut p, std::slice::from_ref(&plan)));
        let h = hdr(&p);
        assert_eq!(&h[4..12], &[0, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(u16::from_le_bytes([h[20], h[21]]), 0x0B00);
        assert!(!freeze(&mut p, &[FreezePlan { offsets: vec![5], ..plan }]));
    }
}
