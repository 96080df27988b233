//! Finding the WAL to read and the range to read it in: the server's own
//! `pg_wal` (ending at the flush LSN, or the replay LSN on a standby) or a
//! directory the caller names (ending where its valid WAL ends, unless an
//! end is named). Every impossible request is an ERROR with a hint; the
//! resolved range is a [`Scan`] of the decoder crate, read here with query
//! cancel checked before every record. WAL of another database system
//! (system identifier, major version) is refused where rows would be
//! decoded with this server's catalog, and reported elsewhere.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use waldecode::scan::{EndPolicy, Scan};
use waldecode::source::{DirSource, WalSource};
use waldecode::{Lsn, PgVersion, Record, WalError, WalReader};

use crate::error::{notice, raise, raise_wal};
use crate::types::PgLsn;

/// A scan over the range a function was asked for.
pub struct WalScan {
    scan: Scan<DirSource>,
}

/// Whose WAL a function may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cluster {
    /// Only this cluster's: rows are decoded with this server's catalog,
    /// where another cluster's relfilenodes and OIDs would name other
    /// tables (`xlogminer_contents`).
    ThisOnly,
    /// Any cluster's: records and statistics need no catalog; WAL of
    /// another system is read with a NOTICE naming it.
    Any,
}

/// The server's end of WAL: flush LSN, or replay LSN on a standby; and the
/// timeline it is on.
pub fn server_end() -> (Lsn, u32) {
    let mut tli: pg_sys::TimeLineID = 0;
    // SAFETY: both functions only read shared memory state.
    let lsn = unsafe {
        if pg_sys::RecoveryInProgress() {
            pg_sys::GetXLogReplayRecPtr(&mut tli)
        } else {
            flush_rec_ptr(&mut tli)
        }
    };
    (Lsn(lsn), tli)
}

/// `GetFlushRecPtr` and the timeline the server writes: PG 15 made the
/// function return the timeline; before, a backend's `ThisTimeLineID` holds
/// it once `RecoveryInProgress()` has returned false (InitXLOGAccess).
///
/// # Safety
/// Reads shared memory state and a backend global; call in a backend.
#[cfg(feature = "pg14")]
unsafe fn flush_rec_ptr(tli: &mut pg_sys::TimeLineID) -> pg_sys::XLogRecPtr {
    // SAFETY: the caller is a backend out of recovery.
    unsafe {
        *tli = pg_sys::ThisTimeLineID;
        pg_sys::GetFlushRecPtr()
    }
}

/// See the PG 14 version above.
///
/// # Safety
/// Reads shared memory state; call in a backend.
#[cfg(not(feature = "pg14"))]
unsafe fn flush_rec_ptr(tli: &mut pg_sys::TimeLineID) -> pg_sys::XLogRecPtr {
    // SAFETY: only reads shared memory state.
    unsafe { pg_sys::GetFlushRecPtr(tli) }
}

fn server_wal_dir() -> PathBuf {
    // SAFETY: DataDir is set once at postmaster start and never freed.
    let data = unsafe { CStr::from_ptr(pg_sys::DataDir) };
    PathBuf::from(data.to_string_lossy().into_owned()).join("pg_wal")
}

/// A torn last record in a directory ends its WAL quietly, with a WARNING
/// naming it.
pub fn warn_ended_early(why: &WalError) {
    if let WalError::Corrupt { lsn, reason } = why {
        pgrx::warning!("WAL in wal_dir ends with an invalid record at {lsn}: {reason}");
    }
}

/// The server's own WAL up to its end: everything below the end must be
/// valid.
fn server_source(start: Option<Lsn>, end: Option<Lsn>) -> (DirSource, EndPolicy, Lsn) {
    let (cur, tli) = server_end();
    if let Some(s) = start.filter(|s| *s > cur) {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("start LSN {s} is in the future"),
            Some(format!("The server's WAL ends at {cur}.")),
            Some("Use a start_lsn at or before pg_current_wal_flush_lsn().".into()),
        );
    }
    // SAFETY: wal_segment_size is set at startup and read-only after.
    let seg = unsafe { pg_sys::wal_segment_size } as u32;
    let src = DirSource::open(&server_wal_dir(), Some(seg), Some(tli)).unwrap_or_else(|e| {
        raise(PgSqlErrorCode::ERRCODE_UNDEFINED_FILE, e.to_string(), None, None)
    });
    (src, EndPolicy::Strict, end.map_or(cur, |e| e.min(cur)))
}

/// Where the server's oldest WAL segment still in `pg_wal` starts.
pub fn server_oldest_lsn() -> Lsn {
    server_source(None, None).0.oldest_lsn()
}

/// A directory of segments: its WAL ends where valid records stop.
fn dir_source(dir: &str, end: Option<Lsn>) -> (DirSource, EndPolicy, Lsn) {
    let src = DirSource::open(Path::new(dir), None, None).unwrap_or_else(|e| {
        raise(
            PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
            e.to_string(),
            None,
            Some("wal_dir must name a readable directory of WAL segment files.".into()),
        )
    });
    let policy = EndPolicy::Directory { explicit_end: end.is_some() };
    (src, policy, end.unwrap_or(Lsn(u64::MAX)))
}

/// Raises the ERROR for a start before the oldest segment available.
fn start_removed(reader: &mut WalReader<DirSource>, start: Lsn, oldest: Lsn) -> ! {
    let seg_size = reader.segment_size();
    let name = reader.source().segment_file_name(start.segment(seg_size));
    let oldest_record =
        reader.seek(oldest).map(|l| l.to_string()).unwrap_or_else(|_| oldest.to_string());
    raise(
        PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
        format!("WAL segment {name} holding start LSN {start} has been removed"),
        Some(format!("The oldest available WAL starts at {oldest_record}.")),
        Some(
            "Use a later start_lsn, or pass wal_dir naming a directory (e.g. the archive) that holds older segments."
                .into(),
        ),
    )
}

/// The server's system identifier and WAL version.
fn server_identity() -> (u64, Option<PgVersion>) {
    // SAFETY: reads the control file's copy in shared memory, set at startup.
    let sysid = unsafe { pg_sys::GetSystemIdentifier() };
    (sysid, PgVersion::from_page_magic(pg_sys::XLOG_PAGE_MAGIC as u16))
}

fn version_name(v: Option<PgVersion>) -> String {
    match v {
        Some(v) => format!("PostgreSQL {} (page magic {:04X})", v.major(), v.page_magic()),
        None => "an unknown version".into(),
    }
}

/// Compares the system identifier and version of the WAL `reader` has
/// positioned in (the long header of that segment; every later segment's
/// must match it) with the server's.
fn check_cluster(reader: &WalReader<DirSource>, cluster: Cluster, wal_dir: Option<&str>) {
    let (ours, our_version) = server_identity();
    let (theirs, their_version) = (reader.system_identifier(), reader.version());
    if theirs == 0 || their_version.is_none() {
        return; // nothing read: an empty range decodes nothing
    }
    let where_ = wal_dir.map_or_else(|| "pg_wal".to_string(), |d| format!("\"{d}\""));
    let hint = "xlogminer_contents decodes rows with this server's catalog, so it reads only this cluster's WAL; xlogminer_records and xlogminer_stats read any cluster's.";
    if theirs != ours {
        match cluster {
            Cluster::ThisOnly => raise(
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "WAL is from another database system: system identifier {theirs}, this server's is {ours}"
                ),
                Some(format!(
                    "The WAL in {where_} was written by {}.",
                    version_name(their_version)
                )),
                Some(hint.into()),
            ),
            Cluster::Any => notice(
                format!("reading WAL of another database system, system identifier {theirs}"),
                format!("This server's system identifier is {ours}."),
            ),
        }
    }
    if their_version != our_version {
        let (t, o) = (version_name(their_version), version_name(our_version));
        match cluster {
            Cluster::ThisOnly => raise(
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("WAL is from {t}, this server is {o}"),
                Some(format!("The WAL in {where_} has another major version's format.")),
                Some(hint.into()),
            ),
            Cluster::Any => notice(format!("reading WAL of {t}"), format!("This server is {o}.")),
        }
    }
}

impl WalScan {
    /// Resolves `start`/`end`/`wal_dir` into a positioned scan, raising an
    /// ERROR with a hint for every impossible request, and for WAL of
    /// another cluster where only this one's may be read. Privileges are
    /// the caller's to check: they depend on the function.
    pub fn open(
        start: Option<PgLsn>,
        end: Option<PgLsn>,
        wal_dir: Option<&str>,
        cluster: Cluster,
    ) -> WalScan {
        let (start, end) = (start.map(Lsn::from), end.map(Lsn::from));
        let (source, policy, end) = match wal_dir {
            None => server_source(start, end),
            Some(dir) => dir_source(dir, end),
        };
        let oldest = source.oldest_lsn();
        let start = start.unwrap_or(oldest);
        if start >= end {
            raise(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("start LSN {start} must be less than end LSN {end}"),
                None,
                Some("Pass a start_lsn before end_lsn, or leave end_lsn NULL to read to the end of WAL.".into()),
            );
        }
        let mut reader = WalReader::new(source);
        if start < oldest {
            start_removed(&mut reader, start, oldest);
        }
        let mut scan = Scan::new(reader, start, end, policy).unwrap_or_else(|e| raise_wal(e));
        check_cluster(scan.reader(), cluster, wal_dir);
        crate::progress::begin();
        scan.set_hooks(crate::progress::tick, warn_ended_early);
        WalScan { scan }
    }

    /// The next record of the range, or `None` at its end.
    pub fn next(&mut self) -> Option<Record<'_>> {
        self.scan.next_record().unwrap_or_else(|e| raise_wal(e))
    }

    /// The scan, for the miner to drive.
    pub fn into_scan(self) -> Scan<DirSource> {
        self.scan
    }
}
