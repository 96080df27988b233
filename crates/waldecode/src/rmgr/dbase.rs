//! The Database resource manager (`commands/dbcommands_xlog.h`): creating
//! and dropping database directories; port of dbasedesc.c, with PG 14's
//! older opcodes.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::{u32_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_DBASE_CREATE_FILE_COPY: u8 = 0x00;

pub const XLOG_DBASE_CREATE_WAL_LOG: u8 = 0x10;

pub const XLOG_DBASE_DROP: u8 = 0x20;

/// PG 14's `XLOG_DBASE_CREATE` (a file copy; became `CREATE_FILE_COPY`).
pub const XLOG_DBASE_CREATE_PG14: u8 = 0x00;

/// PG 14's `XLOG_DBASE_DROP`.
pub const XLOG_DBASE_DROP_PG14: u8 = 0x10;

/// Port of `dbase_identify` (dbasedesc.c). PG 14 has only CREATE (0x00)
/// and DROP (0x10); PG 15 added the WAL_LOG strategy and renumbered.
pub fn identify(version: PgVersion, info: u8) -> Option<&'static str> {
    if !version.has_wal_log_database_strategy() {
        return match info & !XLR_INFO_MASK {
            XLOG_DBASE_CREATE_PG14 => Some("CREATE"),
            XLOG_DBASE_DROP_PG14 => Some("DROP"),
            _ => None,
        };
    }
    match info & !XLR_INFO_MASK {
        XLOG_DBASE_CREATE_FILE_COPY => Some("CREATE_FILE_COPY"),
        XLOG_DBASE_CREATE_WAL_LOG => Some("CREATE_WAL_LOG"),
        XLOG_DBASE_DROP => Some("DROP"),
        _ => None,
    }
}

/// Port of `dbase_desc` (dbasedesc.c), with PG 14's record numbering
/// (same text and layouts for its CREATE and DROP).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let mut info = input.info & !XLR_INFO_MASK;
    if !input.version.has_wal_log_database_strategy() {
        info = match info {
            XLOG_DBASE_CREATE_PG14 => XLOG_DBASE_CREATE_FILE_COPY,
            XLOG_DBASE_DROP_PG14 => XLOG_DBASE_DROP,
            _ => return Some(()),
        };
    }
    match info {
        XLOG_DBASE_CREATE_FILE_COPY => {
            // db_id, tablespace_id, src_db_id, src_tablespace_id.
            let (db, ts, src_db, src_ts) =
                (u32_at(d, 0)?, u32_at(d, 4)?, u32_at(d, 8)?, u32_at(d, 12)?);
            let _ = write!(buf, "copy dir {src_ts}/{src_db} to {ts}/{db}");
        }
        XLOG_DBASE_CREATE_WAL_LOG => {
            let (db, ts) = (u32_at(d, 0)?, u32_at(d, 4)?);
            let _ = write!(buf, "create dir {ts}/{db}");
        }
        XLOG_DBASE_DROP => {
            // db_id, ntablespaces int, tablespace_ids[].
            let mut c = Cursor::new(d);
            let db = c.u32()?;
            let n = c.i32()?;
            buf.push_str("dir");
            for _ in 0..n.max(0) {
                let _ = write!(buf, " {}/{db}", c.u32()?);
            }
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_DBASE_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new().u32(16500).u32(1663).u32(1).u32(1663).done();
        assert_eq!(
            desc(V, RM_DBASE_ID, XLOG_DBASE_CREATE_FILE_COPY, &d),
            "copy dir 1663/1 to 1663/16500"
        );
        let d = B::new().u32(16500).u32(1663).done();
        assert_eq!(desc(V, RM_DBASE_ID, XLOG_DBASE_CREATE_WAL_LOG, &d), "create dir 1663/16500");
        let d = B::new().u32(16500).i32(2).u32(1663).u32(16400).done();
        assert_eq!(desc(V, RM_DBASE_ID, XLOG_DBASE_DROP, &d), "dir 1663/16500 16400/16500");
        assert_eq!(identify(V, 0x20), Some("DROP"));
        assert_eq!(identify(V, 0x10), Some("CREATE_WAL_LOG"));
        assert_eq!(identify(PgVersion::V14, 0x00), Some("CREATE"));
        assert_eq!(identify(PgVersion::V14, 0x10), Some("DROP"));
        assert_eq!(identify(PgVersion::V14, 0x20), None);
        let d = B::new().u32(16500).i32(1).u32(1663).done();
        assert_eq!(desc(PgVersion::V14, RM_DBASE_ID, 0x10, &d), "dir 1663/16500");
        assert_eq!(desc(PgVersion::V14, RM_DBASE_ID, 0x20, &d), "");
    }
}
