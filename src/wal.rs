//! Finding the WAL to read and the range to read it in: the server's own
//! `pg_wal` (ending at the flush LSN, or the replay LSN on a standby) or a
//! directory the caller names (ending where its valid WAL ends). Also the
//! privilege check and the scan loop shared by every function: interrupts
//! are checked per record, and the end of the range is told apart from
//! damage.

use std::ffi::CStr;
use std::path::PathBuf;

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;
use waldecode::source::{DirSource, WalSource};
use waldecode::{Lsn, Record, WalError, WalReader};

use crate::error::{raise, raise_wal};
use crate::types::PgLsn;

/// Where the WAL comes from, which decides how its end is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The server's pg_wal up to its flush/replay LSN: everything below
    /// that must be valid.
    Server,
    /// A directory: its WAL ends wherever valid records stop, unless the
    /// caller named an end.
    Dir { explicit_end: bool },
}

/// A positioned reader over a resolved range.
pub struct WalScan {
    reader: WalReader<DirSource>,
    origin: Origin,
    done: bool,
    pub start: Lsn,
    pub end: Lsn,
    /// How the source was opened, to open more readers over it.
    dir: PathBuf,
    seg_size: Option<u32>,
    max_tli: Option<u32>,
}

/// Superusers and members of pg_read_server_files may read WAL (EXECUTE is
/// revoked from PUBLIC too; this guards against grants to others).
pub fn check_privileges() {
    // SAFETY: plain catalog lookups on the current user, valid in a backend.
    let ok = unsafe {
        pg_sys::superuser()
            || pg_sys::has_privs_of_role(
                pg_sys::GetUserId(),
                pg_sys::Oid::from(pg_sys::ROLE_PG_READ_SERVER_FILES),
            )
    };
    if !ok {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to read WAL".into(),
            None,
            Some("Only superusers and members of pg_read_server_files can mine WAL.".into()),
        );
    }
}

/// The server's end of WAL: flush LSN, or replay LSN on a standby; and the
/// timeline it is on.
fn server_end() -> (Lsn, u32) {
    let mut tli: pg_sys::TimeLineID = 0;
    // SAFETY: both functions only read shared memory state.
    let lsn = unsafe {
        if pg_sys::RecoveryInProgress() {
            pg_sys::GetXLogReplayRecPtr(&mut tli)
        } else {
            pg_sys::GetFlushRecPtr(&mut tli)
        }
    };
    (Lsn(lsn), tli)
}

fn server_wal_dir() -> PathBuf {
    // SAFETY: DataDir is set once at postmaster start and never freed.
    let data = unsafe { CStr::from_ptr(pg_sys::DataDir) };
    PathBuf::from(data.to_string_lossy().into_owned()).join("pg_wal")
}

impl WalScan {
    /// Resolves `start`/`end`/`wal_dir` into a positioned reader, raising
    /// an ERROR with a hint for every impossible request.
    pub fn open(start: Option<PgLsn>, end: Option<PgLsn>, wal_dir: Option<&str>) -> WalScan {
        check_privileges();
        let start = start.map(Lsn::from);
        let end = end.map(Lsn::from);
        let (source, origin, end, dir, fixed_seg, max_tli) = match wal_dir {
            None => {
                let (cur, tli) = server_end();
                if let Some(s) = start {
                    if s > cur {
                        raise(
                            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                            format!("start LSN {s} is in the future"),
                            Some(format!("The server's WAL ends at {cur}.")),
                            Some("Use a start_lsn at or before pg_current_wal_flush_lsn().".into()),
                        );
                    }
                }
                // SAFETY: wal_segment_size is set at startup and read-only after.
                let seg = unsafe { pg_sys::wal_segment_size } as u32;
                let dir = server_wal_dir();
                let src = DirSource::open(&dir, Some(seg), Some(tli)).unwrap_or_else(|e| {
                    raise(PgSqlErrorCode::ERRCODE_UNDEFINED_FILE, e.to_string(), None, None)
                });
                (src, Origin::Server, end.map_or(cur, |e| e.min(cur)), dir, Some(seg), Some(tli))
            }
            Some(dir) => {
                let src =
                    DirSource::open(std::path::Path::new(dir), None, None).unwrap_or_else(|e| {
                        raise(
                            PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
                            e.to_string(),
                            None,
                            Some(
                                "wal_dir must name a readable directory of WAL segment files."
                                    .into(),
                            ),
                        )
                    });
                (
                    src,
                    Origin::Dir { explicit_end: end.is_some() },
                    end.unwrap_or(Lsn(u64::MAX)),
                    PathBuf::from(dir),
                    None,
                    None,
                )
            }
        };
        let seg_size = source.segment_size();
        let Some((first_seg, _)) = source.segment_range() else {
            raise(
                PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
                "no WAL segments found".into(),
                None,
                None,
            )
        };
        let oldest = Lsn::from_segment(first_seg, seg_size);
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
            );
        }
        reader.set_end(end);
        let mut scan =
            WalScan { reader, origin, done: false, start, end, dir, seg_size: fixed_seg, max_tli };
        match scan.reader.seek(start) {
            Ok(found) => scan.start = found,
            Err(e) => scan.end_or_raise(e),
        }
        scan
    }

    /// The oldest position of the source's WAL.
    pub fn oldest(&self) -> Lsn {
        let src = self.reader.source();
        src.segment_range()
            .map_or(Lsn::INVALID, |(first, _)| Lsn::from_segment(first, src.segment_size()))
    }

    /// Another scan over the same WAL, from the first record at or after
    /// `start` up to `end` (which must not exceed this scan's end).
    pub fn reopen(&self, start: Lsn, end: Lsn) -> WalScan {
        let src = DirSource::open(&self.dir, self.seg_size, self.max_tli).unwrap_or_else(|e| {
            raise(PgSqlErrorCode::ERRCODE_UNDEFINED_FILE, e.to_string(), None, None)
        });
        let mut reader = WalReader::new(src);
        reader.set_end(end.min(self.end));
        let mut scan = WalScan {
            reader,
            origin: self.origin,
            done: false,
            start,
            end: end.min(self.end),
            dir: self.dir.clone(),
            seg_size: self.seg_size,
            max_tli: self.max_tli,
        };
        if start >= scan.end {
            scan.done = true;
            return scan;
        }
        match scan.reader.seek(start) {
            Ok(found) => scan.start = found,
            Err(e) => scan.end_or_raise(e),
        }
        scan
    }

    /// Walks back from `from` along the prev-links to the nearest
    /// checkpoint record and returns its redo point: from there on every
    /// page modified gets a full-page image, so page tracking started there
    /// knows every page by the time it reaches `from`. `None` when the
    /// available WAL holds no earlier checkpoint.
    pub fn redo_point_before(&self, from: Lsn) -> Option<Lsn> {
        let src = DirSource::open(&self.dir, self.seg_size, self.max_tli).ok()?;
        let mut reader = WalReader::new(src);
        reader.seek(from).ok()?;
        let mut at = from;
        let mut steps: u64 = 0;
        loop {
            reader.begin_at(at);
            let rec = reader.next_record().ok()??;
            if rec.rmid() == 0 && matches!(rec.info() & 0xF0, 0x00 | 0x10) {
                let cp = waldecode::rmgr::xlog::parse_checkpoint(rec.version(), rec.main_data())?;
                return Some(Lsn(cp.redo));
            }
            let prev = rec.prev_lsn();
            if !prev.is_valid() || prev >= at {
                return None;
            }
            at = prev;
            steps += 1;
            if steps.is_multiple_of(4096) {
                pgrx::check_for_interrupts!();
            }
        }
    }

    /// Decides whether `e` ends the scan quietly or is an ERROR.
    fn end_or_raise(&mut self, e: WalError) {
        let quiet = match (&e, self.origin) {
            (WalError::EndOfWal { .. }, Origin::Dir { .. }) => true,
            (WalError::Corrupt { lsn, reason }, Origin::Dir { explicit_end: false }) => {
                // A crash leaves a torn last record; past it nothing is valid.
                pgrx::warning!("WAL in wal_dir ends with an invalid record at {lsn}: {reason}");
                true
            }
            _ => false,
        };
        if !quiet {
            raise_wal(e);
        }
        self.done = true;
    }

    /// The next record of the range, or `None` at its end. Checks for
    /// query cancel first, so a long scan stops promptly.
    pub fn next(&mut self) -> Option<Record<'_>> {
        pgrx::check_for_interrupts!();
        if self.done {
            return None;
        }
        // Two-step to satisfy the borrow checker: find out first whether
        // there is a record, then hand it out.
        match self.reader.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.end_or_raise(e);
                return None;
            }
        }
        self.reader.current()
    }
}
