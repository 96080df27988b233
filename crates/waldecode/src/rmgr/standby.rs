//! The Standby resource manager (`storage/standbydefs.h`): AccessExclusive
//! locks, running-transactions snapshots and invalidations, with ports of
//! `standby_desc`, `standby_identify` and `standby_desc_invalidations`
//! (standbydesc.c), the last shared with the transaction descriptions.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::{check_fits, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_STANDBY_LOCK: u8 = 0x00;
pub const XLOG_RUNNING_XACTS: u8 = 0x10;
pub const XLOG_INVALIDATIONS: u8 = 0x20;

/// Size of a `SharedInvalidationMessage` (sinval.h).
pub const SIZEOF_INVAL_MSG: usize = 16;

/// `xl_running_xacts`, with the `xids` array (top-level xids first, then
/// `subxcnt` subtransaction ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningXacts {
    pub xcnt: i32,
    pub subxcnt: i32,
    pub subxid_overflow: bool,
    pub next_xid: u32,
    pub oldest_running_xid: u32,
    pub latest_completed_xid: u32,
    /// `xcnt` top-level xids followed by `subxcnt` subxids (as many as the
    /// data holds when the counts are not both non-negative).
    pub xids: Vec<u32>,
}

/// Parses `XLOG_RUNNING_XACTS` main data: xcnt 0:i32, subxcnt 4:i32,
/// subxid_overflow 8:bool, nextXid 12, oldestRunningXid 16,
/// latestCompletedXid 20, xids 24.
pub fn parse_running_xacts(d: &[u8]) -> Option<RunningXacts> {
    let mut c = Cursor::new(d);
    let xcnt = c.i32()?;
    let subxcnt = c.i32()?;
    let subxid_overflow = c.bool()?;
    c.seek(12)?;
    let next_xid = c.u32()?;
    let oldest_running_xid = c.u32()?;
    let latest_completed_xid = c.u32()?;
    let n = usize::try_from(xcnt).ok()?.checked_add(usize::try_from(subxcnt).ok()?)?;
    let xids = c.u32s(n)?;
    Some(RunningXacts {
        xcnt,
        subxcnt,
        subxid_overflow,
        next_xid,
        oldest_running_xid,
        latest_completed_xid,
        xids,
    })
}

/// Port of `standby_identify` (standbydesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_STANDBY_LOCK => Some("LOCK"),
        XLOG_RUNNING_XACTS => Some("RUNNING_XACTS"),
        XLOG_INVALIDATIONS => Some("INVALIDATIONS"),
        _ => None,
    }
}

/// Port of `standby_desc` (standbydesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_STANDBY_LOCK => {
            // xl_standby_locks: nlocks int, then (xid, dbOid, relOid) each.
            let mut c = Cursor::new(d);
            let nlocks = c.i32()?;
            for _ in 0..nlocks.max(0) {
                let xid = c.u32()?;
                let db = c.u32()?;
                let rel = c.u32()?;
                let _ = write!(buf, "xid {xid} db {db} rel {rel} ");
            }
        }
        XLOG_RUNNING_XACTS => {
            // The C prints only the first xcnt xids, so parse just those.
            let mut c = Cursor::new(d);
            let xcnt = c.i32()?;
            c.seek(8)?;
            let overflow = c.bool()?;
            c.seek(12)?;
            let next_xid = c.u32()?;
            let oldest_running = c.u32()?;
            let latest_completed = c.u32()?;
            let _ = write!(
                buf,
                "nextXid {next_xid} latestCompletedXid {latest_completed} \
                 oldestRunningXid {oldest_running}"
            );
            if xcnt > 0 {
                let _ = write!(buf, "; {xcnt} xacts:");
                for _ in 0..xcnt {
                    let _ = write!(buf, " {}", c.u32()?);
                }
            }
            if overflow {
                buf.push_str("; subxid ovf");
            }
        }
        XLOG_INVALIDATIONS => {
            // xl_invalidations: dbId, tsId, relcacheInitFileInval bool,
            // nmsgs int at 12, msgs at 16.
            let mut c = Cursor::new(d);
            let db = c.u32()?;
            let ts = c.u32()?;
            let init = c.bool()?;
            c.seek(12)?;
            let nmsgs = c.i32()?;
            let msgs = c.bytes(d.len().saturating_sub(16))?;
            desc_invalidations(buf, nmsgs, msgs, db, ts, init)?;
        }
        _ => {}
    }
    Some(())
}

/// Port of `standby_desc_invalidations` (standbydesc.c): `nmsgs`
/// 16-byte `SharedInvalidationMessage`s at the start of `msgs`.
pub fn desc_invalidations(
    buf: &mut String,
    nmsgs: i32,
    msgs: &[u8],
    db: u32,
    ts: u32,
    relcache_init_file_inval: bool,
) -> Option<()> {
    if nmsgs <= 0 {
        return Some(());
    }
    let n = usize::try_from(nmsgs).ok()?;
    check_fits(n, SIZEOF_INVAL_MSG, msgs.len())?;
    if relcache_init_file_inval {
        let _ = write!(buf, "; relcache init file inval dbid {db} tsid {ts}");
    }
    buf.push_str("; inval msgs:");
    let mut c = Cursor::new(msgs);
    for _ in 0..n {
        let m = c.bytes(SIZEOF_INVAL_MSG)?;
        let mut mc = Cursor::new(m);
        let id = mc.i8()?;
        // Catalog, relcache and snapshot messages: id, pad, dbId at 4,
        // catId/relId at 8. Relmap: dbId at 4.
        let at4 = Cursor::at(m, 4).u32()?;
        let at8 = Cursor::at(m, 8).u32()?;
        match id {
            0.. => {
                let _ = write!(buf, " catcache {id}");
            }
            -1 => {
                let _ = write!(buf, " catalog {at8}");
            }
            -2 => {
                let _ = write!(buf, " relcache {at8}");
            }
            -3 => buf.push_str(" smgr"),
            -4 => {
                let _ = write!(buf, " relmap db {at4}");
            }
            -5 => {
                let _ = write!(buf, " snapshot {at8}");
            }
            _ => {
                let _ = write!(buf, " unrecognized id {id}");
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, B};
    use super::super::{RM_STANDBY_ID, TRUNCATED};
    use super::*;
    use crate::version::PgVersion;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn running_xacts() {
        let d = B::new()
            .i32(2)
            .i32(1)
            .u8(0)
            .zeros(3)
            .u32(750)
            .u32(745)
            .u32(749)
            .u32(745)
            .u32(748)
            .u32(746)
            .done();
        assert_eq!(
            desc(V, RM_STANDBY_ID, XLOG_RUNNING_XACTS, &d),
            "nextXid 750 latestCompletedXid 749 oldestRunningXid 745; 2 xacts: 745 748"
        );
        let p = parse_running_xacts(&d).unwrap();
        assert_eq!(p.xids, vec![745, 748, 746]);
        assert_eq!(p.next_xid, 750);
        let empty = B::new().i32(0).i32(0).u8(1).zeros(3).u32(3).u32(3).u32(2).done();
        assert_eq!(
            desc(V, RM_STANDBY_ID, XLOG_RUNNING_XACTS | 0x01, &empty),
            "nextXid 3 latestCompletedXid 2 oldestRunningXid 3; subxid ovf"
        );
        assert_eq!(desc(V, RM_STANDBY_ID, XLOG_RUNNING_XACTS, &d[..26]), TRUNCATED);
        assert_eq!(parse_running_xacts(&d[..30]), None);
    }

    #[test]
    fn locks() {
        let d = B::new().i32(2).u32(740).u32(5).u32(16384).u32(741).u32(5).u32(16390).done();
        assert_eq!(
            desc(V, RM_STANDBY_ID, XLOG_STANDBY_LOCK, &d),
            "xid 740 db 5 rel 16384 xid 741 db 5 rel 16390 "
        );
    }

    #[test]
    fn invalidations() {
        let d = B::new()
            .u32(5)
            .u32(1663)
            .u8(1)
            .zeros(3)
            .i32(4)
            .bytes(&[54, 0, 0, 0])
            .u32(5)
            .u32(0xDEAD_BEEF)
            .u32(0)
            .bytes(&[0xFE, 0, 0, 0])
            .u32(5)
            .u32(16384)
            .u32(0)
            .bytes(&[0xFC, 0, 0, 0])
            .u32(5)
            .zeros(8)
            .bytes(&[0xF0, 0, 0, 0])
            .zeros(12)
            .done();
        assert_eq!(
            desc(V, RM_STANDBY_ID, XLOG_INVALIDATIONS, &d),
            "; relcache init file inval dbid 5 tsid 1663; inval msgs: catcache 54 relcache 16384 \
             relmap db 5 unrecognized id -16"
        );
    }

    #[test]
    fn identify_all() {
        assert_eq!(identify(PgVersion::V15, 0x00), Some("LOCK"));
        assert_eq!(identify(PgVersion::V15, 0x10), Some("RUNNING_XACTS"));
        assert_eq!(identify(PgVersion::V15, 0x2F), Some("INVALIDATIONS"));
        assert_eq!(identify(PgVersion::V15, 0x30), None);
    }
}
