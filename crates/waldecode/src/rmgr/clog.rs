//! The CLOG resource manager (`access/clog.h`): commit log pages; port of
//! clogdesc.c. From PG 17 the page numbers are 64-bit.

use std::fmt::Write;

use super::{slru_page, DescInput};
use crate::bytes::u32_at;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const CLOG_ZEROPAGE: u8 = 0x00;

pub const CLOG_TRUNCATE: u8 = 0x10;

/// Port of `clog_identify` (clogdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        CLOG_ZEROPAGE => Some("ZEROPAGE"),
        CLOG_TRUNCATE => Some("TRUNCATE"),
        _ => None,
    }
}

/// Port of `clog_desc` (clogdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v = input.version;
    match input.info & !XLR_INFO_MASK {
        CLOG_ZEROPAGE => {
            let _ = write!(buf, "page {}", slru_page(v, d, 0)?);
        }
        CLOG_TRUNCATE => {
            // xl_clog_truncate: pageno, oldestXact, oldestXactDb.
            let page = slru_page(v, d, 0)?;
            let xid_off = if v.slru_pages_are_64bit() { 8 } else { 4 };
            let _ = write!(buf, "page {page}; oldestXact {}", u32_at(d, xid_off)?);
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_CLOG_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        assert_eq!(desc(V, RM_CLOG_ID, CLOG_ZEROPAGE, &B::new().i32(3).done()), "page 3");
        let t = B::new().i32(2).u32(1000).u32(1).done();
        assert_eq!(desc(V, RM_CLOG_ID, CLOG_TRUNCATE, &t), "page 2; oldestXact 1000");
        let t17 = B::new().i64(2).u32(1000).u32(1).done();
        assert_eq!(
            desc(PgVersion::V17, RM_CLOG_ID, CLOG_TRUNCATE, &t17),
            "page 2; oldestXact 1000"
        );
        assert_eq!(identify(V, 0x11), Some("TRUNCATE"));
    }
}
