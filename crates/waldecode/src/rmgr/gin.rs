//! The GIN resource manager (`access/ginxlog.h`): ports of `gin_desc` and
//! `gin_identify` (gindesc.c), including the segment actions of
//! recompressed posting-tree leaves, which live in block 0's data.
//!
//! Deviation: the C tells `(full page image)` from `(full page image, for
//! WAL verification)` by the image's APPLY flag, which [`DescInput`] does
//! not carry; every image is described as the former (the usual case).

use std::fmt::Write;

use super::text::tf;
use super::DescInput;
use crate::bytes::{i32_at, u16_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_GIN_CREATE_PTREE: u8 = 0x10;
pub const XLOG_GIN_INSERT: u8 = 0x20;
pub const XLOG_GIN_SPLIT: u8 = 0x30;
pub const XLOG_GIN_VACUUM_PAGE: u8 = 0x40;
pub const XLOG_GIN_DELETE_PAGE: u8 = 0x50;
pub const XLOG_GIN_UPDATE_META_PAGE: u8 = 0x60;
pub const XLOG_GIN_INSERT_LISTPAGE: u8 = 0x70;
pub const XLOG_GIN_DELETE_LISTPAGE: u8 = 0x80;
pub const XLOG_GIN_VACUUM_DATA_LEAF_PAGE: u8 = 0x90;

pub const GIN_INSERT_ISDATA: u16 = 0x01;
pub const GIN_INSERT_ISLEAF: u16 = 0x02;
pub const GIN_SPLIT_ROOT: u16 = 0x04;

pub const GIN_SEGMENT_UNMODIFIED: u8 = 0;
pub const GIN_SEGMENT_DELETE: u8 = 1;
pub const GIN_SEGMENT_INSERT: u8 = 2;
pub const GIN_SEGMENT_REPLACE: u8 = 3;
pub const GIN_SEGMENT_ADDITEMS: u8 = 4;

/// Offset of `ndeleted` in `ginxlogDeleteListPages` (after the 56-byte,
/// 8-aligned `GinMetaPageData`).
const DELETE_LISTPAGES_NDELETED: usize = 56;
/// Offset of `flags` in `ginxlogSplit` (after RelFileNode and three block
/// numbers).
const SPLIT_FLAGS: usize = 24;

/// Port of `gin_identify` (gindesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_GIN_CREATE_PTREE => "CREATE_PTREE",
        XLOG_GIN_INSERT => "INSERT",
        XLOG_GIN_SPLIT => "SPLIT",
        XLOG_GIN_VACUUM_PAGE => "VACUUM_PAGE",
        XLOG_GIN_VACUUM_DATA_LEAF_PAGE => "VACUUM_DATA_LEAF_PAGE",
        XLOG_GIN_DELETE_PAGE => "DELETE_PAGE",
        XLOG_GIN_UPDATE_META_PAGE => "UPDATE_META_PAGE",
        XLOG_GIN_INSERT_LISTPAGE => "INSERT_LISTPAGE",
        XLOG_GIN_DELETE_LISTPAGE => "DELETE_LISTPAGE",
        _ => return None,
    })
}

/// A `BlockIdData` (bi_hi, bi_lo) as a block number.
fn block_id(c: &mut Cursor<'_>) -> Option<u32> {
    let hi = u32::from(c.u16()?);
    let lo = u32::from(c.u16()?);
    Some(hi << 16 | lo)
}

/// Port of `desc_recompress_leaf` (gindesc.c) over a
/// `ginxlogRecompressDataLeaf` (nactions u16, then the actions).
fn desc_recompress_leaf(buf: &mut String, data: &[u8]) -> Option<()> {
    let mut c = Cursor::new(data);
    let nactions = c.u16()?;
    let _ = write!(buf, " {nactions} segments:");
    for _ in 0..nactions {
        let segno = c.u8()?;
        let action = c.u8()?;
        let mut nitems = 0u16;
        if action == GIN_SEGMENT_INSERT || action == GIN_SEGMENT_REPLACE {
            // GinPostingList: first ItemPointer (6), nbytes u16, bytes;
            // SizeOfGinPostingList = 8 + SHORTALIGN(nbytes).
            let nbytes = usize::from(u16_at(data, c.pos().checked_add(6)?)?);
            let size = 8 + nbytes.checked_add(1)? / 2 * 2;
            c.skip(size.checked_add(1)? / 2 * 2)?;
        }
        if action == GIN_SEGMENT_ADDITEMS {
            nitems = c.u16()?;
            c.skip(usize::from(nitems) * 6)?;
        }
        match action {
            GIN_SEGMENT_ADDITEMS => {
                let _ = write!(buf, " {segno} (add {nitems} items)");
            }
            GIN_SEGMENT_DELETE => {
                let _ = write!(buf, " {segno} (delete)");
            }
            GIN_SEGMENT_INSERT => {
                let _ = write!(buf, " {segno} (insert)");
            }
            GIN_SEGMENT_REPLACE => {
                let _ = write!(buf, " {segno} (replace)");
            }
            _ => {
                let _ = write!(buf, " {segno} unknown action {action} ???");
                return Some(());
            }
        }
    }
    Some(())
}

/// Port of `gin_desc` (gindesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_GIN_INSERT => {
            let mut c = Cursor::new(d);
            let flags = c.u16()?;
            let isdata = flags & GIN_INSERT_ISDATA != 0;
            let isleaf = flags & GIN_INSERT_ISLEAF != 0;
            let _ = write!(buf, "isdata: {} isleaf: {}", tf(isdata), tf(isleaf));
            if !isleaf {
                let left = block_id(&mut c)?;
                let right = block_id(&mut c)?;
                let _ = write!(buf, " children: {left}/{right}");
            }
            if input.block0_has_image {
                buf.push_str(" (full page image)");
            } else {
                let payload = input.block0_data?;
                if !isdata {
                    // ginxlogInsertEntry: offset u16, isDelete bool.
                    let del = *payload.get(2)? != 0;
                    let _ = write!(buf, " isdelete: {}", tf(del));
                } else if isleaf {
                    desc_recompress_leaf(buf, payload)?;
                } else {
                    // ginxlogInsertDataInternal: offset u16, PostingItem
                    // (child BlockIdData, key ItemPointerData).
                    let mut p = Cursor::at(payload, 2);
                    let child = block_id(&mut p)?;
                    let key_blk = block_id(&mut p)?;
                    let key_off = p.u16()?;
                    let _ = write!(buf, " pitem: {child}-{key_blk}/{key_off}");
                }
            }
        }
        XLOG_GIN_SPLIT => {
            let flags = u16_at(d, SPLIT_FLAGS)?;
            let _ = write!(
                buf,
                "isrootsplit: {} isdata: {} isleaf: {}",
                tf(flags & GIN_SPLIT_ROOT != 0),
                tf(flags & GIN_INSERT_ISDATA != 0),
                tf(flags & GIN_INSERT_ISLEAF != 0)
            );
        }
        XLOG_GIN_VACUUM_DATA_LEAF_PAGE => {
            if input.block0_has_image {
                buf.push_str(" (full page image)");
            } else {
                desc_recompress_leaf(buf, input.block0_data?)?;
            }
        }
        XLOG_GIN_DELETE_LISTPAGE => {
            let _ = write!(buf, "ndeleted: {}", i32_at(d, DELETE_LISTPAGES_NDELETED)?);
        }
        // CREATE_PTREE, VACUUM_PAGE, DELETE_PAGE, UPDATE_META_PAGE and
        // INSERT_LISTPAGE print nothing.
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, desc_blk, B};
    use super::super::{RM_GIN_ID, TRUNCATED};
    use super::*;
    use crate::version::PgVersion;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn insert() {
        let entry = B::new().u16(4).u8(0).done();
        let d = B::new().u16(GIN_INSERT_ISLEAF).done();
        assert_eq!(
            desc_blk(V, RM_GIN_ID, XLOG_GIN_INSERT, &d, false, Some(&entry)),
            "isdata: F isleaf: T isdelete: F"
        );
        assert_eq!(
            desc_blk(V, RM_GIN_ID, XLOG_GIN_INSERT, &d, true, None),
            "isdata: F isleaf: T (full page image)"
        );
        let d = B::new().u16(GIN_INSERT_ISDATA).u16(0).u16(7).u16(1).u16(2).done();
        let pitem = B::new().u16(3).u16(0).u16(9).u16(0).u16(100).u16(5).done();
        assert_eq!(
            desc_blk(V, RM_GIN_ID, XLOG_GIN_INSERT, &d, false, Some(&pitem)),
            "isdata: T isleaf: F children: 7/65538 pitem: 9-100/5"
        );
        let d = B::new().u16(GIN_INSERT_ISDATA | GIN_INSERT_ISLEAF).done();
        let leaf = B::new()
            .u16(4)
            .u8(0)
            .u8(GIN_SEGMENT_ADDITEMS)
            .u16(2)
            .zeros(12)
            .u8(1)
            .u8(GIN_SEGMENT_REPLACE)
            .zeros(6)
            .u16(3)
            .zeros(4)
            .u8(2)
            .u8(GIN_SEGMENT_DELETE)
            .u8(3)
            .u8(9)
            .done();
        assert_eq!(
            desc_blk(V, RM_GIN_ID, XLOG_GIN_INSERT, &d, false, Some(&leaf)),
            "isdata: T isleaf: T 4 segments: 0 (add 2 items) 1 (replace) 2 (delete) \
             3 unknown action 9 ???"
        );
        assert_eq!(desc_blk(V, RM_GIN_ID, XLOG_GIN_INSERT, &d, false, None), TRUNCATED);
    }

    #[test]
    fn others() {
        let d = B::new().zeros(24).u16(GIN_SPLIT_ROOT | GIN_INSERT_ISLEAF).zeros(2).done();
        assert_eq!(desc(V, RM_GIN_ID, XLOG_GIN_SPLIT, &d), "isrootsplit: T isdata: F isleaf: T");
        let d = B::new().zeros(56).i32(3).zeros(4).done();
        assert_eq!(desc(V, RM_GIN_ID, XLOG_GIN_DELETE_LISTPAGE, &d), "ndeleted: 3");
        let leaf = B::new().u16(1).u8(0).u8(GIN_SEGMENT_INSERT).zeros(6).u16(2).zeros(2).done();
        assert_eq!(
            desc_blk(V, RM_GIN_ID, XLOG_GIN_VACUUM_DATA_LEAF_PAGE, &[], false, Some(&leaf)),
            " 1 segments: 0 (insert)"
        );
        assert_eq!(desc(V, RM_GIN_ID, XLOG_GIN_CREATE_PTREE, &[]), "");
        assert_eq!(identify(PgVersion::V15, 0x90), Some("VACUUM_DATA_LEAF_PAGE"));
        assert_eq!(identify(PgVersion::V15, 0x00), None);
        assert_eq!(identify(PgVersion::V15, 0xA0), None);
    }
}
