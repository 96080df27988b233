//! The server's own yardstick for heap redo: with `wal_consistency_checking
//! = 'heap,heap2'` every heap record carries an image of each page it
//! changed (not applied by redo), and a standby compares that image with
//! its replayed page after masking what may legitimately differ. This is
//! a port of that masking — `heap_mask` (heapam.c) with
//! `mask_page_lsn_and_checksum`, `mask_page_hint_bits` and
//! `mask_unused_space` (bufmask.c), the same in PG 14-18 — so the page
//! tracker can be checked against the server the same way
//! (`examples/redo_check.rs`).

use super::page::{self, PageBuf, LP_NORMAL, PD_ALL_VISIBLE, PD_HAS_FREE_LINES, PD_PAGE_FULL};
use super::tuple::{HEAP_XMAX_COMMITTED, HEAP_XMAX_INVALID};
use crate::bytes::{maxalign, u16_at};
use crate::layout::BLCKSZ;

/// `MASK_MARKER`.
const MASK_MARKER: u8 = 0;
// t_infomask (htup_details.h).
const HEAP_XACT_MASK: u16 = 0xFFF0;
const HEAP_XMIN_FROZEN: u16 = 0x0300;
/// `SpecTokenOffsetNumber`: t_ctid's offset while an insert is speculative.
const SPEC_TOKEN_OFFSET: u16 = 0xFFFE;

/// `heap_mask`. False when the page header is invalid (the server raises
/// ERROR in `mask_unused_space`).
pub fn heap_mask(p: &mut PageBuf, blkno: u32) -> bool {
    // mask_page_lsn_and_checksum
    p[0..8].fill(MASK_MARKER);
    p[8..10].fill(MASK_MARKER);
    // mask_page_hint_bits
    p[20..24].fill(MASK_MARKER);
    let flags = u16_at(p, 10).unwrap_or(0) & !(PD_PAGE_FULL | PD_HAS_FREE_LINES | PD_ALL_VISIBLE);
    p[10..12].copy_from_slice(&flags.to_le_bytes());
    // mask_unused_space
    let (lower, upper) = (page::lower(p), page::upper(p));
    let special = usize::from(u16_at(p, 16).unwrap_or(0));
    if lower > upper || special < upper || lower < 24 || special > BLCKSZ {
        return false;
    }
    p[lower..upper].fill(MASK_MARKER);
    for off in 1..=page::max_offset(p) as u16 {
        let Some((item_off, flags, len)) = page::item(p, off) else { continue };
        if flags == LP_NORMAL && item_off + 23 <= BLCKSZ {
            let t = &mut p[item_off..item_off + 23];
            let mut infomask = u16::from_le_bytes([t[20], t[21]]);
            if infomask & HEAP_XMIN_FROZEN != HEAP_XMIN_FROZEN {
                infomask &= !HEAP_XACT_MASK;
            } else {
                infomask &= !(HEAP_XMAX_INVALID | HEAP_XMAX_COMMITTED);
            }
            t[20..22].copy_from_slice(&infomask.to_le_bytes());
            t[8..12].fill(MASK_MARKER);
            if u16::from_le_bytes([t[16], t[17]]) == SPEC_TOKEN_OFFSET {
                t[12..14].copy_from_slice(&((blkno >> 16) as u16).to_le_bytes());
                t[14..16].copy_from_slice(&(blkno as u16).to_le_bytes());
                t[16..18].copy_from_slice(&off.to_le_bytes());
            }
        }
        // ItemIdHasStorage: padding after the item up to MAXALIGN.
        if len > 0 {
            let end = maxalign(len).map_or(BLCKSZ, |a| (item_off + a).min(BLCKSZ));
            if item_off + len < end {
                p[item_off + len..end].fill(MASK_MARKER);
            }
        }
    }
    true
}

/// Compares two versions of heap page `blkno` as the server's consistency
/// check does: `None` when equal after [`heap_mask`], else the first
/// differing byte offset (0 when a header is invalid).
pub fn first_difference(a: &PageBuf, b: &PageBuf, blkno: u32) -> Option<usize> {
    let (mut a, mut b) = (Box::new(*a), Box::new(*b));
    if !heap_mask(&mut a, blkno) || !heap_mask(&mut b, blkno) {
        return Some(0);
    }
    a.iter().zip(b.iter()).position(|(x, y)| x != y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hints_but_not_data() {
        let mut p = [0u8; BLCKSZ];
        page::init(&mut p);
        let mut t = vec![0u8; 27];
        t[0] = 5; // xmin
        t[22] = 24;
        t[23..27].copy_from_slice(b"data");
        assert!(page::add_item(&mut p, 1, &t));
        let mut q = p;
        // LSN, prune xid, hint flags, hint bits, cid and padding differ.
        q[3] = 9;
        q[20] = 7;
        q[10] = 0x07;
        let off = page::item(&q, 1).map(|i| i.0).unwrap_or(0);
        q[off + 20] |= 0x01 << 4 | 0x09; // XMAX_KEYSHR_LOCK, HASNULL|HASOID_OLD
        q[off + 8] = 3;
        q[off + 27] = 0xEE;
        q[100] = 1; // unused space
        let diff = first_difference(&p, &q, 0);
        assert_eq!(diff, Some(off + 20), "only the infomask's low bits count");
        q[off + 20] &= 0xF0;
        assert_eq!(first_difference(&p, &q, 0), None);
        q[off + 24] = b'X';
        assert_eq!(first_difference(&p, &q, 0), Some(off + 24));
        let mut bad = [0xFFu8; BLCKSZ];
        assert!(!heap_mask(&mut bad, 0));
    }
}
