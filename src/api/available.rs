//! `xlogminer_available`: what WAL there is to mine, before waiting for a
//! scan — how far back it goes (LSN and commit time), how much of it, whose
//! it is, and from where every page change comes with a full-page image.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use waldecode::rmgr::{xact, xlog, RM_XACT_ID};
use waldecode::scan::Scan;
use waldecode::source::{DirSource, WalSource};
use waldecode::{Lsn, Record};

use crate::error::raise_wal;
use crate::range::{server_end, Cluster, WalScan};
use crate::types::{PgLsn, ServerText};

/// The commit time a record carries, µs since 2000-01-01.
fn commit_time(rec: &Record<'_>) -> Option<i64> {
    if rec.rmid() != RM_XACT_ID {
        return None;
    }
    let op = rec.info() & xact::XLOG_XACT_OPMASK;
    if !matches!(op, xact::XLOG_XACT_COMMIT | xact::XLOG_XACT_COMMIT_PREPARED) {
        return None;
    }
    xact::parse_commit(rec.version(), rec.info(), rec.main_data()).map(|p| p.xact_time)
}

fn timestamp(t: Option<i64>) -> Option<TimestampWithTimeZone> {
    t.and_then(|t| TimestampWithTimeZone::try_from(t).ok())
}

/// The newest commit time in the WAL, looking at the last segment first
/// and going back a segment at a time until one holds a commit.
fn newest_commit(
    scan: &mut Scan<DirSource>,
    first_seg: u64,
    last_seg: u64,
    end: Lsn,
) -> Option<i64> {
    let size = scan.reader().segment_size();
    for segno in (first_seg..=last_seg).rev() {
        let from = Lsn::from_segment(segno, size);
        let to = Lsn::from_segment(segno + 1, size).min(end);
        if scan.restart(from, to).is_err() {
            continue;
        }
        let mut newest = None;
        while let Ok(Some(rec)) = scan.next_record() {
            newest = commit_time(&rec).or(newest);
        }
        if newest.is_some() {
            return newest;
        }
    }
    None
}

/// One row: the oldest and newest LSN of the WAL (the server's `pg_wal`, or
/// `wal_dir`), the first and last commit time in it, its segments and
/// bytes, the system identifier and major version that wrote it, and the
/// redo point of its first checkpoint — from there on every page change
/// carries a full-page image; rows before it may come back incomplete.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, name = "xlogminer_available")]
fn xlogminer_available(
    wal_dir: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(oldest_lsn, PgLsn),
        name!(newest_lsn, PgLsn),
        name!(oldest_commit_time, Option<TimestampWithTimeZone>),
        name!(newest_commit_time, Option<TimestampWithTimeZone>),
        name!(segments, i64),
        name!(bytes, i64),
        name!(system_identifier, ServerText),
        name!(pg_version, i32),
        name!(page_images_from, Option<PgLsn>),
    ),
> {
    crate::privileges::check_read_wal();
    let mut scan = WalScan::open(None, None, wal_dir, Cluster::Any).into_scan();
    let oldest = scan.start();
    // Forward from the oldest record: its first commit and first checkpoint.
    let (mut first_commit, mut images_from) = (None, None);
    while first_commit.is_none() || images_from.is_none() {
        let Some(rec) = scan.next_record().unwrap_or_else(|e| raise_wal(e)) else { break };
        first_commit = first_commit.or_else(|| commit_time(&rec));
        if images_from.is_none() {
            images_from = xlog::checkpoint(&rec).map(|cp| Lsn(cp.redo)).filter(|r| *r >= oldest);
        }
    }
    let reader = scan.reader();
    let (sysid, version) = (reader.system_identifier(), reader.version());
    let size = reader.segment_size();
    let (first_seg, last_seg) = reader.source().segment_range().unwrap_or((0, 0));
    let newest = match wal_dir {
        None => server_end().0,
        // A directory's WAL ends where its valid records stop, in the last
        // segment that has any (later files may be recycled ones).
        Some(_) => (first_seg..=last_seg)
            .rev()
            .find_map(|segno| {
                let from = Lsn::from_segment(segno, size).max(oldest);
                scan.restart(from, Lsn(u64::MAX)).ok()?;
                let mut any = false;
                while let Ok(Some(_)) = scan.next_record() {
                    any = true;
                }
                any.then(|| scan.reached())
            })
            .unwrap_or(oldest),
    };
    let last_commit = newest_commit(&mut scan, first_seg, last_seg, newest);
    let segments = (last_seg - first_seg + 1) as i64;
    TableIterator::once((
        PgLsn(oldest.0),
        PgLsn(newest.0),
        timestamp(first_commit),
        timestamp(last_commit),
        segments,
        segments * i64::from(size),
        ServerText(sysid.to_string()),
        version.map_or(0, |v| v.major() as i32),
        images_from.map(|l| PgLsn(l.0)),
    ))
}
