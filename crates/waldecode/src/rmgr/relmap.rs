//! The RelMap resource manager (`utils/relmapper.h`): rewrites of
//! `pg_filenode.map`, the typed record (used by the description here and
//! by [`crate::syscat::relmap`], which reads the map it carries) and ports
//! of relmapdesc.c.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::Cursor;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_RELMAP_UPDATE: u8 = 0x00;

/// `xl_relmap_update`: a whole new relation map, logged before the file
/// is written (`write_relmap_file`, relmapper.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlRelmapUpdate<'a> {
    /// The database, 0 for the shared map.
    pub dbid: u32,
    /// The database's tablespace, or `pg_global` for the shared map.
    pub tsid: u32,
    /// Size of the map (`sizeof(RelMapFile)`).
    pub nbytes: i32,
    /// What follows the fixed part (`MinSizeOfRelmapUpdate`, 12 bytes):
    /// the map, checked against `nbytes` when it is read.
    pub data: &'a [u8],
}

/// A RelMap record, parsed from its info byte and main data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelmapRecord<'a> {
    Update(XlRelmapUpdate<'a>),
}

impl<'a> RelmapRecord<'a> {
    /// Parses the fixed part of the main data; `None` for an unknown
    /// opcode or data too short for it.
    pub fn parse(_version: PgVersion, info: u8, d: &'a [u8]) -> Option<RelmapRecord<'a>> {
        let mut c = Cursor::new(d);
        match info & !XLR_INFO_MASK {
            XLOG_RELMAP_UPDATE => Some(RelmapRecord::Update(XlRelmapUpdate {
                dbid: c.u32()?,
                tsid: c.u32()?,
                nbytes: c.i32()?,
                data: c.bytes(c.remaining())?,
            })),
            _ => None,
        }
    }
}

/// Port of `relmap_identify` (relmapdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_RELMAP_UPDATE => Some("UPDATE"),
        _ => None,
    }
}

/// Port of `relmap_desc` (relmapdesc.c): nothing for an unknown opcode.
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    if identify(input.version, input.info).is_none() {
        return Some(());
    }
    match RelmapRecord::parse(input.version, input.info, input.main_data)? {
        RelmapRecord::Update(r) => {
            let _ = write!(buf, "database {} tablespace {} size {}", r.dbid, r.tsid, r.nbytes);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::{RM_RELMAP_ID, TRUNCATED};

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
        assert_eq!(desc(V, RM_RELMAP_ID, 0x10, &d), "");
        assert_eq!(desc(V, RM_RELMAP_ID, XLOG_RELMAP_UPDATE, &d[..11]), TRUNCATED);
    }

    #[test]
    fn typed_record() {
        let d = B::new().u32(5).u32(1663).i32(3).bytes(b"map").done();
        let Some(RelmapRecord::Update(r)) = RelmapRecord::parse(V, XLOG_RELMAP_UPDATE, &d) else {
            panic!("not an update")
        };
        assert_eq!((r.dbid, r.tsid, r.nbytes, r.data), (5, 1663, 3, &b"map"[..]));
        assert_eq!(RelmapRecord::parse(V, 0x10, &d), None);
        assert_eq!(RelmapRecord::parse(V, XLOG_RELMAP_UPDATE, &d[..11]), None);
    }
}
