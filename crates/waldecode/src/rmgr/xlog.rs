//! The XLOG resource manager (`RM_XLOG_ID`): its record types
//! (`catalog/pg_control.h`), the checkpoint record parser, and ports of
//! `xlog_desc` / `xlog_identify` (xlogdesc.c).

use std::fmt::Write;

use super::text::{cstr, lsn, timestamptz};
use super::{DescInput, RM_XLOG_ID};
use crate::bytes::{bool_at, i32_at, i64_at, u32_at, u64_at, Cursor};
use crate::record::Record;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_CHECKPOINT_SHUTDOWN: u8 = 0x00;
pub const XLOG_CHECKPOINT_ONLINE: u8 = 0x10;
pub const XLOG_NOOP: u8 = 0x20;
pub const XLOG_NEXTOID: u8 = 0x30;
pub const XLOG_SWITCH: u8 = 0x40;
pub const XLOG_BACKUP_END: u8 = 0x50;
pub const XLOG_PARAMETER_CHANGE: u8 = 0x60;
pub const XLOG_RESTORE_POINT: u8 = 0x70;
pub const XLOG_FPW_CHANGE: u8 = 0x80;
pub const XLOG_END_OF_RECOVERY: u8 = 0x90;
pub const XLOG_FPI_FOR_HINT: u8 = 0xA0;
pub const XLOG_FPI: u8 = 0xB0;
pub const XLOG_OVERWRITE_CONTRECORD: u8 = 0xD0;
/// PostgreSQL 17 and later only.
pub const XLOG_CHECKPOINT_REDO: u8 = 0xE0;

/// The body of a checkpoint record (`CheckPoint`, pg_control.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckPoint {
    /// The redo point: where replay of this checkpoint starts.
    pub redo: u64,
    pub this_tli: u32,
    pub prev_tli: u32,
    pub full_page_writes: bool,
    /// `wal_level` (0 minimal, 1 replica, 2 logical); PostgreSQL 17+ only.
    pub wal_level: Option<i32>,
    /// Full transaction id: epoch << 32 | xid.
    pub next_xid: u64,
    pub next_oid: u32,
    pub next_multi: u32,
    pub next_multi_offset: u32,
    pub oldest_xid: u32,
    pub oldest_xid_db: u32,
    pub oldest_multi: u32,
    pub oldest_multi_db: u32,
    /// `pg_time_t`: seconds since the Unix epoch.
    pub time: i64,
    pub oldest_commit_ts_xid: u32,
    pub newest_commit_ts_xid: u32,
    pub oldest_active_xid: u32,
}

/// Parses the main data of `XLOG_CHECKPOINT_SHUTDOWN` / `_ONLINE`
/// (`CheckPoint`, 88 bytes; PG 17 adds `wal_level` at offset 20 in what was
/// padding). `None` if the data is too short.
pub fn parse_checkpoint(version: PgVersion, d: &[u8]) -> Option<CheckPoint> {
    Some(CheckPoint {
        redo: u64_at(d, 0)?,
        this_tli: u32_at(d, 8)?,
        prev_tli: u32_at(d, 12)?,
        full_page_writes: bool_at(d, 16)?,
        wal_level: if version.checkpoint_has_wal_level() { Some(i32_at(d, 20)?) } else { None },
        next_xid: u64_at(d, 24)?,
        next_oid: u32_at(d, 32)?,
        next_multi: u32_at(d, 36)?,
        next_multi_offset: u32_at(d, 40)?,
        oldest_xid: u32_at(d, 44)?,
        oldest_xid_db: u32_at(d, 48)?,
        oldest_multi: u32_at(d, 52)?,
        oldest_multi_db: u32_at(d, 56)?,
        time: i64_at(d, 64)?,
        oldest_commit_ts_xid: u32_at(d, 72)?,
        newest_commit_ts_xid: u32_at(d, 76)?,
        oldest_active_xid: u32_at(d, 80)?,
    })
}

/// Whether a record with these header fields is an `XLOG_SWITCH`: the
/// rest of its segment is unused.
pub fn is_switch(rmid: u8, info: u8) -> bool {
    rmid == RM_XLOG_ID && info & !XLR_INFO_MASK == XLOG_SWITCH
}

/// Whether a record is `XLOG_FPI` or `XLOG_FPI_FOR_HINT`: nothing but
/// full-page images, to be installed as they are.
pub fn is_fpi(rec: &Record<'_>) -> bool {
    rec.rmid() == RM_XLOG_ID && matches!(rec.info() & !XLR_INFO_MASK, XLOG_FPI | XLOG_FPI_FOR_HINT)
}

/// The checkpoint a record holds, if it is a checkpoint record (shutdown
/// or online) whose data parses.
pub fn checkpoint(rec: &Record<'_>) -> Option<CheckPoint> {
    let is_checkpoint = rec.rmid() == RM_XLOG_ID
        && matches!(rec.info() & !XLR_INFO_MASK, XLOG_CHECKPOINT_SHUTDOWN | XLOG_CHECKPOINT_ONLINE);
    if !is_checkpoint {
        return None;
    }
    parse_checkpoint(rec.version(), rec.main_data())
}

/// `get_wal_level_string` (xlogdesc.c, PG 17; inline in PG 15).
pub fn wal_level_name(level: i32) -> &'static str {
    match level {
        0 => "minimal",
        1 => "replica",
        2 => "logical",
        _ => "?",
    }
}

/// Port of `xlog_identify` (xlogdesc.c); `CHECKPOINT_REDO` from PG 17.
pub fn identify(version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_CHECKPOINT_SHUTDOWN => "CHECKPOINT_SHUTDOWN",
        XLOG_CHECKPOINT_ONLINE => "CHECKPOINT_ONLINE",
        XLOG_NOOP => "NOOP",
        XLOG_NEXTOID => "NEXTOID",
        XLOG_SWITCH => "SWITCH",
        XLOG_BACKUP_END => "BACKUP_END",
        XLOG_PARAMETER_CHANGE => "PARAMETER_CHANGE",
        XLOG_RESTORE_POINT => "RESTORE_POINT",
        XLOG_FPW_CHANGE => "FPW_CHANGE",
        XLOG_END_OF_RECOVERY => "END_OF_RECOVERY",
        XLOG_OVERWRITE_CONTRECORD => "OVERWRITE_CONTRECORD",
        XLOG_FPI => "FPI",
        XLOG_FPI_FOR_HINT => "FPI_FOR_HINT",
        XLOG_CHECKPOINT_REDO if version.checkpoint_has_wal_level() => "CHECKPOINT_REDO",
        _ => return None,
    })
}

/// Port of `xlog_desc` (xlogdesc.c). PG 17+ adds `wal_level` to the
/// checkpoint and end-of-recovery text and describes `CHECKPOINT_REDO`.
/// `NOOP`, `SWITCH`, `FPI` and `FPI_FOR_HINT` print nothing.
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let v17 = input.version.checkpoint_has_wal_level();
    let info = input.info & !XLR_INFO_MASK;
    match info {
        XLOG_CHECKPOINT_SHUTDOWN | XLOG_CHECKPOINT_ONLINE => {
            let c = parse_checkpoint(input.version, d)?;
            let _ = write!(
                buf,
                "redo {}; tli {}; prev tli {}; fpw {}; ",
                lsn(c.redo),
                c.this_tli,
                c.prev_tli,
                c.full_page_writes
            );
            if let Some(level) = c.wal_level {
                let _ = write!(buf, "wal_level {}; ", wal_level_name(level));
            }
            let _ = write!(
                buf,
                "xid {}:{}; oid {}; multi {}; offset {}; oldest xid {} in DB {}; \
                 oldest multi {} in DB {}; oldest/newest commit timestamp xid: {}/{}; \
                 oldest running xid {}; {}",
                c.next_xid >> 32,
                c.next_xid & 0xFFFF_FFFF,
                c.next_oid,
                c.next_multi,
                c.next_multi_offset,
                c.oldest_xid,
                c.oldest_xid_db,
                c.oldest_multi,
                c.oldest_multi_db,
                c.oldest_commit_ts_xid,
                c.newest_commit_ts_xid,
                c.oldest_active_xid,
                if info == XLOG_CHECKPOINT_SHUTDOWN { "shutdown" } else { "online" }
            );
        }
        XLOG_NEXTOID => {
            let _ = write!(buf, "{}", u32_at(d, 0)?);
        }
        XLOG_RESTORE_POINT => {
            // xl_restore_point: rp_time i64, rp_name char[MAXFNAMELEN].
            let name = Cursor::at(d, 8).cstr()?;
            buf.push_str(&cstr(name));
        }
        XLOG_BACKUP_END => {
            buf.push_str(&lsn(u64_at(d, 0)?));
        }
        XLOG_PARAMETER_CHANGE => {
            // xl_parameter_change: six ints, then two bools.
            let mut c = Cursor::new(d);
            let max_connections = c.i32()?;
            let max_worker_processes = c.i32()?;
            let max_wal_senders = c.i32()?;
            let max_prepared_xacts = c.i32()?;
            let max_locks_per_xact = c.i32()?;
            let wal_level = c.i32()?;
            let wal_log_hints = c.bool()?;
            let track_commit_timestamp = c.bool()?;
            let _ = write!(
                buf,
                "max_connections={max_connections} max_worker_processes={max_worker_processes} \
                 max_wal_senders={max_wal_senders} max_prepared_xacts={max_prepared_xacts} \
                 max_locks_per_xact={max_locks_per_xact} wal_level={} \
                 wal_log_hints={} track_commit_timestamp={}",
                wal_level_name(wal_level),
                on_off(wal_log_hints),
                on_off(track_commit_timestamp)
            );
        }
        XLOG_FPW_CHANGE => {
            let fpw = bool_at(d, 0)?;
            buf.push_str(if fpw { "true" } else { "false" });
        }
        XLOG_END_OF_RECOVERY => {
            // xl_end_of_recovery: end_time i64, ThisTimeLineID, PrevTimeLineID
            // (+ wal_level int in PG 17).
            let end_time = i64_at(d, 0)?;
            let this_tli = u32_at(d, 8)?;
            let prev_tli = u32_at(d, 12)?;
            let _ =
                write!(buf, "tli {this_tli}; prev tli {prev_tli}; time {}", timestamptz(end_time));
            if v17 {
                let _ = write!(buf, "; wal_level {}", wal_level_name(i32_at(d, 16)?));
            }
        }
        XLOG_OVERWRITE_CONTRECORD => {
            let overwritten = u64_at(d, 0)?;
            let time = i64_at(d, 8)?;
            let _ = write!(buf, "lsn {}; time {}", lsn(overwritten), timestamptz(time));
        }
        XLOG_CHECKPOINT_REDO if v17 => {
            let _ = write!(buf, "wal_level {}", wal_level_name(i32_at(d, 0)?));
        }
        _ => {}
    }
    Some(())
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, B};
    use super::super::{RM_XLOG_ID, TRUNCATED};
    use super::*;

    fn checkpoint_bytes(v17: bool) -> Vec<u8> {
        B::new()
            .u64(0x0000_0001_6B37_4D48) // redo 1/6B374D48
            .u32(1)
            .u32(1)
            .u8(1)
            .zeros(3)
            .i32(if v17 { 2 } else { 0 })
            .u64(739) // epoch 0, xid 739
            .u32(24576)
            .u32(1)
            .u32(0)
            .u32(716)
            .u32(1)
            .u32(1)
            .u32(1)
            .zeros(4)
            .i64(1_764_039_271)
            .u32(0)
            .u32(0)
            .u32(739)
            .zeros(4)
            .done()
    }

    #[test]
    fn checkpoint() {
        let d = checkpoint_bytes(false);
        assert_eq!(d.len(), 88);
        let cp = parse_checkpoint(PgVersion::V15, &d).unwrap();
        assert_eq!(cp.redo, 0x1_6B37_4D48);
        assert_eq!(cp.this_tli, 1);
        assert!(cp.full_page_writes);
        assert_eq!(cp.next_xid, 739);
        assert_eq!(cp.next_oid, 24576);
        assert_eq!(cp.oldest_xid, 716);
        assert_eq!(cp.time, 1_764_039_271);
        assert_eq!(cp.oldest_active_xid, 739);
        assert_eq!(cp.wal_level, None);
        assert_eq!(
            desc(PgVersion::V15, RM_XLOG_ID, XLOG_CHECKPOINT_ONLINE, &d),
            "redo 1/6B374D48; tli 1; prev tli 1; fpw true; xid 0:739; oid 24576; multi 1; \
             offset 0; oldest xid 716 in DB 1; oldest multi 1 in DB 1; \
             oldest/newest commit timestamp xid: 0/0; oldest running xid 739; online"
        );
        let d17 = checkpoint_bytes(true);
        assert_eq!(parse_checkpoint(PgVersion::V17, &d17).unwrap().wal_level, Some(2));
        assert_eq!(
            desc(PgVersion::V17, RM_XLOG_ID, XLOG_CHECKPOINT_SHUTDOWN, &d17),
            "redo 1/6B374D48; tli 1; prev tli 1; fpw true; wal_level logical; xid 0:739; \
             oid 24576; multi 1; offset 0; oldest xid 716 in DB 1; oldest multi 1 in DB 1; \
             oldest/newest commit timestamp xid: 0/0; oldest running xid 739; shutdown"
        );
        assert_eq!(parse_checkpoint(PgVersion::V15, &d[..83]), None);
        assert!(parse_checkpoint(PgVersion::V15, &d[..84]).is_some());
        assert_eq!(desc(PgVersion::V15, RM_XLOG_ID, 0x10, &d[..50]), TRUNCATED);
    }

    #[test]
    fn others() {
        let v = PgVersion::V15;
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_NEXTOID, &B::new().u32(24576).done()), "24576");
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_SWITCH, &[]), "");
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_FPI, &[]), "");
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_FPI_FOR_HINT, &[]), "");
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_NOOP, &[]), "");
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_FPW_CHANGE, &[0]), "false");
        assert_eq!(
            desc(v, RM_XLOG_ID, XLOG_BACKUP_END, &B::new().u64(0x2_0000_0028).done()),
            "2/28"
        );
        let rp = B::new().i64(0).bytes(b"before_upgrade\0").zeros(49).done();
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_RESTORE_POINT, &rp), "before_upgrade");
        let pc = B::new().i32(100).i32(8).i32(10).i32(0).i32(64).i32(1).u8(0).u8(1).done();
        assert_eq!(
            desc(v, RM_XLOG_ID, XLOG_PARAMETER_CHANGE, &pc),
            "max_connections=100 max_worker_processes=8 max_wal_senders=10 \
             max_prepared_xacts=0 max_locks_per_xact=64 wal_level=replica \
             wal_log_hints=off track_commit_timestamp=on"
        );
        let eor = B::new().i64(0).u32(2).u32(1).i32(1).zeros(4).done();
        assert_eq!(
            desc(v, RM_XLOG_ID, XLOG_END_OF_RECOVERY, &eor),
            "tli 2; prev tli 1; time 2000-01-01 00:00:00+00"
        );
        assert_eq!(
            desc(PgVersion::V17, RM_XLOG_ID, XLOG_END_OF_RECOVERY, &eor),
            "tli 2; prev tli 1; time 2000-01-01 00:00:00+00; wal_level replica"
        );
        let oc = B::new().u64(0x0_0100_0FF0).i64(1_500_000).done();
        assert_eq!(
            desc(v, RM_XLOG_ID, XLOG_OVERWRITE_CONTRECORD, &oc),
            "lsn 0/1000FF0; time 2000-01-01 00:00:01.5+00"
        );
        assert_eq!(desc(v, RM_XLOG_ID, XLOG_CHECKPOINT_REDO, &[1, 0, 0, 0]), "");
        assert_eq!(
            desc(PgVersion::V17, RM_XLOG_ID, XLOG_CHECKPOINT_REDO, &[1, 0, 0, 0]),
            "wal_level replica"
        );
    }

    #[test]
    fn identify_all() {
        let v = PgVersion::V15;
        assert_eq!(identify(v, 0x00), Some("CHECKPOINT_SHUTDOWN"));
        assert_eq!(identify(v, 0x01), Some("CHECKPOINT_SHUTDOWN"));
        assert_eq!(identify(v, 0x40), Some("SWITCH"));
        assert_eq!(identify(v, 0xB0), Some("FPI"));
        assert_eq!(identify(v, 0xD0), Some("OVERWRITE_CONTRECORD"));
        assert_eq!(identify(v, 0xC0), None);
        assert_eq!(identify(v, 0xF0), None);
        assert_eq!(identify(PgVersion::V18, 0xE0), Some("CHECKPOINT_REDO"));
        assert_eq!(identify(PgVersion::V16, 0xE0), None);
    }
}
