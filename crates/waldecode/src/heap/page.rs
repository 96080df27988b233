//! A heap page as redo sees it (`bufpage.h`, `itemid.h`): line pointers,
//! adding items (`PageAddItemExtended`), compaction
//! (`PageRepairFragmentation`) and line-pointer truncation
//! (`PageTruncateLinePointerArray`). Every offset read from the page is
//! checked; a page that does not add up yields `None`/`false`, never a panic.

use std::ops::Range;

use crate::bytes::{maxalign, u16_at};
use crate::layout::BLCKSZ;

const SIZE_OF_PAGE_HEADER: usize = 24;
pub const LP_UNUSED: u8 = 0;
pub const LP_NORMAL: u8 = 1;
pub const LP_REDIRECT: u8 = 2;
pub const LP_DEAD: u8 = 3;

/// One 8 kB page.
pub type PageBuf = [u8; BLCKSZ];

fn put_u16(p: &mut PageBuf, off: usize, v: u16) {
    p[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

pub fn lower(p: &PageBuf) -> usize {
    usize::from(u16_at(p, 12).unwrap_or(0))
}

pub fn upper(p: &PageBuf) -> usize {
    usize::from(u16_at(p, 14).unwrap_or(0))
}

fn special(p: &PageBuf) -> usize {
    usize::from(u16_at(p, 16).unwrap_or(0))
}

/// Number of line pointers (`PageGetMaxOffsetNumber`).
pub fn max_offset(p: &PageBuf) -> usize {
    (lower(p).min(BLCKSZ).saturating_sub(SIZE_OF_PAGE_HEADER)) / 4
}

/// Line pointer `offnum` (1-based): (lp_off, lp_flags, lp_len).
pub fn item(p: &PageBuf, offnum: u16) -> Option<(usize, u8, usize)> {
    let n = usize::from(offnum);
    if n == 0 || n > max_offset(p) {
        return None;
    }
    let at = SIZE_OF_PAGE_HEADER + 4 * (n - 1);
    let w = u32::from_le_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
    Some(((w & 0x7FFF) as usize, ((w >> 15) & 3) as u8, ((w >> 17) & 0x7FFF) as usize))
}

fn set_item(p: &mut PageBuf, offnum: u16, off: usize, flags: u8, len: usize) {
    let at = SIZE_OF_PAGE_HEADER + 4 * (usize::from(offnum) - 1);
    let w = (off as u32 & 0x7FFF) | (u32::from(flags & 3) << 15) | ((len as u32 & 0x7FFF) << 17);
    p[at..at + 4].copy_from_slice(&w.to_le_bytes());
}

/// The bytes of the normal item at `offnum`.
pub fn tuple(p: &PageBuf, offnum: u16) -> Option<&[u8]> {
    let (off, flags, len) = item(p, offnum)?;
    if flags != LP_NORMAL || len == 0 || off < SIZE_OF_PAGE_HEADER {
        return None;
    }
    p.get(off..off + len)
}

/// `PageInit(page, BLCKSZ, 0)`.
pub fn init(p: &mut PageBuf) {
    p.fill(0);
    put_u16(p, 12, SIZE_OF_PAGE_HEADER as u16);
    put_u16(p, 14, BLCKSZ as u16);
    put_u16(p, 16, BLCKSZ as u16);
    put_u16(p, 18, BLCKSZ as u16 | 4);
}

/// Whether the page header is sane enough to edit.
fn sane(p: &PageBuf) -> bool {
    let (l, u, s) = (lower(p), upper(p), special(p));
    SIZE_OF_PAGE_HEADER <= l && l <= u && u <= s && s <= BLCKSZ
}

/// Adds `data` as item `offnum`, as heap redo does (`PageAddItem` with
/// overwrite): the slot must be unused or one past the last. False when
/// the page cannot take it.
pub fn add_item(p: &mut PageBuf, offnum: u16, data: &[u8]) -> bool {
    if !sane(p) || offnum == 0 || data.is_empty() || data.len() > 0x7FFF {
        return false;
    }
    let limit = max_offset(p) + 1;
    let n = usize::from(offnum);
    if n > limit {
        return false;
    }
    let new_lower = if n == limit { lower(p) + 4 } else { lower(p) };
    let Some(new_upper) = maxalign(data.len()).and_then(|n| upper(p).checked_sub(n)) else {
        return false;
    };
    if new_lower > new_upper {
        return false;
    }
    p[new_upper..new_upper + data.len()].copy_from_slice(data);
    put_u16(p, 12, new_lower as u16);
    put_u16(p, 14, new_upper as u16);
    set_item(p, offnum, new_upper, LP_NORMAL, data.len());
    true
}

/// Sets line pointer `offnum` to redirect / dead / unused.
pub fn set_redirect(p: &mut PageBuf, offnum: u16, target: u16) -> bool {
    if item(p, offnum).is_none() {
        return false;
    }
    set_item(p, offnum, usize::from(target), LP_REDIRECT, 0);
    true
}

pub fn set_dead(p: &mut PageBuf, offnum: u16) -> bool {
    if item(p, offnum).is_none() {
        return false;
    }
    set_item(p, offnum, 0, LP_DEAD, 0);
    true
}

pub fn set_unused(p: &mut PageBuf, offnum: u16) -> bool {
    if item(p, offnum).is_none() {
        return false;
    }
    set_item(p, offnum, 0, LP_UNUSED, 0);
    true
}

/// `PageRepairFragmentation` (PG 14+): clears the line pointers marked
/// unused, packs the storage of the others against the special space in
/// line-pointer order (as `compactify_tuples` lays it out, presorted or
/// not), and with `truncate_tail` (PG 15+) cuts the unused line pointers
/// at the end of the array, all of them when none is used. False when the
/// page does not add up (the server raises ERROR there).
pub fn repair_fragmentation(p: &mut PageBuf, truncate_tail: bool) -> bool {
    if !sane(p) || !special(p).is_multiple_of(8) {
        return false;
    }
    // (line pointer, lp_off, lp_flags, lp_len, aligned length) of the
    // items with storage. Like the server, items are moved with their
    // alignment padding.
    let mut items: Vec<(u16, usize, u8, usize, usize)> = Vec::new();
    let mut final_used = 0usize;
    // Whether the items can be moved where they go in place: each one
    // moves up (never down) and lies wholly below the one before it, so a
    // move overwrites neither an item still to move nor one moved (the
    // usual page, whose items were added at falling offsets). Otherwise
    // they are copied from a snapshot of the page.
    let mut in_place = true;
    let (mut up, mut below) = (special(p), special(p));
    for n in 1..=max_offset(p) as u16 {
        let Some((off, flags, len)) = item(p, n) else { return false };
        if flags == LP_UNUSED {
            set_item(p, n, 0, LP_UNUSED, 0);
            continue;
        }
        final_used = usize::from(n);
        if len > 0 {
            let Some(alen) = maxalign(len) else { return false };
            if off < upper(p) || off + alen > special(p) {
                return false;
            }
            let Some(u) = up.checked_sub(alen) else { return false };
            up = u;
            in_place &= off + alen <= below && off <= up;
            below = off;
            items.push((n, off, flags, len, alen));
        }
    }
    let new_lower = if truncate_tail { SIZE_OF_PAGE_HEADER + 4 * final_used } else { lower(p) };
    if up < new_lower {
        return false;
    }
    let mut up = special(p);
    // Runs of items adjacent on the page and in line-pointer order go in
    // one copy each.
    let snapshot = (!in_place).then(|| p[upper(p)..special(p)].to_vec());
    let base = upper(p);
    let (mut head, mut tail) = (up, up);
    let mut dest_end = up;
    for &(n, off, flags, len, alen) in &items {
        if off + alen != head {
            place(p, snapshot.as_deref(), base, head..tail, dest_end);
            dest_end -= tail - head;
            tail = off + alen;
        }
        head = off;
        up -= alen;
        set_item(p, n, up, flags, len);
    }
    place(p, snapshot.as_deref(), base, head..tail, dest_end);
    put_u16(p, 12, new_lower as u16);
    put_u16(p, 14, up as u16);
    true
}

/// Puts the bytes of `span` (page offsets) to end at `end`: from the page
/// itself (a move up, at or above the span's end), or from `snapshot`,
/// the page's bytes from `base` on.
fn place(p: &mut PageBuf, snapshot: Option<&[u8]>, base: usize, span: Range<usize>, end: usize) {
    let start = end - span.len();
    match snapshot {
        Some(s) => p[start..end].copy_from_slice(&s[span.start - base..span.end - base]),
        None if span.end != end => p.copy_within(span, start),
        None => {}
    }
}

/// `PageTruncateLinePointerArray`: drops the unused line pointers at the
/// end of the array, but never the first one.
pub fn truncate_line_pointers(p: &mut PageBuf) {
    let mut n = max_offset(p);
    while n > 1 && item(p, n as u16).is_some_and(|(_, f, _)| f == LP_UNUSED) {
        n -= 1;
    }
    put_u16(p, 12, (SIZE_OF_PAGE_HEADER + 4 * n) as u16);
}

// pd_flags bits (bufpage.h).
pub const PD_HAS_FREE_LINES: u16 = 0x0001;
pub const PD_PAGE_FULL: u16 = 0x0002;
pub const PD_ALL_VISIBLE: u16 = 0x0004;

/// `PageSetAllVisible` / `PageClearAllVisible`.
pub fn set_all_visible(p: &mut PageBuf, on: bool) {
    let flags = u16_at(p, 10).unwrap_or(0);
    put_u16(p, 10, if on { flags | PD_ALL_VISIBLE } else { flags & !PD_ALL_VISIBLE });
}

/// `PageSetPrunable`: `pd_prune_xid` becomes `xid` when unset or newer
/// (modulo-2^32 comparison, `TransactionIdPrecedes`).
pub fn set_prunable(p: &mut PageBuf, xid: u32) {
    let cur = u32::from_le_bytes([p[20], p[21], p[22], p[23]]);
    if cur == 0 || (xid.wrapping_sub(cur) as i32) < 0 {
        p[20..24].copy_from_slice(&xid.to_le_bytes());
    }
}

/// The header of the normal item at `offnum`, to edit in place; `None`
/// unless the item holds at least a whole tuple header.
pub fn tuple_header_mut(p: &mut PageBuf, offnum: u16) -> Option<&mut [u8]> {
    let (off, flags, len) = item(p, offnum)?;
    if flags != LP_NORMAL || len < 23 || off < SIZE_OF_PAGE_HEADER || off + len > BLCKSZ {
        return None;
    }
    p.get_mut(off..off + 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_get_repair_truncate() {
        let mut p = [0u8; BLCKSZ];
        init(&mut p);
        assert!(add_item(&mut p, 1, &[1; 30]));
        assert!(add_item(&mut p, 2, &[2; 50]));
        assert!(add_item(&mut p, 3, &[3; 10]));
        assert!(!add_item(&mut p, 5, &[5; 10]), "gap in line pointers");
        assert_eq!(tuple(&p, 2), Some(&[2u8; 50][..]));
        assert_eq!(max_offset(&p), 3);
        assert_eq!(upper(&p), BLCKSZ - 32 - 56 - 16);
        // Prune item 2, compact, reuse its slot.
        assert!(set_unused(&mut p, 2));
        assert!(repair_fragmentation(&mut p, true));
        assert_eq!(upper(&p), BLCKSZ - 32 - 16);
        assert_eq!(tuple(&p, 1), Some(&[1u8; 30][..]));
        assert_eq!(tuple(&p, 3), Some(&[3u8; 10][..]));
        assert_eq!(tuple(&p, 2), None);
        assert!(add_item(&mut p, 2, &[9; 20]));
        assert_eq!(tuple(&p, 2), Some(&[9u8; 20][..]));
        assert!(set_unused(&mut p, 3));
        assert!(set_unused(&mut p, 2));
        truncate_line_pointers(&mut p);
        assert_eq!(max_offset(&p), 1);
        // Bit layout of a line pointer, as WAL-NOTES verified it.
        set_item(&mut p, 1, 0x1234, 2, 0xABC);
        assert_eq!(u32::from_le_bytes([p[24], p[25], p[26], p[27]]), 0x1579_1234);
    }

    /// PageRepairFragmentation as the snapshot copy it is defined as
    /// (items moved with their padding): what moves in place must equal.
    fn repaired_by_copy(p: &PageBuf, truncate_tail: bool) -> Option<PageBuf> {
        let mut q = *p;
        let mut up = special(p);
        let mut used = 0;
        for n in 1..=max_offset(p) as u16 {
            let (off, flags, len) = item(p, n)?;
            if flags == LP_UNUSED {
                set_item(&mut q, n, 0, LP_UNUSED, 0);
                continue;
            }
            used = usize::from(n);
            if len > 0 {
                let alen = maxalign(len)?;
                up = up.checked_sub(alen)?;
                q[up..up + alen].copy_from_slice(&p[off..off + alen]);
                set_item(&mut q, n, up, flags, len);
            }
        }
        let lower = if truncate_tail { SIZE_OF_PAGE_HEADER + 4 * used } else { lower(p) };
        put_u16(&mut q, 12, lower as u16);
        put_u16(&mut q, 14, up as u16);
        Some(q)
    }

    #[test]
    fn repair_moves_in_place_as_a_copy_would() {
        // Pages of items of varied lengths, some removed, some with their
        // line pointers swapped (items no longer at falling offsets: the
        // snapshot path), from a fixed-seed generator.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m) as usize
        };
        for round in 0..500 {
            let mut p = [0u8; BLCKSZ];
            init(&mut p);
            let mut n = 0u16;
            while add_item(&mut p, n + 1, &vec![(n % 250) as u8 + 1; 1 + next(300)]) {
                n += 1;
            }
            for _ in 0..next(u64::from(n)) {
                let victim = 1 + next(u64::from(n)) as u16;
                match next(3) {
                    0 => set_unused(&mut p, victim),
                    1 => set_dead(&mut p, victim),
                    _ => set_redirect(&mut p, victim, 1),
                };
            }
            if round % 3 == 0 && n >= 2 {
                let (a, b) = (1 + next(u64::from(n)) as u16, 1 + next(u64::from(n)) as u16);
                let (ia, ib) = (item(&p, a).unwrap(), item(&p, b).unwrap());
                set_item(&mut p, a, ib.0, ib.1, ib.2);
                set_item(&mut p, b, ia.0, ia.1, ia.2);
            }
            let expected = repaired_by_copy(&p, round % 2 == 0).unwrap();
            assert!(repair_fragmentation(&mut p, round % 2 == 0), "round {round}");
            assert!(p[..] == expected[..], "round {round}");
        }
    }

    #[test]
    fn garbage_pages_do_not_panic() {
        let mut p = [0xFFu8; BLCKSZ];
        assert!(!add_item(&mut p, 1, &[1; 10]));
        assert!(!repair_fragmentation(&mut p, true));
        let _ = tuple(&p, 1);
        let _ = tuple(&p, 9999);
        truncate_line_pointers(&mut p);
        let mut p = [0u8; BLCKSZ];
        let _ = tuple(&p, 1);
        assert!(!add_item(&mut p, 1, &[1; 10]), "uninitialized page");
    }
}
