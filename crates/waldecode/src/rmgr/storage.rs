//! The small resource managers: Storage (smgr), CLOG, Database,
//! Tablespace, MultiXact, RelMap, CommitTs, ReplicationOrigin, Generic and
//! LogicalMessage — ports of their `*_desc` / `*_identify` functions
//! (smgrdesc.c, clogdesc.c, dbasedesc.c, tblspcdesc.c, mxactdesc.c,
//! relmapdesc.c, committsdesc.c, replorigindesc.c, genericdesc.c,
//! logicalmsgdesc.c). From PG 17 the SLRU page numbers in CLOG, CommitTs
//! and MultiXact records are 64-bit.

use std::fmt::Write;

use super::cursor::{bool_at, i32_at, i64_at, u16_at, u32_at, u64_at, Cursor};
use super::fmt::{cstr, lsn, relpathperm};
use super::{DescInput, XLR_INFO_MASK};
use crate::version::PgVersion;

pub const XLOG_SMGR_CREATE: u8 = 0x10;
pub const XLOG_SMGR_TRUNCATE: u8 = 0x20;
pub const SMGR_TRUNCATE_HEAP: i32 = 0x0001;
pub const SMGR_TRUNCATE_VM: i32 = 0x0002;
pub const SMGR_TRUNCATE_FSM: i32 = 0x0004;

pub const CLOG_ZEROPAGE: u8 = 0x00;
pub const CLOG_TRUNCATE: u8 = 0x10;

pub const XLOG_DBASE_CREATE_FILE_COPY: u8 = 0x00;
pub const XLOG_DBASE_CREATE_WAL_LOG: u8 = 0x10;
pub const XLOG_DBASE_DROP: u8 = 0x20;
/// PG 14's `XLOG_DBASE_CREATE` (a file copy; became `CREATE_FILE_COPY`).
pub const XLOG_DBASE_CREATE_PG14: u8 = 0x00;
/// PG 14's `XLOG_DBASE_DROP`.
pub const XLOG_DBASE_DROP_PG14: u8 = 0x10;

pub const XLOG_TBLSPC_CREATE: u8 = 0x00;
pub const XLOG_TBLSPC_DROP: u8 = 0x10;

pub const XLOG_MULTIXACT_ZERO_OFF_PAGE: u8 = 0x00;
pub const XLOG_MULTIXACT_ZERO_MEM_PAGE: u8 = 0x10;
pub const XLOG_MULTIXACT_CREATE_ID: u8 = 0x20;
pub const XLOG_MULTIXACT_TRUNCATE_ID: u8 = 0x30;

pub const XLOG_RELMAP_UPDATE: u8 = 0x00;

pub const COMMIT_TS_ZEROPAGE: u8 = 0x00;
pub const COMMIT_TS_TRUNCATE: u8 = 0x10;

pub const XLOG_REPLORIGIN_SET: u8 = 0x00;
pub const XLOG_REPLORIGIN_DROP: u8 = 0x10;

pub const XLOG_LOGICAL_MESSAGE: u8 = 0x00;

/// An SLRU page number: `int` up to PG 16, `int64` from PG 17.
fn slru_page(version: PgVersion, d: &[u8], off: usize) -> Option<i64> {
    if version >= PgVersion::V17 {
        i64_at(d, off)
    } else {
        i32_at(d, off).map(i64::from)
    }
}

/// Port of `smgr_identify` (smgrdesc.c).
pub fn smgr_identify(info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_SMGR_CREATE => Some("CREATE"),
        XLOG_SMGR_TRUNCATE => Some("TRUNCATE"),
        _ => None,
    }
}

/// Port of `smgr_desc` (smgrdesc.c).
pub fn smgr_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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
            // xl_smgr_truncate: blkno, RelFileNode, flags (int).
            let blkno = u32_at(d, 0)?;
            let (spc, db, rel, flags) =
                (u32_at(d, 4)?, u32_at(d, 8)?, u32_at(d, 12)?, i32_at(d, 16)?);
            let path = relpathperm(v, spc, db, rel, 0);
            let _ = write!(buf, "{path} to {blkno} blocks flags {flags}");
        }
        _ => {}
    }
    Some(())
}

/// Port of `clog_identify` (clogdesc.c).
pub fn clog_identify(info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        CLOG_ZEROPAGE => Some("ZEROPAGE"),
        CLOG_TRUNCATE => Some("TRUNCATE"),
        _ => None,
    }
}

/// Port of `clog_desc` (clogdesc.c).
pub fn clog_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v = input.version;
    match input.info & !XLR_INFO_MASK {
        CLOG_ZEROPAGE => {
            let _ = write!(buf, "page {}", slru_page(v, d, 0)?);
        }
        CLOG_TRUNCATE => {
            // xl_clog_truncate: pageno, oldestXact, oldestXactDb.
            let page = slru_page(v, d, 0)?;
            let xid_off = if v >= PgVersion::V17 { 8 } else { 4 };
            let _ = write!(buf, "page {page}; oldestXact {}", u32_at(d, xid_off)?);
        }
        _ => {}
    }
    Some(())
}

/// Port of `dbase_identify` (dbasedesc.c). PG 14 has only CREATE (0x00)
/// and DROP (0x10); PG 15 added the WAL_LOG strategy and renumbered.
pub fn dbase_identify(version: PgVersion, info: u8) -> Option<&'static str> {
    if version == PgVersion::V14 {
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
pub fn dbase_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let mut info = input.info & !XLR_INFO_MASK;
    if input.version == PgVersion::V14 {
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

/// Port of `tblspc_identify` (tblspcdesc.c).
pub fn tblspc_identify(info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_TBLSPC_CREATE => Some("CREATE"),
        XLOG_TBLSPC_DROP => Some("DROP"),
        _ => None,
    }
}

/// Port of `tblspc_desc` (tblspcdesc.c).
pub fn tblspc_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_TBLSPC_CREATE => {
            // ts_id, then the NUL-terminated path.
            let id = u32_at(d, 0)?;
            let path = Cursor::at(d, 4).cstr()?;
            let _ = write!(buf, "{id} \"{}\"", cstr(path));
        }
        XLOG_TBLSPC_DROP => {
            let _ = write!(buf, "{}", u32_at(d, 0)?);
        }
        _ => {}
    }
    Some(())
}

/// Port of `multixact_identify` (mxactdesc.c).
pub fn multixact_identify(info: u8) -> Option<&'static str> {
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
pub fn multixact_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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

/// Port of `relmap_identify` (relmapdesc.c).
pub fn relmap_identify(info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_RELMAP_UPDATE => Some("UPDATE"),
        _ => None,
    }
}

/// Port of `relmap_desc` (relmapdesc.c).
pub fn relmap_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
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

/// Port of `commit_ts_identify` (committsdesc.c), which — unlike most —
/// compares the whole info byte, so any low bit makes it NULL.
pub fn commit_ts_identify(info: u8) -> Option<&'static str> {
    match info {
        COMMIT_TS_ZEROPAGE => Some("ZEROPAGE"),
        COMMIT_TS_TRUNCATE => Some("TRUNCATE"),
        _ => None,
    }
}

/// Port of `commit_ts_desc` (committsdesc.c).
pub fn commit_ts_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v = input.version;
    match input.info & !XLR_INFO_MASK {
        COMMIT_TS_ZEROPAGE => {
            let _ = write!(buf, "{}", slru_page(v, d, 0)?);
        }
        COMMIT_TS_TRUNCATE => {
            // xl_commit_ts_truncate: pageno, oldestXid.
            let page = slru_page(v, d, 0)?;
            let xid_off = if v >= PgVersion::V17 { 8 } else { 4 };
            let _ = write!(buf, "pageno {page}, oldestXid {}", u32_at(d, xid_off)?);
        }
        _ => {}
    }
    Some(())
}

/// Port of `replorigin_identify` (replorigindesc.c); compares the whole
/// info byte like the C.
pub fn replorigin_identify(info: u8) -> Option<&'static str> {
    match info {
        XLOG_REPLORIGIN_SET => Some("SET"),
        XLOG_REPLORIGIN_DROP => Some("DROP"),
        _ => None,
    }
}

/// Port of `replorigin_desc` (replorigindesc.c).
pub fn replorigin_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_REPLORIGIN_SET => {
            // xl_replorigin_set: remote_lsn u64, node_id u16, force bool.
            let remote = u64_at(d, 0)?;
            let node = u16_at(d, 8)?;
            let force = Cursor::at(d, 10).u8()?;
            // `%d` of a C bool prints its byte value.
            let _ = write!(buf, "set {node}; lsn {}; force: {force}", lsn(remote));
        }
        XLOG_REPLORIGIN_DROP => {
            let _ = write!(buf, "drop {}", u16_at(d, 0)?);
        }
        _ => {}
    }
    Some(())
}

/// Port of `generic_identify` (genericdesc.c): always "Generic".
pub fn generic_identify(_info: u8) -> Option<&'static str> {
    Some("Generic")
}

/// Port of `generic_desc` (genericdesc.c): the page regions the record
/// overwrites, as (offset u16, length u16, bytes) runs.
pub fn generic_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let mut c = Cursor::new(d);
    while c.remaining() > 0 {
        let offset = c.u16()?;
        let length = c.u16()?;
        // The C advances past the region without checking it; so do we, and
        // only the comparison with the end matters.
        let next = c.pos().checked_add(usize::from(length))?;
        if next < d.len() {
            let _ = write!(buf, "offset {offset}, length {length}; ");
            c.seek(next)?;
        } else {
            let _ = write!(buf, "offset {offset}, length {length}");
            break;
        }
    }
    Some(())
}

/// Port of `logicalmsg_identify` (logicalmsgdesc.c).
pub fn logicalmsg_identify(info: u8) -> Option<&'static str> {
    (info & !XLR_INFO_MASK == XLOG_LOGICAL_MESSAGE).then_some("MESSAGE")
}

/// Port of `logicalmsg_desc` (logicalmsgdesc.c).
pub fn logicalmsg_desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    if input.info & !XLR_INFO_MASK == XLOG_LOGICAL_MESSAGE {
        // xl_logical_message: dbId u32, transactional bool, prefix_size
        // u64 at 8, message_size u64 at 16, message at 24 (prefix incl. NUL,
        // then payload).
        let transactional = bool_at(d, 4)?;
        let prefix_size = usize::try_from(u64_at(d, 8)?).ok()?;
        let message_size = u64_at(d, 16)?;
        let msg = d.get(24..)?;
        let prefix = msg.get(..prefix_size)?;
        let prefix = prefix.split(|&b| b == 0).next().unwrap_or_default();
        let payload = Cursor::at(msg, prefix_size).bytes(usize::try_from(message_size).ok()?)?;
        let kind = if transactional { "transactional" } else { "non-transactional" };
        let _ =
            write!(buf, "{kind}, prefix \"{}\"; payload ({message_size} bytes): ", cstr(prefix));
        for (i, b) in payload.iter().enumerate() {
            if i > 0 {
                buf.push(' ');
            }
            let _ = write!(buf, "{b:02X}");
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, B};
    use super::super::*;
    use super::*;

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
        assert_eq!(smgr_identify(0x10), Some("CREATE"));
        assert_eq!(smgr_identify(0x20), Some("TRUNCATE"));
        assert_eq!(smgr_identify(0x00), None);
    }

    #[test]
    fn clog_and_commit_ts() {
        assert_eq!(desc(V, RM_CLOG_ID, CLOG_ZEROPAGE, &B::new().i32(3).done()), "page 3");
        let t = B::new().i32(2).u32(1000).u32(1).done();
        assert_eq!(desc(V, RM_CLOG_ID, CLOG_TRUNCATE, &t), "page 2; oldestXact 1000");
        let t17 = B::new().i64(2).u32(1000).u32(1).done();
        assert_eq!(
            desc(PgVersion::V17, RM_CLOG_ID, CLOG_TRUNCATE, &t17),
            "page 2; oldestXact 1000"
        );
        assert_eq!(desc(V, RM_COMMIT_TS_ID, COMMIT_TS_ZEROPAGE, &[9, 0, 0, 0]), "9");
        let t = B::new().i32(4).u32(900).done();
        assert_eq!(desc(V, RM_COMMIT_TS_ID, COMMIT_TS_TRUNCATE, &t), "pageno 4, oldestXid 900");
        assert_eq!(commit_ts_identify(0x10), Some("TRUNCATE"));
        assert_eq!(commit_ts_identify(0x11), None);
        assert_eq!(clog_identify(0x11), Some("TRUNCATE"));
    }

    #[test]
    fn dbase_tblspc_relmap() {
        let d = B::new().u32(16500).u32(1663).u32(1).u32(1663).done();
        assert_eq!(
            desc(V, RM_DBASE_ID, XLOG_DBASE_CREATE_FILE_COPY, &d),
            "copy dir 1663/1 to 1663/16500"
        );
        let d = B::new().u32(16500).u32(1663).done();
        assert_eq!(desc(V, RM_DBASE_ID, XLOG_DBASE_CREATE_WAL_LOG, &d), "create dir 1663/16500");
        let d = B::new().u32(16500).i32(2).u32(1663).u32(16400).done();
        assert_eq!(desc(V, RM_DBASE_ID, XLOG_DBASE_DROP, &d), "dir 1663/16500 16400/16500");
        let d = B::new().u32(16400).bytes(b"/srv/ts1\0").done();
        assert_eq!(desc(V, RM_TBLSPC_ID, XLOG_TBLSPC_CREATE, &d), "16400 \"/srv/ts1\"");
        assert_eq!(desc(V, RM_TBLSPC_ID, XLOG_TBLSPC_DROP, &B::new().u32(16400).done()), "16400");
        let d = B::new().u32(0).u32(1664).i32(512).done();
        assert_eq!(
            desc(V, RM_RELMAP_ID, XLOG_RELMAP_UPDATE, &d),
            "database 0 tablespace 1664 size 512"
        );
        assert_eq!(dbase_identify(V, 0x20), Some("DROP"));
        assert_eq!(dbase_identify(V, 0x10), Some("CREATE_WAL_LOG"));
        assert_eq!(dbase_identify(PgVersion::V14, 0x00), Some("CREATE"));
        assert_eq!(dbase_identify(PgVersion::V14, 0x10), Some("DROP"));
        assert_eq!(dbase_identify(PgVersion::V14, 0x20), None);
        let d = B::new().u32(16500).i32(1).u32(1663).done();
        assert_eq!(desc(PgVersion::V14, RM_DBASE_ID, 0x10, &d), "dir 1663/16500");
        assert_eq!(desc(PgVersion::V14, RM_DBASE_ID, 0x20, &d), "");
        assert_eq!(tblspc_identify(0x10), Some("DROP"));
        assert_eq!(relmap_identify(0x00), Some("UPDATE"));
        assert_eq!(relmap_identify(0x10), None);
    }

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
        assert_eq!(multixact_identify(0x30), Some("TRUNCATE_ID"));
    }

    #[test]
    fn replorigin_generic_logicalmsg() {
        let d = B::new().u64(0x1_0000_0010).u16(2).u8(1).zeros(5).done();
        assert_eq!(desc(V, RM_REPLORIGIN_ID, XLOG_REPLORIGIN_SET, &d), "set 2; lsn 1/10; force: 1");
        assert_eq!(desc(V, RM_REPLORIGIN_ID, XLOG_REPLORIGIN_DROP, &[2, 0]), "drop 2");
        assert_eq!(replorigin_identify(0x00), Some("SET"));
        assert_eq!(replorigin_identify(0x01), None);
        let d = B::new().u16(24).u16(2).bytes(&[1, 2]).u16(100).u16(1).bytes(&[3]).done();
        assert_eq!(desc(V, RM_GENERIC_ID, 0, &d), "offset 24, length 2; offset 100, length 1");
        assert_eq!(generic_identify(0xF3), Some("Generic"));
        let d = B::new()
            .u32(5)
            .u8(1)
            .zeros(3)
            .u64(4)
            .u64(3)
            .bytes(b"pfx\0")
            .bytes(&[0x41, 0x00, 0xFF])
            .done();
        assert_eq!(
            desc(V, RM_LOGICALMSG_ID, XLOG_LOGICAL_MESSAGE, &d),
            "transactional, prefix \"pfx\"; payload (3 bytes): 41 00 FF"
        );
        assert_eq!(desc(V, RM_LOGICALMSG_ID, 0, &d[..d.len() - 1]), TRUNCATED);
        assert_eq!(logicalmsg_identify(0x00), Some("MESSAGE"));
        assert_eq!(logicalmsg_identify(0x10), None);
    }
}
