//! The Hash resource manager (`access/hash_xlog.h`); port of hashdesc.c
//! with the PostgreSQL 15 wording (PG 16's vacuum layout is read).

use std::fmt::Write;

use super::text::{g, tf};
use super::DescInput;
use crate::bytes::{bool_at, i32_at, u16_at, u32_at, u8_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

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

/// Port of `hash_identify` (hashdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
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
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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
            let ntuples = if input.version.hash_vacuum_ntuples_is_u16() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_HASH_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn hash_v16_vacuum_one_page() {
        let d = B::new().u32(800).u16(2).u8(1).zeros(1).done();
        assert_eq!(
            desc(PgVersion::V16, RM_HASH_ID, XLOG_HASH_VACUUM_ONE_PAGE, &d),
            "ntuples 2, latestRemovedXid 800"
        );
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
        assert_eq!(identify(V, 0xC0), Some("VACUUM_ONE_PAGE"));
        assert_eq!(identify(V, 0xD0), None);
    }
}
