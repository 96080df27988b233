//! The MultiXact resource manager (`access/multixact.h`); port of
//! mxactdesc.c. From PG 17 the page numbers are 64-bit.

use std::fmt::Write;

use super::{slru_page, DescInput};
use crate::bytes::{u32_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_MULTIXACT_ZERO_OFF_PAGE: u8 = 0x00;

pub const XLOG_MULTIXACT_ZERO_MEM_PAGE: u8 = 0x10;

pub const XLOG_MULTIXACT_CREATE_ID: u8 = 0x20;

pub const XLOG_MULTIXACT_TRUNCATE_ID: u8 = 0x30;

/// Port of `multixact_identify` (mxactdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_MULTIXACT_ZERO_OFF_PAGE => Some("ZERO_OFF_PAGE"),
        XLOG_MULTIXACT_ZERO_MEM_PAGE => Some("ZERO_MEM_PAGE"),
        XLOG_MULTIXACT_CREATE_ID => Some("CREATE_ID"),
        XLOG_MULTIXACT_TRUNCATE_ID => Some("TRUNCATE_ID"),
        _ => None,
    }
}

/// `out_member` (mxactdesc.c): a `MultiXactMember` (xid, status).
fn out_member(buf: &mut String, xid: u32, status: i32) {
    let s = match status {
        0 => "(keysh) ",
        1 => "(sh) ",
        2 => "(fornokeyupd) ",
        3 => "(forupd) ",
        4 => "(nokeyupd) ",
        5 => "(upd) ",
        _ => "(unk) ",
    };
    let _ = write!(buf, "{xid} {s}");
}

/// Port of `multixact_desc` (mxactdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_MULTIXACT_ZERO_OFF_PAGE | XLOG_MULTIXACT_ZERO_MEM_PAGE => {
            let _ = write!(buf, "{}", slru_page(input.version, d, 0)?);
        }
        XLOG_MULTIXACT_CREATE_ID => {
            // xl_multixact_create: mid, moff, nmembers int, members (xid,
            // status int) at 12.
            let mut c = Cursor::new(d);
            let (mid, moff, n) = (c.u32()?, c.u32()?, c.i32()?);
            let _ = write!(buf, "{mid} offset {moff} nmembers {n}: ");
            for _ in 0..n.max(0) {
                let xid = c.u32()?;
                let status = c.i32()?;
                out_member(buf, xid, status);
            }
        }
        XLOG_MULTIXACT_TRUNCATE_ID => {
            // xl_multixact_truncate: oldestMultiDB, startTruncOff,
            // endTruncOff, startTruncMemb, endTruncMemb.
            let _ = write!(
                buf,
                "offsets [{}, {}), members [{}, {})",
                u32_at(d, 4)?,
                u32_at(d, 8)?,
                u32_at(d, 12)?,
                u32_at(d, 16)?
            );
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_MULTIXACT_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn multixact() {
        let d =
            B::new().u32(12).u32(30).i32(3).u32(740).i32(0).u32(741).i32(5).u32(742).i32(9).done();
        assert_eq!(
            desc(V, RM_MULTIXACT_ID, XLOG_MULTIXACT_CREATE_ID, &d),
            "12 offset 30 nmembers 3: 740 (keysh) 741 (upd) 742 (unk) "
        );
        let d = B::new().u32(1).u32(1).u32(5).u32(0).u32(10).done();
        assert_eq!(
            desc(V, RM_MULTIXACT_ID, XLOG_MULTIXACT_TRUNCATE_ID, &d),
            "offsets [1, 5), members [0, 10)"
        );
        assert_eq!(desc(V, RM_MULTIXACT_ID, XLOG_MULTIXACT_ZERO_MEM_PAGE, &[1, 0, 0, 0]), "1");
        assert_eq!(identify(V, 0x30), Some("TRUNCATE_ID"));
    }
}
