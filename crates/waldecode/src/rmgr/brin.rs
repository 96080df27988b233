//! The BRIN resource manager (`access/brin_xlog.h`); port of brindesc.c.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::{u16_at, u32_at};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_BRIN_CREATE_INDEX: u8 = 0x00;

pub const XLOG_BRIN_INSERT: u8 = 0x10;

pub const XLOG_BRIN_UPDATE: u8 = 0x20;

pub const XLOG_BRIN_SAMEPAGE_UPDATE: u8 = 0x30;

pub const XLOG_BRIN_REVMAP_EXTEND: u8 = 0x40;

pub const XLOG_BRIN_DESUMMARIZE: u8 = 0x50;

pub const XLOG_BRIN_OPMASK: u8 = 0x70;

pub const XLOG_BRIN_INIT_PAGE: u8 = 0x80;

/// Port of `brin_identify` (brindesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_BRIN_CREATE_INDEX => "CREATE_INDEX",
        XLOG_BRIN_INSERT => "INSERT",
        x if x == XLOG_BRIN_INSERT | XLOG_BRIN_INIT_PAGE => "INSERT+INIT",
        XLOG_BRIN_UPDATE => "UPDATE",
        x if x == XLOG_BRIN_UPDATE | XLOG_BRIN_INIT_PAGE => "UPDATE+INIT",
        XLOG_BRIN_SAMEPAGE_UPDATE => "SAMEPAGE_UPDATE",
        XLOG_BRIN_REVMAP_EXTEND => "REVMAP_EXTEND",
        XLOG_BRIN_DESUMMARIZE => "DESUMMARIZE",
        _ => return None,
    })
}

/// Port of `brin_desc` (brindesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_BRIN_ID;

    const V: PgVersion = PgVersion::V15;

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
        assert_eq!(identify(V, 0x90), Some("INSERT+INIT"));
        assert_eq!(identify(V, 0xA0), Some("UPDATE+INIT"));
        assert_eq!(identify(V, 0xB0), None);
    }
}
