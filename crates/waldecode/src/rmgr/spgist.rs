//! The SP-GiST resource manager (`access/spgxlog.h`); port of spgdesc.c.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::{bool_at, u16_at, u32_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_SPGIST_ADD_LEAF: u8 = 0x10;

pub const XLOG_SPGIST_MOVE_LEAFS: u8 = 0x20;

pub const XLOG_SPGIST_ADD_NODE: u8 = 0x30;

pub const XLOG_SPGIST_SPLIT_TUPLE: u8 = 0x40;

pub const XLOG_SPGIST_PICKSPLIT: u8 = 0x50;

pub const XLOG_SPGIST_VACUUM_LEAF: u8 = 0x60;

pub const XLOG_SPGIST_VACUUM_ROOT: u8 = 0x70;

pub const XLOG_SPGIST_VACUUM_REDIRECT: u8 = 0x80;

/// Port of `spg_identify` (spgdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_SPGIST_ADD_LEAF => "ADD_LEAF",
        XLOG_SPGIST_MOVE_LEAFS => "MOVE_LEAFS",
        XLOG_SPGIST_ADD_NODE => "ADD_NODE",
        XLOG_SPGIST_SPLIT_TUPLE => "SPLIT_TUPLE",
        XLOG_SPGIST_PICKSPLIT => "PICKSPLIT",
        XLOG_SPGIST_VACUUM_LEAF => "VACUUM_LEAF",
        XLOG_SPGIST_VACUUM_ROOT => "VACUUM_ROOT",
        XLOG_SPGIST_VACUUM_REDIRECT => "VACUUM_REDIRECT",
        _ => return None,
    })
}

/// Port of `spg_desc` (spgdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_SPGIST_ADD_LEAF => {
            // newPage, storesNulls, offnumLeaf 2, offnumHeadLeaf 4,
            // offnumParent 6, nodeI 8.
            let _ = write!(
                buf,
                "off: {}, headoff: {}, parentoff: {}, nodeI: {}",
                u16_at(d, 2)?,
                u16_at(d, 4)?,
                u16_at(d, 6)?,
                u16_at(d, 8)?
            );
            if bool_at(d, 0)? {
                buf.push_str(" (newpage)");
            }
            if bool_at(d, 1)? {
                buf.push_str(" (nulls)");
            }
        }
        XLOG_SPGIST_MOVE_LEAFS => {
            // nMoves u16, newPage 2, replaceDead 3, storesNulls 4,
            // offnumParent 6, nodeI 8.
            let _ = write!(
                buf,
                "nmoves: {}, parentoff: {}, nodeI: {}",
                u16_at(d, 0)?,
                u16_at(d, 6)?,
                u16_at(d, 8)?
            );
            if bool_at(d, 2)? {
                buf.push_str(" (newpage)");
            }
            if bool_at(d, 3)? {
                buf.push_str(" (replacedead)");
            }
            if bool_at(d, 4)? {
                buf.push_str(" (nulls)");
            }
        }
        XLOG_SPGIST_ADD_NODE => {
            // offnum, offnumNew 2, newPage 4, parentBlk i8 5, offnumParent
            // 6, nodeI 8.
            let parent_blk = Cursor::at(d, 5).i8()?;
            let _ = write!(
                buf,
                "off: {}, newoff: {}, parentBlk: {parent_blk}, parentoff: {}, nodeI: {}",
                u16_at(d, 0)?,
                u16_at(d, 2)?,
                u16_at(d, 6)?,
                u16_at(d, 8)?
            );
            if bool_at(d, 4)? {
                buf.push_str(" (newpage)");
            }
        }
        XLOG_SPGIST_SPLIT_TUPLE => {
            // offnumPrefix, offnumPostfix, newPage 4, postfixBlkSame 5.
            let _ = write!(buf, "prefixoff: {}, postfixoff: {}", u16_at(d, 0)?, u16_at(d, 2)?);
            if bool_at(d, 4)? {
                buf.push_str(" (newpage)");
            }
            if bool_at(d, 5)? {
                buf.push_str(" (same)");
            }
        }
        XLOG_SPGIST_PICKSPLIT => {
            // isRootSplit 0, nDelete 2, nInsert 4, initSrc 6, initDest 7,
            // offnumInner 8, initInner 10, storesNulls 11, innerIsParent 12,
            // offnumParent 14, nodeI 16.
            let _ = write!(
                buf,
                "ndelete: {}, ninsert: {}, inneroff: {}, parentoff: {}, nodeI: {}",
                u16_at(d, 2)?,
                u16_at(d, 4)?,
                u16_at(d, 8)?,
                u16_at(d, 14)?,
                u16_at(d, 16)?
            );
            if bool_at(d, 12)? {
                buf.push_str(" (innerIsParent)");
            }
            if bool_at(d, 11)? {
                buf.push_str(" (nulls)");
            }
            if bool_at(d, 0)? {
                buf.push_str(" (isRootSplit)");
            }
        }
        XLOG_SPGIST_VACUUM_LEAF => {
            let _ = write!(
                buf,
                "ndead: {}, nplaceholder: {}, nmove: {}, nchain: {}",
                u16_at(d, 0)?,
                u16_at(d, 2)?,
                u16_at(d, 4)?,
                u16_at(d, 6)?
            );
        }
        XLOG_SPGIST_VACUUM_ROOT => {
            let _ = write!(buf, "ndelete: {}", u16_at(d, 0)?);
        }
        XLOG_SPGIST_VACUUM_REDIRECT => {
            // nToPlaceholder u16, firstPlaceholder u16, newestRedirectXid
            // (snapshotConflictHorizon from 16), isCatalogRel (16+).
            let horizon = if input.version.keyed_descriptions() {
                "snapshotConflictHorizon"
            } else {
                "newestredirectxid"
            };
            let _ = write!(
                buf,
                "ntoplaceholder: {}, firstplaceholder: {}, {horizon}: {}",
                u16_at(d, 0)?,
                u16_at(d, 2)?,
                u32_at(d, 4)?
            );
            if input.version.desc_has_catalog_rel() {
                let _ = write!(buf, ", isCatalogRel: {}", if *d.get(8)? != 0 { 'T' } else { 'F' });
            }
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_SPGIST_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn spgist() {
        let d = B::new().u8(1).u8(0).u16(5).u16(0).u16(2).u16(1).done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_ADD_LEAF, &d),
            "off: 5, headoff: 0, parentoff: 2, nodeI: 1 (newpage)"
        );
        let d = B::new().u16(3).u8(0).u8(1).u8(1).u8(0).u16(7).u16(2).u32(0).u8(0).zeros(3).done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_MOVE_LEAFS, &d),
            "nmoves: 3, parentoff: 7, nodeI: 2 (replacedead) (nulls)"
        );
        let d = B::new().u16(1).u16(2).u8(1).u8(0xFF).u16(3).u16(4).done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_ADD_NODE, &d),
            "off: 1, newoff: 2, parentBlk: -1, parentoff: 3, nodeI: 4 (newpage)"
        );
        let d = B::new().u16(1).u16(2).u8(0).u8(1).done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_SPLIT_TUPLE, &d),
            "prefixoff: 1, postfixoff: 2 (same)"
        );
        let d = B::new()
            .u8(1)
            .u8(0)
            .u16(2)
            .u16(3)
            .u8(1)
            .u8(1)
            .u16(4)
            .u8(0)
            .u8(0)
            .u8(1)
            .u8(0)
            .u16(5)
            .u16(6)
            .done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_PICKSPLIT, &d),
            "ndelete: 2, ninsert: 3, inneroff: 4, parentoff: 5, nodeI: 6 (innerIsParent) \
             (isRootSplit)"
        );
        let d = B::new().u16(1).u16(2).u16(3).u16(4).done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_VACUUM_LEAF, &d),
            "ndead: 1, nplaceholder: 2, nmove: 3, nchain: 4"
        );
        assert_eq!(desc(V, RM_SPGIST_ID, XLOG_SPGIST_VACUUM_ROOT, &[2, 0]), "ndelete: 2");
        let d = B::new().u16(2).u16(9).u32(810).done();
        assert_eq!(
            desc(V, RM_SPGIST_ID, XLOG_SPGIST_VACUUM_REDIRECT, &d),
            "ntoplaceholder: 2, firstplaceholder: 9, newestredirectxid: 810"
        );
        assert_eq!(identify(V, 0x80), Some("VACUUM_REDIRECT"));
        assert_eq!(identify(V, 0x00), None);
    }
}
