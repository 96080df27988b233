//! The CommitTs resource manager (`access/commit_ts.h`); port of
//! committsdesc.c. From PG 17 the page numbers are 64-bit.

use std::fmt::Write;

use super::{slru_page, DescInput};
use crate::bytes::u32_at;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const COMMIT_TS_ZEROPAGE: u8 = 0x00;

pub const COMMIT_TS_TRUNCATE: u8 = 0x10;

/// Port of `commit_ts_identify` (committsdesc.c), which — unlike most —
/// compares the whole info byte, so any low bit makes it NULL.
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info {
        COMMIT_TS_ZEROPAGE => Some("ZEROPAGE"),
        COMMIT_TS_TRUNCATE => Some("TRUNCATE"),
        _ => None,
    }
}

/// Port of `commit_ts_desc` (committsdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v = input.version;
    match input.info & !XLR_INFO_MASK {
        COMMIT_TS_ZEROPAGE => {
            let _ = write!(buf, "{}", slru_page(v, d, 0)?);
        }
        COMMIT_TS_TRUNCATE => {
            // xl_commit_ts_truncate: pageno, oldestXid.
            let page = slru_page(v, d, 0)?;
            let xid_off = if v.slru_pages_are_64bit() { 8 } else { 4 };
            let _ = write!(buf, "pageno {page}, oldestXid {}", u32_at(d, xid_off)?);
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_COMMIT_TS_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        assert_eq!(desc(V, RM_COMMIT_TS_ID, COMMIT_TS_ZEROPAGE, &[9, 0, 0, 0]), "9");
        let t = B::new().i32(4).u32(900).done();
        assert_eq!(desc(V, RM_COMMIT_TS_ID, COMMIT_TS_TRUNCATE, &t), "pageno 4, oldestXid 900");
        assert_eq!(identify(V, 0x10), Some("TRUNCATE"));
        assert_eq!(identify(V, 0x11), None);
    }
}
