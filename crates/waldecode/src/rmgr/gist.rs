//! The GiST resource manager (`access/gistxlog.h`); port of gistdesc.c.

use std::fmt::Write;

use super::text::full_xid;
use super::DescInput;
use crate::bytes::{u16_at, u32_at, u64_at};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_GIST_PAGE_UPDATE: u8 = 0x00;

pub const XLOG_GIST_DELETE: u8 = 0x10;

pub const XLOG_GIST_PAGE_REUSE: u8 = 0x20;

pub const XLOG_GIST_PAGE_SPLIT: u8 = 0x30;

pub const XLOG_GIST_PAGE_DELETE: u8 = 0x60;

pub const XLOG_GIST_ASSIGN_LSN: u8 = 0x70;

/// Port of `gist_identify` (gistdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
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
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_GIST_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
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
        assert_eq!(identify(V, 0x70), Some("ASSIGN_LSN"));
        assert_eq!(identify(V, 0x40), None);
    }
}
