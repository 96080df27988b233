//! The Transaction resource manager (`access/xact.h`): typed parsers of
//! commit, abort, prepare and assignment records, used to follow
//! transactions, and ports of `xact_desc` / `xact_identify` (xactdesc.c).
//!
//! Version differences (WAL-NOTES §5, §7): PG 14 has no
//! `XACT_XINFO_HAS_DROPPED_STATS` and no stats counts in `xl_xact_prepare`;
//! PG 18's dropped-stats items are 16 bytes (64-bit object id) instead of 12.

use std::fmt::Write;

use super::standby::{desc_invalidations, SIZEOF_INVAL_MSG};
use super::text::{cstr, lsn, push_timestamptz, relpathperm, timestamptz};
use super::DescInput;
use crate::bytes::{check_fits, maxalign, Cursor};
use crate::layout::RelFileLocator;
use crate::version::PgVersion;

pub const XLOG_XACT_COMMIT: u8 = 0x00;
pub const XLOG_XACT_PREPARE: u8 = 0x10;
pub const XLOG_XACT_ABORT: u8 = 0x20;
pub const XLOG_XACT_COMMIT_PREPARED: u8 = 0x30;
pub const XLOG_XACT_ABORT_PREPARED: u8 = 0x40;
pub const XLOG_XACT_ASSIGNMENT: u8 = 0x50;
pub const XLOG_XACT_INVALIDATIONS: u8 = 0x60;
/// Mask for the opcode in `xl_info`.
pub const XLOG_XACT_OPMASK: u8 = 0x70;
/// The record has an `xl_xact_xinfo` field.
pub const XLOG_XACT_HAS_INFO: u8 = 0x80;

pub const XACT_XINFO_HAS_DBINFO: u32 = 1 << 0;
pub const XACT_XINFO_HAS_SUBXACTS: u32 = 1 << 1;
/// `HAS_RELFILELOCATORS` from PG 16 on; same bit.
pub const XACT_XINFO_HAS_RELFILENODES: u32 = 1 << 2;
pub const XACT_XINFO_HAS_INVALS: u32 = 1 << 3;
pub const XACT_XINFO_HAS_TWOPHASE: u32 = 1 << 4;
pub const XACT_XINFO_HAS_ORIGIN: u32 = 1 << 5;
pub const XACT_XINFO_HAS_AE_LOCKS: u32 = 1 << 6;
pub const XACT_XINFO_HAS_GID: u32 = 1 << 7;
/// PG 15 and later.
pub const XACT_XINFO_HAS_DROPPED_STATS: u32 = 1 << 8;
pub const XACT_COMPLETION_APPLY_FEEDBACK: u32 = 1 << 29;
pub const XACT_COMPLETION_UPDATE_RELCACHE_FILE: u32 = 1 << 30;
pub const XACT_COMPLETION_FORCE_SYNC_COMMIT: u32 = 1 << 31;

/// `TWOPHASE_MAGIC` (twophase.c), the first word of a prepare record.
pub const TWOPHASE_MAGIC: u32 = 0x57F9_4534;

/// A dropped statistics entry (`xl_xact_stats_item`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsItem {
    pub kind: i32,
    pub dboid: u32,
    /// The object's OID; 64 bits wide from PG 18 (`objid_hi << 32 | objid_lo`).
    pub objid: u64,
}

/// A parsed commit or abort record (`xl_xact_parsed_commit` /
/// `xl_xact_parsed_abort`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedCommit {
    /// Commit/abort time, µs since 2000-01-01 00:00 UTC.
    pub xact_time: i64,
    /// `XACT_XINFO_*` / `XACT_COMPLETION_*` bits (0 without `HAS_INFO`).
    pub xinfo: u32,
    pub db_id: u32,
    pub ts_id: u32,
    /// Committed (or aborted) subtransactions.
    pub subxacts: Vec<u32>,
    /// Relations whose storage is dropped.
    pub rels: Vec<RelFileLocator>,
    pub nrels: usize,
    /// Dropped statistics entries.
    pub stats: Vec<StatsItem>,
    /// Invalidation messages (commit only): count and raw 16-byte messages.
    pub nmsgs: usize,
    pub msgs: Vec<u8>,
    /// The prepared transaction's xid for COMMIT/ABORT PREPARED, else 0.
    pub twophase_xid: u32,
    /// Its GID, when logged (wal_level = logical).
    pub twophase_gid: Option<String>,
    pub origin_lsn: u64,
    pub origin_timestamp: i64,
}

/// A parsed prepare record (`xl_xact_prepare` and what follows it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedPrepare {
    pub xid: u32,
    pub database: u32,
    /// µs since 2000-01-01 00:00 UTC.
    pub prepared_at: i64,
    pub owner: u32,
    pub gid: String,
    pub subxacts: Vec<u32>,
    pub commit_rels: Vec<RelFileLocator>,
    pub abort_rels: Vec<RelFileLocator>,
    pub commit_stats: Vec<StatsItem>,
    pub abort_stats: Vec<StatsItem>,
    pub nmsgs: usize,
    pub msgs: Vec<u8>,
    pub initfileinval: bool,
    pub origin_lsn: u64,
    pub origin_timestamp: i64,
}

/// Size of `xl_xact_stats_item` for `version`.
fn stats_item_size(version: PgVersion) -> usize {
    if version.stats_item_has_64bit_objid() {
        16
    } else {
        12
    }
}

fn read_rels(c: &mut Cursor<'_>, n: usize) -> Option<Vec<RelFileLocator>> {
    check_fits(n, 12, c.remaining())?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(RelFileLocator { spc: c.u32()?, db: c.u32()?, rel: c.u32()? });
    }
    Some(v)
}

fn read_stats(c: &mut Cursor<'_>, version: PgVersion, n: usize) -> Option<Vec<StatsItem>> {
    check_fits(n, stats_item_size(version), c.remaining())?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let kind = c.i32()?;
        let dboid = c.u32()?;
        let objid = if version.stats_item_has_64bit_objid() {
            let lo = c.u32()?;
            let hi = c.u32()?;
            u64::from(hi) << 32 | u64::from(lo)
        } else {
            u64::from(c.u32()?)
        };
        v.push(StatsItem { kind, dboid, objid });
    }
    Some(v)
}

/// Port of `ParseCommitRecord` (xactdesc.c); `info` is `xl_info`.
pub fn parse_commit(version: PgVersion, info: u8, data: &[u8]) -> Option<ParsedCommit> {
    parse_commit_or_abort(version, info, data, true)
}

/// Port of `ParseAbortRecord` (xactdesc.c): like a commit, but invalidation
/// messages are never part of it.
pub fn parse_abort(version: PgVersion, info: u8, data: &[u8]) -> Option<ParsedCommit> {
    parse_commit_or_abort(version, info, data, false)
}

fn parse_commit_or_abort(
    version: PgVersion,
    info: u8,
    data: &[u8],
    commit: bool,
) -> Option<ParsedCommit> {
    let mut c = Cursor::new(data);
    let mut p = ParsedCommit { xact_time: c.i64()?, ..Default::default() };
    if info & XLOG_XACT_HAS_INFO != 0 {
        p.xinfo = c.u32()?;
    }
    let x = p.xinfo;
    if x & XACT_XINFO_HAS_DBINFO != 0 {
        p.db_id = c.u32()?;
        p.ts_id = c.u32()?;
    }
    if x & XACT_XINFO_HAS_SUBXACTS != 0 {
        let n = c.count(4)?;
        p.subxacts = c.u32s(n)?;
    }
    if x & XACT_XINFO_HAS_RELFILENODES != 0 {
        let n = c.count(12)?;
        p.rels = read_rels(&mut c, n)?;
        p.nrels = n;
    }
    if version.has_dropped_stats() && x & XACT_XINFO_HAS_DROPPED_STATS != 0 {
        let n = c.count(stats_item_size(version))?;
        p.stats = read_stats(&mut c, version, n)?;
    }
    if commit && x & XACT_XINFO_HAS_INVALS != 0 {
        let n = c.count(SIZEOF_INVAL_MSG)?;
        p.msgs = c.bytes(n * SIZEOF_INVAL_MSG)?.to_vec();
        p.nmsgs = n;
    }
    if x & XACT_XINFO_HAS_TWOPHASE != 0 {
        p.twophase_xid = c.u32()?;
        if x & XACT_XINFO_HAS_GID != 0 {
            p.twophase_gid = Some(cstr(c.cstr()?));
        }
    }
    if x & XACT_XINFO_HAS_ORIGIN != 0 {
        p.origin_lsn = c.u64()?;
        p.origin_timestamp = c.i64()?;
    }
    Some(p)
}

/// Port of `ParsePrepareRecord` (xactdesc.c): the fixed `xl_xact_prepare`
/// (72 bytes; 64 in PG 14, which has no stats counts) followed by MAXALIGNed
/// sections: gid, subxacts, commit rels, abort rels, commit stats, abort
/// stats, invalidation messages.
pub fn parse_prepare(version: PgVersion, data: &[u8]) -> Option<ParsedPrepare> {
    let mut c = Cursor::new(data);
    let _magic = c.u32()?;
    let _total_len = c.u32()?;
    let xid = c.u32()?;
    let database = c.u32()?;
    let prepared_at = c.i64()?;
    let owner = c.u32()?;
    let nsubxacts = c.i32()?;
    let ncommitrels = c.i32()?;
    let nabortrels = c.i32()?;
    let (ncommitstats, nabortstats) =
        if version.has_dropped_stats() { (c.i32()?, c.i32()?) } else { (0, 0) };
    let ninvalmsgs = c.i32()?;
    let initfileinval = c.bool()?;
    c.align(2)?;
    let gidlen = usize::from(c.u16()?);
    let origin_lsn = c.u64()?;
    let origin_timestamp = c.i64()?;
    let header_len = c.pos();

    let count = |n: i32| usize::try_from(n).ok();
    let (nsub, ncr, nar) = (count(nsubxacts)?, count(ncommitrels)?, count(nabortrels)?);
    let (ncs, nas, nmsg) = (count(ncommitstats)?, count(nabortstats)?, count(ninvalmsgs)?);

    let mut pos = maxalign(header_len)?;
    let gid_bytes = Cursor::at(data, pos).bytes(gidlen)?;
    let gid_end = gid_bytes.iter().position(|&b| b == 0).unwrap_or(gid_bytes.len());
    let gid = cstr(gid_bytes.get(..gid_end)?);
    pos = pos.checked_add(maxalign(gidlen)?)?;

    let p = &mut pos;
    let subxacts = section(data, p, 4, nsub)?.u32s(nsub)?;
    let commit_rels = read_rels(&mut section(data, p, 12, ncr)?, ncr)?;
    let abort_rels = read_rels(&mut section(data, p, 12, nar)?, nar)?;
    let ssize = stats_item_size(version);
    let commit_stats = read_stats(&mut section(data, p, ssize, ncs)?, version, ncs)?;
    let abort_stats = read_stats(&mut section(data, p, ssize, nas)?, version, nas)?;
    let msgs = section(data, p, SIZEOF_INVAL_MSG, nmsg)?.bytes(nmsg * SIZEOF_INVAL_MSG)?.to_vec();

    Some(ParsedPrepare {
        xid,
        database,
        prepared_at,
        owner,
        gid,
        subxacts,
        commit_rels,
        abort_rels,
        commit_stats,
        abort_stats,
        nmsgs: nmsg,
        msgs,
        initfileinval,
        origin_lsn,
        origin_timestamp,
    })
}

/// A cursor at `*pos` over a MAXALIGNed section of `n` `elem`-byte items
/// (which must fit in the data); moves `*pos` past the section.
fn section<'a>(data: &'a [u8], pos: &mut usize, elem: usize, n: usize) -> Option<Cursor<'a>> {
    let cur = Cursor::at(data, *pos);
    check_fits(n, elem, cur.remaining())?;
    *pos = pos.checked_add(maxalign(n.checked_mul(elem)?)?)?;
    Some(cur)
}

/// Parses `xl_xact_assignment`: the top-level xid and the subxids assigned
/// to it.
pub fn parse_assignment(data: &[u8]) -> Option<(u32, Vec<u32>)> {
    let mut c = Cursor::new(data);
    let xtop = c.u32()?;
    let n = c.count(4)?;
    Some((xtop, c.u32s(n)?))
}

/// Port of `xact_identify` (xactdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & XLOG_XACT_OPMASK {
        XLOG_XACT_COMMIT => "COMMIT",
        XLOG_XACT_PREPARE => "PREPARE",
        XLOG_XACT_ABORT => "ABORT",
        XLOG_XACT_COMMIT_PREPARED => "COMMIT_PREPARED",
        XLOG_XACT_ABORT_PREPARED => "ABORT_PREPARED",
        XLOG_XACT_ASSIGNMENT => "ASSIGNMENT",
        XLOG_XACT_INVALIDATIONS => "INVALIDATION",
        _ => return None,
    })
}

/// `xact_desc_relations`.
fn desc_relations(buf: &mut String, version: PgVersion, label: &str, rels: &[RelFileLocator]) {
    if !rels.is_empty() {
        let _ = write!(buf, "; {label}:");
        for r in rels {
            let _ = write!(buf, " {}", relpathperm(version, r.spc, r.db, r.rel, 0));
        }
    }
}

/// `xact_desc_subxacts`.
fn desc_subxacts(buf: &mut String, subxacts: &[u32]) {
    if !subxacts.is_empty() {
        buf.push_str("; subxacts:");
        for x in subxacts {
            let _ = write!(buf, " {x}");
        }
    }
}

/// `xact_desc_stats`.
fn desc_stats(buf: &mut String, label: &str, stats: &[StatsItem]) {
    if !stats.is_empty() {
        let _ = write!(buf, "; {label}dropped stats:");
        for s in stats {
            let _ = write!(buf, " {}/{}/{}", s.kind, s.dboid, s.objid);
        }
    }
}

fn desc_origin(buf: &mut String, origin: u16, origin_lsn: u64, origin_ts: i64) {
    let _ = write!(
        buf,
        "; origin: node {origin}, lsn {}, at {}",
        lsn(origin_lsn),
        timestamptz(origin_ts)
    );
}

/// Port of `xact_desc` (xactdesc.c). The input's `origin` is the record's
/// replication origin (`XLogRecGetOrigin`, 0 when none). Timestamps are printed in UTC
/// (see [`timestamptz`]).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let origin = input.origin;
    let v = input.version;
    let d = input.main_data;
    match input.info & XLOG_XACT_OPMASK {
        XLOG_XACT_COMMIT | XLOG_XACT_COMMIT_PREPARED => {
            let p = parse_commit(v, input.info, d)?;
            if p.twophase_xid != 0 {
                let _ = write!(buf, "{}: ", p.twophase_xid);
            }
            push_timestamptz(buf, p.xact_time);
            desc_relations(buf, v, "rels", &p.rels);
            desc_subxacts(buf, &p.subxacts);
            desc_stats(buf, "", &p.stats);
            let nmsgs = i32::try_from(p.nmsgs).ok()?;
            let init = p.xinfo & XACT_COMPLETION_UPDATE_RELCACHE_FILE != 0;
            desc_invalidations(buf, nmsgs, &p.msgs, p.db_id, p.ts_id, init)?;
            if p.xinfo & XACT_COMPLETION_APPLY_FEEDBACK != 0 {
                buf.push_str("; apply_feedback");
            }
            if p.xinfo & XACT_COMPLETION_FORCE_SYNC_COMMIT != 0 {
                buf.push_str("; sync");
            }
            if p.xinfo & XACT_XINFO_HAS_ORIGIN != 0 {
                desc_origin(buf, origin, p.origin_lsn, p.origin_timestamp);
            }
        }
        XLOG_XACT_ABORT | XLOG_XACT_ABORT_PREPARED => {
            let p = parse_abort(v, input.info, d)?;
            if p.twophase_xid != 0 {
                let _ = write!(buf, "{}: ", p.twophase_xid);
            }
            push_timestamptz(buf, p.xact_time);
            desc_relations(buf, v, "rels", &p.rels);
            desc_subxacts(buf, &p.subxacts);
            if p.xinfo & XACT_XINFO_HAS_ORIGIN != 0 {
                desc_origin(buf, origin, p.origin_lsn, p.origin_timestamp);
            }
            desc_stats(buf, "", &p.stats);
        }
        XLOG_XACT_PREPARE => {
            let p = parse_prepare(v, d)?;
            let _ = write!(buf, "gid {}: ", p.gid);
            push_timestamptz(buf, p.prepared_at);
            desc_relations(buf, v, "rels(commit)", &p.commit_rels);
            desc_relations(buf, v, "rels(abort)", &p.abort_rels);
            desc_stats(buf, "commit ", &p.commit_stats);
            desc_stats(buf, "abort ", &p.abort_stats);
            desc_subxacts(buf, &p.subxacts);
            // ParsePrepareRecord sets dbId but leaves tsId zero.
            let nmsgs = i32::try_from(p.nmsgs).ok()?;
            desc_invalidations(buf, nmsgs, &p.msgs, p.database, 0, p.initfileinval)?;
            if origin != 0 {
                desc_origin(buf, origin, p.origin_lsn, p.origin_timestamp);
            }
        }
        XLOG_XACT_ASSIGNMENT => {
            // The C prints xtop before reading the list.
            let mut c = Cursor::new(d);
            let xtop = c.u32()?;
            let n = c.i32()?;
            let _ = write!(buf, "xtop {xtop}: subxacts:");
            for _ in 0..n.max(0) {
                let _ = write!(buf, " {}", c.u32()?);
            }
        }
        XLOG_XACT_INVALIDATIONS => {
            let mut c = Cursor::new(d);
            let nmsgs = c.i32()?;
            let msgs = c.bytes(c.remaining())?;
            desc_invalidations(buf, nmsgs, msgs, 0, 0, false)?;
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{desc, B};
    use super::super::{describe, DescInput, RM_XACT_ID, TRUNCATED};
    use super::*;

    const V: PgVersion = PgVersion::V15;
    /// 2026-11-25 02:54:31.123456 UTC in µs since 2000-01-01.
    const T: i64 = 9825 * 86_400_000_000 + (2 * 3600 + 54 * 60 + 31) * 1_000_000 + 123_456;
    const TS: &str = "2026-11-25 02:54:31.123456+00";

    fn commit_all(version: PgVersion) -> Vec<u8> {
        let xinfo = XACT_XINFO_HAS_DBINFO
            | XACT_XINFO_HAS_SUBXACTS
            | XACT_XINFO_HAS_RELFILENODES
            | XACT_XINFO_HAS_DROPPED_STATS
            | XACT_XINFO_HAS_INVALS
            | XACT_XINFO_HAS_TWOPHASE
            | XACT_XINFO_HAS_GID
            | XACT_XINFO_HAS_ORIGIN
            | XACT_COMPLETION_UPDATE_RELCACHE_FILE
            | XACT_COMPLETION_FORCE_SYNC_COMMIT;
        let mut b = B::new()
            .i64(T)
            .u32(xinfo)
            .u32(5)
            .u32(1663)
            .i32(2)
            .u32(801)
            .u32(802)
            .i32(2)
            .u32(1663)
            .u32(5)
            .u32(16384)
            .u32(16400)
            .u32(5)
            .u32(16401);
        if version >= PgVersion::V15 {
            b = b.i32(1).i32(2).u32(5).u32(16384);
            if version >= PgVersion::V18 {
                b = b.u32(1);
            }
        }
        b.i32(1)
            .bytes(&[0xFE, 0, 0, 0])
            .u32(5)
            .u32(16384)
            .u32(0)
            .u32(800)
            .bytes(b"tx1\0")
            .u64(0x0_0300_0060)
            .i64(0)
            .done()
    }

    #[test]
    fn commit_full() {
        let d = commit_all(V);
        let p = parse_commit(V, XLOG_XACT_COMMIT_PREPARED | XLOG_XACT_HAS_INFO, &d).unwrap();
        assert_eq!(p.xact_time, T);
        assert_eq!(p.db_id, 5);
        assert_eq!(p.ts_id, 1663);
        assert_eq!(p.subxacts, vec![801, 802]);
        assert_eq!(p.nrels, 2);
        assert_eq!(p.rels[1], RelFileLocator { spc: 16400, db: 5, rel: 16401 });
        assert_eq!(p.stats, vec![StatsItem { kind: 2, dboid: 5, objid: 16384 }]);
        assert_eq!(p.nmsgs, 1);
        assert_eq!(p.twophase_xid, 800);
        assert_eq!(p.twophase_gid.as_deref(), Some("tx1"));
        assert_eq!(p.origin_lsn, 0x0_0300_0060);
        let input = DescInput {
            version: V,
            rmid: RM_XACT_ID,
            info: XLOG_XACT_COMMIT_PREPARED | XLOG_XACT_HAS_INFO,
            main_data: &d,
            block0_has_image: false,
            block0_data: None,
            origin: 3,
        };
        let mut s = String::new();
        describe(&input, &mut s);
        assert_eq!(
            s,
            format!(
                "800: {TS}; rels: base/5/16384 pg_tblspc/16400/PG_15_202209061/5/16401; \
                 subxacts: 801 802; dropped stats: 2/5/16384; relcache init file inval dbid 5 \
                 tsid 1663; inval msgs: relcache 16384; sync; origin: node 3, lsn 0/3000060, \
                 at 2000-01-01 00:00:00+00"
            )
        );
        // PG 18: 16-byte stats items.
        let d18 = commit_all(PgVersion::V18);
        let p18 = parse_commit(PgVersion::V18, 0x80, &d18).unwrap();
        assert_eq!(p18.stats, vec![StatsItem { kind: 2, dboid: 5, objid: (1 << 32) | 16384 }]);
        assert_eq!(p18.twophase_gid.as_deref(), Some("tx1"));
        // PG 14: no dropped stats section even with the bit set.
        let d14 = commit_all(PgVersion::V14);
        let p14 = parse_commit(PgVersion::V14, 0x80, &d14).unwrap();
        assert!(p14.stats.is_empty());
        assert_eq!(p14.twophase_xid, 800);
    }

    #[test]
    fn commit_simple() {
        let d = B::new().i64(T).done();
        assert_eq!(desc(V, RM_XACT_ID, XLOG_XACT_COMMIT, &d), TS);
        let p = parse_commit(V, 0, &d).unwrap();
        assert_eq!(p, ParsedCommit { xact_time: T, ..Default::default() });
        let d = B::new()
            .i64(T)
            .u32(XACT_XINFO_HAS_SUBXACTS | XACT_COMPLETION_APPLY_FEEDBACK)
            .i32(1)
            .u32(9)
            .done();
        assert_eq!(desc(V, RM_XACT_ID, 0x80, &d), format!("{TS}; subxacts: 9; apply_feedback"));
        assert_eq!(desc(V, RM_XACT_ID, 0x80, &d[..d.len() - 1]), TRUNCATED);
        assert_eq!(parse_commit(V, 0x80, &d[..d.len() - 1]), None);
        assert_eq!(parse_commit(V, 0, &d[..7]), None);
    }

    #[test]
    fn abort() {
        let d = B::new()
            .i64(T)
            .u32(XACT_XINFO_HAS_SUBXACTS | XACT_XINFO_HAS_RELFILENODES | XACT_XINFO_HAS_INVALS)
            .i32(1)
            .u32(811)
            .i32(1)
            .u32(1664)
            .u32(0)
            .u32(1262)
            .done();
        let p = parse_abort(V, 0xA0, &d).unwrap();
        assert_eq!(p.subxacts, vec![811]);
        assert_eq!(p.nmsgs, 0);
        assert_eq!(
            desc(V, RM_XACT_ID, XLOG_XACT_ABORT | XLOG_XACT_HAS_INFO, &d),
            format!("{TS}; rels: global/1262; subxacts: 811")
        );
        let d = B::new()
            .i64(T)
            .u32(XACT_XINFO_HAS_TWOPHASE | XACT_XINFO_HAS_DROPPED_STATS | XACT_XINFO_HAS_ORIGIN)
            .i32(1)
            .i32(1)
            .u32(5)
            .u32(77)
            .u32(900)
            .u64(0x10)
            .i64(-1)
            .done();
        assert_eq!(
            desc(V, RM_XACT_ID, XLOG_XACT_ABORT_PREPARED | XLOG_XACT_HAS_INFO, &d),
            format!(
                "900: {TS}; origin: node 0, lsn 0/10, at 1999-12-31 23:59:59.999999+00; \
                 dropped stats: 1/5/77"
            )
        );
    }

    fn prepare_bytes(version: PgVersion) -> Vec<u8> {
        let mut b = B::new()
            .u32(TWOPHASE_MAGIC)
            .u32(200)
            .u32(900)
            .u32(5)
            .i64(T)
            .u32(10)
            .i32(2)
            .i32(1)
            .i32(1);
        if version >= PgVersion::V15 {
            b = b.i32(0).i32(1);
        }
        b = b.i32(1).u8(1).u8(0).u16(4).u64(0).i64(0);
        b = b.bytes(b"gx1\0").pad(8);
        b = b.u32(901).u32(902);
        b = b.u32(1663).u32(5).u32(16500).pad(8);
        b = b.u32(1663).u32(5).u32(16501).pad(8);
        if version >= PgVersion::V15 {
            b = b.i32(1).u32(5).u32(16501).pad(8);
        }
        b.bytes(&[0xFF, 0, 0, 0]).u32(5).u32(2619).u32(0).done()
    }

    #[test]
    fn prepare() {
        for version in [PgVersion::V14, PgVersion::V15, PgVersion::V17] {
            let d = prepare_bytes(version);
            let p = parse_prepare(version, &d).unwrap();
            assert_eq!(p.xid, 900);
            assert_eq!(p.database, 5);
            assert_eq!(p.prepared_at, T);
            assert_eq!(p.owner, 10);
            assert_eq!(p.gid, "gx1");
            assert_eq!(p.subxacts, vec![901, 902]);
            assert_eq!(p.commit_rels, vec![RelFileLocator { spc: 1663, db: 5, rel: 16500 }]);
            assert_eq!(p.abort_rels, vec![RelFileLocator { spc: 1663, db: 5, rel: 16501 }]);
            assert!(p.commit_stats.is_empty());
            assert_eq!(p.nmsgs, 1);
            assert!(p.initfileinval);
            let stats =
                if version >= PgVersion::V15 { "; abort dropped stats: 1/5/16501" } else { "" };
            assert_eq!(
                desc(version, RM_XACT_ID, XLOG_XACT_PREPARE, &d),
                format!(
                    "gid gx1: {TS}; rels(commit): base/5/16500; rels(abort): base/5/16501{stats}; \
                     subxacts: 901 902; relcache init file inval dbid 5 tsid 0; inval msgs: \
                     catalog 2619"
                )
            );
            assert_eq!(parse_prepare(version, &d[..d.len() - 1]), None);
        }
    }

    #[test]
    fn assignment_and_invals() {
        let d = B::new().u32(700).i32(3).u32(701).u32(702).u32(703).done();
        assert_eq!(parse_assignment(&d), Some((700, vec![701, 702, 703])));
        assert_eq!(
            desc(V, RM_XACT_ID, XLOG_XACT_ASSIGNMENT, &d),
            "xtop 700: subxacts: 701 702 703"
        );
        assert_eq!(parse_assignment(&d[..15]), None);
        let d = B::new().i32(1).bytes(&[0xFB, 0, 0, 0]).u32(5).u32(16384).u32(0).done();
        assert_eq!(
            desc(V, RM_XACT_ID, XLOG_XACT_INVALIDATIONS, &d),
            "; inval msgs: snapshot 16384"
        );
    }

    #[test]
    fn identify_all() {
        assert_eq!(identify(PgVersion::V15, 0x00), Some("COMMIT"));
        assert_eq!(identify(PgVersion::V15, 0x90), Some("PREPARE"));
        assert_eq!(identify(PgVersion::V15, 0x20), Some("ABORT"));
        assert_eq!(identify(PgVersion::V15, 0xB0), Some("COMMIT_PREPARED"));
        assert_eq!(identify(PgVersion::V15, 0x40), Some("ABORT_PREPARED"));
        assert_eq!(identify(PgVersion::V15, 0x50), Some("ASSIGNMENT"));
        assert_eq!(identify(PgVersion::V15, 0x60), Some("INVALIDATION"));
        assert_eq!(identify(PgVersion::V15, 0x70), None);
        assert_eq!(identify(PgVersion::V15, 0xF0), None);
    }
}
