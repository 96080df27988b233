//! The index and sequence resource managers except GIN (see [`super::gin`]):
//! B-tree, hash, GiST, SP-GiST, BRIN and sequences — ports of
//! `btree_desc`/`btree_identify` (nbtdesc.c), `hash_desc`/`hash_identify`
//! (hashdesc.c), `gist_desc`/`gist_identify` (gistdesc.c),
//! `spg_desc`/`spg_identify` (spgdesc.c), `brin_desc`/`brin_identify`
//! (brindesc.c) and `seq_desc`/`seq_identify` (seqdesc.c), with the
//! PostgreSQL 15 wording for every version.

use std::fmt::Write;

use super::cursor::{bool_at, i32_at, u16_at, u32_at, u64_at, u8_at, Cursor};
use super::fmt::g;
use super::{DescInput, XLR_INFO_MASK};
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

pub const XLOG_HASH_INIT_META_PAGE: u8 = 0x00;
pub const XLOG_HASH_INIT_BITMAP_PAGE: u8 = 0x10;
pub const XLOG_HASH_INSERT: u8 = 0x20;
pub const XLOG_HASH_ADD_OVFL_PAGE: u8 = 0x30;
pub const XLOG_HASH_SPLIT_ALLOCATE_PAGE: u8 = 0x40;
pub const XLOG_HASH_SPLIT_PAGE: u8 = 0x50;
pub const XLOG_HASH_SPLIT_COMPLETE: u8 = 0x60;
pub const XLOG_HASH_MOVE_PAGE_CONTENTS: u8 = 0x70;
pub const XLOG_HASH_SQUEEZE_PAGE: u8 = 0x80;
pub const XLOG_HASH_DELETE: u8 = 0x90;
pub const XLOG_HASH_SPLIT_CLEANUP: u8 = 0xA0;
pub const XLOG_HASH_UPDATE_META_PAGE: u8 = 0xB0;
pub const XLOG_HASH_VACUUM_ONE_PAGE: u8 = 0xC0;
pub const XLH_SPLIT_META_UPDATE_MASKS: u8 = 1 << 0;
pub const XLH_SPLIT_META_UPDATE_SPLITPOINT: u8 = 1 << 1;

pub const XLOG_GIST_PAGE_UPDATE: u8 = 0x00;
pub const XLOG_GIST_DELETE: u8 = 0x10;
pub const XLOG_GIST_PAGE_REUSE: u8 = 0x20;
pub const XLOG_GIST_PAGE_SPLIT: u8 = 0x30;
pub const XLOG_GIST_PAGE_DELETE: u8 = 0x60;
pub const XLOG_GIST_ASSIGN_LSN: u8 = 0x70;

pub const XLOG_SEQ_LOG: u8 = 0x00;

pub const XLOG_SPGIST_ADD_LEAF: u8 = 0x10;
pub const XLOG_SPGIST_MOVE_LEAFS: u8 = 0x20;
pub const XLOG_SPGIST_ADD_NODE: u8 = 0x30;
pub const XLOG_SPGIST_SPLIT_TUPLE: u8 = 0x40;
pub const XLOG_SPGIST_PICKSPLIT: u8 = 0x50;
pub const XLOG_SPGIST_VACUUM_LEAF: u8 = 0x60;
pub const XLOG_SPGIST_VACUUM_ROOT: u8 = 0x70;
pub const XLOG_SPGIST_VACUUM_REDIRECT: u8 = 0x80;

pub const XLOG_BRIN_CREATE_INDEX: u8 = 0x00;
pub const XLOG_BRIN_INSERT: u8 = 0x10;
pub const XLOG_BRIN_UPDATE: u8 = 0x20;
pub const XLOG_BRIN_SAMEPAGE_UPDATE: u8 = 0x30;
pub const XLOG_BRIN_REVMAP_EXTEND: u8 = 0x40;
pub const XLOG_BRIN_DESUMMARIZE: u8 = 0x50;
pub const XLOG_BRIN_OPMASK: u8 = 0x70;
pub const XLOG_BRIN_INIT_PAGE: u8 = 0x80;

/// `'T'` or `'F'`, as the C prints booleans here.
fn tf(b: bool) -> char {
    if b {
        'T'
    } else {
        'F'
    }
}

/// A `FullTransactionId` as `epoch:xid`.
fn full_xid(v: u64) -> String {
    format!("{}:{}", v >> 32, v & 0xFFFF_FFFF)
}

/// Port of `btree_identify` (nbtdesc.c).
pub fn btree_identify(info: u8) -> Option<&'static str> {
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
pub fn btree_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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

/// Port of `hash_identify` (hashdesc.c).
pub fn hash_identify(info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_HASH_INIT_META_PAGE => "INIT_META_PAGE",
        XLOG_HASH_INIT_BITMAP_PAGE => "INIT_BITMAP_PAGE",
        XLOG_HASH_INSERT => "INSERT",
        XLOG_HASH_ADD_OVFL_PAGE => "ADD_OVFL_PAGE",
        XLOG_HASH_SPLIT_ALLOCATE_PAGE => "SPLIT_ALLOCATE_PAGE",
        XLOG_HASH_SPLIT_PAGE => "SPLIT_PAGE",
        XLOG_HASH_SPLIT_COMPLETE => "SPLIT_COMPLETE",
        XLOG_HASH_MOVE_PAGE_CONTENTS => "MOVE_PAGE_CONTENTS",
        XLOG_HASH_SQUEEZE_PAGE => "SQUEEZE_PAGE",
        XLOG_HASH_DELETE => "DELETE",
        XLOG_HASH_SPLIT_CLEANUP => "SPLIT_CLEANUP",
        XLOG_HASH_UPDATE_META_PAGE => "UPDATE_META_PAGE",
        XLOG_HASH_VACUUM_ONE_PAGE => "VACUUM_ONE_PAGE",
        _ => return None,
    })
}

/// Port of `hash_desc` (hashdesc.c).
pub fn hash_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_HASH_INIT_META_PAGE => {
            // num_tuples f64, procid u32, ffactor u16 at 12.
            let n = Cursor::new(d).f64()?;
            let _ = write!(buf, "num_tuples {}, fillfactor {}", g(n), u16_at(d, 12)?);
        }
        XLOG_HASH_INIT_BITMAP_PAGE => {
            let _ = write!(buf, "bmsize {}", u16_at(d, 0)?);
        }
        XLOG_HASH_INSERT => {
            let _ = write!(buf, "off {}", u16_at(d, 0)?);
        }
        XLOG_HASH_ADD_OVFL_PAGE => {
            // bmsize u16, bmpage_found bool.
            let _ = write!(buf, "bmsize {}, bmpage_found {}", u16_at(d, 0)?, tf(bool_at(d, 2)?));
        }
        XLOG_HASH_SPLIT_ALLOCATE_PAGE => {
            // new_bucket u32, old_bucket_flag u16, new_bucket_flag u16, flags u8.
            let flags = u8_at(d, 8)?;
            let _ = write!(
                buf,
                "new_bucket {}, meta_page_masks_updated {}, issplitpoint_changed {}",
                u32_at(d, 0)?,
                tf(flags & XLH_SPLIT_META_UPDATE_MASKS != 0),
                tf(flags & XLH_SPLIT_META_UPDATE_SPLITPOINT != 0)
            );
        }
        XLOG_HASH_SPLIT_COMPLETE => {
            let _ =
                write!(buf, "old_bucket_flag {}, new_bucket_flag {}", u16_at(d, 0)?, u16_at(d, 2)?);
        }
        XLOG_HASH_MOVE_PAGE_CONTENTS => {
            // ntups u16, is_prim_bucket_same_wrt bool.
            let _ = write!(buf, "ntups {}, is_primary {}", u16_at(d, 0)?, tf(bool_at(d, 2)?));
        }
        XLOG_HASH_SQUEEZE_PAGE => {
            // prevblkno, nextblkno, ntups u16, is_prim_bucket_same_wrt.
            let _ = write!(
                buf,
                "prevblkno {}, nextblkno {}, ntups {}, is_primary {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u16_at(d, 8)?,
                tf(bool_at(d, 10)?)
            );
        }
        XLOG_HASH_DELETE => {
            let _ = write!(
                buf,
                "clear_dead_marking {}, is_primary {}",
                tf(bool_at(d, 0)?),
                tf(bool_at(d, 1)?)
            );
        }
        XLOG_HASH_UPDATE_META_PAGE => {
            let _ = write!(buf, "ntuples {}", g(Cursor::new(d).f64()?));
        }
        XLOG_HASH_VACUUM_ONE_PAGE => {
            // latestRemovedXid u32, ntuples int (PG 16+: uint16, then
            // isCatalogRel).
            let ntuples = if input.version >= PgVersion::V16 {
                i32::from(u16_at(d, 4)?)
            } else {
                i32_at(d, 4)?
            };
            let _ = write!(buf, "ntuples {ntuples}, latestRemovedXid {}", u32_at(d, 0)?);
        }
        _ => {}
    }
    Some(())
}

/// Port of `gist_identify` (gistdesc.c).
pub fn gist_identify(info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_GIST_PAGE_UPDATE => "PAGE_UPDATE",
        XLOG_GIST_DELETE => "DELETE",
        XLOG_GIST_PAGE_REUSE => "PAGE_REUSE",
        XLOG_GIST_PAGE_SPLIT => "PAGE_SPLIT",
        XLOG_GIST_PAGE_DELETE => "PAGE_DELETE",
        XLOG_GIST_ASSIGN_LSN => "ASSIGN_LSN",
        _ => return None,
    })
}

/// Port of `gist_desc` (gistdesc.c). Page updates and ASSIGN_LSN print
/// nothing.
pub fn gist_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_GIST_PAGE_REUSE => {
            // node (12), block u32, latestRemovedFullXid u64 at 16.
            let _ = write!(
                buf,
                "rel {}/{}/{}; blk {}; latestRemovedXid {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                u32_at(d, 12)?,
                full_xid(u64_at(d, 16)?)
            );
        }
        XLOG_GIST_DELETE => {
            // latestRemovedXid u32, ntodelete u16.
            let _ = write!(
                buf,
                "delete: latestRemovedXid {}, nitems: {}",
                u32_at(d, 0)?,
                u16_at(d, 4)?
            );
        }
        XLOG_GIST_PAGE_SPLIT => {
            // origrlink u32, orignsn u64 at 8, origleaf 16, npage u16 at 18.
            let _ = write!(buf, "page_split: splits to {} pages", u16_at(d, 18)?);
        }
        XLOG_GIST_PAGE_DELETE => {
            // deleteXid u64, downlinkOffset u16.
            let _ =
                write!(buf, "deleteXid {}; downlink {}", full_xid(u64_at(d, 0)?), u16_at(d, 8)?);
        }
        _ => {}
    }
    Some(())
}

/// Port of `seq_identify` (seqdesc.c).
pub fn seq_identify(info: u8) -> Option<&'static str> {
    (info & !XLR_INFO_MASK == XLOG_SEQ_LOG).then_some("LOG")
}

/// Port of `seq_desc` (seqdesc.c).
pub fn seq_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    if input.info & !XLR_INFO_MASK == XLOG_SEQ_LOG {
        let _ = write!(buf, "rel {}/{}/{}", u32_at(d, 0)?, u32_at(d, 4)?, u32_at(d, 8)?);
    }
    Some(())
}

/// Port of `spg_identify` (spgdesc.c).
pub fn spg_identify(info: u8) -> Option<&'static str> {
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
pub fn spg_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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
            // nToPlaceholder u16, firstPlaceholder u16, newestRedirectXid.
            let _ = write!(
                buf,
                "ntoplaceholder: {}, firstplaceholder: {}, newestredirectxid: {}",
                u16_at(d, 0)?,
                u16_at(d, 2)?,
                u32_at(d, 4)?
            );
        }
        _ => {}
    }
    Some(())
}

/// Port of `brin_identify` (brindesc.c).
pub fn brin_identify(info: u8) -> Option<&'static str> {
    const INIT: u8 = XLOG_BRIN_INIT_PAGE;
    Some(match info & !XLR_INFO_MASK {
        XLOG_BRIN_CREATE_INDEX => "CREATE_INDEX",
        XLOG_BRIN_INSERT => "INSERT",
        x if x == XLOG_BRIN_INSERT | INIT => "INSERT+INIT",
        XLOG_BRIN_UPDATE => "UPDATE",
        x if x == XLOG_BRIN_UPDATE | INIT => "UPDATE+INIT",
        XLOG_BRIN_SAMEPAGE_UPDATE => "SAMEPAGE_UPDATE",
        XLOG_BRIN_REVMAP_EXTEND => "REVMAP_EXTEND",
        XLOG_BRIN_DESUMMARIZE => "DESUMMARIZE",
        _ => return None,
    })
}

/// Port of `brin_desc` (brindesc.c).
pub fn brin_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & XLOG_BRIN_OPMASK {
        XLOG_BRIN_CREATE_INDEX => {
            // pagesPerRange u32, version u16.
            let _ = write!(buf, "v{} pagesPerRange {}", u16_at(d, 4)?, u32_at(d, 0)?);
        }
        XLOG_BRIN_INSERT => {
            // heapBlk, pagesPerRange, offnum u16.
            let _ = write!(
                buf,
                "heapBlk {} pagesPerRange {} offnum {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u16_at(d, 8)?
            );
        }
        XLOG_BRIN_UPDATE => {
            // oldOffnum u16, then xl_brin_insert at 4.
            let _ = write!(
                buf,
                "heapBlk {} pagesPerRange {} old offnum {}, new offnum {}",
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                u16_at(d, 0)?,
                u16_at(d, 12)?
            );
        }
        XLOG_BRIN_SAMEPAGE_UPDATE => {
            let _ = write!(buf, "offnum {}", u16_at(d, 0)?);
        }
        XLOG_BRIN_REVMAP_EXTEND => {
            let _ = write!(buf, "targetBlk {}", u32_at(d, 0)?);
        }
        XLOG_BRIN_DESUMMARIZE => {
            // pagesPerRange, heapBlk, regOffset u16.
            let _ = write!(
                buf,
                "pagesPerRange {}, heapBlk {}, page offset {}",
                u32_at(d, 0)?,
                u32_at(d, 4)?,
                u16_at(d, 8)?
            );
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, desc_blk, B};
    use super::super::*;
    use super::*;

    #[test]
    fn hash_v16_vacuum_one_page() {
        let d = B::new().u32(800).u16(2).u8(1).zeros(1).done();
        assert_eq!(
            desc(PgVersion::V16, RM_HASH_ID, XLOG_HASH_VACUUM_ONE_PAGE, &d),
            "ntuples 2, latestRemovedXid 800"
        );
    }

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
        assert_eq!(btree_identify(0xE0), Some("META_CLEANUP"));
        assert_eq!(btree_identify(0xF0), None);
    }

    #[test]
    fn hash() {
        let d = B::new().f64(0.0).u32(450).u16(75).zeros(2).done();
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_INIT_META_PAGE, &d),
            "num_tuples 0, fillfactor 75"
        );
        assert_eq!(desc(V, RM_HASH_ID, XLOG_HASH_INIT_BITMAP_PAGE, &[0, 16]), "bmsize 4096");
        assert_eq!(desc(V, RM_HASH_ID, XLOG_HASH_INSERT, &[1, 0]), "off 1");
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_ADD_OVFL_PAGE, &[0, 16, 1]),
            "bmsize 4096, bmpage_found T"
        );
        let d = B::new().u32(5).u16(0).u16(0).u8(2).done();
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_SPLIT_ALLOCATE_PAGE, &d),
            "new_bucket 5, meta_page_masks_updated F, issplitpoint_changed T"
        );
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_SPLIT_COMPLETE, &B::new().u16(2).u16(4).done()),
            "old_bucket_flag 2, new_bucket_flag 4"
        );
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_MOVE_PAGE_CONTENTS, &[3, 0, 0]),
            "ntups 3, is_primary F"
        );
        let d = B::new().u32(1).u32(4294967295).u16(2).u8(1).u8(0).done();
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_SQUEEZE_PAGE, &d),
            "prevblkno 1, nextblkno 4294967295, ntups 2, is_primary T"
        );
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_DELETE, &[1, 0]),
            "clear_dead_marking T, is_primary F"
        );
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_UPDATE_META_PAGE, &B::new().f64(1234567.0).done()),
            "ntuples 1.23457e+06"
        );
        assert_eq!(
            desc(V, RM_HASH_ID, XLOG_HASH_VACUUM_ONE_PAGE, &B::new().u32(800).i32(2).done()),
            "ntuples 2, latestRemovedXid 800"
        );
        assert_eq!(desc(V, RM_HASH_ID, XLOG_HASH_SPLIT_PAGE, &[]), "");
        assert_eq!(hash_identify(0xC0), Some("VACUUM_ONE_PAGE"));
        assert_eq!(hash_identify(0xD0), None);
    }

    #[test]
    fn gist_seq() {
        assert_eq!(desc(V, RM_GIST_ID, XLOG_GIST_PAGE_UPDATE, &[]), "");
        let d = B::new().u32(1663).u32(5).u32(16400).u32(9).u64(801).done();
        assert_eq!(
            desc(V, RM_GIST_ID, XLOG_GIST_PAGE_REUSE, &d),
            "rel 1663/5/16400; blk 9; latestRemovedXid 0:801"
        );
        assert_eq!(
            desc(V, RM_GIST_ID, XLOG_GIST_DELETE, &B::new().u32(802).u16(3).done()),
            "delete: latestRemovedXid 802, nitems: 3"
        );
        let d = B::new().u32(0).zeros(4).u64(0).u8(1).u8(0).u16(2).u8(1).zeros(3).done();
        assert_eq!(desc(V, RM_GIST_ID, XLOG_GIST_PAGE_SPLIT, &d), "page_split: splits to 2 pages");
        let d = B::new().u64(803).u16(4).zeros(6).done();
        assert_eq!(desc(V, RM_GIST_ID, XLOG_GIST_PAGE_DELETE, &d), "deleteXid 0:803; downlink 4");
        assert_eq!(gist_identify(0x70), Some("ASSIGN_LSN"));
        assert_eq!(gist_identify(0x40), None);
        let d = B::new().u32(1663).u32(5).u32(16410).bytes(&[0; 30]).done();
        assert_eq!(desc(V, RM_SEQ_ID, XLOG_SEQ_LOG, &d), "rel 1663/5/16410");
        assert_eq!(seq_identify(0x00), Some("LOG"));
        assert_eq!(seq_identify(0x10), None);
    }

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
        assert_eq!(spg_identify(0x80), Some("VACUUM_REDIRECT"));
        assert_eq!(spg_identify(0x00), None);
    }

    #[test]
    fn brin() {
        assert_eq!(
            desc(V, RM_BRIN_ID, XLOG_BRIN_CREATE_INDEX, &B::new().u32(128).u16(1).done()),
            "v1 pagesPerRange 128"
        );
        let d = B::new().u32(256).u32(128).u16(3).done();
        assert_eq!(
            desc(V, RM_BRIN_ID, XLOG_BRIN_INSERT | XLOG_BRIN_INIT_PAGE, &d),
            "heapBlk 256 pagesPerRange 128 offnum 3"
        );
        let d = B::new().u16(2).zeros(2).u32(256).u32(128).u16(3).done();
        assert_eq!(
            desc(V, RM_BRIN_ID, XLOG_BRIN_UPDATE, &d),
            "heapBlk 256 pagesPerRange 128 old offnum 2, new offnum 3"
        );
        assert_eq!(desc(V, RM_BRIN_ID, XLOG_BRIN_SAMEPAGE_UPDATE, &[4, 0]), "offnum 4");
        assert_eq!(desc(V, RM_BRIN_ID, XLOG_BRIN_REVMAP_EXTEND, &[2, 0, 0, 0]), "targetBlk 2");
        let d = B::new().u32(128).u32(512).u16(6).done();
        assert_eq!(
            desc(V, RM_BRIN_ID, XLOG_BRIN_DESUMMARIZE, &d),
            "pagesPerRange 128, heapBlk 512, page offset 6"
        );
        assert_eq!(brin_identify(0x90), Some("INSERT+INIT"));
        assert_eq!(brin_identify(0xA0), Some("UPDATE+INIT"));
        assert_eq!(brin_identify(0xB0), None);
    }
}
