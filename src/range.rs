//! Finding the WAL to read and the range to read it in: the server's own
//! `pg_wal` (ending at the flush LSN, or the replay LSN on a standby) or a
//! directory the caller names (ending where its valid WAL ends, unless an
//! end is named). Every impossible request is an ERROR with a hint; the
//! resolved range is a [`Scan`] of the decoder crate, read here with query
//! cancel checked before every record.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use waldecode::scan::{EndPolicy, Scan};
use waldecode::source::{DirSource, WalSource};
use waldecode::{Lsn, Record, WalError, WalReader};

use crate::error::{raise, raise_wal};
use crate::types::PgLsn;

/// A scan over the range a function was asked for.
pub struct WalScan {
    scan: Scan<DirSource>,
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

fn check_interrupts() {
    pgrx::check_for_interrupts!();
}

/// A torn last record in a directory ends its WAL quietly, with a WARNING
/// naming it.
fn warn_ended_early(why: &WalError) {
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

impl WalScan {
    /// Resolves `start`/`end`/`wal_dir` into a positioned scan, raising an
    /// ERROR with a hint for every impossible request.
    pub fn open(start: Option<PgLsn>, end: Option<PgLsn>, wal_dir: Option<&str>) -> WalScan {
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
        scan.set_hooks(check_interrupts, warn_ended_early);
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
