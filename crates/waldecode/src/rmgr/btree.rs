//! The B-tree resource manager (`access/nbtxlog.h`); port of nbtdesc.c with
//! the PostgreSQL 14/15 wording, and 16's in [`super::desc16`].

use std::fmt::Write;

use super::text::full_xid;
use super::DescInput;
use crate::bytes::{u16_at, u32_at, u64_at};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_BTREE_INSERT_LEAF: u8 = 0x00;

pub const XLOG_BTREE_INSERT_UPPER: u8 = 0x10;

pub const XLOG_BTREE_INSERT_META: u8 = 0x20;

pub const XLOG_BTREE_SPLIT_L: u8 = 0x30;

pub const XLOG_BTREE_SPLIT_R: u8 = 0x40;

pub const XLOG_BTREE_INSERT_POST: u8 = 0x50;

pub const XLOG_BTREE_DEDUP: u8 = 0x60;

pub const XLOG_BTREE_DELETE: u8 = 0x70;

pub const XLOG_BTREE_UNLINK_PAGE: u8 = 0x80;

pub const XLOG_BTREE_UNLINK_PAGE_META: u8 = 0x90;

pub const XLOG_BTREE_NEWROOT: u8 = 0xA0;

pub const XLOG_BTREE_MARK_PAGE_HALFDEAD: u8 = 0xB0;

pub const XLOG_BTREE_VACUUM: u8 = 0xC0;

pub const XLOG_BTREE_REUSE_PAGE: u8 = 0xD0;

pub const XLOG_BTREE_META_CLEANUP: u8 = 0xE0;

/// Port of `btree_identify` (nbtdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_BTREE_INSERT_LEAF => "INSERT_LEAF",
        XLOG_BTREE_INSERT_UPPER => "INSERT_UPPER",
        XLOG_BTREE_INSERT_META => "INSERT_META",
        XLOG_BTREE_SPLIT_L => "SPLIT_L",
        XLOG_BTREE_SPLIT_R => "SPLIT_R",
        XLOG_BTREE_INSERT_POST => "INSERT_POST",
        XLOG_BTREE_DEDUP => "DEDUP",
        XLOG_BTREE_VACUUM => "VACUUM",
        XLOG_BTREE_DELETE => "DELETE",
        XLOG_BTREE_MARK_PAGE_HALFDEAD => "MARK_PAGE_HALFDEAD",
        XLOG_BTREE_UNLINK_PAGE => "UNLINK_PAGE",
        XLOG_BTREE_UNLINK_PAGE_META => "UNLINK_PAGE_META",
        XLOG_BTREE_NEWROOT => "NEWROOT",
        XLOG_BTREE_REUSE_PAGE => "REUSE_PAGE",
        XLOG_BTREE_META_CLEANUP => "META_CLEANUP",
        _ => return None,
    })
}

/// Port of `btree_desc` (nbtdesc.c). `META_CLEANUP` reads the
/// `xl_btree_metadata` in block 0's data.
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    if input.version.keyed_descriptions() {
        return super::desc16::btree(input, buf);
    }
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_BTREE_INSERT_LEAF
        | XLOG_BTREE_INSERT_UPPER
        | XLOG_BTREE_INSERT_META
        | XLOG_BTREE_INSERT_POST => {
            let _ = write!(buf, "off {}", u16_at(d, 0)?);
        }
        XLOG_BTREE_SPLIT_L | XLOG_BTREE_SPLIT_R => {
            // xl_btree_split: level u32, firstrightoff, newitemoff,
            // postingoff (u16 each).
            let _ = write!(
                buf,
                "level {}, firstrightoff {}, newitemoff {}, postingoff {}",
                u32_at(d, 0)?,
                u16_at(d, 4)?,
                u16_at(d, 6)?,
                u16_at(d, 8)?
            );
        }
        XLOG_BTREE_DEDUP => {
            let _ = write!(buf, "nintervals {}", u16_at(d, 0)?);
        }
        XLOG_BTREE_VACUUM => {
            let _ = write!(buf, "ndeleted {}; nupdated {}", u16_at(d, 0)?, u16_at(d, 2)?);
        }
        XLOG_BTREE_DELETE => {
            // xl_btree_delete: latestRemovedXid, ndeleted u16, nupdated u16.
            let _ = write!(
                buf,
                "latestRemovedXid {}; ndeleted {}; nupdated {}",
                u32_at(d, 0)?,
                u16_at(d, 4)?,
                u16_at(d, 6)?
            );
        }
        XLOG_BTREE_MARK_PAGE_HALFDEAD => {
            // poffset u16, leafblk 4, leftblk 8, rightblk 12, topparent 16.
            let _ = write!(
                buf,
                "topparent {}; leaf {}; left {}; right {}",
                u32_at(d, 16)?,
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                u32_at(d, 12)?
            );
        }
        XLOG_BTREE_UNLINK_PAGE_META | XLOG_BTREE_UNLINK_PAGE => {
            // leftsib, rightsib, level, safexid u64 at 16, leafleftsib 24,
            // leafrightsib 28, leaftopparent 32.
            let _ = write!(
                buf,
                "left {}; right {}; level {}; safexid {}; leafleft {}; leafright {}; \
                 leaftopparent {}",
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
            let _ = write!(buf, "lev {}", u32_at(d, 4)?);
        }
        XLOG_BTREE_REUSE_PAGE => {
            // node (12 bytes), block, latestRemovedFullXid u64 at 16.
            let _ = write!(
                buf,
                "rel {}/{}/{}; latestRemovedXid {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                full_xid(u64_at(d, 16)?)
            );
        }
        XLOG_BTREE_META_CLEANUP => {
            // xl_btree_metadata in block 0: version, root, level, fastroot,
            // fastlevel, last_cleanup_num_delpages at 20.
            let blk = input.block0_data?;
            let _ = write!(buf, "last_cleanup_num_delpages {}", u32_at(blk, 20)?);
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, desc_blk, B};
    use crate::rmgr::{RM_BTREE_ID, TRUNCATED};

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn btree() {
        assert_eq!(desc(V, RM_BTREE_ID, XLOG_BTREE_INSERT_LEAF, &[2, 0]), "off 2");
        assert_eq!(desc(V, RM_BTREE_ID, XLOG_BTREE_INSERT_POST, &[9, 1, 0, 0]), "off 265");
        assert_eq!(desc(V, RM_BTREE_ID, XLOG_BTREE_INSERT_UPPER, &[2]), TRUNCATED);
        let d = B::new().u32(0).u16(184).u16(367).u16(0).done();
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_SPLIT_R, &d),
            "level 0, firstrightoff 184, newitemoff 367, postingoff 0"
        );
        assert_eq!(desc(V, RM_BTREE_ID, XLOG_BTREE_DEDUP, &[4, 0]), "nintervals 4");
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_VACUUM, &B::new().u16(10).u16(1).done()),
            "ndeleted 10; nupdated 1"
        );
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_DELETE, &B::new().u32(760).u16(3).u16(0).done()),
            "latestRemovedXid 760; ndeleted 3; nupdated 0"
        );
        let d = B::new().u16(3).zeros(2).u32(5).u32(4).u32(6).u32(1).done();
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_MARK_PAGE_HALFDEAD, &d),
            "topparent 1; leaf 5; left 4; right 6"
        );
        let d =
            B::new().u32(4).u32(6).u32(0).zeros(4).u64((1 << 32) | 800).u32(4).u32(6).u32(0).done();
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_UNLINK_PAGE, &d),
            "left 4; right 6; level 0; safexid 1:800; leafleft 4; leafright 6; leaftopparent 0"
        );
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_NEWROOT, &B::new().u32(3).u32(1).done()),
            "lev 1"
        );
        let d = B::new().u32(1663).u32(5).u32(16390).u32(7).u64(790).done();
        assert_eq!(
            desc(V, RM_BTREE_ID, XLOG_BTREE_REUSE_PAGE, &d),
            "rel 1663/5/16390; latestRemovedXid 0:790"
        );
        let meta = B::new().u32(4).u32(3).u32(1).u32(3).u32(1).u32(12).u8(1).zeros(3).done();
        assert_eq!(
            desc_blk(V, RM_BTREE_ID, XLOG_BTREE_META_CLEANUP, &[], false, Some(&meta)),
            "last_cleanup_num_delpages 12"
        );
        assert_eq!(desc(V, RM_BTREE_ID, XLOG_BTREE_META_CLEANUP, &[]), TRUNCATED);
        assert_eq!(identify(V, 0xE0), Some("META_CLEANUP"));
        assert_eq!(identify(V, 0xF0), None);
    }
}
