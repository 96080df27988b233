//! The Storage resource manager (`catalog/storage_xlog.h`): creating and
//! truncating relation files; port of smgrdesc.c.

use std::fmt::Write;

use super::text::relpathperm;
use super::DescInput;
use crate::bytes::{i32_at, u32_at};
use crate::layout::RelFileLocator;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_SMGR_CREATE: u8 = 0x10;

pub const XLOG_SMGR_TRUNCATE: u8 = 0x20;

pub const SMGR_TRUNCATE_HEAP: i32 = 0x0001;

pub const SMGR_TRUNCATE_VM: i32 = 0x0002;

pub const SMGR_TRUNCATE_FSM: i32 = 0x0004;

/// `xl_smgr_truncate`: a relation's forks cut to `blkno` blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncate {
    pub blkno: u32,
    pub locator: RelFileLocator,
    /// `SMGR_TRUNCATE_*` bits: which forks.
    pub flags: i32,
}

impl Truncate {
    /// The record's main data, when it is an `XLOG_SMGR_TRUNCATE`.
    pub fn parse(info: u8, d: &[u8]) -> Option<Truncate> {
        if info & !XLR_INFO_MASK != XLOG_SMGR_TRUNCATE {
            return None;
        }
        let locator = RelFileLocator { spc: u32_at(d, 4)?, db: u32_at(d, 8)?, rel: u32_at(d, 12)? };
        Some(Truncate { blkno: u32_at(d, 0)?, locator, flags: i32_at(d, 16)? })
    }
}

/// Port of `smgr_identify` (smgrdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_SMGR_CREATE => Some("CREATE"),
        XLOG_SMGR_TRUNCATE => Some("TRUNCATE"),
        _ => None,
    }
}

/// Port of `smgr_desc` (smgrdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v = input.version;
    match input.info & !XLR_INFO_MASK {
        XLOG_SMGR_CREATE => {
            // xl_smgr_create: RelFileNode, ForkNumber (int).
            let (spc, db, rel, fork) =
                (u32_at(d, 0)?, u32_at(d, 4)?, u32_at(d, 8)?, i32_at(d, 12)?);
            buf.push_str(&relpathperm(v, spc, db, rel, fork));
        }
        XLOG_SMGR_TRUNCATE => {
            let t = Truncate::parse(input.info, d)?;
            let l = t.locator;
            let path = relpathperm(v, l.spc, l.db, l.rel, 0);
            let _ = write!(buf, "{path} to {} blocks flags {}", t.blkno, t.flags);
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::{RM_SMGR_ID, TRUNCATED};

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn smgr() {
        let d = B::new().u32(1663).u32(5).u32(16384).i32(0).done();
        assert_eq!(desc(V, RM_SMGR_ID, XLOG_SMGR_CREATE, &d), "base/5/16384");
        let d = B::new().u32(1663).u32(5).u32(16384).i32(1).done();
        assert_eq!(desc(V, RM_SMGR_ID, XLOG_SMGR_CREATE, &d), "base/5/16384_fsm");
        let d = B::new().u32(0).u32(1663).u32(5).u32(16384).i32(7).done();
        assert_eq!(desc(V, RM_SMGR_ID, XLOG_SMGR_TRUNCATE, &d), "base/5/16384 to 0 blocks flags 7");
        assert_eq!(desc(V, RM_SMGR_ID, XLOG_SMGR_TRUNCATE, &d[..19]), TRUNCATED);
        assert_eq!(identify(V, 0x10), Some("CREATE"));
        assert_eq!(identify(V, 0x20), Some("TRUNCATE"));
        assert_eq!(identify(V, 0x00), None);
    }
}
