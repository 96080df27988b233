//! The RelMap resource manager (`utils/relmapper.h`): rewrites of
//! `pg_filenode.map`; port of relmapdesc.c.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::{i32_at, u32_at};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_RELMAP_UPDATE: u8 = 0x00;

/// Port of `relmap_identify` (relmapdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_RELMAP_UPDATE => Some("UPDATE"),
        _ => None,
    }
}

/// Port of `relmap_desc` (relmapdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    if input.info & !XLR_INFO_MASK == XLOG_RELMAP_UPDATE {
        // xl_relmap_update: dbid, tsid, nbytes int.
        let _ = write!(
            buf,
            "database {} tablespace {} size {}",
            u32_at(d, 0)?,
            u32_at(d, 4)?,
            i32_at(d, 8)?
        );
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_RELMAP_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new().u32(0).u32(1664).i32(512).done();
        assert_eq!(
            desc(V, RM_RELMAP_ID, XLOG_RELMAP_UPDATE, &d),
            "database 0 tablespace 1664 size 512"
        );
        assert_eq!(identify(V, 0x00), Some("UPDATE"));
        assert_eq!(identify(V, 0x10), None);
    }
}
